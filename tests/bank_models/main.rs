//! A bank's own models (issue 19): tree ensembles, forests and scikit-learn pipelines exported with
//! the converters' default options by `training/bank_models.py`, scored by the direct `trees`
//! evaluator against onnxruntime's probabilities and explained by exact TreeSHAP against Python
//! `shap` and against brute-force Shapley values. `cargo xtask test` runs these tests in both builds
//! (with and without tract).

#[path = "../common/mod.rs"]
mod common;

mod ensembles;
mod hostile;
mod scores;
mod shapley;
mod trust;

use common::*;
use credit_scorer::Model;
use serde::Deserialize;

/// Every fixture model of `tests/fixtures/bank/`.
const MODELS: &[&str] = &[
    "xgboost",
    "lightgbm",
    "lightgbm_zipmap",
    "lightgbm_monotone",
    "catboost",
    "sklearn_random_forest",
    "sklearn_gradient_boosting",
    "sklearn_logistic",
    "sklearn_pipeline",
    "sklearn_normalizer",
    "tree_ensemble_v3_tensor",
    "tree_ensemble_v5",
    "regressor_sigmoid",
];

#[derive(Deserialize)]
struct Shap {
    rows: Vec<Vec<Option<f32>>>,
    values: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct Fixture {
    baseline: Vec<f32>,
    rows: Vec<Vec<Option<f32>>>,
    pd: Vec<f64>,
    shap: Option<Shap>,
    /// The rows that cover the model without its schema (the baseline 0, each input at ±10) and
    /// onnxruntime's scores of them on `NAME.noschema.onnx`.
    coverage: Coverage,
}

#[derive(serde::Deserialize)]
struct Coverage {
    rows: Vec<Vec<f32>>,
    pd: Vec<f64>,
}

fn fixture(name: &str) -> (Vec<u8>, Fixture) {
    let bytes = read(&format!("tests/fixtures/bank/{name}.onnx"));
    let json = read(&format!("tests/fixtures/bank/{name}.json"));
    let fixture: Fixture = serde_json::from_slice(&json).expect("fixture parses");
    (bytes, fixture)
}

/// A JSON row with `null` for a missing value.
fn row(values: &[Option<f32>]) -> Vec<f32> {
    values.iter().map(|v| v.unwrap_or(f32::NAN)).collect()
}

fn load(name: &str, bytes: &[u8]) -> Model {
    Model::from_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e} ({:?})", e.kind()))
}
