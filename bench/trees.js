// The tree benchmark page (issue 19 item 5): a 500-tree, depth-6 XGBoost on 30 characteristics
// (training/bench_trees.py) in one runtime per page load, driven by bench/trees.mjs through
// `cargo xtask bench --only trees`, served cross-origin isolated (5 µs timers). `?rt=`
//   cs   credit-scorer's lite engine, its wasm-bindgen `Scorer` on this page's thread (as
//        bench.js loads it): `scoreBatch` for scores, `score` for score + exact reasons
//   lib  the same engine as a page uses it: `createScorer()` (www/lib/credit-scorer.js), the app's
//        engine Worker; `score` (score + exact reasons) and `scoreFile` (the page's batch path)
//   ort  onnxruntime-web's plain wasm build (the one with the ai.onnx.ml operators), 1 thread
// `?task=cold` navigation → first score of the first applicant; `task=full` the rest.
// Results land in `window.benchResult`.

const params = new URLSearchParams(location.search);
const rt = params.get('rt');
const task = params.get('task') ?? 'full';
const SINGLES = 5000;
const EXPLAINS = 500;
const WARM = 200;

const marks = { script: performance.now() };
const mark = (name) => { marks[name] = performance.now(); };

async function json(url) {
  return (await fetch(url)).json();
}

/** The rows (float32, row after row), their count and width, and onnxruntime's PDs of them. */
async function data() {
  const [meta, inputs, want, values] = await Promise.all([
    json('meta.json'),
    fetch('inputs.bin').then((r) => r.arrayBuffer()),
    fetch('ort_pd.f64').then((r) => r.arrayBuffer()),
    json('values.json'),
  ]);
  return { meta, inputs: new Float32Array(inputs), want: new Float64Array(want), values };
}

const maxDiff = (got, want, n = got.length) => {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
};

function stats(samples) {
  const s = Float64Array.from(samples).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.round((s.length - 1) * p))];
  return { n: s.length, median: at(0.5), p95: at(0.95), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Per-call times (ms) as µs stats, with the median of 10-call blocks (0.5 µs resolution). */
function singleStats(times) {
  const out = stats(Array.from(times, (t) => t * 1000));
  const blocks = [];
  for (let i = 0; i + 10 <= times.length; i += 10) blocks.push((times.subarray(i, i + 10).reduce((a, b) => a + b, 0) / 10) * 1000);
  out.blockMedian = stats(blocks).median;
  return out;
}

/** credit-scorer's glue and `Scorer` on this thread; model, glue and wasm fetched at once. */
async function loadCs() {
  const model = fetch('model.onnx').then((r) => r.arrayBuffer());
  const compiled = WebAssembly.compileStreaming(fetch(new URL('./pkg/credit_scorer_bg.wasm', import.meta.url)));
  const glue = await import('./pkg/credit_scorer.js');
  await glue.default({ module_or_path: await compiled });
  mark('runtime');
  const bytes = new Uint8Array(await model);
  mark('modelFetched');
  const scorer = new glue.Scorer(bytes);
  mark('modelLoaded');
  return { name: 'credit-scorer', engine: scorer.engine, score: (rows) => scorer.scoreBatch(rows), explain: (v) => scorer.score(v) };
}

/** onnxruntime-web, plain wasm build, one thread; P(default) is column 1 of `probabilities`. */
async function loadOrt() {
  const model = fetch('model.onnx').then((r) => r.arrayBuffer());
  const ort = await import('./ort/ort.wasm.min.mjs');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
  const bytes = new Uint8Array(await model);
  mark('modelFetched');
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  mark('modelLoaded');
  const input = session.inputNames[0];
  const output = session.outputNames.find((n) => n.includes('prob')) ?? session.outputNames.at(-1);
  const k = Number(params.get('k'));
  return {
    name: `onnxruntime-web (${output})`,
    score: async (rows) => {
      const n = rows.length / k;
      const out = await session.run({ [input]: new ort.Tensor('float32', rows, [n, k]) }, [output]);
      const probs = out[output].data;
      const pd = new Float32Array(n);
      for (let i = 0; i < n; i++) pd[i] = probs[2 * i + 1];
      return pd;
    },
  };
}

/** SHA-384 of a served file, as the app's pins write it. */
async function pin(url) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-384', await (await fetch(url)).arrayBuffer()));
  let s = '';
  for (const b of digest) s += String.fromCharCode(b);
  return `sha384-${btoa(s)}`;
}

/** `createScorer()` with this site's lite SIMD build (pinned by its own digest), the model loaded. */
async function loadLib() {
  const { createScorer } = await import('./lib/credit-scorer.js');
  const none = 'sha384-none';
  const scorer = createScorer({
    assetsUrl: new URL('pkg/', location.href),
    integrity: { liteSimd: await pin('pkg/lite/simd/credit_scorer_bg.wasm'), liteScalar: none, simd: none, scalar: none },
  });
  const started = await scorer.ready;
  mark('runtime');
  const model = await scorer.load(new URL('model.onnx', location.href));
  mark('modelLoaded');
  return { scorer, started, model };
}

async function cold() {
  if (rt === 'lib') {
    const values = await json('values.json');
    const { scorer, started, model } = await loadLib();
    const out = await scorer.score(values[0]);
    mark('firstScore');
    return { runtime: 'createScorer', build: started.build, variant: started.variant, engine: model.engine, firstScoreMs: marks.firstScore, pd: out.pd, approximate: out.approximate, marks, crossOriginIsolated };
  }
  const row = Float32Array.from((params.get('row') ?? '').split(',').map(Number));
  const r = rt === 'cs' ? await loadCs() : await loadOrt();
  const pd = (await r.score(row))[0];
  mark('firstScore');
  return { runtime: r.name, engine: r.engine, firstScoreMs: marks.firstScore, pd, marks, crossOriginIsolated };
}

/** Page thread: single applicant, batch, and (credit-scorer) score + exact reasons. */
async function full() {
  const r = rt === 'cs' ? await loadCs() : await loadOrt();
  const { meta, inputs, want, values } = await data();
  const k = meta.k;
  const rows = inputs.length / k;
  const result = { runtime: r.name, engine: r.engine, rows, k, crossOriginIsolated };
  let sink = 0;
  for (let i = 0; i < 300; i++) sink += (await r.score(inputs.subarray(i * k, i * k + k)))[0];
  const times = new Float64Array(SINGLES);
  const pds = new Float32Array(SINGLES);
  for (let i = 0; i < SINGLES; i++) {
    const row = inputs.subarray(i * k, i * k + k);
    const t = performance.now();
    const pd = await r.score(row);
    times[i] = performance.now() - t;
    pds[i] = pd[0];
  }
  result.single = singleStats(times);
  result.singleVsOnnxruntime = maxDiff(pds, want);

  // Score + exact reasons before the batches, whose large arrays would bring garbage
  // collections into these timings (a page that scores one applicant has none of them).
  if (r.explain) {
    // Warm: V8 tiers hot wasm functions up from its baseline compiler in the background.
    for (let i = 0; i < WARM; i++) r.explain(values[i % values.length]);
    const ex = [];
    let approximate = 0;
    let worst = 0;
    for (let i = 0; i < EXPLAINS; i++) {
      const t = performance.now();
      const out = r.explain(values[i % values.length]);
      ex.push(performance.now() - t);
      if (out.errors?.length) throw new Error(`score refused applicant ${i}: ${JSON.stringify(out.errors)}`);
      if (out.approximate) approximate++;
      worst = Math.max(worst, Math.abs(out.pd - want[i % values.length]));
    }
    result.explain = stats(ex); // ms
    result.explainApproximate = approximate;
    result.explainVsOnnxruntime = worst;
  }
  const oneCall = [];
  const chunked = [];
  let batchPds = null;
  for (let rep = 0; rep < 3; rep++) {
    let t = performance.now();
    batchPds = await r.score(inputs);
    oneCall.push(rows / ((performance.now() - t) / 1000));
    const chunkPds = new Float32Array(rows);
    t = performance.now();
    for (let i = 0; i < rows; i += 1000) chunkPds.set(await r.score(inputs.subarray(i * k, Math.min(rows, i + 1000) * k)), i);
    chunked.push(rows / ((performance.now() - t) / 1000));
    result.chunksVsOnnxruntime = maxDiff(chunkPds, want);
  }
  result.batchOneCallRuns = oneCall;
  result.batchChunkRuns = chunked;
  result.batchVsOnnxruntime = maxDiff(batchPds, want);

  result.sink = sink;
  return result;
}

/** The PD column of a scored CSV (the page's output: the input columns, then `pd`, …). */
function pdColumn(text) {
  const lines = text.split('\n');
  const at = lines[0].split(',').indexOf('pd');
  if (at < 0) throw new Error('the scored file has no pd column');
  const out = [];
  for (let i = 1; i < lines.length; i++) if (lines[i]) out.push(Number(lines[i].split(',')[at]));
  return out;
}

/** Through `createScorer()`: score + exact reasons per applicant, and `scoreFile` on every row. */
async function lib() {
  const { scorer, started, model } = await loadLib();
  const { meta, want, values } = await data();
  const result = { runtime: 'createScorer', build: started.build, variant: started.variant, engine: model.engine, rows: meta.rows, crossOriginIsolated };
  for (let i = 0; i < WARM; i++) await scorer.score(values[i % values.length]);
  const ex = [];
  let approximate = 0;
  let worst = 0;
  for (let i = 0; i < EXPLAINS; i++) {
    const t = performance.now();
    const out = await scorer.score(values[i % values.length]);
    ex.push(performance.now() - t);
    if (out.approximate) approximate++;
    worst = Math.max(worst, Math.abs(out.pd - want[i % values.length]));
  }
  result.explain = stats(ex);
  result.explainApproximate = approximate;
  result.explainVsOnnxruntime = worst;
  const file = new File([await (await fetch('applicants.csv')).blob()], 'applicants.csv', { type: 'text/csv' });
  result.files = [];
  for (const reasons of [false, true]) {
    const t = performance.now();
    const { blob, summary } = await scorer.scoreFile(file, { reasons });
    const seconds = (performance.now() - t) / 1000;
    const pds = pdColumn(await blob.text());
    if (pds.length !== meta.rows) throw new Error(`scoreFile gave ${pds.length} rows of ${meta.rows}`);
    result.files.push({ reasons, rowsPerS: summary.rows_in / seconds, scored: summary.scored, reasonsMethod: summary.reasons_method ?? null, vsOnnxruntime: maxDiff(pds, want) });
  }
  scorer.close();
  return result;
}

const tasks = { cold, full: () => (rt === 'lib' ? lib() : full()) };
window.benchResult = (tasks[task] ?? tasks.full)().catch((e) => ({ error: `${e?.name}: ${e?.message}\n${e?.stack}` }));
window.benchResult.then((r) => {
  document.getElementById('out').textContent = JSON.stringify(r, null, 1);
});
