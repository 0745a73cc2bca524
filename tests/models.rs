//! Models from elsewhere: skl2onnx classifiers, an MLP with another input name, and refusals.

mod common;

use common::*;
use credit_scorer::{ErrorKind, Model};

fn check_golden(name: &str) {
    let (bytes, golden) = foreign(name);
    let model = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{name} should load: {e}"));
    assert_eq!(model.k(), golden.k);
    assert_eq!(model.input_name(), golden.input_name);
    assert!(
        model.schema().generic,
        "{name} carries no schema, so a generic one is derived"
    );
    let rows: Vec<(&[f32], f64)> = golden.rows.iter().map(|r| (r.x.as_slice(), r.pd)).collect();
    assert_pds_match(name, &model, &rows);
}

#[test]
fn skl2onnx_logistic_regression_with_probabilities_output() {
    check_golden("logreg");
}

#[test]
fn skl2onnx_gradient_boosting_loads_after_normalizing_base_values() {
    check_golden("gbm");
}

#[test]
fn mlp_with_another_input_name_and_dynamic_batch() {
    check_golden("mlp_dynamic");
}

#[test]
fn small_helper_models_match_onnxruntime() {
    check_golden("ignore_feature");
    check_golden("symmetric");
}

#[test]
fn generic_schema_names_inputs_and_uses_a_zero_baseline() {
    let (bytes, _) = foreign("logreg");
    let model = Model::from_bytes(&bytes).unwrap();
    let schema = model.schema();
    let names: Vec<&str> = schema.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, (0..10).map(|i| format!("x{i}")).collect::<Vec<_>>());
    assert!(schema.features.iter().all(|f| f.baseline == 0.0));
}

/// skl2onnx's default export of a scaled logistic regression (ai.onnx.ml `Scaler`, `ZipMap`):
/// tract does not run it, so without reference scores it is refused with how to add them; with
/// onnxruntime's scores recorded it runs on the tree/linear evaluator (`trees`) like onnxruntime.
#[test]
fn zipmap_and_scaler_need_reference_scores_and_then_run_on_trees() {
    use credit_scorer::model::{REFERENCE_SCORES_METADATA_KEY, pb};
    use prost::Message;

    let (bytes, golden) = foreign("scaler_zipmap");
    let e = Model::from_bytes(&bytes).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ModelUnsupported);
    assert!(e.message().contains("reference scores"), "{e}");

    let mut proto = pb::ModelProto::decode(&bytes[..]).expect("decodes");
    // The golden rows and the rows that cover the model (ReferenceScores::uncovered).
    let rows = golden.rows.iter().chain(&golden.coverage);
    let reference = serde_json::json!({
        "runtime": "onnxruntime (training/train.py)",
        "rows": rows.clone().map(|r| &r.x).collect::<Vec<_>>(),
        "pd": rows.map(|r| r.pd).collect::<Vec<_>>(),
    });
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: REFERENCE_SCORES_METADATA_KEY.into(),
        value: reference.to_string(),
    });
    let model = Model::from_bytes(&proto.encode_to_vec()).expect("loads with reference scores");
    assert_eq!(model.engine(), credit_scorer::Engine::Trees);
    for r in &golden.rows {
        let p = model.predict(&r.x).unwrap()[0].pd;
        assert!((p - r.pd).abs() <= 1e-5, "{p} vs onnxruntime {}", r.pd);
    }
}

/// ONNX allows a node to share its name with a tensor; tract does not, so the loader renames the
/// node (names are labels only) and the model scores as before.
#[test]
fn node_names_that_clash_with_tensor_names_are_renamed() {
    use credit_scorer::model::pb;
    use prost::Message;

    let mut proto = pb::ModelProto::decode(read(REFERENCE_MODEL).as_slice()).expect("decodes");
    let graph = proto.graph.as_mut().expect("has a graph");
    let initializer = graph.initializer[0].name.clone();
    let input = graph.input[0].name.clone();
    graph.node[0].name = initializer;
    graph.node[1].name = input;
    graph.node[2].name = graph.node[3].name.clone();
    let bytes = proto.encode_to_vec();

    let model = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("should load: {e}"));
    let golden = reference_golden();
    let rows: Vec<(&[f32], f64)> = golden.rows.iter().map(|r| (r.x.as_slice(), r.pd)).collect();
    assert_pds_match("renamed nodes", &model, &rows);
}
