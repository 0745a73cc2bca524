//! Reference scores that must cover the model (issue 21 item 4), and `reference-scores` writing
//! them with tract.

use crate::common::*;
use credit_scorer::model::{REFERENCE_SCORES_METADATA_KEY, pb};
use credit_scorer::{Engine, ErrorKind, Model};
use prost::Message;
use serde_json::json;

use crate::*;

/// `credit-scorer reference-scores`: a bank's chain model gets tract's scores of its probe rows,
/// appended without touching the file's other bytes; the full engine then runs it directly
/// (the lite engine's path: tests/e2e/engine.test.mjs uploads such a file).
#[cfg(feature = "tract")]
#[test]
fn reference_scores_recorded_by_tract_make_a_chain_model_lite_ready() {
    use credit_scorer::LoadOptions;
    use credit_scorer::model::with_reference_scores;

    let (plain, golden) = foreign("mlp_dynamic");
    let made = with_reference_scores(&plain).expect("scores recorded");
    assert!(made.lite, "mlp_dynamic is a chain");
    assert!(
        made.bytes.starts_with(&plain),
        "the original bytes are kept as they were"
    );
    assert!(made.rows > 48, "{} rows", made.rows);
    let model = Model::from_bytes(&made.bytes).unwrap();
    assert_eq!(model.engine(), Engine::Direct);
    assert_foreign_pds("mlp_dynamic with reference scores", &model, &golden);

    // The recorded scores are tract's.
    let proto = pb::ModelProto::decode(&made.bytes[..]).unwrap();
    let entry = proto
        .metadata_props
        .iter()
        .find(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
        .unwrap();
    let recorded: serde_json::Value = serde_json::from_str(&entry.value).unwrap();
    assert!(recorded["runtime"].as_str().unwrap().starts_with("tract "));
    let flat: Vec<f32> = recorded["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
        })
        .collect();
    let tract = Model::from_bytes_with(
        &plain,
        &LoadOptions {
            direct: false,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let by_tract = tract.predict(&flat).unwrap();
    assert_eq!(by_tract.len(), made.rows);
    for (i, (t, r)) in by_tract
        .iter()
        .zip(recorded["pd"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(t.pd as f32, r.as_f64().unwrap() as f32, "row {i}");
    }

    // Once is enough; a tree model (scikit-learn's gradient boosting, ai.onnx.ml) gets them too
    // and then runs on the tree evaluator, which reproduces tract's scores of the probe rows;
    // a model that is neither a chain nor a tree pipeline stays with tract.
    let again = with_reference_scores(&made.bytes).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Input);
    assert!(again.message().contains("already carries"), "{again}");
    let (gbm, golden) = foreign("gbm");
    let gbm = with_reference_scores(&gbm).unwrap();
    assert!(gbm.lite);
    let model = Model::from_bytes(&gbm.bytes).unwrap();
    assert_eq!(model.engine(), Engine::Trees);
    assert_foreign_pds("gbm", &model, &golden);
    let (symmetric, _) = foreign("symmetric");
    let symmetric = with_reference_scores(&symmetric).unwrap();
    assert!(!symmetric.lite);
    assert_eq!(
        Model::from_bytes(&symmetric.bytes).unwrap().engine(),
        Engine::Tract
    );
}

/// The reference model with only the reference rows `keep` accepts (by index).
fn reference_model_keeping(keep: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut reference = recorded_reference();
    for key in ["rows", "pd"] {
        let kept: Vec<serde_json::Value> = reference[key]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, v)| v.clone())
            .collect();
        reference[key] = json!(kept);
    }
    with_metadata(
        &read(REFERENCE_MODEL),
        REFERENCE_SCORES_METADATA_KEY,
        &reference.to_string(),
    )
}

/// Issue 21, item 4: one reference row (or all but one of the rows that cover the model) is no
/// reason for the lite engine to trust its evaluator; the full engine still checks the chain
/// against tract and loads the model.
#[test]
fn reference_scores_that_do_not_cover_the_model_do_not_make_it_lite() {
    let golden = reference_golden();
    let golden_rows: Vec<(&[f32], f64)> = golden.rows.iter().map(|r| (&r.x[..], r.pd)).collect();
    let full = Model::from_bytes(&read(REFERENCE_MODEL)).unwrap();
    let schema = full.schema();
    let baseline = schema.baseline();
    let rows = recorded_reference()["rows"].clone();
    let row = |i: usize| -> Vec<f32> {
        rows[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect()
    };
    // The row that holds the first numeric feature at its maximum, the others at the baseline.
    let (j, feature, max) = schema
        .features
        .iter()
        .enumerate()
        .find_map(|(j, f)| match f.kind {
            credit_scorer::schema::FeatureKind::Numeric { max: Some(max), .. } => {
                Some((j, f, max as f32))
            }
            _ => None,
        })
        .expect("the reference model has a numeric feature with a range");
    let at_max = (0..rows.as_array().unwrap().len())
        .find(|&i| {
            let r = row(i);
            r[j] == max
                && r.iter()
                    .zip(&baseline)
                    .enumerate()
                    .all(|(c, (a, b))| c == j || a == b)
        })
        .expect("the reference model's rows hold each range end");
    let cases = [
        (
            "one row",
            reference_model_keeping(|i| i == 0),
            "the baseline applicant".to_string(),
        ),
        (
            "no row at a maximum",
            reference_model_keeping(|i| i != at_max),
            format!(
                "1 of the rows they need is missing, first: `{}` at its maximum",
                feature.name
            ),
        ),
    ];
    for (what, bytes, says) in cases {
        if LITE {
            let e = load_error(&bytes);
            assert_eq!(e.kind(), ErrorKind::NeedsFullEngine, "{what}: {e}");
            for needle in ["do not cover", &says, "credit-scorer reference-scores"] {
                assert!(e.message().contains(needle), "{what}: no {needle:?} in {e}");
            }
        } else {
            let model = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(model.engine(), Engine::Direct, "{what}");
            assert_pds_match(what, &model, &golden_rows);
        }
    }
}

/// A bank fixture with only its first reference row (`row`: the one kept).
fn bank_with_one_reference_row(name: &str) -> Vec<u8> {
    let bytes = read(&format!("tests/fixtures/bank/{name}.onnx"));
    let proto = pb::ModelProto::decode(&bytes[..]).unwrap();
    let entry = proto
        .metadata_props
        .iter()
        .find(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
        .expect("bank fixtures carry reference scores");
    let mut reference: serde_json::Value = serde_json::from_str(&entry.value).unwrap();
    reference["rows"] = json!([reference["rows"][0]]);
    reference["pd"] = json!([reference["pd"][0]]);
    with_metadata(
        &bytes,
        REFERENCE_SCORES_METADATA_KEY,
        &reference.to_string(),
    )
}

/// Tree models: one reference row is not enough in either build. XGBoost's export is one tract
/// runs, so the full engine checks the trees against tract; LightGBM's ZipMap export tract cannot
/// run, so with too few reference rows nothing can check the tree evaluator and it is refused.
#[test]
fn tree_models_with_one_reference_row_are_checked_by_tract_or_refused() {
    for (name, tract_runs_it) in [("xgboost", true), ("lightgbm_zipmap", false)] {
        let bytes = bank_with_one_reference_row(name);
        if LITE {
            let e = load_error(&bytes);
            assert_eq!(e.kind(), ErrorKind::NeedsFullEngine, "{name}: {e}");
            assert!(e.message().contains("do not cover"), "{name}: {e}");
            assert_eq!(
                e.message().contains("credit-scorer reference-scores"),
                tract_runs_it,
                "{name}: {e}"
            );
        } else if tract_runs_it {
            let model = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                model.engine(),
                Engine::Trees,
                "{name}: kept after tract's check"
            );
        } else {
            let e = load_error(&bytes);
            assert_eq!(e.kind(), ErrorKind::ModelUnsupported, "{name}: {e}");
            assert!(e.message().contains("do not cover"), "{name}: {e}");
            assert!(e.message().contains("docs/SCHEMA.md"), "{name}: {e}");
        }
    }
}

/// `credit-scorer reference-scores` replaces reference scores that do not cover the model with
/// tract's scores of the probe rows, which do.
#[cfg(feature = "tract")]
#[test]
fn reference_scores_replaces_rows_that_do_not_cover_the_model() {
    use credit_scorer::model::with_reference_scores;
    let one_row = reference_model_keeping(|i| i == 0);
    let made = with_reference_scores(&one_row).unwrap_or_else(|e| panic!("{e}"));
    assert!(made.lite);
    assert!(made.rows > 48, "{} rows", made.rows);
    let proto = pb::ModelProto::decode(&made.bytes[..]).unwrap();
    let entries: Vec<_> = proto
        .metadata_props
        .iter()
        .filter(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
        .collect();
    assert_eq!(entries.len(), 1, "the old entry is gone");
    assert!(entries[0].value.contains("\"runtime\":\"tract "));
    // Every other entry is kept as it was.
    let before = pb::ModelProto::decode(&one_row[..]).unwrap();
    assert_eq!(proto.metadata_props.len(), before.metadata_props.len());
    assert_eq!(proto.graph, before.graph);
    // The reference model's own rows cover it: nothing to replace.
    let e = with_reference_scores(&read(REFERENCE_MODEL)).unwrap_err();
    assert!(e.message().contains("already carries"), "{e}");
}
