//! The binding in a real browser (headless Chromium through wasm-bindgen-test-runner):
//! golden values, the `score` contract, and clean refusals of broken models.
#![cfg(target_arch = "wasm32")]

use credit_scorer::wasm::Scorer;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const REFERENCE: &[u8] = include_bytes!("../www/models/german-credit-mlp.onnx");
const GOLDEN: &str = include_str!("fixtures/reference_golden.json");

#[derive(Deserialize)]
struct Row {
    x: Vec<f32>,
    pd: f64,
}

#[derive(Deserialize)]
struct Golden {
    model_sha256: String,
    features: Vec<String>,
    rows: Vec<Row>,
}

fn golden(json: &str) -> Golden {
    serde_json::from_str(json).unwrap()
}

fn error_of(e: JsValue) -> (String, String) {
    let e: js_sys::Error = e.dyn_into().expect("errors cross as JS Error objects");
    (String::from(e.name()), String::from(e.message()))
}

/// The golden applicant with the highest PD and `Scorer::score`'s result for it, its values
/// given as a form gives them (strings).
fn score_worst<'g>(scorer: &Scorer, g: &'g Golden) -> (&'g Row, serde_json::Value) {
    let worst = g.rows.iter().max_by(|a, b| a.pd.total_cmp(&b.pd)).unwrap();
    let values = js_sys::Object::new();
    for (name, x) in g.features.iter().zip(&worst.x) {
        js_sys::Reflect::set(&values, &name.into(), &JsValue::from_str(&x.to_string())).unwrap();
    }
    let result = serde_wasm_bindgen::from_value(scorer.score(values.into()).unwrap()).unwrap();
    (worst, result)
}

#[wasm_bindgen_test]
fn reference_model_matches_onnxruntime_in_the_browser() {
    let g = golden(GOLDEN);
    let scorer = Scorer::new(REFERENCE).unwrap();
    assert_eq!(scorer.sha256(), g.model_sha256);
    assert_eq!(scorer.k(), 10);
    assert_eq!(scorer.engine(), "direct");
    let rows: Vec<f32> = g.rows.iter().flat_map(|r| r.x.iter().copied()).collect();
    let pds = scorer.score_batch(&rows).unwrap();
    assert_eq!(pds.len(), g.rows.len());
    for (p, r) in pds.iter().zip(&g.rows) {
        assert!((f64::from(*p) - r.pd).abs() < 1e-5, "{p} vs {}", r.pd);
    }
}

#[wasm_bindgen_test]
fn score_returns_points_band_and_reasons_from_form_strings() {
    let g = golden(GOLDEN);
    let scorer = Scorer::new(REFERENCE).unwrap();
    let (worst, result) = score_worst(&scorer, &g);
    assert!((result["pd"].as_f64().unwrap() - worst.pd).abs() < 1e-5);
    assert!(result["points"].as_f64().unwrap() < 520.0, "{result}");
    assert_eq!(result["band"]["id"], "E");
    assert_eq!(result["reasons"].as_array().unwrap().len(), 4);
    assert_eq!(result["contributions"].as_array().unwrap().len(), 10);
    assert!(
        result["reasons"][0]["text"]["zh"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(result["errors"].as_array().unwrap().len(), 0);
}

#[wasm_bindgen_test]
fn points_for_pd_follows_the_schema_scaling_and_matches_scores() {
    let g = golden(GOLDEN);
    let scorer = Scorer::new(REFERENCE).unwrap();
    let schema: serde_json::Value =
        serde_wasm_bindgen::from_value(scorer.schema().unwrap()).unwrap();
    let scaling = &schema["scaling"];
    let (base_points, base_odds, pdo) = (
        scaling["base_points"].as_f64().unwrap(),
        scaling["base_odds"].as_f64().unwrap(),
        scaling["pdo"].as_f64().unwrap(),
    );
    // The scorecard's definition: `base_points` at good:bad odds `base_odds`, `pdo` more points
    // each time the odds double.
    let at = |odds: f64| scorer.points_for_pd(1.0 / (1.0 + odds));
    assert!(
        (at(base_odds) - base_points).abs() < 1e-9,
        "{}",
        at(base_odds)
    );
    assert!((at(2.0 * base_odds) - base_points - pdo).abs() < 1e-9);
    // PD 0 and 1 land on the ends of the range.
    assert_eq!(
        scorer.points_for_pd(0.0),
        scaling["max_points"].as_f64().unwrap()
    );
    assert_eq!(
        scorer.points_for_pd(1.0),
        scaling["min_points"].as_f64().unwrap()
    );
    // A score's points are those of its PD.
    let (_, result) = score_worst(&scorer, &g);
    let (pd, points) = (
        result["pd"].as_f64().unwrap(),
        result["points"].as_f64().unwrap(),
    );
    assert!(
        (scorer.points_for_pd(pd) - points).abs() < 1e-3,
        "{} vs {points}",
        scorer.points_for_pd(pd)
    );
}

#[wasm_bindgen_test]
fn score_reports_every_field_error() {
    let scorer = Scorer::new(REFERENCE).unwrap();
    let values = js_sys::Object::new();
    js_sys::Reflect::set(&values, &"duration_months".into(), &"999".into()).unwrap();
    js_sys::Reflect::set(&values, &"nonsense".into(), &"1".into()).unwrap();
    let result: serde_json::Value =
        serde_wasm_bindgen::from_value(scorer.score(values.into()).unwrap()).unwrap();
    assert!(result["pd"].is_null());
    let errors = result["errors"].as_array().unwrap();
    assert_eq!(
        errors.len(),
        11,
        "10 fields (one out of range, nine missing) and one unknown: {errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == "duration_months" && e["code"] == "out_of_range")
    );
}

macro_rules! foreign {
    ($($name:literal),*) => {
        [$(($name, &include_bytes!(concat!("fixtures/models/", $name, ".onnx"))[..], include_str!(concat!("fixtures/models/", $name, ".json")))),*]
    };
}

#[wasm_bindgen_test]
fn foreign_models_match_onnxruntime_in_the_browser() {
    for (name, bytes, json) in foreign!("logreg", "gbm", "mlp_dynamic") {
        let g = golden(&json.replace("\"model_sha256\"", "\"features\": [], \"model_sha256\""));
        let scorer = Scorer::new(bytes).unwrap_or_else(|e| panic!("{name}: {:?}", error_of(e)));
        // mlp_dynamic runs on the chain evaluator; logreg (a LinearClassifier) and gbm (a tree
        // ensemble) on the tree/linear evaluator, each after agreeing with tract at load.
        assert_eq!(scorer.engine(), "direct", "{name}");
        let rows: Vec<f32> = g.rows.iter().flat_map(|r| r.x.iter().copied()).collect();
        let pds = scorer.score_batch(&rows).unwrap();
        for (p, r) in pds.iter().zip(&g.rows) {
            assert!(
                (f64::from(*p) - r.pd).abs() < 1e-5,
                "{name}: {p} vs {}",
                r.pd
            );
        }
    }
}

macro_rules! hostile {
    ($($name:literal),*) => {
        [$(($name, &include_bytes!(concat!("fixtures/hostile/", $name, ".onnx"))[..])),*]
    };
}

#[wasm_bindgen_test]
fn broken_models_are_refused_cleanly_and_the_instance_keeps_working() {
    let corpus = hostile!(
        "empty",
        "random",
        "truncated",
        "text",
        "string_initializer",
        "constant_of_shape_bomb",
        "expand_bomb",
        "nan_weights",
        "inf_weights",
        "no_input",
        "two_inputs",
        "rank5_input",
        "string_input",
        "zero_features",
        "too_many_features",
        "three_class",
        "opset99",
        "unknown_op",
        "cycle",
        "huge_dim",
        "int_input",
        "external_data",
        "bad_schema_invalid_json",
        "bad_schema_feature_count",
        "bad_schema_baseline_range",
        "bad_schema_bands_unordered",
        "linear_classifier_bad_coefficients",
        "gather_out_of_range",
        "gather_batch_axis",
        "expand_negative_shape",
        "tree_ensemble_corrupt",
        "zero_batch",
        "pad_bomb",
        "concat_bomb",
        "resize_bomb",
        "upsample_bomb",
        "matmul_chain",
        "pad_constant_bomb"
    );
    for (name, bytes) in corpus {
        let Err(e) = Scorer::new(bytes) else {
            panic!("{name} was accepted")
        };
        let (kind, message) = error_of(e);
        assert!(
            kind.starts_with("model_") || kind == "schema",
            "{name}: kind {kind}"
        );
        assert!(message.len() > 30, "{name}: {message}");
    }
    // No refusal may have left the module broken.
    assert!(Scorer::new(REFERENCE).is_ok());
}
