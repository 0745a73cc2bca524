// The scoring engine, off the main thread: loads the wasm module and one model at a time and
// answers small typed messages.
//
//   request:  { id, type: 'init', engine: 'auto' | 'scalar' | 'debug', integrity: { scalar, simd } } (first)
//             | { id, type: 'load', bytes: ArrayBuffer } | { id, type: 'score', values: {field: value} }
//             | { id, type: 'schema' } | { id, type: 'batch', rows: Float32Array }
//             | { id, type: 'capabilities' } | { id, type: 'debugPanic' } (debug engine only)
//             | { id, type: 'batchFile', file: File, token, reasons } | { id, type: 'batchCancel', token }
//   reply:    { id, ok: true, result } | { id, ok: false, error: { name, message, file?, detail? } }
//   progress: { batchProgress: { token, rows, bytes, total } } while a batch file is scored
//
// A batch file is read as a stream and pushed to the wasm `BatchJob` a slice at a time; between
// slices the worker yields, so form scores and a cancel are answered meanwhile. The scored CSV
// comes back as a Blob built from parts (the browser keeps large Blobs out of the JS heap).
//
// A refused model leaves the current one in place. A trap inside wasm (`RuntimeError`) leaves the
// instance unusable: the reply carries `fatal: true` and the page replaces this worker.

// The engine builds. The page says which one to run and sends the SHA-384 of each pinned build
// (js/pins.js, pinned itself by the page's import map): the wasm is fetched with `integrity`, so
// a file that differs from the committed, reproducible release build is refused before any of
// it runs. A worker has no import map and `new Worker()` takes no integrity, so the pins must come
// from the page (SECURITY.md, "Gaps": this file and the wasm-bindgen glue stay unpinned).
//   auto:   WebAssembly SIMD (about twice the batch throughput) where the browser validates a SIMD
//           module, the scalar build elsewhere
//   scalar: the scalar build (`?engine=scalar` on the page), for tests and engines with broken SIMD
//   debug:  the test-only build with a deliberate-panic entry point (`?engine=debug`), unpinned;
//           only `cargo xtask test` builds it, `cargo xtask build` removes it
const ENGINES = {
  simd: { dir: '../pkg/simd/', pinned: true },
  scalar: { dir: '../pkg/', pinned: true },
  debug: { dir: '../pkg/debug/', pinned: false },
};
// The probe is `(func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)`.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const WASM = 'credit_scorer_bg.wasm';
const GLUE = 'credit_scorer.js';
let glue = null;
let Scorer = null;
let engine = null; // the engine's start, a promise set by the first 'init'
let variant = null;

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

async function startEngine({ engine: wanted, integrity }) {
  if (wanted === 'scalar' || wanted === 'debug') variant = wanted;
  else variant = WebAssembly.validate(SIMD_PROBE) ? 'simd' : 'scalar';
  const { dir, pinned } = ENGINES[variant];
  const wasmUrl = new URL(`${dir}${WASM}`, self.location.href);
  const file = wasmUrl.pathname.replace(/^\//, '');
  let wasm;
  if (pinned) {
    const pin = integrity?.[variant];
    if (typeof pin !== 'string' || !pin.startsWith('sha384-')) {
      throw fail('engine_integrity', `the page pins no hash for the ${variant} engine (${file}); it was not run.`, { file });
    }
    wasm = await fetchPinned(wasmUrl, file, pin);
  } else {
    wasm = await fetch(wasmUrl, { credentials: 'same-origin' });
    if (!wasm.ok) throw fail('engine_unavailable', `${file}: HTTP ${wasm.status} (the debug engine is only built by cargo xtask test)`, { file });
  }
  const module = await import(`${dir}${GLUE}`);
  await module.default({ module_or_path: wasm });
  glue = module;
  ({ Scorer } = module);
  return { variant, pinned, file };
}

let scorer = null;

function describe(scorer) {
  return { k: scorer.k, sha256: scorer.sha256, engine: scorer.engine, schema: scorer.schema() };
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
      const next = new Scorer(new Uint8Array(msg.bytes));
      const info = describe(next);
      if (scorer) scorer.free();
      scorer = next;
      return info;
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
      return true;
    case 'capabilities':
      return { debugPanic: typeof glue.debugPanic === 'function', simd: variant === 'simd', variant };
    case 'debugPanic':
      // Only the debug engine exports it: a panic on purpose, to test crash recovery.
      if (typeof glue.debugPanic !== 'function') {
        throw Object.assign(new Error('this build has no debug panic entry point'), { name: 'unsupported' });
      }
      return glue.debugPanic();
    default:
      throw Object.assign(new Error(`unknown request type ${String(msg.type)}`), { name: 'bad_request' });
  }
}

const BATCH_SLICE = 64 * 1024; // bytes pushed to wasm at a time (about 2,500 rows)
const BLOB_PART = 4 * 1024 * 1024; // output bytes gathered before they are folded into the Blob
const YIELD_MS = 40; // longest stretch of work before other messages get a turn
const PROGRESS_MS = 100;
const cancelled = new Set();

const pause = () => new Promise((resolve) => { setTimeout(resolve, 0); });

async function scoreFile({ file, token, reasons }) {
  const job = new glue.BatchJob(scorer, reasons !== false);
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
  const progress = () => self.postMessage({ batchProgress: { token, rows: job.rowsDone, bytes, total: file.size } });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let at = 0; at < value.length; at += BATCH_SLICE) {
        if (cancelled.has(token)) throw Object.assign(new Error('the batch was cancelled'), { name: 'cancelled' });
        const slice = value.subarray(at, at + BATCH_SLICE);
        keep(job.push(slice));
        bytes += slice.length;
        const now = performance.now();
        if (now - lastProgress >= PROGRESS_MS) {
          lastProgress = now;
          progress();
        }
        if (now - lastYield >= YIELD_MS) {
          await pause();
          lastYield = performance.now();
        }
      }
    }
    keep(job.finish());
    progress();
    blob = new Blob([blob, ...parts], { type: 'text/csv' });
    return { summary: job.summary(), blob, bytes };
  } finally {
    cancelled.delete(token);
    reader.cancel().catch(() => {});
    job.free();
  }
}

self.addEventListener('message', async (event) => {
  const msg = event.data ?? {};
  try {
    const result = await handle(msg);
    self.postMessage({ id: msg.id, ok: true, result });
  } catch (err) {
    const name = err?.name ?? 'error';
    const message = err?.message ?? String(err);
    const fatal = err instanceof WebAssembly.RuntimeError || name === 'RuntimeError';
    const error = { name, message };
    for (const key of ['file', 'detail']) if (typeof err?.[key] === 'string') error[key] = err[key];
    self.postMessage({ id: msg.id, ok: false, fatal, error });
  }
});
