// The one message protocol of the page's Workers: between the page and its engine Worker, and
// between that Worker and its batch helpers. The requester's side is `Channel`, the Worker's
// side `serve`.
//
//   request:  { id, type, ...fields }
//   reply:    { id, ok: true, result } | { id, ok: false, fatal, error: { name, message, file?, detail? } }
//   progress: { id, progress } (a long request's news before its reply)
//
// Buffers in a reply move to the receiver (`transfer`). A trap inside wasm (`RuntimeError`)
// leaves the instance unusable: its reply says `fatal: true` and the Worker must be replaced.
//
// A Worker that stops without a word (closed, killed, its process gone) fires no event: its
// requests would wait forever. `Channel.watch()` asks the Worker to hold a Web Lock (the built-in
// request `hold`) for its whole life, and then waits for that lock itself: the browser grants it
// only once the Worker is gone, which breaks the channel (`worker_stopped`).

/** An error a Worker reported, with the engine's kind as `name`. */
export class EngineError extends Error {
  constructor({ name, message, file, detail } = {}, fatal = false) {
    super(message);
    this.name = name || 'error';
    this.fatal = fatal;
    if (file) this.file = file; // the engine file a refused or missing engine was loaded from
    if (detail) this.detail = detail; // for a refused engine: the expected and the served hash
  }
}

/** An `Error` named `name` (the kind the other side sees), with extra fields. */
export const fail = (name, message, extra = {}) => Object.assign(new Error(message), { name }, extra);

/** Requests to a Worker, answered by id. */
export class Channel {
  /**
   * @param {Worker} worker
   * @param {(error: EngineError) => void} onFatal called when the Worker is broken: a fatal
   *   reply (asked for or not) or an error event; the requests in flight are failed first
   */
  constructor(worker, onFatal) {
    this.worker = worker;
    this.onFatal = onFatal;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, onProgress }
    this.closed = false;
    this.unwatch = new AbortController(); // ends the wait for the Worker's lock (`watch`)
    worker.addEventListener('message', (e) => this.receive(e.data));
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      this.broken(new EngineError({ name: 'worker_error', message: e.message || 'a Worker failed' }, true));
    });
  }

  receive(msg) {
    const p = this.pending.get(msg?.id);
    if (p && msg.progress !== undefined) {
      p.onProgress?.(msg.progress);
      return;
    }
    if (!p) {
      // A trap nobody asked about still leaves the instance broken.
      if (msg?.fatal) this.broken(new EngineError(msg.error ?? {}, true));
      return;
    }
    this.pending.delete(msg.id);
    if (msg.ok) {
      p.resolve(msg.result);
      return;
    }
    const err = new EngineError(msg.error ?? {}, !!msg.fatal);
    p.reject(err);
    if (err.fatal) this.broken(err);
  }

  broken(err) {
    if (this.closed) return;
    this.failAll(err);
    this.onFatal?.(err);
  }

  /**
   * Notices the Worker stopping (see the top of this file). Resolves once the Worker holds its
   * lock, or at once where the browser has no Web Locks (an insecure origin): then only error
   * events and fatal replies tell.
   */
  async watch() {
    const locks = globalThis.navigator?.locks;
    if (!locks || typeof crypto?.randomUUID !== 'function') return;
    const name = `credit-scorer-worker-${crypto.randomUUID()}`;
    await this.request('hold', { lock: name });
    locks.request(name, { signal: this.unwatch.signal }, () => {
      this.broken(new EngineError({ name: 'worker_stopped', message: 'the Worker stopped without answering' }, true));
    }).catch(() => {}); // aborted by `close`
  }

  /**
   * Sends a request; resolves with its result. The promise's `id` names the request (for a
   * `cancel`); `onProgress` receives its progress messages.
   */
  request(type, fields = {}, transfer = [], onProgress = null) {
    const id = this.nextId++;
    const promise = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, type, ...fields }, transfer);
    });
    promise.id = id;
    return promise;
  }

  /** The number of requests waiting for a reply. */
  get inFlight() {
    return this.pending.size;
  }

  failAll(err) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Stops the Worker; requests in flight fail with `err`. */
  close(err = new EngineError({ name: 'stopped', message: 'the Worker was stopped' })) {
    this.closed = true;
    this.unwatch.abort();
    this.worker.terminate();
    this.failAll(err);
  }
}

// A reply whose buffers move to the receiver instead of being copied.
const transferred = new WeakMap();

/** Marks `value` (a handler's result) to be sent with `buffers` transferred. */
export function transfer(value, buffers) {
  transferred.set(value, buffers);
  return value;
}

/** Request types every Worker answers: `hold` { lock } takes the lock for the Worker's life. */
const builtIn = {
  hold({ lock }) {
    return new Promise((resolve, reject) => {
      navigator.locks.request(String(lock), () => {
        resolve(true);
        return new Promise(() => {}); // released when this Worker ends
      }).catch(reject);
    });
  },
};

/**
 * Answers requests in a Worker: `handlers[type](msg, { progress })` for each, its result (or
 * thrown error) as the reply. A handler added to `handlers` later is served too.
 */
export function serve(scope, handlers) {
  // Workers have no document: say so in the console when the CSP blocks something here, so that
  // a violation inside the engine is as visible as one in the page.
  scope.addEventListener('securitypolicyviolation', (e) => {
    console.error(`CSP violation in the scoring worker: ${e.violatedDirective} blocked ${e.blockedURI}`);
  });
  scope.addEventListener('message', async (event) => {
    const msg = event.data ?? {};
    try {
      const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type]
        : Object.hasOwn(builtIn, msg.type) ? builtIn[msg.type] : null;
      if (!handler) throw fail('bad_request', `unknown request type ${String(msg.type)}`);
      const progress = (value) => scope.postMessage({ id: msg.id, progress: value });
      const result = await handler(msg, { progress });
      scope.postMessage({ id: msg.id, ok: true, result }, transferred.get(result) ?? []);
    } catch (err) {
      const name = err?.name ?? 'error';
      const message = err?.message ?? String(err);
      const fatal = err instanceof WebAssembly.RuntimeError || name === 'RuntimeError';
      const error = { name, message };
      for (const key of ['file', 'detail']) if (typeof err?.[key] === 'string') error[key] = err[key];
      scope.postMessage({ id: msg.id, ok: false, fatal, error });
    }
  });
}
