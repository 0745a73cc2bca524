// A batch helper Worker with the benchmark's probe (see probe.js): also answers `memory`, the
// bytes of its engine's wasm memory.

import { handlers, host } from './helper-worker.js';

handlers.memory = async () => (host.loader ? host.loader.memory() : 0);
