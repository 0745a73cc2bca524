//! Which engine a model gets: the class read without a schema, reference scores, a changed file.

use credit_scorer::model::{REFERENCE_SCORES_METADATA_KEY, pb};
use credit_scorer::{Engine, ErrorKind, Model};
use prost::Message;
use serde_json::json;

use crate::common::*;
use crate::{fixture, load, row};

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
