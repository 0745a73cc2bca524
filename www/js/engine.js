// The page's side of the scoring engine: a module Worker (js/worker/engine-worker.js) answering
// typed requests, replaced after a crash with the current model reloaded. It reads nothing of the
// page: where the engine builds are and their pins are its parameters.

import { Channel, EngineError } from './channel.js';
import { scriptURL } from './trusted.js';

export { EngineError };

const WORKER = new URL('./worker/engine-worker.js', import.meta.url);

export class Engine {
  /**
   * Starts the engine Worker.
   * @param {object} options
   * @param {string|URL} options.assetsUrl the directory of the engine builds (`pkg/`)
   * @param {Record<string, string>} options.integrity the SHA-384 of each pinned build (js/pins.js)
   * @param {'auto'|'scalar'|'debug'} [options.engine] which variant: the Worker's choice (SIMD where
   *   the browser has it), the scalar builds, or the unpinned test-only debug build
   * @param {'lite'|'full'} [options.build] the engine a model is tried on first
   * @param {(error: EngineError, reloadError: Error|null) => void} [options.onCrash] called after a
   *   crash, once the Worker is back (with the error of reloading the model, if that failed)
   */
  constructor({ assetsUrl, integrity, engine = 'auto', build = 'lite', onCrash }) {
    this.init = {
      engine: engine === 'scalar' || engine === 'debug' ? engine : 'auto',
      build: build === 'full' ? 'full' : 'lite',
      integrity: { ...integrity },
      assetsUrl: new URL(assetsUrl).href,
    };
    this.onCrash = onCrash;
    this.modelBytes = null; // the bytes of the model in use, to reload after a crash
    this.start();
  }

  start() {
    const worker = new Worker(scriptURL(WORKER), { type: 'module', name: 'credit-scorer engine' });
    this.channel = new Channel(worker, (err) => this.crash(err));
    // A Worker that stops without an error event (killed, out of memory) is noticed too.
    this.channel.watch().catch(() => {});
    // The first message: the engine to run and the pins of its builds, which the Worker fetches
    // with `integrity`. Resolves with { build, variant, pinned, file }; a refused engine also
    // fails every request that needs it, with the same error.
    this.started = this.channel.request('init', this.init);
    this.started.catch(() => {});
  }

  /** Loads a model; resolves with { k, sha256, engine, build, schema, edgePoints }. The previous model stays if refused. */
  async load(bytes) {
    const copy = bytes.slice(0); // keep our own copy for crash recovery; transfer the other
    const info = await this.channel.request('load', { bytes: copy }, [copy]);
    this.modelBytes = bytes;
    return info;
  }

  /** Validates and scores raw values: { pd, points, band, reasons, contributions, errors, … }. */
  score(values) {
    return this.channel.request('score', { values });
  }

  /**
   * What would change the outcome: { result: RecourseResult | null, errors } (src/wasm.rs), the
   * smallest sets of changes to actionable characteristics that reach band `targetBand`.
   */
  recourse(values, targetBand) {
    return this.channel.request('recourse', { values, targetBand: targetBand ?? null });
  }

  /**
   * Scores a CSV file in the Worker (and its helpers); resolves with { summary, blob, workers }.
   * `contributions` adds a `contribution_<feature>` column per feature (points, full precision).
   * An abort of `signal` rejects it with an error named `cancelled`.
   */
  scoreFile(file, {
    reasons = true, contributions = false, encoding = 'auto', decimal = '.', onProgress = null, signal = null,
  } = {}) {
    // Right after a crash the new Worker has no model until it is reloaded: wait for that.
    if (this.recovering) {
      return this.recovering.then(() => this.scoreFile(file, {
        reasons, contributions, encoding, decimal, onProgress, signal,
      }));
    }
    if (signal?.aborted) return Promise.reject(new EngineError({ name: 'cancelled', message: 'the batch was cancelled' }));
    const channel = this.channel;
    const request = channel.request('scoreFile', { file, reasons, contributions, encoding, decimal }, [], onProgress);
    const cancel = () => channel.request('cancel', { of: request.id }).catch(() => {});
    signal?.addEventListener('abort', cancel, { once: true });
    return request.finally(() => signal?.removeEventListener('abort', cancel));
  }

  /** Replaces a crashed Worker: fails what was in flight, restarts, reloads the current model. */
  crash(err) {
    if (this.recovering) return;
    this.recovering = this.recover(err).finally(() => { this.recovering = null; });
  }

  async recover(err) {
    this.channel.close(err);
    this.start();
    let reloadError = null;
    try {
      if (this.modelBytes) {
        const copy = this.modelBytes.slice(0);
        await this.channel.request('load', { bytes: copy }, [copy]);
      }
    } catch (e) {
      reloadError = e;
    }
    this.onCrash?.(err, reloadError);
  }
}
