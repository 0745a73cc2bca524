// A batch helper Worker: started by the engine Worker's FileBatch for a large file, with the
// engine module that Worker compiled and the same model; it scores the chunks it is sent
// (protocol: ../channel.js).
//
//   start        { module: WebAssembly.Module, build, variant, assetsUrl } -> true
//   load         { bytes: ArrayBuffer } -> true
//   chunkScorer  { columns: Uint8Array (the job's header mapping), reasons, contributions,
//                  decimalComma } -> true
//   scoreChunk   { chunk: Uint8Array } -> the scored chunk (Uint8Array, transferred)

import { serve, fail, transfer } from '../channel.js';
import { BUILDS, EngineLoader } from './engine-loader.js';

/** This Worker's state. */
export const host = { loader: null, active: null, scorer: null, chunkScorer: null };

/** The request types the engine Worker sends. */
export const handlers = {
  async start({ module, build, variant, assetsUrl }) {
    if (!(module instanceof WebAssembly.Module)) throw fail('bad_request', 'a helper needs the compiled engine module');
    const b = build in BUILDS ? build : 'full';
    const v = variant in BUILDS[b] ? variant : 'simd';
    host.loader = new EngineLoader({ assetsUrl: String(assetsUrl), integrity: null, variant: v, first: b });
    host.active = await host.loader.adopt(module, b);
    return true;
  },
  async load({ bytes }) {
    if (!host.loader) throw fail('bad_request', 'the helper was not started');
    const next = await host.loader.newScorer(new Uint8Array(bytes));
    host.chunkScorer?.free();
    host.chunkScorer = null;
    host.scorer?.free();
    ({ scorer: host.scorer, engine: host.active } = next);
    return true;
  },
  chunkScorer({ columns, reasons, contributions, decimalComma }) {
    if (!host.scorer) throw fail('no_model', 'no model is loaded');
    host.chunkScorer?.free();
    host.chunkScorer = new host.active.glue.ChunkScorer(
      host.scorer, columns, reasons !== false, contributions === true, decimalComma === true,
    );
    return true;
  },
  scoreChunk({ chunk }) {
    if (!host.chunkScorer) throw fail('bad_request', 'no chunk scorer was set up');
    const scored = host.chunkScorer.score(chunk);
    return transfer(scored, [scored.buffer]);
  },
};

serve(self, handlers);
