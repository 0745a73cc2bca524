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
        // One row at a time (the page's single applicant) takes its own walk.
        for (i, (r, &want)) in f.rows.iter().zip(&f.pd).enumerate().take(40) {
            let one = model.predict(&row(r)).expect("scores");
            let pd = one.first().expect("one score").pd;
            assert!(
                (pd - want).abs() <= 1e-5,
                "{name} row {i} alone: {pd} vs onnxruntime {want}"
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
            // Both log-odds are the ones the model scores (checked against onnxruntime above).
            for (z, logit) in [(&x, fx), (&f.baseline, base)] {
                let scored = model.predict(z).expect("scores")[0].logit;
                assert!((scored - logit).abs() < 1e-9, "{name}: {logit} vs {scored}");
            }
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

/// Row `r` (the `n`th) with 10 of its characteristics kept (a different ten for each `n`) and
/// the rest at the baseline; a missing value as NaN.
fn ten_of(baseline: &[f32], r: &[Option<f32>], n: usize) -> Vec<f32> {
    let mut x = baseline.to_vec();
    for j in 0..10 {
        let i = (n * 3 + j * 7) % x.len();
        x[i] = r[i].unwrap_or(f32::NAN);
    }
    x
}

/// `phi` equals the brute-force Shapley values of `x` against `z` to 1e-9.
fn assert_brute_force(model: &Model, x: &[f32], z: &[f32], phi: &[f64], what: &str) {
    let brute = brute_force(model, x, z);
    for (j, (a, b)) in phi.iter().zip(&brute).enumerate() {
        assert!(
            (a - b).abs() <= 1e-9,
            "{what} feature {j}: {a} vs brute force {b}"
        );
    }
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
            let x = ten_of(&f.baseline, r, n);
            let Some((phi, base, fx)) = model.tree_contributions(&x, &f.baseline) else {
                break;
            };
            assert_brute_force(&model, &x, &f.baseline, &phi, &format!("{name} row {n}"));
            let sum: f64 = phi.iter().sum();
            assert!((sum - (fx - base)).abs() <= 1e-9);
            checked += 1;
        }
    }
    assert!(checked >= 7 * 12, "{checked} applicants checked");
}

/// A logistic regression (alone or after a `Scaler`) has log-odds linear in the input, so each
/// feature's term is its exact Shapley value at any width: equal to brute force over the
/// coalitions of up to 10 differing characteristics (1e-9), adding up to the log-odds
/// difference, and `assess` says the reasons are exact for all 18 characteristics (more than
/// the 12 that coalitions are enumerated for). A `Normalizer` in front is not linear: no closed
/// form then.
#[test]
fn linear_models_get_exact_contributions_at_any_width() {
    for name in ["sklearn_logistic", "sklearn_pipeline"] {
        let (bytes, f) = fixture(name);
        let model = load(name, &bytes);
        assert!(model.k() > 12, "{name}: {} characteristics", model.k());
        let mut moved = 0;
        for (n, r) in f.rows.iter().take(12).enumerate() {
            let x = ten_of(&f.baseline, r, n);
            assert!(x.iter().all(|v| v.is_finite()), "{name}: complete rows");
            let (phi, base, fx) = model
                .linear_contributions(&x, &f.baseline)
                .unwrap_or_else(|| panic!("{name}: no closed form"));
            assert_brute_force(&model, &x, &f.baseline, &phi, &format!("{name} row {n}"));
            let sum: f64 = phi.iter().sum();
            assert!((sum - (fx - base)).abs() <= 1e-9, "{name}");
            moved += phi.iter().filter(|v| **v != 0.0).count();
        }
        assert!(moved >= 24, "{name}: {moved} non-zero contributions");
        let scorer = Scorer::from_bytes(&bytes).expect("loads");
        let x = row(&f.rows[3]);
        let a = scorer.assess(&x).expect("assesses");
        assert!(!a.approximate, "{name}: approximate reasons");
        let sum: f64 = a.contributions.iter().map(|c| c.contribution).sum();
        let want = a.points_unclamped - a.baseline_points;
        assert!((sum - want).abs() < 1e-9, "{name}: {sum} vs {want}");
    }
    let (bytes, _) = fixture("sklearn_normalizer");
    let model = load("sklearn_normalizer", &bytes);
    assert!(!model.has_linear_contributions());
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

/// A model without a schema (or metadata) and its onnxruntime rows, with the rows that cover
/// it, as reference scores.
fn noschema_with_reference(name: &str) -> Vec<u8> {
    let bytes = read(&format!("tests/fixtures/bank/{name}.noschema.onnx"));
    let (_, f) = fixture(name);
    let (rows, pd): (Vec<Vec<f32>>, Vec<f64>) = f
        .rows
        .iter()
        .zip(&f.pd)
        .filter(|(r, _)| !r.contains(&None))
        .map(|(r, p)| (row(r), *p))
        .chain(
            f.coverage
                .rows
                .iter()
                .cloned()
                .zip(f.coverage.pd.iter().copied()),
        )
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

/// Without reference scores the lite build defers a tree model to the full engine; the full
/// build runs a model tract can run (with the direct evaluator only if it agrees with tract on
/// the probe applicants, and either way like onnxruntime) and refuses, saying how to add
/// reference scores, one that only the direct evaluator runs.
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
                let (_, f) = fixture(name);
                let rows: Vec<f32> = f.rows.iter().flat_map(|r| row(r)).collect();
                let scored = m.predict(&rows).expect("scores");
                for (i, (p, want)) in scored.iter().zip(&f.pd).enumerate() {
                    assert!(
                        (p.pd - want).abs() <= 1e-5,
                        "{name} ({:?}) row {i}: {} vs onnxruntime {want}",
                        m.engine(),
                        p.pd
                    );
                }
                eprintln!("{name} without reference scores: engine {:?}", m.engine());
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

#[derive(Deserialize)]
struct SyntheticCase {
    name: String,
    model: String,
    /// `null` where onnxruntime gives NaN (PROBIT outside 0–1).
    y: Vec<Option<f64>>,
    /// Where onnxruntime 1.23 departs from the ONNX spec, its output for an equivalent model
    /// that it runs as the spec says (opset 5 SOFTMAX/LOGISTIC codes swapped; a one-target
    /// regressor's LOGISTIC, which it skips, as a Sigmoid node): the spec's meaning, which the
    /// evaluator follows.
    y_spec: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct Synthetic {
    rows: Vec<Vec<Option<f32>>>,
    cases: Vec<SyntheticCase>,
}

/// Standard base64 (the fixture's encoding of its small models).
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n =
            chunk.iter().fold(0u32, |acc, &d| acc << 6 | u32::from(d)) << (6 * (4 - chunk.len()));
        out.extend(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Every branch mode (LEQ, LT, GTE, GT, EQ, NEQ, MEMBER), aggregate function (SUM, AVERAGE,
/// MIN, MAX), post-transform (NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT), missing-value
/// tracking, opsets 3 and 5, regressors and 3-class classifiers: 29 random ensembles against
/// onnxruntime's outputs on 80 rows with NaN, through the compiled pipeline (the values are not
/// all probabilities, so below the model loader).
#[test]
fn every_mode_aggregate_and_post_transform_like_onnxruntime() {
    let s: Synthetic =
        serde_json::from_slice(&read("tests/fixtures/bank/synthetic.json")).expect("parses");
    let rows: Vec<f32> = s.rows.iter().flat_map(|r| row(r)).collect();
    assert_eq!(s.cases.len(), 29);
    let mut bad = Vec::new();
    for case in &s.cases {
        let proto = pb::ModelProto::decode(&base64(&case.model)[..]).expect("decodes");
        let graph = proto.graph.as_ref().expect("graph");
        let pipeline = credit_scorer::engine::trees::compile(graph, "x", 5, "y", None)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name))
            .unwrap_or_else(|| panic!("{}: not compiled", case.name));
        let mut got = Vec::new();
        pipeline
            .run(&rows, |y, _| got.push(f64::from(y)))
            .expect("runs");
        assert_eq!(got.len(), case.y.len());
        let want: Vec<Option<f64>> = match &case.y_spec {
            Some(spec) => spec.iter().map(|&v| Some(v)).collect(),
            None => case.y.clone(),
        };
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let Some(w) = w else {
                if !g.is_nan() {
                    bad.push(format!(
                        "{} row {i}: {g} where onnxruntime gives NaN",
                        case.name
                    ));
                }
                continue;
            };
            if (g - w).abs() > 1e-5 * w.abs().max(1.0) {
                bad.push(format!("{} row {i}: {g} vs onnxruntime {w}", case.name));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} differences:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// `bytes` with the first tree ensemble's attribute `name` changed by `edit`.
fn with_tree_attribute(
    bytes: &[u8],
    name: &str,
    edit: impl FnOnce(&mut pb::AttributeProto),
) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).expect("decodes");
    let graph = proto.graph.as_mut().expect("graph");
    let node = graph
        .node
        .iter_mut()
        .find(|n| n.op_type.starts_with("TreeEnsemble"))
        .expect("a tree ensemble");
    edit(
        node.attribute
            .iter_mut()
            .find(|a| a.name == name)
            .expect("attribute"),
    );
    proto.encode_to_vec()
}

/// Hostile tree ensembles are refused with `model_invalid` (or `model_too_large`), never a
/// panic or a hang, in both builds: a cycle, a branch shared by two parents, a tree deeper than
/// 128 levels, a NaN threshold, a feature past the input, a leaf weighting a missing class, an
/// opset-5 root or child out of range.
#[test]
fn hostile_tree_ensembles_are_refused() {
    let (xgb, _) = fixture("xgboost");
    let (v5, _) = fixture("tree_ensemble_v5");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "cycle",
            with_tree_attribute(&xgb, "nodes_truenodeids", |a| a.ints[1] = 0),
        ),
        (
            "shared branch",
            with_tree_attribute(&xgb, "nodes_falsenodeids", |a| a.ints[0] = 1),
        ),
        (
            "NaN threshold",
            with_tree_attribute(&xgb, "nodes_values", |a| a.floats[0] = f32::NAN),
        ),
        (
            "feature past the input",
            with_tree_attribute(&xgb, "nodes_featureids", |a| a.ints[0] = 18),
        ),
        (
            "class that does not exist",
            with_tree_attribute(&xgb, "class_ids", |a| a.ints[0] = 2),
        ),
        (
            "v5 root out of range",
            with_tree_attribute(&v5, "tree_roots", |a| a.ints[0] = 1 << 20),
        ),
        (
            "v5 child out of range",
            with_tree_attribute(&v5, "nodes_truenodeids", |a| a.ints[0] = 99_999),
        ),
        (
            "v5 cycle",
            with_tree_attribute(&v5, "nodes_falsenodeids", |a| {
                a.ints[1] = 0;
            }),
        ),
        (
            "v5 NaN split",
            with_tree_attribute(&v5, "nodes_splits", |a| {
                if let Some(t) = a.t.as_mut() {
                    t.float_data[0] = f32::NAN;
                    t.raw_data.clear();
                }
            }),
        ),
    ];
    for (what, bytes) in cases {
        let e = Model::from_bytes(&bytes).expect_err(what);
        assert!(
            matches!(e.kind(), ErrorKind::ModelInvalid | ErrorKind::ModelTooLarge),
            "{what}: {e} ({:?})",
            e.kind()
        );
    }
}

/// A tree deeper than 128 levels (a 200-level chain, opset 5) is refused before anything walks it.
#[test]
fn too_deep_tree_is_refused() {
    let (v5, _) = fixture("tree_ensemble_v5");
    let depth = 200usize;
    let mut proto = pb::ModelProto::decode(&v5[..]).expect("decodes");
    let node = proto
        .graph
        .as_mut()
        .expect("graph")
        .node
        .iter_mut()
        .find(|n| n.op_type == "TreeEnsemble")
        .expect("ensemble");
    let set_ints = |node: &mut pb::NodeProto, name: &str, v: Vec<i64>| {
        node.attribute
            .iter_mut()
            .find(|a| a.name == name)
            .expect(name)
            .ints = v;
    };
    let set_floats = |node: &mut pb::NodeProto, name: &str, v: Vec<f32>| {
        let t = node
            .attribute
            .iter_mut()
            .find(|a| a.name == name)
            .expect(name)
            .t
            .as_mut()
            .expect("tensor");
        t.dims = vec![v.len() as i64];
        t.raw_data.clear();
        t.float_data = v;
    };
    set_ints(node, "tree_roots", vec![0]);
    set_ints(node, "nodes_featureids", vec![0; depth]);
    set_ints(
        node,
        "nodes_truenodeids",
        (0..depth as i64)
            .map(|i| if i + 1 < depth as i64 { i + 1 } else { 0 })
            .collect(),
    );
    set_ints(
        node,
        "nodes_trueleafs",
        (0..depth).map(|i| i64::from(i + 1 == depth)).collect(),
    );
    set_ints(node, "nodes_falsenodeids", vec![1; depth]);
    set_ints(node, "nodes_falseleafs", vec![1; depth]);
    set_ints(node, "nodes_missing_value_tracks_true", vec![0; depth]);
    set_ints(node, "leaf_targetids", vec![0, 0]);
    set_floats(node, "nodes_splits", vec![0.5; depth]);
    set_floats(node, "leaf_weights", vec![0.1, 0.2]);
    let t = node
        .attribute
        .iter_mut()
        .find(|a| a.name == "nodes_modes")
        .expect("modes")
        .t
        .as_mut()
        .expect("tensor");
    t.dims = vec![depth as i64];
    t.raw_data = vec![0; depth];
    t.int32_data.clear();
    let e = Model::from_bytes(&proto.encode_to_vec()).expect_err("too deep");
    assert_eq!(e.kind(), ErrorKind::ModelInvalid, "{e}");
}

/// Throughput of the direct tree evaluator on the model at `$CREDIT_SCORER_BENCH_MODEL` (the
/// 500-tree, depth-6 XGBoost from `training/bank_models.py --bench-model PATH`): 10,000 rows
/// without reasons, and applicants scored with exact reasons. A measurement, not a check; run
/// with `cargo test --release --test bank_models -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_trees_throughput() {
    let Ok(path) = std::env::var("CREDIT_SCORER_BENCH_MODEL") else {
        eprintln!("set CREDIT_SCORER_BENCH_MODEL");
        return;
    };
    let bytes = std::fs::read(&path).expect("bench model");
    let scorer = Scorer::from_bytes(&bytes).expect("loads");
    assert_eq!(scorer.model().engine(), Engine::Trees);
    let (_, f) = fixture("xgboost");
    let base: Vec<f32> = f.rows.iter().flat_map(|r| row(r)).collect();
    let rows: Vec<f32> = base.iter().copied().cycle().take(10_000 * 18).collect();
    let mut out = Vec::new();
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        out.clear();
        let t = std::time::Instant::now();
        scorer
            .model()
            .predict_pd_into(&rows, &mut out)
            .expect("scores");
        best = best.min(t.elapsed().as_secs_f64());
    }
    eprintln!(
        "{path}: 10,000 rows without reasons in {best:.4} s ({:.0} rows/s)",
        10_000.0 / best
    );
    let applicants: Vec<Vec<f32>> = f
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&f.baseline)
                .map(|(v, b)| v.unwrap_or(*b))
                .collect()
        })
        .collect();
    let t = std::time::Instant::now();
    for a in &applicants {
        let assessed = scorer.assess(a).expect("assesses");
        assert!(!assessed.approximate);
    }
    let per = t.elapsed().as_secs_f64() / applicants.len() as f64;
    let t2 = std::time::Instant::now();
    for a in &applicants {
        scorer
            .model()
            .tree_contributions(a, &f.baseline)
            .expect("TreeSHAP");
    }
    let shap = t2.elapsed().as_secs_f64() / applicants.len() as f64;
    eprintln!("of which TreeSHAP with both log-odds: {:.3} ms", shap * 1e3);
    eprintln!(
        "score + exact reasons: {:.3} ms per applicant ({:.0} applicants/s)",
        per * 1e3,
        1.0 / per
    );
}

/// `credit-scorer assess` (the CLI) on a bank model: the applicant's PD as onnxruntime gives it
/// and exact reasons (`approximate: false`) over all 18 characteristics.
#[test]
fn cli_assess_gives_exact_reasons() {
    let (_, f) = fixture("lightgbm_zipmap");
    let i = f
        .rows
        .iter()
        .position(|r| !r.contains(&None))
        .expect("a full row");
    let schema = Model::from_bytes(&fixture("lightgbm_zipmap").0).expect("loads");
    let applicant: serde_json::Map<String, serde_json::Value> = schema
        .schema()
        .features
        .iter()
        .zip(&f.rows[i])
        .map(|(feature, v)| (feature.name.clone(), json!(v.expect("value"))))
        .collect();
    let dir = std::env::temp_dir().join(format!("credit-scorer-bank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let file = dir.join("applicant.json");
    std::fs::write(&file, serde_json::Value::Object(applicant).to_string()).expect("writes");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_credit-scorer"))
        .arg("assess")
        .arg("--model")
        .arg(repo("tests/fixtures/bank/lightgbm_zipmap.onnx"))
        .arg(&file)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(a["approximate"], json!(false));
    let pd = a["pd"].as_f64().expect("pd");
    assert!(
        (pd - f.pd[i]).abs() <= 1e-5,
        "{pd} vs onnxruntime {}",
        f.pd[i]
    );
    assert_eq!(
        a["contributions"].as_array().expect("contributions").len(),
        18
    );
    std::fs::remove_dir_all(&dir).ok();
}
