// Scoring a CSV file in the engine Worker. The file is read as a stream and pushed to the wasm
// `BatchJob` a slice at a time; between slices the Worker yields, so form scores and a cancel are
// answered meanwhile. A large file is also scored by helper Workers (helper-worker.js, one per
// further core, given the compiled module and the model): this Worker parses, sends chunks out as
// bytes, scores one itself when every helper is busy, and writes the rows the core releases (the
// core keeps them in input order), so the output and the summary are the same as with one Worker.
// The scored CSV comes back as a Blob built from parts (the browser keeps large Blobs out of the
// JS heap).

import { Channel } from '../channel.js';
import { utf8Stream } from './decode.js';

const BATCH_SLICE = 64 * 1024; // bytes pushed to wasm at a time (about 2,500 rows)
const BLOB_PART = 4 * 1024 * 1024; // output bytes gathered before they are folded into the Blob
const YIELD_MS = 40; // longest stretch of work before other messages get a turn
const YIELD_MS_WITH_HELPERS = 6; // a helper's results free its queue only when this Worker takes them
const PROGRESS_MS = 100;
const HELPERS_FROM_BYTES = 2 * 1024 * 1024; // smaller files are done before helpers would start
const MAX_HELPERS = 7;
// Chunks queued per helper: enough to keep it busy between this Worker's yields (about 45 ms of its
// work). Every chunk this Worker scores meanwhile waits in wasm memory for the helper's (at most
// the core's BatchJob::MAX_WAITING, 32), so no more: a chunk with reasons takes twice as long.
const IN_FLIGHT = 16;
const IN_FLIGHT_EXPLAINED = 8;

const pause = () => new Promise((resolve) => { setTimeout(resolve, 0); });
// A turn for waiting messages without a timer's minimum delay.
const turn = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
  channel.port2.postMessage(null);
});

const HELPER = new URL('./helper-worker.js', import.meta.url).href;
const HERE = new URL('./', import.meta.url).href;
// Trusted Types are enforced here too (the CSP travels with the Worker's script): the only script
// URLs this Worker creates are its helpers', from its own directory.
const policy = self.trustedTypes?.createPolicy('credit-scorer', {
  createScriptURL(url) {
    if (!url.startsWith(HERE) || url.slice(HERE.length).includes('/')) {
      throw new TypeError(`a helper Worker runs only a script of ${HERE}`);
    }
    return url;
  },
});

/**
 * A helper's failure as this Worker reports it: `helper_stopped`, not the helper's own kind, so
 * that a trap in a helper is not taken for a trap in this Worker (which would be replaced).
 */
function helperStopped(err) {
  return Object.assign(new Error(`a helper Worker stopped (${err?.name ?? 'error'}: ${err?.message ?? err})`), { name: 'helper_stopped' });
}

/** The file could not be read to its end as it was when chosen: `file_unreadable`. */
function unreadable(message) {
  return Object.assign(new Error(message), { name: 'file_unreadable' });
}

/** Errors of reading a File (changed, moved, deleted or no longer permitted since it was chosen). */
const READ_ERRORS = new Set(['NotReadableError', 'NotFoundError', 'SecurityError']);

/** A helper Worker: its channel, and how many chunks it holds. */
class Helper {
  constructor(url) {
    const worker = new Worker(policy ? policy.createScriptURL(url) : url, { type: 'module', name: 'credit-scorer batch helper' });
    this.failed = null;
    this.inFlight = 0;
    this.channel = new Channel(worker, (err) => {
      this.failed = helperStopped(err);
    });
  }

  request(type, fields = {}, buffers = []) {
    if (this.failed) return Promise.reject(this.failed);
    return this.channel.request(type, fields, buffers);
  }

  stop() {
    this.channel.close();
  }
}

/** One file being scored: `run()` once, `cancel()` from another message. */
export class FileBatch {
  /**
   * @param {object} engine the Worker's state: `active` (the engine holding the model:
   *   { glue, module, build, variant }), `scorer`, `modelBytes`, `assetsUrl`
   * @param {object} [options]
   * @param {string} [options.helperUrl] the helpers' script (in this directory)
   */
  constructor({ active, scorer, modelBytes, assetsUrl }, { helperUrl = HELPER } = {}) {
    Object.assign(this, { active, scorer, modelBytes, assetsUrl, helperUrl });
    this.cancelled = false;
    this.wake = null; // resolves the wait for the last results
    this.helpers = [];
    this.ready = [];
    this.chunks = 0; // chunks taken, here or by helpers
    this.helped = 0; // chunks scored by helpers
  }

  cancel() {
    this.cancelled = true;
    this.arrived();
  }

  arrived() {
    this.wake?.();
    this.wake = null;
  }

  /** How many helpers a file gets: one per further core, for files large enough to gain. */
  helperCount(file) {
    if (file.size < HELPERS_FROM_BYTES || !this.active?.module || !this.modelBytes) return 0;
    const cores = Math.max(1, Number(self.navigator?.hardwareConcurrency) || 1);
    return Math.min(MAX_HELPERS, cores - 1);
  }

  /** Helpers start (engine, model) at once and get the header mapping when it is known. */
  async startHelpers(file, columnsWire, reasons, contributions, decimalComma) {
    const n = this.helperCount(file);
    for (let i = 0; i < n; i += 1) this.helpers.push(new Helper(this.helperUrl));
    const { module, build, variant } = this.active;
    await Promise.all(this.helpers.map(async (helper) => {
      try {
        await helper.channel.watch();
        await helper.request('start', { module, build, variant, assetsUrl: this.assetsUrl });
        await helper.request('load', { bytes: this.modelBytes.slice(0) });
        const columns = await columnsWire;
        if (!columns) throw new Error('the batch ended first');
        await helper.request('chunkScorer', { columns, reasons, contributions, decimalComma });
        this.ready.push(helper);
      } catch (err) {
        // A helper that cannot start is left out; this Worker scores its share.
        console.warn(`batch helper Worker not used: ${err?.message ?? err}`);
        helper.stop();
      }
    }));
  }

  /**
   * Scores `file`; resolves with { summary, blob, bytes, workers }. `onProgress` gets
   * { rows, bytes, total, workers } every PROGRESS_MS. `contributions` adds each feature's
   * contribution in points (`contribution_<feature>` columns, as `score --contributions`).
   */
  async run(file, { reasons = true, contributions = false, encoding = 'auto', decimal = '.', onProgress = () => {} } = {}) {
    if (decimal !== '.' && decimal !== ',') {
      throw Object.assign(new Error(`unknown decimal separator "${decimal}"; choose . or ,`), { name: 'input' });
    }
    const decimalComma = decimal === ',';
    let bytes = 0; // of the file, read so far
    const modelSha256 = this.scorer.sha256; // the model this file is scored with, for its summary
    const input = await utf8Stream(file, encoding, (n) => { bytes = n; });
    const job = new this.active.glue.BatchJob(this.scorer, reasons, contributions, decimalComma);
    const reader = input.stream.getReader();
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
    let lastYield = performance.now();
    let lastProgress = 0;

    // `addScored` (one part per chunk) and `scoreHere` return the rows now ready in input order
    // (the core's `batch::Ordered` keeps a chunk that arrives early until those before it are in).
    let outstanding = 0; // chunks given to helpers whose results are not back yet
    let failure = null;
    let columnsKnown;
    const columnsWire = new Promise((resolve) => { columnsKnown = resolve; });
    const starting = this.startHelpers(file, columnsWire, reasons, contributions, decimalComma);
    let columnsSent = false;
    const inFlight = reasons || contributions ? IN_FLIGHT_EXPLAINED : IN_FLIGHT;
    // Chunks are numbered in the order taken, by `takeChunk` (to a helper) or `scoreHere`. When
    // `scoreHere` leaves parsed chunks (too many scored here wait for a helper's), the caller
    // waits for a helper's result before it dispatches again.
    const dispatch = () => {
      for (;;) {
        const helper = this.ready.filter((hp) => !hp.failed && hp.inFlight < inFlight).sort((a, b) => a.inFlight - b.inFlight)[0];
        if (!helper) {
          const csv = job.scoreHere();
          if (!csv) return;
          this.chunks += 1;
          keep(csv);
          continue;
        }
        const chunk = job.takeChunk();
        if (!chunk) return;
        const seq = this.chunks;
        this.chunks += 1;
        this.helped += 1;
        outstanding += 1;
        helper.inFlight += 1;
        helper.request('scoreChunk', { chunk }, [chunk.buffer]).then((scored) => {
          helper.inFlight -= 1;
          outstanding -= 1;
          if (!failure) {
            try {
              for (const rows of job.addScored(seq, scored)) keep(rows);
            } catch (err) { failure = err; }
          }
          this.arrived();
        }, (err) => { outstanding -= 1; failure ??= helperStopped(err); this.arrived(); });
      }
    };
    const progress = () => onProgress({ rows: job.rowsDone, bytes, total: file.size, workers: 1 + this.ready.length });
    const check = () => {
      if (this.cancelled) throw Object.assign(new Error('the batch was cancelled'), { name: 'cancelled' });
      if (failure) throw failure;
    };
    // The next helper result (or a cancel or failure), then what it lets this Worker dispatch.
    const helperResult = async () => {
      check();
      if (outstanding > 0) await new Promise((resolve) => { this.wake = resolve; });
      check();
      dispatch();
    };
    const read = async () => {
      try {
        return await reader.read();
      } catch (err) {
        if (READ_ERRORS.has(err?.name)) throw unreadable(`the file could not be read to its end (${err.name}: ${err.message})`);
        throw err;
      }
    };
    try {
      for (;;) {
        const { done, value } = await read();
        if (done) break;
        for (let at = 0; at < value.length; at += BATCH_SLICE) {
          check();
          const slice = value.subarray(at, at + BATCH_SLICE);
          keep(job.parse(slice));
          if (!columnsSent) {
            const columns = job.columnsWire();
            if (columns) {
              columnsKnown(columns);
              columnsSent = true;
            }
          }
          dispatch();
          while (job.parsedChunks > 0) await helperResult();
          const now = performance.now();
          if (now - lastProgress >= PROGRESS_MS) {
            lastProgress = now;
            progress();
          }
          if (now - lastYield >= (this.helpers.length ? YIELD_MS_WITH_HELPERS : YIELD_MS)) {
            await (this.helpers.length ? turn() : pause());
            lastYield = performance.now();
          }
        }
      }
      await this.checkWhole(file, bytes);
      keep(job.finishParse());
      dispatch();
      while (outstanding > 0 || job.parsedChunks > 0) await helperResult();
      check();
      progress();
      blob = new Blob([blob, ...parts], { type: 'text/csv' });
      await this.finished();
      const summary = { ...job.summary(), encoding: input.encoding, encoding_how: input.how, decimal, model_sha256: modelSha256 };
      return { summary, blob, bytes, workers: 1 + this.ready.length };
    } finally {
      reader.cancel().catch(() => {});
      columnsKnown(null);
      for (const helper of this.helpers) helper.stop();
      await starting.catch(() => {});
      try {
        job.free();
      } catch {
        // After a trap the instance refuses this too; the first error is the one to report.
      }
    }
  }

  /**
   * Refuses a file that changed while it was read: a file cut short ends its stream early
   * without an error in Chromium, and one rewritten in place is read partly old, partly new.
   * A read opened now fails (`NotReadableError`) if the file changed since it was chosen.
   */
  async checkWhole(file, bytes) {
    if (bytes !== file.size) {
      throw unreadable(`the file ended after ${bytes} of its ${file.size} bytes; it was changed while being read`);
    }
    try {
      await file.slice(0, 1).arrayBuffer();
    } catch (err) {
      throw unreadable(`the file changed while being read (${err?.name}: ${err?.message})`);
    }
  }

  /** Called once every chunk is written, while the helpers still run (a subclass may measure them). */
  async finished() {}
}
