// Test and benchmark probes for the engine Worker; the app never loads this module. The
// end-to-end tests import it into the page's engine Worker (a module Worker's script is in its
// module map, so this import shares its state); the benchmark starts its Worker from this
// module, which imports the engine Worker. It adds request types:
//   capabilities  -> { debugPanic, simd, variant, build } of the engine that holds the model
//   debugPanic    -> a panic inside wasm (the debug engine only), to test crash recovery
//   memory        -> bytes of wasm memory of this Worker's engines
// and scoreFile then also answers { chunks, helped, wasmBytes: [this Worker's, each helper's] }
// (each Worker's engine memory at the end, which is its peak), its helpers running
// probe-helper.js.

import { fail } from '../channel.js';
import { handlers, host } from './engine-worker.js';
import { FileBatch } from './file-batch.js';

const PROBE_HELPER = new URL('./probe-helper.js', import.meta.url).href;

class MeasuredFileBatch extends FileBatch {
  constructor(engine) {
    super(engine, { helperUrl: PROBE_HELPER });
  }

  async finished() {
    const helpers = await Promise.all(this.ready.map((h) => h.request('memory').catch(() => 0)));
    this.wasmBytes = [await host.loader.memory(), ...helpers];
  }

  async run(file, options) {
    const result = await super.run(file, options);
    return { ...result, chunks: this.chunks, helped: this.helped, wasmBytes: this.wasmBytes };
  }
}

host.FileBatch = MeasuredFileBatch;

Object.assign(handlers, {
  async capabilities() {
    await host.starting;
    const { glue, variant, build } = host.active;
    return { debugPanic: typeof glue.debugPanic === 'function', simd: variant === 'simd', variant, build };
  },
  async debugPanic() {
    await host.starting;
    // Only the debug engine exports it.
    if (typeof host.active.glue.debugPanic !== 'function') {
      throw fail('unsupported', 'this build has no debug panic entry point');
    }
    return host.active.glue.debugPanic();
  },
  async memory() {
    await host.starting;
    return host.loader.memory();
  },
});
