// The scoring engine, off the main thread: loads the wasm module and one model at a time and
// answers small typed messages.
//
//   request:  { id, type: 'init', engine: 'auto' | 'scalar' | 'debug', integrity: { scalar, simd } } (first)
//             | { id, type: 'init', module: WebAssembly.Module, variant } (a helper, from its Worker)
//             | { id, type: 'load', bytes: ArrayBuffer } | { id, type: 'score', values: {field: value} }
//             | { id, type: 'schema' } | { id, type: 'batch', rows: Float32Array }
//             | { id, type: 'capabilities' } | { id, type: 'debugPanic' } (debug engine only)
//             | { id, type: 'batchFile', file: File, token, reasons } | { id, type: 'batchCancel', token }
//   reply:    { id, ok: true, result } | { id, ok: false, error: { name, message, file?, detail? } }
//             | { id, type: 'memory' } (bytes of the engine's wasm memory)
//             | { id, type: 'chunkScorer', columns: Uint8Array, reasons } (helper Workers)
//             | { id, type: 'scoreChunk', chunk: Uint8Array } (helper Workers)
//   progress: { batchProgress: { token, rows, bytes, total, workers } } while a batch file is scored
//
// A batch file is read as a stream and pushed to the wasm `BatchJob` a slice at a time; between
// slices the worker yields, so form scores and a cancel are answered meanwhile. A large file is
// also scored by helper Workers (this same file, one per further core): this Worker parses, sends
// chunks out as bytes, scores one itself when every helper is busy, and writes the results in
// input order, so the output and the summary are the same as with one Worker. The scored CSV
// comes back as a Blob built from parts (the browser keeps large Blobs out of the JS heap).
//
// A refused model leaves the current one in place. A trap inside wasm (`RuntimeError`) leaves the
// instance unusable: the reply carries `fatal: true` and the page replaces this worker.

// The engine builds. Two engines, each as a SIMD and a scalar build:
//   lite: the direct evaluator without tract (about a tenth of the download). It loads a model
//         only when the model is one chain of row-wise operators that reproduces the reference
//         scores recorded in it, as the reference model does; for any other model it refuses
//         with `needs_full_engine`.
//   full: with tract, for every model. Fetched only when a model needs it, then kept.
// A load tries the lite engine first and the full one after such a refusal, so the page gives
// every model the same scores it always did and the common case never downloads tract.
// The page says which variant to run and sends the SHA-384 of each pinned build (js/pins.js,
// pinned itself by the page's import map): the wasm is fetched with `integrity`, so a file that
// differs from the committed, reproducible release build is refused before any of it runs. A
// worker has no import map and `new Worker()` takes no integrity, so the pins must come from the
// page (SECURITY.md, "Gaps": this file and the wasm-bindgen glue stay unpinned).
//   auto:   WebAssembly SIMD (about twice the batch throughput) where the browser validates a SIMD
//           module, the scalar builds elsewhere
//   scalar: the scalar builds (`?engine=scalar` on the page), for tests and engines with broken SIMD
//   debug:  the test-only full build with a deliberate-panic entry point (`?engine=debug`),
//           unpinned; only `cargo xtask test` builds it, `cargo xtask build` removes it
// `?build=full` on the page skips the lite engine (to compare the two).
const BUILDS = {
  lite: {
    simd: { dir: '../pkg/lite/simd/', pin: 'liteSimd' },
    scalar: { dir: '../pkg/lite/', pin: 'liteScalar' },
  },
  full: {
    simd: { dir: '../pkg/simd/', pin: 'simd' },
    scalar: { dir: '../pkg/', pin: 'scalar' },
    debug: { dir: '../pkg/debug/', pin: null },
  },
};
// The probe is `(func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)`.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const WASM = 'credit_scorer_bg.wasm';
const GLUE = 'credit_scorer.js';
let settings = null; // { variant, integrity, first } from the first 'init'
let engine = null; // the first engine's start, a promise set by the first 'init'
const started = {}; // build → promise of { build, variant, module, glue, memory, pinned, file }
let active = null; // the started engine that holds `scorer`
// Workers have no document: say so in the console when the CSP blocks something here, so that
// a violation inside the engine is as visible as one in the page.
self.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation in the scoring worker: ${e.violatedDirective} blocked ${e.blockedURI}`);
});

const fail = (name, message, extra = {}) => Object.assign(new Error(message), { name }, extra);

function base64(buffer) {
  let s = '';
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * The wasm at `url`, checked against `integrity`. A digest mismatch and a network failure make
 * `fetch` reject alike; on failure the file is fetched once more without the pin, only to be
 * hashed (never run), so the error can say which of the two it was and what was served.
 */
async function fetchPinned(url, file, integrity) {
  let response;
  try {
    response = await fetch(url, { integrity, credentials: 'same-origin' });
  } catch (err) {
    let served = null;
    try {
      const again = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
      if (again.ok && crypto.subtle) served = `sha384-${base64(await crypto.subtle.digest('SHA-384', await again.arrayBuffer()))}`;
    } catch {
      // the network failed again: report the first failure
    }
    if (served && served !== integrity) {
      const detail = `expected ${integrity}, the server sent ${served}`;
      throw fail('engine_integrity', `${file} does not match the engine build this page pins (${detail}); it was not run.`, { file, detail });
    }
    throw fail('engine_unavailable', `${file} could not be fetched: ${err?.message ?? err}`, { file });
  }
  if (!response.ok) throw fail('engine_unavailable', `${file}: HTTP ${response.status}`, { file });
  return response;
}

/** Fetches (pinned), compiles and instantiates one engine build. */
async function fetchEngine(build, variant, integrity) {
  const { dir, pin } = BUILDS[build][variant];
  // The glue is fetched while the wasm downloads and compiles (`instantiate` then finds it loaded).
  import(new URL(`${dir}${GLUE}`, self.location.href).href).catch(() => {}); // a failure surfaces in `instantiate`
  const wasmUrl = new URL(`${dir}${WASM}`, self.location.href);
  const file = wasmUrl.pathname.replace(/^\//, '');
  let wasm;
  if (pin) {
    const hash = integrity?.[pin];
    if (typeof hash !== 'string' || !hash.startsWith('sha384-')) {
      throw fail('engine_integrity', `the page pins no hash for the ${build} ${variant} engine (${file}); it was not run.`, { file });
    }
    wasm = await fetchPinned(wasmUrl, file, hash);
  } else {
    wasm = await fetch(wasmUrl, { credentials: 'same-origin' });
    if (!wasm.ok) throw fail('engine_unavailable', `${file}: HTTP ${wasm.status} (the debug engine is only built by cargo xtask test)`, { file });
  }
  // Compiled here (not inside the glue) so that helper Workers can be given the same module:
  // no second download or compile, and V8 shares its optimized code between them.
  let module;
  try {
    module = await WebAssembly.compileStreaming(wasm.clone());
  } catch {
    module = await WebAssembly.compile(await wasm.arrayBuffer()); // e.g. a host without application/wasm
  }
  return { ...(await instantiate(module, build, variant)), pinned: !!pin, file };
}

/** Instantiates an engine module (compiled here, or by the Worker that started this helper). */
async function instantiate(module, build, variant) {
  const { dir } = BUILDS[build][variant];
  const url = new URL(`${dir}${GLUE}`, self.location.href);
  const file = url.pathname.replace(/^\//, '');
  let glue;
  try {
    glue = await import(url.href);
  } catch (err) {
    throw fail('engine_unavailable', `${file} could not be fetched: ${err?.message ?? err}`, { file });
  }
  const { memory } = await glue.default({ module_or_path: module });
  return { build, variant, module, glue, memory };
}

/** The engine `build`, started once; a failed start is tried again next time (e.g. back online). */
function ensureEngine(build) {
  started[build] ??= fetchEngine(build, settings.variant, settings.integrity).catch((err) => {
    delete started[build];
    throw err;
  });
  return started[build];
}

async function startEngine({ engine: wanted, build, integrity, module: given, variant: givenVariant }) {
  if (given instanceof WebAssembly.Module) {
    const b = build in BUILDS ? build : 'full';
    const v = givenVariant in BUILDS[b] ? givenVariant : 'simd';
    settings = { variant: v, integrity: null, first: b };
    started[b] = instantiate(given, b, v).then((e) => ({ ...e, pinned: true, file: 'shared module' }));
    active = await started[b];
    return { build: b, variant: v, pinned: true, file: 'shared module' };
  }
  let variant;
  if (wanted === 'scalar' || wanted === 'debug') variant = wanted;
  else variant = WebAssembly.validate(SIMD_PROBE) ? 'simd' : 'scalar';
  const first = build === 'full' || variant === 'debug' ? 'full' : 'lite';
  settings = { variant, integrity, first };
  active = await ensureEngine(first);
  return { build: first, variant, pinned: active.pinned, file: active.file };
}

/**
 * A Scorer for `bytes`: from the lite engine when it vouches for the model, else from the full
 * engine (started on first need). A refusal other than `needs_full_engine` is the model's fault
 * and is thrown as it is.
 */
async function newScorer(bytes) {
  if (settings.first === 'lite' && started.lite) {
    const lite = await started.lite;
    try {
      return { scorer: new lite.glue.Scorer(bytes), engine: lite };
    } catch (err) {
      if (err?.name !== 'needs_full_engine') throw err;
    }
  }
  const full = await ensureEngine('full');
  return { scorer: new full.glue.Scorer(bytes), engine: full };
}

/** Bytes of wasm memory of every started engine (their peak: it never shrinks). */
async function engineMemory() {
  const engines = await Promise.all(Object.values(started).map((p) => p.catch(() => null)));
  return engines.reduce((sum, e) => sum + (e?.memory?.buffer.byteLength ?? 0), 0);
}

let scorer = null;
let modelBytes = null; // the loaded model, for helpers
let chunkScorer = null; // a helper's scorer of chunks

function describe(scorer) {
  return { k: scorer.k, sha256: scorer.sha256, engine: scorer.engine, build: active?.build, schema: scorer.schema() };
}

async function handle(msg) {
  if (msg.type === 'init') {
    engine ??= startEngine(msg);
    return engine;
  }
  if (!engine) throw fail('bad_request', 'the engine was not initialized');
  await engine;
  switch (msg.type) {
    case 'load': {
      const next = await newScorer(new Uint8Array(msg.bytes));
      if (scorer) scorer.free();
      chunkScorer?.free();
      chunkScorer = null;
      ({ scorer, engine: active } = next);
      modelBytes = msg.bytes;
      return describe(scorer);
    }
    case 'schema':
      if (!scorer) throw Object.assign(new Error('no model is loaded'), { name: 'no_model' });
      return describe(scorer);
    case 'score':
      if (!scorer) throw Object.assign(new Error('no model is loaded'), { name: 'no_model' });
      return scorer.score(msg.values);
    case 'batch':
      if (!scorer) throw Object.assign(new Error('no model is loaded'), { name: 'no_model' });
      return scorer.scoreBatch(msg.rows);
    case 'batchFile':
      if (!scorer) throw Object.assign(new Error('no model is loaded'), { name: 'no_model' });
      return scoreFile(msg);
    case 'batchCancel':
      cancelled.add(msg.token);
      wakeOnCancel.get(msg.token)?.();
      return true;
    case 'memory':
      return engineMemory();
    case 'chunkScorer':
      if (!scorer) throw Object.assign(new Error('no model is loaded'), { name: 'no_model' });
      chunkScorer?.free();
      chunkScorer = new active.glue.ChunkScorer(scorer, msg.columns, msg.reasons !== false);
      return true;
    case 'scoreChunk': {
      if (!chunkScorer) throw fail('bad_request', 'no chunk scorer was set up');
      const scored = chunkScorer.score(msg.chunk);
      return transfer(scored, [scored.buffer]);
    }
    case 'capabilities':
      return { debugPanic: typeof active.glue.debugPanic === 'function', simd: active.variant === 'simd', variant: active.variant, build: active.build };
    case 'debugPanic':
      // Only the debug engine exports it: a panic on purpose, to test crash recovery.
      if (typeof active.glue.debugPanic !== 'function') {
        throw Object.assign(new Error('this build has no debug panic entry point'), { name: 'unsupported' });
      }
      return active.glue.debugPanic();
    default:
      throw Object.assign(new Error(`unknown request type ${String(msg.type)}`), { name: 'bad_request' });
  }
}

const BATCH_SLICE = 64 * 1024; // bytes pushed to wasm at a time (about 2,500 rows)
const BLOB_PART = 4 * 1024 * 1024; // output bytes gathered before they are folded into the Blob
const YIELD_MS = 40; // longest stretch of work before other messages get a turn
const YIELD_MS_WITH_HELPERS = 6; // a helper's results free its queue only when this Worker takes them
const PROGRESS_MS = 100;
const HELPERS_FROM_BYTES = 2 * 1024 * 1024; // smaller files are done before helpers would start
const MAX_HELPERS = 7;
const IN_FLIGHT = 16; // chunks queued per helper: enough to keep it busy between this Worker's yields
const cancelled = new Set();
const wakeOnCancel = new Map(); // token → wakes a batch waiting for its helpers' last results

const pause = () => new Promise((resolve) => { setTimeout(resolve, 0); });
// A turn for waiting messages without a timer's minimum delay.
const turn = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
  channel.port2.postMessage(null);
});

// A reply whose buffers move to the receiver instead of being copied.
const transferred = new WeakMap();
function transfer(value, buffers) {
  transferred.set(value, buffers);
  return value;
}

// Trusted Types are enforced here too (the CSP travels with this script): the only script URL
// this Worker creates is its own, for its helpers.
const policy = self.trustedTypes?.createPolicy('credit-scorer', {
  createScriptURL(url) {
    if (url !== import.meta.url) throw new TypeError(`a helper Worker runs only ${import.meta.url}`);
    return url;
  },
});

/** A helper Worker with the same engine and model, answering requests by id. */
class Helper {
  constructor() {
    const url = policy ? policy.createScriptURL(import.meta.url) : import.meta.url;
    this.worker = new Worker(url, { type: 'module', name: 'credit-scorer batch helper' });
    this.pending = new Map();
    this.nextId = 1;
    this.inFlight = 0;
    this.failed = null;
    this.worker.addEventListener('message', (e) => {
      const { id, ok, result, error } = e.data ?? {};
      const waiting = this.pending.get(id);
      if (!waiting) return;
      this.pending.delete(id);
      if (ok) waiting.resolve(result);
      else waiting.reject(Object.assign(new Error(error?.message ?? 'a helper Worker failed'), { name: error?.name ?? 'error' }));
    });
    this.worker.addEventListener('error', (e) => {
      this.failed = new Error(`a helper Worker stopped: ${e.message ?? 'unknown error'}`);
      for (const waiting of this.pending.values()) waiting.reject(this.failed);
      this.pending.clear();
    });
  }

  request(type, fields = {}, buffers = []) {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, type, ...fields }, buffers);
    });
  }

  stop() {
    this.worker.terminate();
    for (const waiting of this.pending.values()) waiting.reject(new Error('the helper Worker was stopped'));
    this.pending.clear();
  }
}

/** How many helpers a file gets: one per further core, for files large enough to gain. */
function helperCount(file) {
  if (file.size < HELPERS_FROM_BYTES || !active?.module || !modelBytes) return 0;
  const cores = Math.max(1, Number(self.navigator?.hardwareConcurrency) || 1);
  return Math.min(MAX_HELPERS, cores - 1);
}

async function scoreFile({ file, token, reasons }) {
  const job = new active.glue.BatchJob(scorer, reasons !== false);
  const reader = file.stream().getReader();
  let blob = new Blob([], { type: 'text/csv' });
  let parts = [];
  let partBytes = 0;
  const keep = (out) => {
    if (!out.length) return;
    parts.push(out);
    partBytes += out.length;
    if (partBytes >= BLOB_PART) {
      blob = new Blob([blob, ...parts], { type: 'text/csv' });
      parts = [];
      partBytes = 0;
    }
  };
  let bytes = 0;
  let lastYield = performance.now();
  let lastProgress = 0;

  // Until a helper is ready, chunks are scored here. Results are written strictly in the order
  // chunks were taken.
  const helpers = [];
  let ready = [];
  let taken = 0;
  let written = 0;
  const results = new Map();
  let failure = null;
  let wake = null; // resolves the wait for the last results
  const arrived = () => { wake?.(); wake = null; };
  wakeOnCancel.set(token, arrived);
  const write = () => {
    while (results.has(written)) {
      keep(results.get(written));
      results.delete(written);
      written += 1;
    }
  };
  // Helpers start (engine, model) at once, while this Worker reads the first rows; they are
  // given the header mapping when it is known.
  let columnsKnown;
  const columnsWire = new Promise((resolve) => { columnsKnown = resolve; });
  const startHelpers = async () => {
    const n = helperCount(file);
    for (let i = 0; i < n; i += 1) helpers.push(new Helper());
    await Promise.all(helpers.map(async (helper) => {
      try {
        await helper.request('init', { module: active.module, build: active.build, variant: active.variant });
        await helper.request('load', { bytes: modelBytes.slice(0) });
        const columns = await columnsWire;
        if (!columns) throw new Error('the batch ended first');
        await helper.request('chunkScorer', { columns, reasons: reasons !== false });
        ready.push(helper);
      } catch (err) {
        // A helper that cannot start is left out; this Worker scores its share.
        console.warn(`batch helper Worker not used: ${err?.message ?? err}`);
        helper.stop();
      }
    }));
  };
  let helped = 0; // chunks scored by helpers
  const starting = startHelpers();
  let columnsSent = false;
  // Chunks are numbered in the order taken, by `takeChunk` (to a helper) or `scoreHere`.
  const dispatch = () => {
    for (;;) {
      const helper = ready.filter((h) => !h.failed && h.inFlight < IN_FLIGHT).sort((a, b) => a.inFlight - b.inFlight)[0];
      if (!helper) {
        const csv = job.scoreHere();
        if (!csv) return;
        results.set(taken, csv);
        taken += 1;
        write();
        continue;
      }
      const chunk = job.takeChunk();
      if (!chunk) return;
      const seq = taken;
      taken += 1;
      helped += 1;
      helper.inFlight += 1;
      helper.request('scoreChunk', { chunk }, [chunk.buffer]).then((scored) => {
        helper.inFlight -= 1;
        if (!failure) {
          try {
            results.set(seq, job.addScored(seq, scored));
            write();
          } catch (err) { failure = err; }
        }
        arrived();
      }, (err) => { failure ??= err; arrived(); });
    }
  };
  const progress = () => self.postMessage({
    batchProgress: { token, rows: job.rowsDone, bytes, total: file.size, workers: 1 + ready.length },
  });
  const check = () => {
    if (cancelled.has(token)) throw Object.assign(new Error('the batch was cancelled'), { name: 'cancelled' });
    if (failure) throw failure;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let at = 0; at < value.length; at += BATCH_SLICE) {
        check();
        const slice = value.subarray(at, at + BATCH_SLICE);
        keep(job.parse(slice));
        if (!columnsSent) {
          const columns = job.columnsWire();
          if (columns) {
            columnsKnown(columns);
            columnsSent = true;
          }
        }
        dispatch();
        bytes += slice.length;
        const now = performance.now();
        if (now - lastProgress >= PROGRESS_MS) {
          lastProgress = now;
          progress();
        }
        if (now - lastYield >= (helpers.length ? YIELD_MS_WITH_HELPERS : YIELD_MS)) {
          await (helpers.length ? turn() : pause());
          lastYield = performance.now();
        }
      }
    }
    keep(job.finishParse());
    dispatch();
    while (written < taken) {
      check();
      await new Promise((resolve) => { wake = resolve; });
    }
    check();
    progress();
    blob = new Blob([blob, ...parts], { type: 'text/csv' });
    // Each Worker's engine memory at the end, which is its peak (for the benchmark).
    const helperMemory = await Promise.all(ready.map((h) => h.request('memory').catch(() => 0)));
    const wasmBytes = [await engineMemory(), ...helperMemory];
    return { summary: job.summary(), blob, bytes, workers: 1 + ready.length, wasmBytes, chunks: taken, helped };
  } finally {
    cancelled.delete(token);
    wakeOnCancel.delete(token);
    reader.cancel().catch(() => {});
    columnsKnown(null);
    for (const helper of helpers) helper.stop();
    await starting.catch(() => {});
    job.free();
  }
}

self.addEventListener('message', async (event) => {
  const msg = event.data ?? {};
  try {
    const result = await handle(msg);
    self.postMessage({ id: msg.id, ok: true, result }, transferred.get(result) ?? []);
  } catch (err) {
    const name = err?.name ?? 'error';
    const message = err?.message ?? String(err);
    const fatal = err instanceof WebAssembly.RuntimeError || name === 'RuntimeError';
    const error = { name, message };
    for (const key of ['file', 'detail']) if (typeof err?.[key] === 'string') error[key] = err[key];
    self.postMessage({ id: msg.id, ok: false, fatal, error });
  }
});
