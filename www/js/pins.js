// Written by `cargo xtask build`; do not edit. This module is itself pinned by the import map
// in index.html (see SECURITY.md).

// The reference model: the page fetches it with `integrity`, so a different file is refused.
export const REFERENCE_MODEL_INTEGRITY = 'sha256-ByupCVVFoMuovHnSkTVELr4jhmG0jsPb88M3+fzLEeo=';
export const REFERENCE_MODEL_SHA256 = '072ba9095545a0cba8bc79d29135442ebe238661b48ec3dbf3c337f9fccb11ea';

// The engine builds, from a byte-reproducible release build (rust-toolchain.toml, Cargo.lock):
// the page hands these to the Worker, which fetches the wasm it runs with `integrity`, so a
// different wasm is refused before any of it runs.
export const ENGINE_INTEGRITY = Object.freeze({
  scalar: 'sha384-QLGJvpXKa+yz26ujLSY8XpOQ2q5oybdyTayKPH5NjZUTivfIoJQo7vjtoaTdu+ff', // pkg/credit_scorer_bg.wasm
  simd: 'sha384-KkURKTN9w4yXSWM7OoPVq5DyjTm4ub1/nzZ0eNC1wqmUylNUywjwiAMY6UA9w6IK', // pkg/simd/credit_scorer_bg.wasm
});
