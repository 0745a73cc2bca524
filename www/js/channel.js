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
    this.failAll(err);
    this.onFatal?.(err);
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
      const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : null;
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
