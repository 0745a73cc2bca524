// The benchmark page: one runtime per page load, chosen by `?rt=cs` (credit-scorer's wasm) or
// `?rt=ort` (onnxruntime-web, plain wasm backend, 1 thread). `cargo xtask bench` serves it with
// cross-origin isolation (5 µs timer resolution instead of 100 µs) and reads `window.benchResult`.
//
//   task=cold  navigation → first score of the applicant in `row=` (comma-separated values)
//   task=full  single-applicant latency, batch throughput, score + explanation, memory, outputs
//   task=csv   (credit-scorer) the 1,000,000-row CSV streamed through `BatchJob`, as the page's
//              worker does, with `reasons=1|0`: rows/s and memory growth; with `via=worker`
//              through the app's own scoring Worker (and its helpers), as the page runs it
//   task=recourse  (credit-scorer) what would change the outcome for the test split's declined
//              applicants, asked of the app's own scoring Worker as the page asks it
//              (`Scorer.recourse` towards the approval cut-off): per-applicant latency

const params = new URLSearchParams(location.search);
const rt = params.get('rt');
const task = params.get('task') ?? 'full';

// Every wasm memory either runtime creates, found the same way for both: memories grow but never
// shrink, so their final size is their peak.
const memories = new Set();
const collect = (instance) => {
  for (const v of Object.values(instance?.exports ?? {})) if (v instanceof WebAssembly.Memory) memories.add(v);
};
{
  const { instantiate, instantiateStreaming, Memory } = WebAssembly;
  WebAssembly.instantiate = async (...a) => {
    const r = await instantiate.apply(WebAssembly, a);
    collect(r.instance ?? r);
    return r;
  };
  if (instantiateStreaming) {
    WebAssembly.instantiateStreaming = async (...a) => {
      const r = await instantiateStreaming.apply(WebAssembly, a);
      collect(r.instance);
      return r;
    };
  }
  WebAssembly.Memory = new Proxy(Memory, {
    construct(target, args) {
      const m = new target(...args);
      memories.add(m);
      return m;
    },
  });
}
// Milestones of the cold path (ms since navigation start).
const marks = { script: performance.now() };
const mark = (name) => { marks[name] = performance.now(); };
const wasmBytes = () => [...memories].reduce((s, m) => s + m.buffer.byteLength, 0);

// JS heap, from the driver over CDP (Runtime.getHeapUsage) when it is there.
let heapPeak = 0;
async function sampleHeap() {
  const used = typeof window.benchHeap === 'function' ? await window.benchHeap() : (performance.memory?.usedJSHeapSize ?? 0);
  heapPeak = Math.max(heapPeak, used);
  return used;
}

async function modelBytes() {
  return new Uint8Array(await (await fetch('model.onnx')).arrayBuffer());
}

/**
 * credit-scorer: its wasm-bindgen glue and `Scorer`, loaded as the app's Worker does: the model,
 * the glue and the wasm (compiled as it streams) are fetched at once.
 */
async function loadCs() {
  const model = modelBytes();
  const compiled = WebAssembly.compileStreaming(fetch(new URL('./pkg/credit_scorer_bg.wasm', import.meta.url)));
  const glue = await import('./pkg/credit_scorer.js');
  mark('glue');
  await glue.default({ module_or_path: await compiled });
  mark('runtime');
  const bytes = await model;
  mark('modelFetched');
  let scorer = new glue.Scorer(bytes);
  mark('modelLoaded');
  return {
    name: 'credit-scorer',
    k: scorer.k,
    sync: true,
    score: (rows) => scorer.scoreBatch(rows),
    explain: (values) => scorer.score(values),
    reload: async () => {
      const next = new glue.Scorer(bytes);
      scorer.free();
      scorer = next;
    },
  };
}

/** onnxruntime-web: its plain wasm backend, one thread, files from this server. */
async function loadOrt() {
  const model = modelBytes(); // fetched while the runtime loads, as for credit-scorer
  const ort = await import('./ort/ort.wasm.min.mjs');
  mark('glue');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
  // onnxruntime-web compiles its wasm inside the first InferenceSession.create: fetch the model
  // first so 'modelLoaded' − 'modelFetched' is runtime start + model load, as one figure.
  const bytes = await model;
  mark('modelFetched');
  const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  let session = await ort.InferenceSession.create(bytes, options);
  mark('modelLoaded');
  const input = session.inputNames[0];
  const k = Number(session.inputMetadata?.[0]?.shape?.at(-1) ?? params.get('k'));
  return {
    name: 'onnxruntime-web',
    k,
    sync: false,
    score: async (rows) => {
      const out = await session.run({ [input]: new ort.Tensor('float32', rows, [rows.length / k, k]) }, ['pd']);
      return out.pd.data;
    },
    reload: async () => {
      const next = await ort.InferenceSession.create(bytes, options);
      await session.release();
      session = next;
    },
  };
}

const load = () => (rt === 'cs' ? loadCs() : rt === 'ort' ? loadOrt() : Promise.reject(new Error(`unknown rt ${rt}`)));

function stats(samples) {
  const s = Float64Array.from(samples).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.round((s.length - 1) * p))];
  return { n: s.length, median: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0] };
}

const median = (xs) => stats(xs).median;

async function cold() {
  const row = Float32Array.from((params.get('row') ?? '').split(',').map(Number));
  const r = await load();
  const pd = (await r.score(row))[0];
  const firstScoreMs = performance.now();
  mark('firstScore');
  const resources = performance.getEntriesByType('resource').map((e) => ({
    name: new URL(e.name).pathname,
    transferSize: e.transferSize,
    encodedBodySize: e.encodedBodySize,
    duration: e.duration,
  }));
  const nav = performance.getEntriesByType('navigation')[0];
  marks.domInteractive = nav?.domInteractive;
  return { runtime: r.name, firstScoreMs, pd, resources, marks, crossOriginIsolated };
}

async function full() {
  const t0 = performance.now();
  const r = await load();
  const loadMs = performance.now() - t0;
  const k = r.k;
  const inputs = new Float32Array(await (await fetch('inputs.bin')).arrayBuffer());
  const values = await (await fetch('values.json')).json();
  const rows = inputs.length / k;
  await sampleHeap();
  const result = { runtime: r.name, crossOriginIsolated, loadMs, rows, k };

  // Single applicant: 10,000 calls, each timed, marshalling included.
  const singles = Math.min(10000, rows);
  let sink = 0;
  for (let i = 0; i < 300; i++) sink += (await r.score(inputs.subarray(i * k, i * k + k)))[0];
  const times = new Float64Array(singles);
  if (r.sync) {
    for (let i = 0; i < singles; i++) {
      const row = inputs.subarray(i * k, i * k + k);
      const t = performance.now();
      sink += r.score(row)[0];
      times[i] = performance.now() - t;
    }
  } else {
    for (let i = 0; i < singles; i++) {
      const row = inputs.subarray(i * k, i * k + k);
      const t = performance.now();
      sink += (await r.score(row))[0];
      times[i] = performance.now() - t;
    }
  }
  const single = stats(Array.from(times, (t) => t * 1000));
  // The timer has 5 µs steps (100 µs without isolation): the median of 10-call blocks resolves 0.5 µs.
  const blocks = [];
  for (let i = 0; i + 10 <= singles; i += 10) blocks.push((times.subarray(i, i + 10).reduce((a, b) => a + b, 0) / 10) * 1000);
  single.blockMedian = stats(blocks).median;
  result.single = single; // µs
  result.singleTotalMs = times.reduce((a, b) => a + b, 0);
  await sampleHeap();

  // Batch: every row in one call, and in chunks of 1,000; median of 3 runs each.
  const oneCall = [];
  const chunked = [];
  let pds = null;
  let chunkPds = null;
  for (let rep = 0; rep < 3; rep++) {
    let t = performance.now();
    pds = await r.score(inputs);
    oneCall.push(rows / ((performance.now() - t) / 1000));
    await sampleHeap();
    chunkPds = new Float32Array(rows);
    t = performance.now();
    for (let i = 0; i < rows; i += 1000) {
      chunkPds.set(await r.score(inputs.subarray(i * k, Math.min(rows, i + 1000) * k)), i);
    }
    chunked.push(rows / ((performance.now() - t) / 1000));
  }
  result.batchOneCallRowsPerS = median(oneCall);
  result.batchChunksRowsPerS = median(chunked);
  result.batchOneCallRuns = oneCall;
  result.batchChunkRuns = chunked;
  let chunkDiff = 0;
  for (let i = 0; i < rows; i++) chunkDiff = Math.max(chunkDiff, Math.abs(pds[i] - chunkPds[i]));
  result.chunkVsOneCallMaxDiff = chunkDiff;
  await sampleHeap();

  // Score + explanation of one applicant (credit-scorer's `Scorer.score`).
  if (r.explain) {
    for (let i = 0; i < 20; i++) r.explain(values[i % values.length]);
    const ex = [];
    for (let i = 0; i < 300; i++) {
      const v = values[i % values.length];
      const t = performance.now();
      const out = r.explain(v);
      ex.push(performance.now() - t);
      if (out.errors?.length) throw new Error(`explain refused applicant ${i}: ${JSON.stringify(out.errors)}`);
      sink += out.pd;
    }
    result.explain = stats(ex); // ms
    await sampleHeap();
  }

  // A second model load in the same page (runtime already compiled).
  const reloads = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await r.reload();
    reloads.push(performance.now() - t);
  }
  result.reloadMs = median(reloads);
  await sampleHeap();

  result.wasmMemoryBytes = wasmBytes();
  result.jsHeapPeakBytes = heapPeak;
  result.sink = sink;
  result.pds = Array.from(pds);
  return result;
}

/** The page's batch path without its UI: the CSV fetched as a stream, pushed chunk by chunk. */
async function csv() {
  const glue = await import('./pkg/credit_scorer.js');
  await glue.default({ module_or_path: new URL('./pkg/credit_scorer_bg.wasm', import.meta.url) });
  const scorer = new glue.Scorer(await modelBytes());
  const reasons = params.get('reasons') === '1';
  const wasmBefore = wasmBytes();
  const heapBefore = await sampleHeap();
  const t = performance.now();
  const job = new glue.BatchJob(scorer, reasons, false, false);
  const reader = (await fetch('applicants-1m.csv')).body.getReader();
  let outBytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    outBytes += job.push(value).length;
    if (job.rowsDone % 65536 < 1024) await sampleHeap();
  }
  outBytes += job.finish().length;
  const seconds = (performance.now() - t) / 1000;
  const summary = job.summary();
  await sampleHeap();
  return {
    rows: summary.rows_in,
    scored: summary.scored,
    reasons,
    rowsPerS: summary.rows_in / seconds,
    outBytes,
    wasmGrowthBytes: wasmBytes() - wasmBefore,
    heapGrowthBytes: heapPeak - heapBefore,
  };
}

/** SHA-384 of a served file in the form the app's pins use. */
async function pin(url) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-384', await (await fetch(url)).arrayBuffer()));
  let s = '';
  for (const b of digest) s += String.fromCharCode(b);
  return `sha384-${btoa(s)}`;
}

/**
 * The app's engine Worker (js/worker/engine-worker.js, through js/worker/probe.js) started as the
 * page starts it, with the reference model on the lite engine; `request(type, fields)` asks it.
 */
async function appWorker() {
  const worker = new Worker('js/worker/probe.js', { type: 'module' });
  let nextId = 1;
  const request = (type, fields = {}) => new Promise((resolve, reject) => {
    const id = nextId++;
    const onMessage = (e) => {
      if (e.data?.id !== id || 'progress' in e.data) return;
      worker.removeEventListener('message', onMessage);
      if (e.data.ok) resolve(e.data.result);
      else reject(new Error(`${e.data.error?.name}: ${e.data.error?.message}`));
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage({ id, type, ...fields });
  });
  // The reference model runs on the lite engine, the only build this site carries for the Worker.
  const none = 'sha384-none';
  await request('init', {
    engine: 'auto',
    assetsUrl: new URL('pkg/', location.href).href,
    integrity: { liteSimd: await pin('pkg/lite/simd/credit_scorer_bg.wasm'), liteScalar: none, simd: none, scalar: none },
  });
  await request('load', { bytes: (await modelBytes()).buffer });
  return { worker, request };
}

/**
 * Recourse as an officer triggers it: the page's `engine.recourse(values)` is one request to the
 * engine Worker, which runs the wasm `Scorer.recourse` towards the model card's approval cut-off.
 * The declined applicants of the test split (those whose band is worse than the cut-off), each
 * timed from the request to its reply, in PASSES passes after one untimed pass that picks them.
 * The same applicants' `score` requests (score + explanation) through the same Worker, timed
 * alongside, are the in-run anchor: the ratio holds on a loaded machine where the times do not.
 */
async function recourse() {
  const PASSES = 5;
  const { worker, request } = await appWorker();
  const split = await (await fetch('test_split.json')).json();
  const applicants = split.rows.map((r) => Object.fromEntries(split.features.map((f, i) => [f, String(r.x[i])])));
  const declined = [];
  for (const values of applicants) {
    const out = await request('recourse', { values, targetBand: null });
    if (out.errors.length) throw new Error(`recourse refused an applicant: ${JSON.stringify(out.errors)}`);
    if (!out.result.already_met) declined.push({ values, options: out.result.options.length, proven: out.result.proven_none });
  }
  const times = [];
  const scoreTimes = [];
  for (let pass = 0; pass < PASSES; pass++) {
    for (const d of declined) {
      let t = performance.now();
      const out = await request('recourse', { values: d.values, targetBand: null });
      times.push(performance.now() - t);
      if (out.result.options.length !== d.options) throw new Error('recourse gave another answer on a later pass');
      t = performance.now();
      await request('score', { values: d.values });
      scoreTimes.push(performance.now() - t);
    }
  }
  worker.terminate();
  const sorted = (xs) => Float64Array.from(xs).sort();
  const pick = (xs, p) => xs[Math.min(xs.length - 1, Math.round((xs.length - 1) * p))];
  const s = sorted(times);
  const at = (p) => pick(s, p);
  const scores = sorted(scoreTimes);
  return {
    scoreP50Ms: pick(scores, 0.5),
    scoreP95Ms: pick(scores, 0.95),
    applicants: applicants.length,
    declined: declined.length,
    withOptions: declined.filter((d) => d.options > 0).length,
    provenNone: declined.filter((d) => d.proven).length,
    passes: PASSES,
    samples: s.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: s[s.length - 1],
    meanMs: times.reduce((a, b) => a + b, 0) / times.length,
    crossOriginIsolated,
  };
}

/**
 * The page's own batch path: the app's engine Worker (js/worker/engine-worker.js, with the helper
 * Workers it starts on a multi-core machine), started through js/worker/probe.js, which adds the
 * memory figures, and given the file as the page gives it. Memory growth is every Worker's engine
 * memory at the end (its peak) minus the engine's before the file, plus the page's JS heap growth
 * (the result is a Blob, kept out of the heap).
 */
async function csvInWorker() {
  const { worker, request } = await appWorker();
  const file = await (await fetch('applicants-1m.csv')).blob();
  const reasons = params.get('reasons') === '1';
  const wasmBefore = await request('memory');
  const heapBefore = await sampleHeap();
  const t = performance.now();
  const r = await request('scoreFile', { file, reasons });
  const seconds = (performance.now() - t) / 1000;
  await sampleHeap();
  worker.terminate();
  return {
    rows: r.summary.rows_in,
    scored: r.summary.scored,
    reasons,
    workers: r.workers,
    chunks: r.chunks,
    helped: r.helped,
    rowsPerS: r.summary.rows_in / seconds,
    outBytes: r.blob.size,
    wasmGrowthBytes: r.wasmBytes.reduce((a, b) => a + b, 0) - wasmBefore,
    heapGrowthBytes: heapPeak - heapBefore,
  };
}

const tasks = {
  cold,
  csv: () => (params.get('via') === 'worker' ? csvInWorker() : csv()),
  recourse,
  full,
};
window.benchResult = (tasks[task] ?? full)().catch((e) => ({ error: `${e?.name}: ${e?.message}\n${e?.stack}` }));
window.benchResult.then((r) => {
  document.getElementById('out').textContent = JSON.stringify({ ...r, pds: undefined }, null, 1);
});
