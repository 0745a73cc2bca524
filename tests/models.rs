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

#[test]
fn zipmap_and_scaler_are_refused_with_how_to_re_export() {
    let (bytes, golden) = foreign("scaler_zipmap");
    assert_eq!(golden.expect, "refuse");
    let e = Model::from_bytes(&bytes).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ModelUnsupported);
    assert!(
        e.message().contains("zipmap") && e.message().contains("ai.onnx.ml"),
        "{e}"
    );
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
