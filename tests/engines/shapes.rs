//! Output and input shapes exporters write, and the direct evaluator's bound on width.

use crate::common::*;
use credit_scorer::model::{REFERENCE_SCORES_METADATA_KEY, pb};
use credit_scorer::{Engine, ErrorKind, Model};
use prost::Message;
use serde_json::json;

use crate::*;

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
