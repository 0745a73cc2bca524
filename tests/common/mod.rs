//! Fixture loading shared by the native tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn read(path: &str) -> Vec<u8> {
    std::fs::read(repo(path)).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

pub const REFERENCE_MODEL: &str = "www/models/german-credit-mlp.onnx";

#[derive(Deserialize)]
pub struct GoldenRow {
    pub id: String,
    pub x: Vec<f32>,
    pub pd: f64,
    pub logit: f64,
    pub woe: Vec<f64>,
}

#[derive(Deserialize)]
pub struct ReferenceGolden {
    pub model_sha256: String,
    pub features: Vec<String>,
    pub baseline: Vec<f64>,
    pub rows: Vec<GoldenRow>,
}

pub fn reference_golden() -> ReferenceGolden {
    serde_json::from_slice(&read("tests/fixtures/reference_golden.json")).expect("golden JSON")
}

#[derive(Deserialize)]
pub struct ForeignRow {
    pub x: Vec<f32>,
    pub pd: f64,
}

#[derive(Deserialize)]
pub struct ForeignGolden {
    pub model: String,
    pub model_sha256: String,
    pub input_name: String,
    pub k: usize,
    pub expect: String,
    #[serde(default)]
    pub coef: Vec<f64>,
    #[serde(default)]
    pub intercept: f64,
    #[serde(default)]
    pub ignored_feature: Option<usize>,
    pub rows: Vec<ForeignRow>,
}

pub fn foreign(name: &str) -> (Vec<u8>, ForeignGolden) {
    let golden: ForeignGolden =
        serde_json::from_slice(&read(&format!("tests/fixtures/models/{name}.json")))
            .expect("golden JSON");
    let bytes = read(&format!("tests/fixtures/models/{}", golden.model));
    assert_eq!(
        credit_scorer::model::sha256_hex(&bytes),
        golden.model_sha256,
        "{name}: fixture belongs to another model"
    );
    (bytes, golden)
}

pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}
