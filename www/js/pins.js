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
  scalar: 'sha384-KFeW2soW/tciLlbxEwfECvbW6c3NB2hVylC316r1OoinU1DaenUQ1xDZbQzqIJGW', // pkg/credit_scorer_bg.wasm
  simd: 'sha384-fp3AVMVrE0DhZrEYo+PzYqu2jB02Sx1nZa09cC2gew+AmtOAjwt4mmzNXzEDutdU', // pkg/simd/credit_scorer_bg.wasm
  liteScalar: 'sha384-MEp2HWe2bZapdf3oHiuscvkkbvheQSfA1sikljbH83reutCkmCNu9ITO+cwIm+aW', // pkg/lite/credit_scorer_bg.wasm
  liteSimd: 'sha384-yciZFKzjw+3ER9sMYH0GTTY1F6kNpdFMElgAAe/4bP1Q6zW1ZaDolXsMfpjtpGWa', // pkg/lite/simd/credit_scorer_bg.wasm
});
