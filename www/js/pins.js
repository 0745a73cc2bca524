// Written by `cargo xtask build`; do not edit. This module is itself pinned by the import map
// in index.html (see SECURITY.md).

// The reference model: the page fetches it with `integrity`, so a different file is refused.
export const REFERENCE_MODEL_INTEGRITY = 'sha256-WDnhPTUnBgWHN5o/URvhKBmS3osb1iMuQRhrptYXTJM=';
export const REFERENCE_MODEL_SHA256 = '5839e13d3527060587379a3f511be1281992de8b1bd6232e41186ba6d6174c93';

// The engine builds, from a byte-reproducible release build (rust-toolchain.toml, Cargo.lock):
// the page hands these to the Worker, which fetches the wasm it runs with `integrity`, so a
// different wasm is refused before any of it runs.
export const ENGINE_INTEGRITY = Object.freeze({
  scalar: 'sha384-0OPHJ9igf8jr8ZwVVihHpO0HSkgItiXrqnQD94zr1H/LhBp+WogBOznY/chMhgB0', // pkg/credit_scorer_bg.wasm
  simd: 'sha384-+CZ1HM9FKDbC56GeCkf7v3u5EvItWK5r4Xo0cuCb4qfuFfnZFe/d3xvrBaHK9aKN', // pkg/simd/credit_scorer_bg.wasm
  liteScalar: 'sha384-WlSq/+v5CmUo2FeeMKv1h7H+rZhs+pFMX2vUNhZ4SI/ocJ0nvUFRfJAv7eIyNfbd', // pkg/lite/credit_scorer_bg.wasm
  liteSimd: 'sha384-XvsLG92R/CGeK4Haz4ayaGliveho4jXEcBhgFk5GTqw2+2xQcLnI9FOi9WQ8Q5ar', // pkg/lite/simd/credit_scorer_bg.wasm
});
