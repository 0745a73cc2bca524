// Written by `cargo xtask build`; do not edit. This module is itself pinned by the import map
// in index.html (see SECURITY.md).

// The reference model: the page fetches it with `integrity`, so a different file is refused.
export const REFERENCE_MODEL_INTEGRITY = 'sha256-F8vG7yN67NwgYrwElWw/tMM9hmDhkdUjXWR14GGtID4=';
export const REFERENCE_MODEL_SHA256 = '17cbc6ef237aecdc2062bc04956c3fb4c33d8660e191d5235d6475e061ad203e';

// The lender's deployment file (creditor and notice texts): fetched with `integrity` too, so
// after editing it run `cargo xtask build` and deploy the new pins with it.
export const DEPLOYMENT_INTEGRITY = 'sha384-Hw38LcUeb8QWucbGYVtw1V0yNC2CYIczD/hWRro9JHH03k4RHkuKLd9lE7q2W7dG';

// The engine builds, from a byte-reproducible release build (rust-toolchain.toml, Cargo.lock):
// the page hands these to the Worker, which fetches the wasm it runs with `integrity`, so a
// different wasm is refused before any of it runs.
export const ENGINE_INTEGRITY = Object.freeze({
  scalar: 'sha384-kd0OQDcVDTwi/x0pDnpZkjYH1QU3Yhj+LrczL4cc62TBrAbofEaENox6nJAo3MJ5', // pkg/credit_scorer_bg.wasm
  simd: 'sha384-RO7m8Cqlml9djH5JTirMGFAgGeOVRvQfbt+FNxYghYqKEb666AIU0cPz1ypRY4gh', // pkg/simd/credit_scorer_bg.wasm
  liteScalar: 'sha384-+ryCJWAQqMal2W4sACQO5KOCQQYvxRFWFlAi7wpIzIKFzsy/F/yWMzEr7zfRjD5s', // pkg/lite/credit_scorer_bg.wasm
  liteSimd: 'sha384-tQM6ERTty0SE2YUhA9jllB/9k98Z6tzvjbUJbDQJ4HBjRCrmjdbOrZItBSwAaO5x', // pkg/lite/simd/credit_scorer_bg.wasm
});
