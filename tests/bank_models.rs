//! A bank's own models (issue 19): tree ensembles, forests and scikit-learn pipelines exported with
//! the converters' default options by `training/bank_models.py`, scored by the direct `trees`
//! evaluator against onnxruntime's probabilities and explained by exact TreeSHAP against Python
//! `shap` and against brute-force Shapley values. `cargo xtask test` runs this file in both builds
//! (with and without tract).

mod common;

use common::*;
use credit_scorer::model::{REFERENCE_SCORES_METADATA_KEY, pb};
use credit_scorer::{Engine, ErrorKind, Model, Scorer};
use prost::Message;
use serde::Deserialize;
use serde_json::json;

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

/// Every fixture model loads in this build on the direct evaluator (checked against its reference
/// scores) and scores ~200 test applicants, missing values included, within 1e-5 of onnxruntime.
#[test]
fn every_bank_model_scores_like_onnxruntime() {
    for name in MODELS {
        let (bytes, f) = fixture(name);
        let model = load(name, &bytes);
        assert_eq!(model.engine(), Engine::Trees, "{name}");
        let rows: Vec<f32> = f.rows.iter().flat_map(|r| row(r)).collect();
        let scored = model.predict(&rows).expect("scores");
        assert_eq!(scored.len(), f.pd.len(), "{name}");
        let missing = f.rows.iter().filter(|r| r.contains(&None)).count();
        let mut worst = 0.0f64;
        for (i, (p, &want)) in scored.iter().zip(&f.pd).enumerate() {
            let diff = (p.pd - want).abs();
            worst = worst.max(diff);
            assert!(
                diff <= 1e-5,
                "{name} row {i}: {} vs onnxruntime {want}",
                p.pd
            );
            // The log-odds go with the probability.
            let from_logit = 1.0 / (1.0 + (-p.logit).exp());
            assert!(
                (from_logit - p.pd).abs() < 1e-6,
                "{name} row {i}: logit {}",
                p.logit
            );
        }
        eprintln!(
            "{name}: {} rows ({missing} with missing values), worst {worst:.1e}",
            f.pd.len()
        );
    }
}

/// The models trained with missing values really send NaN down the tracked branches: scoring
/// the NaN rows with the NaN replaced changes some scores (so the fixtures exercise
/// `nodes_missing_value_tracks_true`).
#[test]
fn missing_values_take_their_own_branches() {
    for name in ["xgboost", "lightgbm", "catboost", "regressor_sigmoid"] {
        let (bytes, f) = fixture(name);
        let model = load(name, &bytes);
        let with_nan: Vec<&Vec<Option<f32>>> =
            f.rows.iter().filter(|r| r.contains(&None)).collect();
        assert!(
            with_nan.len() > 20,
            "{name}: {} rows with NaN",
            with_nan.len()
        );
        let nan_rows: Vec<f32> = with_nan.iter().flat_map(|r| row(r)).collect();
        let zero_rows: Vec<f32> = with_nan
            .iter()
            .flat_map(|r| r.iter().map(|v| v.unwrap_or(0.0)).collect::<Vec<_>>())
            .collect();
        let a = model.predict(&nan_rows).expect("scores");
        let b = model.predict(&zero_rows).expect("scores");
        let changed = a
            .iter()
            .zip(&b)
            .filter(|(a, b)| (a.pd - b.pd).abs() > 1e-6)
            .count();
        assert!(changed > 0, "{name}: NaN scored as 0 everywhere");
    }
}

/// TreeSHAP against the baseline matches Python `shap` (interventional, the baseline as the one
/// background row, on the log-odds) to 1e-6, and the contributions add up to the difference in
/// log-odds.
#[test]
fn tree_shap_matches_python_shap() {
    let mut checked = 0;
    for name in MODELS {
        let (bytes, f) = fixture(name);
        let Some(shap) = &f.shap else { continue };
        let model = load(name, &bytes);
        for (r, want) in shap.rows.iter().zip(&shap.values) {
            let x = row(r);
            let (phi, base, fx) = model
                .tree_contributions(&x, &f.baseline)
                .unwrap_or_else(|| panic!("{name}: no TreeSHAP"));
            let sum: f64 = phi.iter().sum();
            assert!(
                (sum - (fx - base)).abs() < 1e-9,
                "{name}: sum {sum} vs {}",
                fx - base
            );
            for (j, (got, want)) in phi.iter().zip(want).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-6,
                    "{name} feature {j}: {got} vs shap {want}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "{checked} rows checked");
}

/// Exact Shapley values by brute force over every coalition, from the model's log-odds.
fn brute_force(model: &Model, x: &[f32], z: &[f32]) -> Vec<f64> {
    let differ: Vec<usize> = (0..x.len())
        .filter(|&i| x[i].to_bits() != z[i].to_bits())
        .collect();
    let d = differ.len();
    assert!(d <= 10, "{d} features differ");
    let mut rows = Vec::new();
    for mask in 0..1usize << d {
        let mut r = z.to_vec();
        for (b, &i) in differ.iter().enumerate() {
            if mask >> b & 1 == 1 {
                r[i] = x[i];
            }
        }
        rows.extend(r);
    }
    let f: Vec<f64> = model
        .predict(&rows)
        .expect("scores")
        .iter()
        .map(|p| p.logit)
        .collect();
    let fact = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
    let mut phi = vec![0.0; x.len()];
    for (b, &i) in differ.iter().enumerate() {
        for mask in 0..1usize << d {
            if mask >> b & 1 == 1 {
                continue;
            }
            let s = mask.count_ones() as usize;
            let w = fact(s) * fact(d - 1 - s) / fact(d);
            phi[i] += w * (f[mask | 1 << b] - f[mask]);
        }
    }
    phi
}

/// TreeSHAP equals brute-force Shapley values to 1e-9 on applicants that differ from the
/// baseline in up to 10 characteristics (the others contribute nothing either way), for every
/// tree model whose log-odds are a sum of trees.
#[test]
fn tree_shap_matches_brute_force() {
    let mut checked = 0;
    for name in MODELS {
        let (bytes, f) = fixture(name);
        let model = load(name, &bytes);
        for (n, r) in f.rows.iter().take(12).enumerate() {
            // Keep 10 characteristics (a different ten for each row), the rest at the baseline.
            let mut x = f.baseline.clone();
            for j in 0..10 {
                let i = (n * 3 + j * 7) % x.len();
                x[i] = r[i].unwrap_or(f32::NAN);
            }
            let Some((phi, base, fx)) = model.tree_contributions(&x, &f.baseline) else {
                break;
            };
            let brute = brute_force(&model, &x, &f.baseline);
            for (j, (a, b)) in phi.iter().zip(&brute).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-9,
                    "{name} row {n} feature {j}: {a} vs brute force {b}"
                );
            }
            let sum: f64 = phi.iter().sum();
            assert!((sum - (fx - base)).abs() <= 1e-9);
            checked += 1;
        }
    }
    assert!(checked >= 7 * 12, "{checked} applicants checked");
}

/// `assess` (CLI, page and batch share it) gives exact reasons for tree models at 18
/// characteristics: not approximate, adding up to the log-odds difference.
#[test]
fn assess_gives_exact_reasons_for_trees() {
    for name in [
        "xgboost",
        "lightgbm_zipmap",
        "catboost",
        "tree_ensemble_v5",
        "regressor_sigmoid",
    ] {
        let (bytes, f) = fixture(name);
        let scorer = Scorer::from_bytes(&bytes).expect("loads");
        let x: Vec<f32> = row(&f.rows[3])
            .iter()
            .zip(&f.baseline)
            .map(|(v, b)| if v.is_nan() { *b } else { *v })
            .collect();
        let a = scorer.assess(&x).expect("assesses");
        assert!(!a.approximate, "{name}: approximate reasons");
        // In points: the contributions add up to the applicant's points less the baseline's.
        let sum: f64 = a.contributions.iter().map(|c| c.contribution).sum();
        let want = a.points_unclamped - a.baseline_points;
        assert!((sum - want).abs() < 1e-9, "{name}: {sum} vs {want}");
        assert!(
            a.contributions
                .iter()
                .filter(|c| c.contribution != 0.0)
                .count()
                >= 3,
            "{name}"
        );
    }
}

/// `bytes` with one more metadata entry.
fn with_metadata(bytes: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).expect("fixture decodes");
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: key.into(),
        value: value.into(),
    });
    proto.encode_to_vec()
}

/// A model without a schema (or metadata) and its onnxruntime rows as reference scores.
fn noschema_with_reference(name: &str) -> Vec<u8> {
    let bytes = read(&format!("tests/fixtures/bank/{name}.noschema.onnx"));
    let (_, f) = fixture(name);
    let (rows, pd): (Vec<Vec<f32>>, Vec<f64>) = f
        .rows
        .iter()
        .zip(&f.pd)
        .filter(|(r, _)| !r.contains(&None))
        .map(|(r, p)| (row(r), *p))
        .unzip();
    let reference = json!({ "runtime": "onnxruntime", "rows": rows, "pd": pd });
    with_metadata(
        &bytes,
        REFERENCE_SCORES_METADATA_KEY,
        &reference.to_string(),
    )
}

/// Without a schema, a ZipMap (or class-labelled) output is read as the probability of class 1
/// of integer labels [0, 1]; string labels are refused as ambiguous, in both builds, with what to
/// do; the schema's `output.default_class` names the class (the `sklearn_logistic` fixture's
/// schema names "bad").
#[test]
fn default_class_without_schema() {
    for name in [
        "lightgbm_zipmap",
        "catboost",
        "sklearn_random_forest",
        "sklearn_pipeline",
    ] {
        let model = load(name, &noschema_with_reference(name));
        assert_eq!(model.engine(), Engine::Trees, "{name}");
        assert!(model.schema().generic, "{name}");
    }
    let e = Model::from_bytes(&noschema_with_reference("sklearn_logistic")).expect_err("ambiguous");
    assert_eq!(e.kind(), ErrorKind::ModelContract, "{e}");
    assert!(
        e.message().contains("default_class") && e.message().contains("good"),
        "{e}"
    );
    // Naming a class the model does not have is a schema error.
    let (bytes, _) = fixture("sklearn_logistic");
    let mut proto = pb::ModelProto::decode(&bytes[..]).expect("decodes");
    for p in &mut proto.metadata_props {
        if p.key == "credit_scorer.schema" {
            p.value = p
                .value
                .replace("\"default_class\":\"bad\"", "\"default_class\":\"late\"");
        }
    }
    let e = Model::from_bytes(&proto.encode_to_vec()).expect_err("unknown class");
    assert_eq!(e.kind(), ErrorKind::Schema, "{e}");
}

/// Without reference scores a tree model cannot run on the direct evaluator: the lite build
/// defers it to the full engine; the full build runs a model tract can run with tract and
/// refuses, saying how to add reference scores, one that only the direct evaluator runs.
#[test]
fn tree_models_without_reference_scores() {
    let lite = !cfg!(feature = "tract");
    for (name, tract_runs) in [
        ("xgboost", true),
        ("lightgbm_zipmap", false),
        ("tree_ensemble_v5", false),
    ] {
        let bytes = read(&format!("tests/fixtures/bank/{name}.noschema.onnx"));
        match Model::from_bytes(&bytes) {
            Ok(m) => {
                assert!(
                    !lite && tract_runs,
                    "{name} loaded with engine {:?}",
                    m.engine()
                );
                assert_eq!(m.engine(), Engine::Tract, "{name}");
            }
            Err(e) if lite => assert_eq!(e.kind(), ErrorKind::NeedsFullEngine, "{name}: {e}"),
            Err(e) => {
                assert!(!tract_runs, "{name}: {e}");
                assert_eq!(e.kind(), ErrorKind::ModelUnsupported, "{name}: {e}");
                assert!(e.message().contains("reference scores"), "{e}");
            }
        }
    }
}

/// A reference score the evaluator does not reproduce (the file changed after export) keeps the
/// model off the direct evaluator: lite defers it, full refuses a model only it could run.
#[test]
fn changed_tree_model_is_not_trusted() {
    let (bytes, _) = fixture("lightgbm_zipmap");
    let mut proto = pb::ModelProto::decode(&bytes[..]).expect("decodes");
    for p in &mut proto.metadata_props {
        if p.key == REFERENCE_SCORES_METADATA_KEY {
            let mut v: serde_json::Value = serde_json::from_str(&p.value).expect("json");
            v["pd"][0] = json!(v["pd"][0].as_f64().expect("pd") + 1e-4);
            p.value = v.to_string();
        }
    }
    let e = Model::from_bytes(&proto.encode_to_vec()).expect_err("mismatch");
    let want = if cfg!(feature = "tract") {
        ErrorKind::ModelInvalid
    } else {
        ErrorKind::NeedsFullEngine
    };
    assert_eq!(e.kind(), want, "{e}");
    assert!(e.message().contains("reference row 0"), "{e}");
}
