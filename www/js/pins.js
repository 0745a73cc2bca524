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
  scalar: 'sha384-ZORF9QtjTFt2RVYA/HnYnKZ7DzJ6yC+ci/+wuqxHyMfgmnue3NTnl3DuAgBYy9uR', // pkg/credit_scorer_bg.wasm
  simd: 'sha384-FtogBLp4NDvvVq2yMQZuI7+B1FwlkDiZNSZf2NsYGMjbyvHcrZUkuUG3D3BY8+q1', // pkg/simd/credit_scorer_bg.wasm
  liteScalar: 'sha384-zdru1DQOWVTiRcJ3aYr8sM3qC5X63EcqMQcBe/SeON8HcC3Ig0bsBAR7qzEEML1A', // pkg/lite/credit_scorer_bg.wasm
  liteSimd: 'sha384-6agLIwtq6zzuMEYqYuidmR7JT/LBX+GGSO4KAH+ZDVY888TVpBNmIrVw5sXPf+i3', // pkg/lite/simd/credit_scorer_bg.wasm
});
