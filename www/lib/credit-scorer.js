// credit-scorer as a library for other pages: `createScorer()` starts the scoring engine in its
// own module Worker and answers with plain objects. It is a thin layer over the app's own Worker
// client (../js/engine.js), so the app and every embedding page speak one Worker protocol and
// load the engine one way. Nothing here is global: each scorer has its own Worker, model and
// state, and nothing reads the page's location (the engine builds' URL is a parameter).
// Types: credit-scorer.d.ts beside this file.

import { Engine } from '../js/engine.js';
import { ENGINE_INTEGRITY } from '../js/pins.js';

/** The engine builds shipped beside this module (the package's `pkg/`). */
const OWN_ASSETS = new URL('../pkg/', import.meta.url);

/** An error with the engine's kind, a message that says what to do, and the field it is about. */
export class ScorerError extends Error {
  constructor(kind, message, { field = null, errors = [], file, detail, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = 'ScorerError';
    this.kind = kind;
    this.field = field;
    this.errors = errors; // for `invalid`: every field error, in the schema's order
    if (file) this.file = file;
    if (detail) this.detail = detail;
  }
}

/** The library's error for an error from the Worker (whose `name` is the engine's kind). */
function fromEngine(err) {
  if (err instanceof ScorerError) return err;
  return new ScorerError(err?.name || 'error', err?.message ?? String(err), { file: err?.file, detail: err?.detail, cause: err });
}

/** The `invalid` error for the field errors of a score. */
function invalid(errors) {
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new ScorerError('invalid', `${first.field}: ${first.message}${more}`, { field: first.field, errors });
}

const DIGESTS = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

/**
 * After a pinned fetch failed: the file fetched again without the pin, only to be hashed (never
 * loaded), so that the error can say whether it differs or could not be fetched at all (`fetch`
 * rejects alike for both). Null when that fails too.
 */
async function servedDigest(url, integrity) {
  const algorithm = DIGESTS[integrity.split('-')[0]];
  if (!algorithm || !crypto.subtle) return null;
  try {
    const again = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
    if (!again.ok) return null;
    const digest = new Uint8Array(await crypto.subtle.digest(algorithm, await again.arrayBuffer()));
    let s = '';
    for (const b of digest) s += String.fromCharCode(b);
    return `${integrity.split('-')[0]}-${btoa(s)}`;
  } catch {
    return null;
  }
}

/** Model bytes from bytes, a Blob, or a URL fetched with `integrity` when given. */
async function modelBytes(source, integrity) {
  if (source instanceof ArrayBuffer) return source;
  if (ArrayBuffer.isView(source)) return source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.arrayBuffer();
  if (typeof source === 'string' || source instanceof URL) {
    let url;
    try {
      url = new URL(String(source));
    } catch {
      throw new ScorerError('bad_request', `the model URL must be absolute (got ${String(source)}); resolve it first, e.g. new URL(url, document.baseURI)`);
    }
    let response;
    try {
      response = await fetch(url, integrity ? { integrity, credentials: 'same-origin' } : { credentials: 'same-origin' });
    } catch (err) {
      const served = integrity ? await servedDigest(url, integrity) : null;
      if (served && served !== integrity) {
        throw new ScorerError('model_integrity', `${url.href} is not the model this page pins (expected ${integrity}, the server sent ${served}); it was not loaded.`, { file: url.href, detail: `expected ${integrity}, the server sent ${served}` });
      }
      throw new ScorerError('model_unavailable', `${url.href} could not be fetched: ${err?.message ?? err}`, { file: url.href, cause: err });
    }
    if (!response.ok) throw new ScorerError('model_unavailable', `${url.href}: HTTP ${response.status}`, { file: url.href });
    return response.arrayBuffer();
  }
  throw new ScorerError('bad_request', 'load() takes an ArrayBuffer, a typed array, a Blob or an absolute URL');
}

/**
 * Starts a scorer: its own engine Worker. See credit-scorer.d.ts for every call.
 * @param {import('./credit-scorer.js').ScorerOptions} [options]
 */
export function createScorer({ assetsUrl = OWN_ASSETS, integrity = ENGINE_INTEGRITY, engine = 'auto', build = 'lite', onCrash } = {}) {
  let assets;
  try {
    assets = new URL(String(assetsUrl));
  } catch {
    throw new ScorerError('bad_request', `assetsUrl must be an absolute URL of the engine builds' directory (got ${String(assetsUrl)})`);
  }
  const client = new Engine({
    assetsUrl: assets,
    integrity,
    engine,
    build,
    onCrash: (err, reloadError) => onCrash?.(fromEngine(err), reloadError ? fromEngine(reloadError) : null),
  });
  let model = null;
  let closed = false;
  const live = () => {
    if (closed) throw new ScorerError('closed', 'this scorer was closed; create another one');
  };
  const call = async (f) => {
    live();
    try {
      return await f();
    } catch (err) {
      throw fromEngine(err);
    }
  };

  const scorer = {
    /** Resolves once the engine runs: { build, variant, pinned, file }. */
    get ready() {
      return client.started.catch((err) => { throw fromEngine(err); });
    },
    get schema() {
      return model?.schema ?? null;
    },
    get model() {
      return model;
    },
    async load(source, { integrity: modelIntegrity } = {}) {
      live();
      const bytes = await modelBytes(source, modelIntegrity);
      const info = await call(() => client.load(bytes));
      model = Object.freeze({ ...info });
      return model;
    },
    async validate(values) {
      const res = await call(() => client.score(values));
      return res.errors ?? [];
    },
    async score(values, { recourse = false } = {}) {
      const res = await call(() => client.score(values));
      if (res.errors?.length) throw invalid(res.errors);
      const { errors: _none, ...result } = res;
      if (recourse) {
        const targetBand = typeof recourse === 'object' ? recourse.targetBand ?? null : null;
        const found = await call(() => client.recourse(values, targetBand));
        result.recourse = found.result;
      }
      return result;
    },
    async recourse(values, { targetBand = null } = {}) {
      const found = await call(() => client.recourse(values, targetBand));
      if (found.errors?.length) throw invalid(found.errors);
      return found.result;
    },
    async scoreFile(file, { onProgress = null, signal = null, reasons = true, encoding = 'auto' } = {}) {
      if (signal?.aborted) throw new ScorerError('cancelled', 'the batch was cancelled');
      const { blob, summary } = await call(() => client.scoreFile(file, { reasons, encoding, onProgress, signal }));
      return { blob, summary };
    },
    close() {
      if (closed) return;
      closed = true;
      model = null;
      client.channel.close();
    },
  };
  return scorer;
}
