// The engine Worker: loads the wasm engine and one model at a time, off the page's thread, and
// answers the page's requests (protocol: ../channel.js).
//
//   init       { engine: 'auto' | 'scalar' | 'debug', build: 'lite' | 'full', integrity, assetsUrl }
//              (first; the builds and their pins: engine-loader.js) -> { build, variant, pinned, file }
//   load       { bytes: ArrayBuffer } -> the model (below); a refused model leaves the current one
//   schema     {} -> the model
//   score      { values: { field: raw value } } -> { pd, points, band, reasons, contributions, errors, … }
//   recourse  { values, targetBand: band id | null } -> { result: RecourseResult | null, errors }
//              (null: the model card's approval cut-off)
//   scoreFile  { file: File, reasons, contributions, encoding, decimal: '.' | ',' }
//              -> { summary, blob, bytes, workers }, progress
//              { rows, bytes, total, workers } meanwhile (file-batch.js)
//   cancel     { of: id of a scoreFile } -> true
//   hold       { lock } -> true, once this Worker holds that Web Lock for its life (channel.js)
//
// The model: { k, sha256, engine, build, schema, edgePoints }, where `edgePoints` are the points
// the engine gives the PDs the model names: each band's upper edge, and the model card's approval
// cut-off (`null` without one), so the page draws them with the scores' own formula.
//
// Workers have no import map and `new Worker()` takes no integrity, so the pins must come from
// the page (SECURITY.md, "Gaps": the Worker's scripts and the wasm-bindgen glue stay unpinned).
// Tests and the benchmark add their own request types to `handlers` (probe.js); the app never does.

import { serve, fail } from '../channel.js';
import { EngineLoader, chooseVariant } from './engine-loader.js';

/** This Worker's state. */
export const host = {
  starting: null, // the first 'init': a promise of the started engine
  loader: null,
  active: null, // the started engine that holds `scorer`
  scorer: null,
  modelBytes: null, // the loaded model, for helpers
  assetsUrl: null,
  batches: new Map(), // request id -> FileBatch
  // The batch's code (file-batch.js, decode.js), imported on the first file: scoring one
  // applicant does not need it, so a first visit does not download it before the page is ready.
  FileBatch: null,
};

async function start({ engine: wanted, build, integrity, assetsUrl }) {
  const variant = chooseVariant(wanted);
  const first = build === 'full' || variant === 'debug' ? 'full' : 'lite';
  host.assetsUrl = String(assetsUrl);
  host.loader = new EngineLoader({ assetsUrl: host.assetsUrl, integrity, variant, first });
  host.active = await host.loader.ensure(first);
  return { build: first, variant, pinned: host.active.pinned, file: host.active.file };
}

/** Waits for the engine; fails as its start did, or when there is none. */
async function started() {
  if (!host.starting) throw fail('bad_request', 'the engine was not initialized');
  await host.starting;
}

async function model() {
  await started();
  if (!host.scorer) throw fail('no_model', 'no model is loaded');
  return host.scorer;
}

function edgePoints(scorer, schema) {
  const cut = schema.model_card?.fair_lending?.approval_max_pd;
  return {
    bands: (schema.bands ?? []).map((b) => scorer.pointsForPd(b.max_pd)),
    approval: typeof cut === 'number' && cut > 0 && cut < 1 ? scorer.pointsForPd(cut) : null,
  };
}

function describe(scorer) {
  const schema = scorer.schema();
  return {
    k: scorer.k, sha256: scorer.sha256, engine: scorer.engine, build: host.active?.build, schema, edgePoints: edgePoints(scorer, schema),
  };
}

/** The request types of the page's protocol. */
export const handlers = {
  init(msg) {
    host.starting ??= start(msg);
    return host.starting;
  },
  async load({ bytes }) {
    await started();
    // A batch scores with the model it started with (its BatchJob and helpers hold their own
    // copies); a new model waits until the file is done or cancelled, so the officer is never
    // unsure which model scored it.
    if (host.batches.size > 0) {
      throw Object.assign(new Error('a file is being scored with the current model; wait until it is done or cancel it, then load the other model'), { name: 'batch_running' });
    }
    const next = await host.loader.newScorer(new Uint8Array(bytes));
    host.scorer?.free();
    ({ scorer: host.scorer, engine: host.active } = next);
    host.modelBytes = bytes;
    return describe(host.scorer);
  },
  async schema() {
    return describe(await model());
  },
  async score({ values }) {
    return (await model()).score(values);
  },
  async recourse({ values, targetBand }) {
    return (await model()).recourse(values, targetBand ?? undefined);
  },
  async scoreFile({ id, file, reasons, contributions, encoding, decimal }, { progress }) {
    const scorer = await model();
    host.FileBatch ??= (await import('./file-batch.js')).FileBatch;
    const batch = new host.FileBatch({ active: host.active, scorer, modelBytes: host.modelBytes, assetsUrl: host.assetsUrl });
    host.batches.set(id, batch);
    try {
      return await batch.run(file, {
        reasons: reasons !== false,
        contributions: contributions === true,
        encoding: encoding ?? 'auto',
        decimal: decimal ?? '.',
        onProgress: progress,
      });
    } finally {
      host.batches.delete(id);
    }
  },
  async cancel({ of }) {
    await started();
    host.batches.get(of)?.cancel();
    return true;
  },
};

serve(self, handlers);
