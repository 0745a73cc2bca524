// The scoring engine, off the main thread: loads the wasm module and one model at a time and
// answers small typed messages.
//
//   request:  { id, type: 'load', bytes: ArrayBuffer } | { id, type: 'score', values: {field: value} }
//             | { id, type: 'schema' } | { id, type: 'batch', rows: Float32Array }
//             | { id, type: 'capabilities' } | { id, type: 'debugPanic' } (debug builds only)
//             | { id, type: 'batchFile', file: File, token, reasons } | { id, type: 'batchCancel', token }
//   reply:    { id, ok: true, result } | { id, ok: false, error: { name, message } }
//   progress: { batchProgress: { token, rows, bytes, total } } while a batch file is scored
//
// A batch file is read as a stream and pushed to the wasm `BatchJob` a slice at a time; between
// slices the worker yields, so form scores and a cancel are answered meanwhile. The scored CSV
// comes back as a Blob built from parts (the browser keeps large Blobs out of the JS heap).
//
// A refused model leaves the current one in place. A trap inside wasm (`RuntimeError`) leaves the
// instance unusable: the reply carries `fatal: true` and the page replaces this worker.

// Two builds of the engine: WebAssembly SIMD (about twice the batch throughput) where the browser
// validates a SIMD module, the scalar build elsewhere. `?engine=scalar` on the worker URL (passed
// on from the page's URL) forces the fallback, for tests and for engines with broken SIMD.
// The probe is `(func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)`.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const forceScalar = new URL(self.location.href).searchParams.get('engine') === 'scalar';
const simd = !forceScalar && WebAssembly.validate(SIMD_PROBE);
let glue = null;
let Scorer = null;

// Workers have no document: say so in the console when the CSP blocks something here, so that
// a violation inside the engine is as visible as one in the page.
self.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation in the scoring worker: ${e.violatedDirective} blocked ${e.blockedURI}`);
});

const engine = import(simd ? '../pkg/simd/credit_scorer.js' : '../pkg/credit_scorer.js').then(async (module) => {
  await module.default();
  glue = module;
  ({ Scorer } = module);
});
let scorer = null;

function describe(scorer) {
  return { k: scorer.k, sha256: scorer.sha256, schema: scorer.schema() };
}

async function handle(msg) {
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
      return { debugPanic: typeof glue.debugPanic === 'function', simd };
    case 'debugPanic':
      // Only debug builds export it: a panic on purpose, to test crash recovery.
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
    self.postMessage({ id: msg.id, ok: false, fatal, error: { name, message } });
  }
});
