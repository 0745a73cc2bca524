// Written by `cargo xtask build`; do not edit. This module is itself pinned by the import map
// in index.html (see SECURITY.md).

// The reference model: the page fetches it with `integrity`, so a different file is refused.
export const REFERENCE_MODEL_INTEGRITY = 'sha256-WDnhPTUnBgWHN5o/URvhKBmS3osb1iMuQRhrptYXTJM=';
export const REFERENCE_MODEL_SHA256 = '5839e13d3527060587379a3f511be1281992de8b1bd6232e41186ba6d6174c93';

// The engine builds, from a byte-reproducible release build (rust-toolchain.toml, Cargo.lock):
// the page hands these to the Worker, which fetches the wasm it runs with `integrity`, so a
// different wasm is refused before any of it runs.
export const ENGINE_INTEGRITY = Object.freeze({
  scalar: 'sha384-KFeW2soW/tciLlbxEwfECvbW6c3NB2hVylC316r1OoinU1DaenUQ1xDZbQzqIJGW', // pkg/credit_scorer_bg.wasm
  simd: 'sha384-fp3AVMVrE0DhZrEYo+PzYqu2jB02Sx1nZa09cC2gew+AmtOAjwt4mmzNXzEDutdU', // pkg/simd/credit_scorer_bg.wasm
  liteScalar: 'sha384-pa8m8Jt/MaJgUKZ68gItFGJ0gfTYyf6NmWDQJ2nmkHdQc+KIY3TYRQii0DDGV7eX', // pkg/lite/credit_scorer_bg.wasm
  liteSimd: 'sha384-svpBKvOL81jTSQ/9KLkQKYdOkejmx0amW6STpmnXvPLGi8hYBy5/6XbtEw+rtm2j', // pkg/lite/simd/credit_scorer_bg.wasm
});
