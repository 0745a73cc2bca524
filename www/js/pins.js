// Written by `cargo xtask build`; do not edit. This module is itself pinned by the import map
// in index.html (see SECURITY.md).

// The reference model: the page fetches it with `integrity`, so a different file is refused.
export const REFERENCE_MODEL_INTEGRITY = 'sha256-WDnhPTUnBgWHN5o/URvhKBmS3osb1iMuQRhrptYXTJM=';
export const REFERENCE_MODEL_SHA256 = '5839e13d3527060587379a3f511be1281992de8b1bd6232e41186ba6d6174c93';

// The engine builds, from a byte-reproducible release build (rust-toolchain.toml, Cargo.lock):
// the page hands these to the Worker, which fetches the wasm it runs with `integrity`, so a
// different wasm is refused before any of it runs.
export const ENGINE_INTEGRITY = Object.freeze({
  scalar: 'sha384-fyKuM0QQjEBsuL67kgOIFLtvcy6ypIesBSlyHsSHgFDnxjDXKWBINeKMQbjM1UDo', // pkg/credit_scorer_bg.wasm
  simd: 'sha384-K2RnyJ2QDJ2POwnRzTcWe8Zu+xC2psqlPpQ0qizgOjDv1OfHsFYT0IbOYxFPakQq', // pkg/simd/credit_scorer_bg.wasm
  liteScalar: 'sha384-noEdVOJ5t3lQfJBGyg7ZbIU/hQvBXFDklXpg7OqH4UUoKk5blrH8MJ/CPyl2fgJf', // pkg/lite/credit_scorer_bg.wasm
  liteSimd: 'sha384-wfZJyzV7iy4kzrpP7NaVgxn22kP7yiyTpObJ5N/RMXx/ijdQ6HaRhonc2n3qu7Xk', // pkg/lite/simd/credit_scorer_bg.wasm
});
