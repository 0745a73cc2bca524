// The page's side of the scoring worker: typed requests with promises, and crash recovery.

import { ENGINE_INTEGRITY } from './pins.js';

// Trusted Types are enforced by the CSP: a Worker URL must come from this policy, which only
// lets same-origin URLs through.
const policy = globalThis.trustedTypes?.createPolicy('credit-scorer', {
  createScriptURL(url) {
    const u = new URL(url, document.baseURI);
    if (u.origin !== location.origin) throw new TypeError(`refusing a script from another origin: ${u.origin}`);
    return u.href;
  },
});

function scriptURL(url) {
  return policy ? policy.createScriptURL(url) : new URL(url, document.baseURI).href;
}

/**
 * Registers the offline service worker (`sw.js`) and waits until it has cached the app, so that
 * nothing is fetched for it once the page says it is ready. Resolves with 'ready', 'unsupported'
 * or 'failed'; never rejects (the app works without it, only not offline).
 */
export async function registerOffline(timeoutMs = 60_000) {
  if (!('serviceWorker' in navigator)) return 'unsupported';
  try {
    const reg = await navigator.serviceWorker.register(scriptURL('sw.js'), {
      type: 'module', scope: './', updateViaCache: 'none',
    });
    const pending = reg.installing ?? reg.waiting;
    if (pending) {
      await Promise.race([
        new Promise((resolve) => {
          const check = () => {
            if (pending.state === 'activated' || pending.state === 'redundant') resolve();
          };
          pending.addEventListener('statechange', check);
          check();
        }),
        new Promise((resolve) => { setTimeout(resolve, timeoutMs); }),
      ]);
    }
    return reg.active ? 'ready' : 'failed';
  } catch {
    return 'failed';
  }
}

/** An error the engine reported, with the engine's kind as `name`. */
export class EngineError extends Error {
  constructor({ name, message, file, detail }, fatal = false) {
    super(message);
    this.name = name || 'error';
    this.fatal = fatal;
    if (file) this.file = file; // the engine file a refused or missing engine was loaded from
    if (detail) this.detail = detail; // for a refused engine: the expected and the served hash
  }
}

export class Engine {
  /** @param {(error: EngineError) => void} onCrash called after a crash, once the worker is back */
  constructor(onCrash) {
    this.onCrash = onCrash;
    this.nextId = 1;
    this.pending = new Map();
    this.modelBytes = null; // the bytes of the model in use, to reload after a crash
    this.start();
  }

  start() {
    this.worker = new Worker(scriptURL('js/worker.js'), { type: 'module', name: 'credit-scorer engine' });
    this.worker.addEventListener('message', (e) => this.receive(e.data));
    this.worker.addEventListener('error', (e) => {
      e.preventDefault();
      this.crash(new EngineError({ name: 'worker_error', message: e.message || 'the scoring worker failed' }, true));
    });
    // The first message: which engine build to run (`?engine=scalar` or `?engine=debug` on the
    // page, the worker's choice otherwise; `?build=full` skips the lite engine) and the SHA-384
    // of each pinned build, which the worker fetches with `integrity` (see worker.js). Resolves
    // with { build, variant, pinned, file }; a refused engine also fails every request that
    // needs it, with the same error.
    const params = new URLSearchParams(location.search);
    const wanted = params.get('engine');
    this.started = this.request('init', {
      engine: wanted === 'scalar' || wanted === 'debug' ? wanted : 'auto',
      build: params.get('build') === 'full' ? 'full' : 'lite',
      integrity: { ...ENGINE_INTEGRITY },
    });
    this.started.catch(() => {});
  }

  receive(msg) {
    const p = this.pending.get(msg?.id);
    if (!p) {
      // A trap the page did not ask about still leaves the instance broken.
      if (msg?.fatal) this.crash(new EngineError(msg.error ?? {}, true));
      return;
    }
    this.pending.delete(msg.id);
    if (msg.ok) {
      p.resolve(msg.result);
      return;
    }
    const err = new EngineError(msg.error ?? {}, !!msg.fatal);
    if (err.fatal) {
      p.reject(err);
      this.crash(err);
      return;
    }
    p.reject(err);
  }

  request(type, payload = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, type, ...payload }, transfer);
    });
  }

  /** Loads a model; resolves with { k, sha256, schema }. The previous model stays if refused. */
  async load(bytes) {
    const copy = bytes.slice(0); // keep our own copy for crash recovery; transfer the other
    const info = await this.request('load', { bytes: copy }, [copy]);
    this.modelBytes = bytes;
    return info;
  }

  score(values) {
    return this.request('score', { values });
  }

  /** Replaces a crashed worker: fails what was in flight, restarts, reloads the current model. */
  async crash(err) {
    if (this.restarting) return;
    this.restarting = true;
    this.worker.terminate();
    for (const [, p] of this.pending) p.reject(err);
    this.pending.clear();
    this.start();
    let reloadError = null;
    try {
      if (this.modelBytes) {
        const copy = this.modelBytes.slice(0);
        await this.request('load', { bytes: copy }, [copy]);
      }
    } catch (e) {
      reloadError = e;
    } finally {
      this.restarting = false;
    }
    this.onCrash?.(err, reloadError);
  }
}
