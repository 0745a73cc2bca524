// The scoring engine, off the main thread: loads the wasm module and one model at a time and
// answers small typed messages.
//
//   request:  { id, type: 'load', bytes: ArrayBuffer } | { id, type: 'score', values: {field: value} }
//             | { id, type: 'schema' } | { id, type: 'batch', rows: Float32Array }
//             | { id, type: 'capabilities' } | { id, type: 'debugPanic' } (debug builds only)
//   reply:    { id, ok: true, result } | { id, ok: false, error: { name, message } }
//
// A refused model leaves the current one in place. A trap inside wasm (`RuntimeError`) leaves the
// instance unusable: the reply carries `fatal: true` and the page replaces this worker.

import init, * as glue from '../pkg/credit_scorer.js';

const { Scorer } = glue;

// Workers have no document: say so in the console when the CSP blocks something here, so that
// a violation inside the engine is as visible as one in the page.
self.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation in the scoring worker: ${e.violatedDirective} blocked ${e.blockedURI}`);
});

const engine = init();
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
    case 'capabilities':
      return { debugPanic: typeof glue.debugPanic === 'function' };
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
