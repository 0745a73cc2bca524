// Written by `cargo xtask build`; do not edit. This module is itself pinned by the import map
// in index.html (see SECURITY.md).

// The reference model: the page fetches it with `integrity`, so a different file is refused.
export const REFERENCE_MODEL_INTEGRITY = 'sha256-WDnhPTUnBgWHN5o/URvhKBmS3osb1iMuQRhrptYXTJM=';
export const REFERENCE_MODEL_SHA256 = '5839e13d3527060587379a3f511be1281992de8b1bd6232e41186ba6d6174c93';

// The engine builds, from a byte-reproducible release build (rust-toolchain.toml, Cargo.lock):
// the page hands these to the Worker, which fetches the wasm it runs with `integrity`, so a
// different wasm is refused before any of it runs.
export const ENGINE_INTEGRITY = Object.freeze({
  scalar: 'sha384-NoqxaayQISnaaH8fiFdY9GwP4522T/6EBLWfeRTSRRa+VrDGNwFH8IoygZLH67iZ', // pkg/credit_scorer_bg.wasm
  simd: 'sha384-/A18Jrb5IcMT8F9MFIHgH8iQywa4NxQDWMBa3L43PYaQ6oRXMw0AhCUcdunPNfYv', // pkg/simd/credit_scorer_bg.wasm
  liteScalar: 'sha384-ghaSyoyaYsVwljKfvCQWtrJPhR4LnIaNZC70b/TMShZjN0ptuvUyIK43fX6WRWpG', // pkg/lite/credit_scorer_bg.wasm
  liteSimd: 'sha384-hA9/IqQX8yIPhGzuQHncACBkDsgskSgykxZYfV44d6tUKyLLndDGejgbEhl7nUNQ', // pkg/lite/simd/credit_scorer_bg.wasm
});
