//! Every branch mode, aggregate and post-transform of random ensembles against onnxruntime.

use credit_scorer::model::pb;
use prost::Message;
use serde::Deserialize;

use crate::common::*;
use crate::row;

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
