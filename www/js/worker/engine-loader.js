// Loading the engine builds in a Worker. Two engines, each as a SIMD and a scalar build:
//   lite: the direct evaluator without tract (about a tenth of the download). It loads a model
//         only when the model is one chain of row-wise operators that reproduces the reference
//         scores recorded in it, as the reference model does; for any other model it refuses
//         with `needs_full_engine`.
//   full: with tract, for every model. Fetched only when a model needs it, then kept.
// A load tries the lite engine first and the full one after such a refusal, so the page gives
// every model the same scores it always did and the common case never downloads tract.
// Variants:
//   auto:   WebAssembly SIMD (about twice the batch throughput) where the browser validates a SIMD
//           module, the scalar builds elsewhere
//   scalar: the scalar builds, for tests and engines with broken SIMD
//   debug:  the test-only full build with a deliberate-panic entry point, unpinned; only
//           `cargo xtask test` builds it, `cargo xtask build` removes it
// Every pinned build's wasm is fetched with `integrity` (the SHA-384 the caller passes, from the
// page's js/pins.js), so a file that differs from the committed, reproducible release build is
// refused before any of it runs. The wasm-bindgen glue is not pinned (SECURITY.md, "Gaps").

import { fail } from '../channel.js';

/** Each build's directory under the assets URL and its key in the pins. */
export const BUILDS = {
  lite: {
    simd: { dir: 'lite/simd/', pin: 'liteSimd' },
    scalar: { dir: 'lite/', pin: 'liteScalar' },
  },
  full: {
    simd: { dir: 'simd/', pin: 'simd' },
    scalar: { dir: '', pin: 'scalar' },
    debug: { dir: 'debug/', pin: null },
  },
};
// The probe is `(func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)`.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const WASM = 'credit_scorer_bg.wasm';
const GLUE = 'credit_scorer.js';

/** The variant to run for a wanted `auto | scalar | debug`. */
export function chooseVariant(wanted) {
  if (wanted === 'scalar' || wanted === 'debug') return wanted;
  return WebAssembly.validate(SIMD_PROBE) ? 'simd' : 'scalar';
}

function base64(buffer) {
  let s = '';
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s);
}

/** A file's path as messages name it (`pkg/lite/credit_scorer_bg.wasm`). */
const fileOf = (url) => url.pathname.replace(/^\//, '');

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

/**
 * Instantiates an engine module (compiled by `EngineLoader`, here or in the Worker that started
 * this helper): { build, variant, module, glue, memory }.
 */
export async function instantiate(assetsUrl, module, build, variant) {
  const url = new URL(`${BUILDS[build][variant].dir}${GLUE}`, assetsUrl);
  let glue;
  try {
    glue = await import(url.href);
  } catch (err) {
    throw fail('engine_unavailable', `${fileOf(url)} could not be fetched: ${err?.message ?? err}`, { file: fileOf(url) });
  }
  const { memory } = await glue.default({ module_or_path: module });
  return { build, variant, module, glue, memory };
}

/** The engines of one Worker: each build started once, on first need. */
export class EngineLoader {
  /**
   * @param {object} options
   * @param {string} options.assetsUrl the directory holding the builds (`pkg/`), absolute
   * @param {Record<string, string>|null} options.integrity the SHA-384 of each pinned build
   * @param {'simd'|'scalar'|'debug'} options.variant
   * @param {'lite'|'full'} options.first the engine a model is tried on first
   */
  constructor({ assetsUrl, integrity, variant, first }) {
    this.assetsUrl = assetsUrl;
    this.integrity = integrity;
    this.variant = variant;
    this.first = first;
    this.started = {}; // build -> promise of { build, variant, module, glue, memory, pinned, file }
  }

  /** The engine `build`, started once; a failed start is tried again next time (e.g. back online). */
  ensure(build) {
    this.started[build] ??= this.fetchEngine(build).catch((err) => {
      delete this.started[build];
      throw err;
    });
    return this.started[build];
  }

  /** Fetches (pinned), compiles and instantiates one engine build. */
  async fetchEngine(build) {
    const { dir, pin } = BUILDS[build][this.variant];
    // The glue is fetched while the wasm downloads and compiles (`instantiate` then finds it loaded).
    import(new URL(`${dir}${GLUE}`, this.assetsUrl).href).catch(() => {}); // a failure surfaces in `instantiate`
    const wasmUrl = new URL(`${dir}${WASM}`, this.assetsUrl);
    const file = fileOf(wasmUrl);
    let wasm;
    if (pin) {
      const hash = this.integrity?.[pin];
      if (typeof hash !== 'string' || !hash.startsWith('sha384-')) {
        throw fail('engine_integrity', `the page pins no hash for the ${build} ${this.variant} engine (${file}); it was not run.`, { file });
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
    return { ...(await instantiate(this.assetsUrl, module, build, this.variant)), pinned: !!pin, file };
  }

  /** Adopts a module another Worker compiled (a helper's engine). */
  adopt(module, build) {
    this.started[build] = instantiate(this.assetsUrl, module, build, this.variant)
      .then((e) => ({ ...e, pinned: true, file: 'shared module' }));
    return this.started[build];
  }

  /**
   * A Scorer for `bytes`: from the lite engine when it vouches for the model, else from the full
   * engine (started on first need). A refusal other than `needs_full_engine` is the model's fault
   * and is thrown as it is. Resolves with { scorer, engine }.
   */
  async newScorer(bytes) {
    if (this.first === 'lite' && this.started.lite) {
      const lite = await this.started.lite;
      try {
        return { scorer: new lite.glue.Scorer(bytes), engine: lite };
      } catch (err) {
        if (err?.name !== 'needs_full_engine') throw err;
      }
    }
    const full = await this.ensure('full');
    return { scorer: new full.glue.Scorer(bytes), engine: full };
  }

  /** Bytes of wasm memory of every started engine (their peak: it never shrinks). */
  async memory() {
    const engines = await Promise.all(Object.values(this.started).map((p) => p.catch(() => null)));
    return engines.reduce((sum, e) => sum + (e?.memory?.buffer.byteLength ?? 0), 0);
  }
}
