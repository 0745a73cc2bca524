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
    /// The rows that cover a model without schema (the baseline 0, each input at ±10), scored
    /// by onnxruntime: reference scores the lite engine trusts.
    #[serde(default)]
    pub coverage: Vec<ForeignRow>,
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

/// A float32 graph input or output of shape [N, cols].
pub fn value_info(name: &str, cols: i64) -> credit_scorer::model::pb::ValueInfoProto {
    use credit_scorer::model::pb::tensor_shape_proto::{Dimension, dimension::Value};
    credit_scorer::model::pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(credit_scorer::model::pb::TypeProto {
            value: Some(credit_scorer::model::pb::type_proto::Value::TensorType(
                credit_scorer::model::pb::type_proto::Tensor {
                    elem_type: 1,
                    shape: Some(credit_scorer::model::pb::TensorShapeProto {
                        dim: vec![
                            Dimension {
                                value: Some(Value::DimParam("N".into())),
                                ..Default::default()
                            },
                            Dimension {
                                value: Some(Value::DimValue(cols)),
                                ..Default::default()
                            },
                        ],
                    }),
                },
            )),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A float32 initializer.
pub fn f32_tensor(
    name: &str,
    dims: &[i64],
    data: Vec<f32>,
) -> credit_scorer::model::pb::TensorProto {
    credit_scorer::model::pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: 1,
        float_data: data,
        ..Default::default()
    }
}

/// A node without attributes, named after its output.
pub fn plain_node(op: &str, inputs: &[&str], output: &str) -> credit_scorer::model::pb::NodeProto {
    credit_scorer::model::pb::NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    }
}

/// `graph` as ONNX bytes: IR version 8, the default domain at opset 17.
pub fn onnx_bytes(graph: credit_scorer::model::pb::GraphProto) -> Vec<u8> {
    use credit_scorer::model::pb;
    use prost::Message;
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

/// A logistic model `pd = sigmoid(x · w + b)` with `k` inputs, written as ONNX bytes, with
/// `logit` as a second output.
pub fn linear_onnx(w: &[f32], b: f32) -> Vec<u8> {
    let k = w.len() as i64;
    onnx_bytes(credit_scorer::model::pb::GraphProto {
        name: "linear".into(),
        node: vec![
            plain_node("MatMul", &["x", "w"], "xw"),
            plain_node("Add", &["xw", "b"], "logit"),
            plain_node("Sigmoid", &["logit"], "pd"),
        ],
        initializer: vec![
            f32_tensor("w", &[k, 1], w.to_vec()),
            f32_tensor("b", &[1], vec![b]),
        ],
        input: vec![value_info("x", k)],
        output: vec![value_info("pd", 1), value_info("logit", 1)],
        ..Default::default()
    })
}

/// Scores `rows` (each `(x, pd from onnxruntime)`) with `model` in one batch and checks every pd
/// to 1e-5.
pub fn assert_pds_match(what: &str, model: &credit_scorer::Model, rows: &[(&[f32], f64)]) {
    let flat: Vec<f32> = rows.iter().flat_map(|(x, _)| x.iter().copied()).collect();
    let predictions = model.predict(&flat).expect("scores");
    assert_eq!(predictions.len(), rows.len());
    for (i, (p, (_, want))) in predictions.iter().zip(rows).enumerate() {
        assert!(
            close(p.pd, *want, 1e-5),
            "{what} row {i}: pd {} vs onnxruntime {want}",
            p.pd
        );
    }
}

/// `bytes` with `rows` and their `pds` recorded as the model's reference scores (so the lite
/// build runs it too); `runtime` says where the PDs came from.
pub fn with_reference_pds(bytes: &[u8], runtime: &str, rows: &[Vec<f32>], pds: &[f64]) -> Vec<u8> {
    use credit_scorer::model::{REFERENCE_SCORES_METADATA_KEY, pb};
    use prost::Message;
    let mut proto = pb::ModelProto::decode(bytes).expect("model decodes");
    proto
        .metadata_props
        .retain(|p| p.key != REFERENCE_SCORES_METADATA_KEY);
    let value = serde_json::json!({ "runtime": runtime, "rows": rows, "pd": pds });
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: REFERENCE_SCORES_METADATA_KEY.into(),
        value: value.to_string(),
    });
    proto.encode_to_vec()
}

/// The 200 applicants of the held-out test split (their raw model inputs).
pub fn test_split() -> Vec<Vec<f32>> {
    let v: serde_json::Value =
        serde_json::from_slice(&read("tests/fixtures/governance/test_split.json")).unwrap();
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["x"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        })
        .collect()
}
