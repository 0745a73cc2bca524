//! The contract between the two builds: the full one (default features, with tract) and the lite
//! one (`--no-default-features`, the page's first engine), shown by the same tests in both.
//! `cargo xtask test` runs this file in each build.
//!
//! Lite loads a model only when it is a chain of row-wise operators that reproduces the reference
//! scores recorded in it; it defers everything else to the full build with `NeedsFullEngine` and
//! never gives a score the full build would not. Full checks the recorded scores too, and refuses
//! a model that does not reproduce them.

mod common;

use common::*;
use credit_scorer::model::{REFERENCE_SCORES_METADATA_KEY, pb};
use credit_scorer::{Engine, ErrorKind, Model};
use prost::Message;
use serde_json::json;

const LITE: bool = !cfg!(feature = "tract");

/// `bytes` with the metadata entry `key` set to `value` (replacing an earlier one).
fn with_metadata(bytes: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).expect("fixture decodes");
    proto.metadata_props.retain(|p| p.key != key);
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: key.into(),
        value: value.into(),
    });
    proto.encode_to_vec()
}

/// `bytes` without reference scores.
fn without_reference(bytes: &[u8]) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).expect("fixture decodes");
    proto
        .metadata_props
        .retain(|p| p.key != REFERENCE_SCORES_METADATA_KEY);
    proto.encode_to_vec()
}

/// A foreign fixture with its golden rows and the rows that cover it recorded as its reference
/// scores.
fn foreign_with_reference(name: &str) -> (Vec<u8>, ForeignGolden) {
    let (bytes, golden) = foreign(name);
    assert!(!golden.coverage.is_empty(), "{name}: no coverage rows");
    let rows = golden.rows.iter().chain(&golden.coverage);
    let reference = json!({
        "runtime": "onnxruntime (training/train.py)",
        "rows": rows.clone().map(|r| &r.x).collect::<Vec<_>>(),
        "pd": rows.map(|r| r.pd).collect::<Vec<_>>(),
    });
    let bytes = with_metadata(
        &bytes,
        REFERENCE_SCORES_METADATA_KEY,
        &reference.to_string(),
    );
    (bytes, golden)
}

/// Checks `model` against a foreign fixture's onnxruntime PDs.
fn assert_foreign_pds(what: &str, model: &Model, golden: &ForeignGolden) {
    let rows: Vec<(&[f32], f64)> = golden.rows.iter().map(|r| (&r.x[..], r.pd)).collect();
    assert_pds_match(what, model, &rows);
}

fn load_error(bytes: &[u8]) -> credit_scorer::Error {
    match Model::from_bytes(bytes) {
        Ok(m) => panic!("loaded (engine {:?}), expected an error", m.engine()),
        Err(e) => e,
    }
}

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

/// The reference model's recorded scores, parsed, for altering them.
fn recorded_reference() -> serde_json::Value {
    let proto = pb::ModelProto::decode(&read(REFERENCE_MODEL)[..]).unwrap();
    let entry = proto
        .metadata_props
        .iter()
        .find(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
        .expect("the reference model carries reference scores");
    serde_json::from_str(&entry.value).unwrap()
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

/// `linear_onnx(w, b)` whose probability is squeezed to rank 1 (`[N]`), as many exporters write
/// it (`.squeeze(1)`); the log-odds stay `[N, 1]`.
fn rank_one_onnx(w: &[f32], b: f32) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(&linear_onnx(w, b)[..]).unwrap();
    let graph = proto.graph.as_mut().unwrap();
    for node in &mut graph.node {
        if node.op_type == "Sigmoid" {
            node.output = vec!["pd_column".into()];
            node.name = "pd_column".into();
        }
    }
    graph.node.push(pb::NodeProto {
        op_type: "Squeeze".into(),
        name: "pd".into(),
        input: vec!["pd_column".into(), "axes".into()],
        output: vec!["pd".into()],
        ..Default::default()
    });
    graph.initializer.push(pb::TensorProto {
        name: "axes".into(),
        dims: vec![1],
        data_type: 7,
        int64_data: vec![1],
        ..Default::default()
    });
    let pd = graph.output.iter_mut().find(|o| o.name == "pd").unwrap();
    if let Some(pb::type_proto::Value::TensorType(t)) =
        pd.r#type.as_mut().and_then(|t| t.value.as_mut())
    {
        t.shape.as_mut().unwrap().dim.truncate(1);
    }
    proto.encode_to_vec()
}

#[test]
fn a_rank_one_probability_output_scores_like_n_by_1_in_every_engine() {
    let (w, b) = ([0.8f32, -0.3, 0.05], -0.4f32);
    let mut rows: Vec<[f32; 3]> = (0..12)
        .map(|i| {
            let i = i as f32;
            [i * 0.7 - 4.0, i % 5.0, 100.0 - i * 9.0]
        })
        .collect();
    // The rows that cover a model without schema: the baseline 0, each input at ±10.
    rows.push([0.0; 3]);
    for j in 0..3 {
        for v in [-10.0, 10.0] {
            let mut row = [0.0; 3];
            row[j] = v;
            rows.push(row);
        }
    }
    // Independent of every engine: the sigmoid of x·w + b in f64.
    let logit = |x: &[f32; 3]| {
        x.iter()
            .zip(&w)
            .map(|(&x, &w)| f64::from(x) * f64::from(w))
            .sum::<f64>()
            + f64::from(b)
    };
    let pd = |x: &[f32; 3]| 1.0 / (1.0 + (-logit(x)).exp());
    let reference = json!({
        "runtime": "the sigmoid of x·w + b in f64 (tests/engines.rs)",
        "rows": rows,
        "pd": rows.iter().map(pd).collect::<Vec<_>>(),
    });
    let bytes = with_metadata(
        &rank_one_onnx(&w, b),
        REFERENCE_SCORES_METADATA_KEY,
        &reference.to_string(),
    );
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    let check = |model: &Model| {
        let got = model.predict(&flat).unwrap();
        assert_eq!(got.len(), rows.len());
        for (p, x) in got.iter().zip(&rows) {
            assert!(
                close(p.pd, pd(x), 1e-6),
                "{:?}: pd {} vs {}",
                model.engine(),
                p.pd,
                pd(x)
            );
            assert!(
                close(p.logit, logit(x), 1e-5),
                "{:?}: logit {} vs {}",
                model.engine(),
                p.logit,
                logit(x)
            );
        }
    };
    let direct = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(direct.engine(), Engine::Direct);
    check(&direct);
    #[cfg(feature = "tract")]
    {
        let tract = Model::from_bytes_with(
            &bytes,
            &credit_scorer::LoadOptions {
                direct: false,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tract.engine(), Engine::Tract);
        check(&tract);
    }
}

#[test]
fn an_input_whose_batch_dimension_is_fixed_to_zero_is_refused_at_load_in_both_builds() {
    let e = load_error(&read("tests/fixtures/hostile/zero_batch.onnx"));
    assert_eq!(e.kind(), ErrorKind::ModelContract, "{e}");
    assert!(
        e.message().contains("batch dimension") && e.message().contains("fixed to 0"),
        "{e}"
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

/// A two-layer chain whose hidden layer is `width` columns wide (every weight 1e-3), without
/// schema.
fn wide_chain_onnx(width: usize) -> Vec<u8> {
    let weights = || vec![1e-3; width];
    onnx_bytes(pb::GraphProto {
        name: "wide".into(),
        node: vec![
            plain_node("MatMul", &["x", "w1"], "h0"),
            plain_node("Relu", &["h0"], "h"),
            plain_node("MatMul", &["h", "w2"], "logit"),
            plain_node("Sigmoid", &["logit"], "pd"),
        ],
        initializer: vec![
            f32_tensor("w1", &[1, width as i64], weights()),
            f32_tensor("w2", &[width as i64, 1], weights()),
        ],
        input: vec![value_info("x", 1)],
        output: vec![value_info("pd", 1)],
        ..Default::default()
    })
}

/// Issue 21, item 1: the direct evaluator's buffers are bounded by construction (a step at most
/// 16,384 columns, tract's per-tensor limit for 1,024 rows): a wider chain is not run directly,
/// so the lite build defers it and the full build refuses it from tract's shape inference. A
/// chain within the bound runs directly in both builds. PDs: x ≥ 0 gives width · x · 1e-6.
#[test]
fn a_chain_wider_than_the_memory_bound_is_not_run_directly() {
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    for (width, fits) in [(8_192, true), (20_000, false)] {
        let pd = |x: f64| sigmoid(width as f64 * x.max(0.0) * 1e-6);
        let rows = [[0.0f32], [-10.0], [10.0], [3.0]];
        let reference = json!({
            "runtime": "the sigmoid of width · relu(x) · 1e-6 in f64 (tests/engines.rs)",
            "rows": rows,
            "pd": rows.iter().map(|r| pd(f64::from(r[0]))).collect::<Vec<_>>(),
        });
        let bytes = with_metadata(
            &wide_chain_onnx(width),
            REFERENCE_SCORES_METADATA_KEY,
            &reference.to_string(),
        );
        match (fits, LITE) {
            (true, _) => {
                let model = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{width}: {e}"));
                assert_eq!(model.engine(), Engine::Direct, "{width}");
                let got = model.predict(&[3.0]).unwrap()[0].pd;
                assert!(close(got, pd(3.0), 1e-5), "{width}: {got} vs {}", pd(3.0));
            }
            (false, true) => {
                let e = load_error(&bytes);
                assert_eq!(e.kind(), ErrorKind::NeedsFullEngine, "{width}: {e}");
            }
            (false, false) => {
                let e = load_error(&bytes);
                assert_eq!(e.kind(), ErrorKind::ModelTooLarge, "{width}: {e}");
                assert!(e.message().contains("batch of 1024 applicants"), "{e}");
            }
        }
    }
}

/// Coverage of a feature without a range (a model without schema: every input unbounded, the
/// baseline 0): a row below and a row above the baseline, any values. PDs: the sigmoid of x.
#[test]
fn an_unbounded_feature_is_covered_by_a_row_on_each_side_of_its_baseline() {
    let sigmoid = |x: f32| 1.0 / (1.0 + (-f64::from(x)).exp());
    for (rows, missing) in [
        (vec![0.0f32, 10.0], Some("`x0` below its baseline")),
        (vec![0.0, -3.0], Some("`x0` above its baseline")),
        (vec![-10.0, 10.0], Some("the baseline applicant")),
        (vec![0.0, -3.0, 0.5], None),
    ] {
        let reference = json!({
            "runtime": "the sigmoid of x in f64 (tests/engines.rs)",
            "rows": rows.iter().map(|&x| [x]).collect::<Vec<_>>(),
            "pd": rows.iter().map(|&x| sigmoid(x)).collect::<Vec<_>>(),
        });
        let bytes = with_metadata(
            &linear_onnx(&[1.0], 0.0),
            REFERENCE_SCORES_METADATA_KEY,
            &reference.to_string(),
        );
        match missing {
            Some(says) if LITE => {
                let e = load_error(&bytes);
                assert_eq!(e.kind(), ErrorKind::NeedsFullEngine, "{rows:?}: {e}");
                assert!(e.message().contains(says), "{rows:?}: {e}");
            }
            _ => {
                let model = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{rows:?}: {e}"));
                assert_eq!(model.engine(), Engine::Direct, "{rows:?}");
            }
        }
    }
}
