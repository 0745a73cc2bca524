//! Reference scores: which models each build trusts, and the hostile corpus refused alike.

use crate::common::*;
use credit_scorer::model::REFERENCE_SCORES_METADATA_KEY;
use credit_scorer::{Engine, ErrorKind, Model};
use serde_json::json;

use crate::*;

#[test]
fn reference_model_loads_in_both_builds_and_scores_every_golden_row() {
    let bytes = read(REFERENCE_MODEL);
    let model = Model::from_bytes(&bytes).expect("reference model loads");
    assert_eq!(model.engine(), Engine::Direct);
    let golden = reference_golden();
    assert_eq!(model.sha256(), golden.model_sha256);
    let rows: Vec<(&[f32], f64)> = golden.rows.iter().map(|r| (&r.x[..], r.pd)).collect();
    assert_pds_match("reference", &model, &rows);
    let flat: Vec<f32> = golden.rows.iter().flat_map(|r| r.x.clone()).collect();
    for (p, r) in model.predict(&flat).unwrap().iter().zip(&golden.rows) {
        assert!(
            close(p.logit, r.logit, 1e-4),
            "{}: logit {} vs {}",
            r.id,
            p.logit,
            r.logit
        );
    }
    // Explanations come from the same chain in both builds.
    let scorer = credit_scorer::Scorer::from_bytes(&bytes).unwrap();
    let first = golden.rows.first().unwrap();
    let assessment = scorer.assess(&first.x).expect("assessed");
    assert!(close(assessment.pd, first.pd, 1e-5));
    assert!(!assessment.reasons.is_empty());
}

#[test]
fn a_model_without_reference_scores_needs_the_full_engine_in_lite_only() {
    let bytes = without_reference(&read(REFERENCE_MODEL));
    if LITE {
        let e = load_error(&bytes);
        assert_eq!(e.kind(), ErrorKind::NeedsFullEngine, "{e}");
        assert!(e.message().contains("reference scores"), "{e}");
    } else {
        let model = Model::from_bytes(&bytes).expect("loads with tract");
        assert_eq!(model.engine(), Engine::Direct);
    }
    // A bank's own chain model: full build only, until it carries reference scores.
    let (plain, golden) = foreign("mlp_dynamic");
    if LITE {
        assert_eq!(load_error(&plain).kind(), ErrorKind::NeedsFullEngine);
    }
    let (recorded, _) = foreign_with_reference("mlp_dynamic");
    let model = Model::from_bytes(&recorded).expect("a chain with reference scores loads");
    assert_eq!(model.engine(), Engine::Direct);
    assert_foreign_pds("mlp_dynamic", &model, &golden);
}

#[test]
fn a_model_that_is_not_a_chain_needs_the_full_engine_even_with_reference_scores() {
    let (bytes, golden) = foreign_with_reference("symmetric");
    if LITE {
        let e = load_error(&bytes);
        assert_eq!(e.kind(), ErrorKind::NeedsFullEngine, "symmetric: {e}");
        assert!(e.message().contains("chain"), "symmetric: {e}");
    } else {
        let model = Model::from_bytes(&bytes).expect("tract runs it");
        assert_eq!(model.engine(), Engine::Tract, "symmetric");
        assert_foreign_pds("symmetric", &model, &golden);
    }
}

/// scikit-learn's gradient boosting and logistic regression (ai.onnx.ml operators) with
/// reference scores run on the tree evaluator (`trees`) in both builds.
#[test]
fn ml_models_with_reference_scores_run_on_the_tree_evaluator_in_both_builds() {
    for name in ["gbm", "logreg"] {
        let (bytes, golden) = foreign_with_reference(name);
        let model = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(model.engine(), Engine::Trees, "{name}");
        assert_foreign_pds(name, &model, &golden);
    }
}

#[test]
fn reference_scores_the_model_does_not_reproduce_are_never_trusted() {
    let mut reference = recorded_reference();
    assert!(reference["rows"].as_array().unwrap().len() >= 60);
    assert!(
        reference["runtime"]
            .as_str()
            .unwrap()
            .starts_with("onnxruntime ")
    );
    // Off by 2e-5 on one row: just past the tolerance.
    let pd = reference["pd"][7].as_f64().unwrap();
    reference["pd"][7] = json!(if pd > 0.5 { pd - 2e-5 } else { pd + 2e-5 });
    let bytes = with_metadata(
        &read(REFERENCE_MODEL),
        REFERENCE_SCORES_METADATA_KEY,
        &reference.to_string(),
    );
    let e = load_error(&bytes);
    let want = if LITE {
        ErrorKind::NeedsFullEngine
    } else {
        ErrorKind::ModelInvalid
    };
    assert_eq!(e.kind(), want, "{e}");
    assert!(e.message().contains("reference row 7"), "{e}");
    // Within the tolerance it loads.
    reference["pd"][7] = json!(if pd > 0.5 { pd - 5e-6 } else { pd + 5e-6 });
    let bytes = with_metadata(
        &read(REFERENCE_MODEL),
        REFERENCE_SCORES_METADATA_KEY,
        &reference.to_string(),
    );
    assert_eq!(Model::from_bytes(&bytes).unwrap().engine(), Engine::Direct);
}

#[test]
fn malformed_reference_scores_are_a_schema_error_in_both_builds() {
    let good = recorded_reference();
    let mut short_row = good.clone();
    short_row["rows"][3] = json!([1.0, 2.0]);
    let mut one_pd_missing = good.clone();
    one_pd_missing["pd"].as_array_mut().unwrap().pop();
    let mut out_of_range = good.clone();
    out_of_range["pd"][0] = json!(1.5);
    let mut unknown_field = good.clone();
    unknown_field["logits"] = json!([]);
    let cases = [
        (
            "not JSON",
            "{rows".to_string(),
            "not valid reference scores",
        ),
        (
            "no rows",
            json!({"runtime": "x", "rows": [], "pd": []}).to_string(),
            "holds 0 rows",
        ),
        ("short row", short_row.to_string(), "row 3"),
        (
            "count mismatch",
            one_pd_missing.to_string(),
            "probabilities",
        ),
        ("pd above 1", out_of_range.to_string(), "outside 0–1"),
        ("unknown field", unknown_field.to_string(), "logits"),
    ];
    for (what, value, says) in cases {
        let bytes = with_metadata(
            &read(REFERENCE_MODEL),
            REFERENCE_SCORES_METADATA_KEY,
            &value,
        );
        let e = load_error(&bytes);
        assert_eq!(e.kind(), ErrorKind::Schema, "{what}: {e}");
        assert!(e.message().contains(says), "{what}: {e}");
        assert!(
            e.message().contains(REFERENCE_SCORES_METADATA_KEY),
            "{what}: {e}"
        );
    }
}

#[test]
fn every_hostile_file_is_refused_by_lite_as_by_full_or_deferred() {
    #[derive(serde::Deserialize)]
    struct Entry {
        file: String,
    }
    let manifest: Vec<Entry> =
        serde_json::from_slice(&read("tests/fixtures/hostile/manifest.json")).unwrap();
    assert!(manifest.len() > 20);
    for entry in manifest {
        let bytes = read(&format!("tests/fixtures/hostile/{}", entry.file));
        // Refused with a message, never a panic; lite may leave the verdict to the full build.
        let e = load_error(&bytes);
        assert!(!e.message().is_empty(), "{}", entry.file);
        if !LITE {
            assert_ne!(e.kind(), ErrorKind::NeedsFullEngine, "{}: {e}", entry.file);
        }
    }
}
