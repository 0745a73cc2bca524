//! The direct evaluator (`src/engine/chain.rs`) against onnxruntime's golden values and against
//! tract's plan, operator by operator, and the models it must leave to tract.

mod common;

use common::*;
use credit_scorer::explain::SplitMix64;
use credit_scorer::model::pb;
use credit_scorer::{Engine, LoadOptions, Model};

fn load(bytes: &[u8], direct: bool) -> Model {
    let options = LoadOptions {
        direct,
        ..LoadOptions::default()
    };
    Model::from_bytes_with(bytes, &options).unwrap_or_else(|e| panic!("should load: {e}"))
}

/// Both engines score `rows` alike: pd to 2e-6, and log-odds to 2e-5 relative when the model
/// has a log-odds output (derived from an f32 pd near 0 or 1 they would only echo its rounding).
fn assert_engines_agree(what: &str, direct: &Model, tract: &Model, rows: &[f32], has_logit: bool) {
    let a = direct.predict(rows).expect("direct scores");
    let b = tract.predict(rows).expect("tract scores");
    assert_eq!(a.len(), b.len());
    assert_eq!(a.len(), rows.len() / direct.k());
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        assert!(
            close(a.pd, b.pd, 2e-6),
            "{what} row {i}: pd {} (direct) vs {} (tract)",
            a.pd,
            b.pd
        );
        assert!(
            !has_logit || close(a.logit, b.logit, 2e-5 * b.logit.abs().max(1.0)),
            "{what} row {i}: log-odds {} (direct) vs {} (tract)",
            a.logit,
            b.logit
        );
    }
}

/// Rows of `k` values drawn uniformly from [lo, hi].
fn random_rows(k: usize, n: usize, lo: f64, hi: f64, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..n * k)
        .map(|_| (lo + rng.unit() * (hi - lo)) as f32)
        .collect()
}

#[test]
fn reference_model_runs_directly_and_matches_onnxruntime() {
    let bytes = read(REFERENCE_MODEL);
    let direct = load(&bytes, true);
    let tract = load(&bytes, false);
    assert_eq!(direct.engine(), Engine::Direct);
    assert_eq!(tract.engine(), Engine::Tract);
    let golden = reference_golden();
    let rows: Vec<(&[f32], f64)> = golden.rows.iter().map(|r| (r.x.as_slice(), r.pd)).collect();
    assert_pds_match("direct", &direct, &rows);
    assert_pds_match("tract", &tract, &rows);
    let flat: Vec<f32> = rows.iter().flat_map(|(x, _)| x.iter().copied()).collect();
    assert_engines_agree("golden rows", &direct, &tract, &flat, true);
}

/// Values far outside the schema's ranges and between its category codes still score alike: the
/// step thresholds and the dense layers do not depend on validation having run.
#[test]
fn reference_model_agrees_with_tract_beyond_the_schema() {
    let bytes = read(REFERENCE_MODEL);
    let (direct, tract) = (load(&bytes, true), load(&bytes, false));
    let k = direct.k();
    assert_engines_agree(
        "wide",
        &direct,
        &tract,
        &random_rows(k, 5_000, -100.0, 20_000.0, 1),
        true,
    );
    assert_engines_agree(
        "narrow",
        &direct,
        &tract,
        &random_rows(k, 5_000, -2.0, 12.0, 2),
        true,
    );
    // One call longer than tract's runs of 1,024 rows, and an empty one.
    let long = random_rows(k, 3_000, 0.0, 80.0, 3);
    assert_eq!(direct.predict(&long).unwrap().len(), 3_000);
    assert!(direct.predict(&[]).unwrap().is_empty());
    assert!(direct.predict(&long[..k + 1]).is_err(), "a partial row");
}

/// Shapley values (every channel's reasons): the direct engine's (per hidden unit for a chain
/// that is one hidden layer, else over every coalition) against tract's run over every
/// coalition, row by row. Both NaN counts as agreeing.
fn assert_explanations_agree(
    what: &str,
    direct: &Model,
    tract: &Model,
    rows: &[f32],
    baseline: &[f32],
) {
    let k = direct.k();
    for (n, x) in rows.chunks_exact(k).enumerate() {
        let a = credit_scorer::explain::shapley(direct, x, baseline).expect("direct");
        let b = credit_scorer::explain::shapley(tract, x, baseline).expect("tract");
        for (i, (p, q)) in a
            .logit_contributions
            .iter()
            .zip(&b.logit_contributions)
            .enumerate()
        {
            assert!(
                (p.is_nan() && q.is_nan()) || p == q || close(*p, *q, 5e-5 * q.abs().max(1.0)),
                "{what} row {n} feature {i}: {p} (direct) vs {q} (tract)"
            );
        }
    }
}

#[test]
fn shapley_values_match_tracts_run_over_every_coalition() {
    let bytes = read(REFERENCE_MODEL);
    let (direct, tract) = (load(&bytes, true), load(&bytes, false));
    assert!(direct.has_network_contributions());
    let golden = reference_golden();
    let rows: Vec<f32> = golden
        .rows
        .iter()
        .flat_map(|r| r.x.iter().copied())
        .collect();
    let baseline = direct.schema().baseline();
    assert_explanations_agree("golden rows", &direct, &tract, &rows, &baseline);
    let k = direct.k();
    assert_explanations_agree(
        "random rows",
        &direct,
        &tract,
        &random_rows(k, 100, -5.0, 100.0, 11),
        &baseline,
    );
}

#[test]
fn explanations_are_the_same_through_either_engine() {
    let bytes = read(REFERENCE_MODEL);
    let (direct, tract) = (load(&bytes, true), load(&bytes, false));
    let baseline = direct.schema().baseline();
    let golden = reference_golden();
    for row in golden.rows.iter().take(5) {
        let a = credit_scorer::explain::shapley(&direct, &row.x, &baseline).unwrap();
        let b = credit_scorer::explain::shapley(&tract, &row.x, &baseline).unwrap();
        for (x, y) in a.logit_contributions.iter().zip(&b.logit_contributions) {
            assert!(close(*x, *y, 1e-4), "{} vs {}", x, y);
        }
    }
}

#[test]
fn foreign_models_choose_the_right_engine_and_match_onnxruntime() {
    for (name, engine) in [
        // MatMul, Add, Relu, …, Sigmoid: a chain.
        ("mlp_dynamic", Engine::Direct),
        ("ignore_feature", Engine::Direct),
        // Two branches added together: tract.
        ("symmetric", Engine::Tract),
        // ai.onnx.ml operators: the tree/linear evaluator, which agreed with tract on the probe
        // applicants (no reference scores in these files).
        ("logreg", Engine::Trees),
        ("gbm", Engine::Trees),
    ] {
        let (bytes, golden) = foreign(name);
        let (direct, tract) = (load(&bytes, true), load(&bytes, false));
        assert_eq!(direct.engine(), engine, "{name}");
        let rows: Vec<(&[f32], f64)> = golden.rows.iter().map(|r| (r.x.as_slice(), r.pd)).collect();
        assert_pds_match(name, &direct, &rows);
        assert_pds_match(name, &tract, &rows);
        if engine == Engine::Direct {
            let x: Vec<f32> = golden.rows.iter().flat_map(|r| r.x.clone()).collect();
            let baseline = direct.schema().baseline();
            assert_explanations_agree(name, &direct, &tract, &x, &baseline);
        }
    }
}

// ---- a graph of every operator the chain compiles, checked against tract ----

fn ints(name: &str, data: Vec<i64>) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: vec![data.len() as i64],
        data_type: 7,
        int64_data: data,
        ..Default::default()
    }
}

enum Attr {
    Int(&'static str, i64),
    Float(&'static str, f32),
}

fn node(op: &str, inputs: &[&str], output: &str, attrs: &[Attr]) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: format!("{output}_node"),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attrs
            .iter()
            .map(|a| match a {
                Attr::Int(n, i) => pb::AttributeProto {
                    name: (*n).into(),
                    r#type: pb::attribute_proto::AttributeType::Int as i32,
                    i: *i,
                    ..Default::default()
                },
                Attr::Float(n, f) => pb::AttributeProto {
                    name: (*n).into(),
                    r#type: pb::attribute_proto::AttributeType::Float as i32,
                    f: *f,
                    ..Default::default()
                },
            })
            .collect(),
        ..Default::default()
    }
}

fn model_bytes(
    nodes: Vec<pb::NodeProto>,
    initializer: Vec<pb::TensorProto>,
    k: i64,
    outputs: Vec<pb::ValueInfoProto>,
) -> Vec<u8> {
    onnx_bytes(pb::GraphProto {
        name: "ops".into(),
        node: nodes,
        initializer,
        input: vec![value_info("x", k)],
        output: outputs,
        ..Default::default()
    })
}

fn spread(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| (rng.unit() * 2.0 - 1.0) as f32).collect()
}

/// Gather (negative index), comparisons with the constant on either side, Cast, Identity, Sub and
/// Div both ways, Mul, Tanh, a Gemm with transB, alpha, beta and a bias, MatMul, Relu, Sigmoid.
#[test]
fn every_compiled_operator_matches_tract() {
    let k = 4;
    let nodes = vec![
        node("Gather", &["x", "cols"], "g", &[Attr::Int("axis", 1)]),
        node("Identity", &["g"], "g1", &[]),
        node("Greater", &["g1", "thr"], "gt", &[]),
        node("Cast", &["gt"], "gtf", &[Attr::Int("to", 1)]),
        node("Less", &["thr", "gtf"], "lt", &[]), // thr < gtf, i.e. gtf > thr
        node("Cast", &["lt"], "ltf", &[Attr::Int("to", 1)]),
        node("Add", &["thr", "ltf"], "s", &[]),
        node("Sub", &["one", "s"], "s2", &[]),
        node("Div", &["s2", "two"], "s3", &[]),
        node("Div", &["three", "s3"], "s4", &[]),
        node("Mul", &["s4", "scale"], "s5", &[]),
        node("Tanh", &["s5"], "t", &[]),
        node(
            "Gemm",
            &["t", "gw", "gb"],
            "h",
            &[
                Attr::Int("transB", 1),
                Attr::Float("alpha", 0.5),
                Attr::Float("beta", 2.0),
            ],
        ),
        node("Relu", &["h"], "r", &[]),
        node("MatMul", &["r", "w2"], "z", &[]),
        node("Sub", &["z", "bias"], "logit", &[]),
        node("Sigmoid", &["logit"], "pd", &[]),
    ];
    let g = 6;
    let hidden = 16;
    let initializer = vec![
        ints("cols", vec![0, 1, 2, 3, -1, -4]),
        f32_tensor("thr", &[g], vec![0.1, -0.2, 0.3, 0.0, 0.5, -0.5]),
        f32_tensor("one", &[], vec![1.0]),
        f32_tensor("two", &[1], vec![2.0]),
        f32_tensor("three", &[1, 1], vec![3.0]),
        f32_tensor("scale", &[1, g], spread(g as usize, 4)),
        f32_tensor("gw", &[hidden, g], spread((hidden * g) as usize, 5)),
        f32_tensor("gb", &[hidden], spread(hidden as usize, 6)),
        f32_tensor("w2", &[hidden, 1], spread(hidden as usize, 7)),
        f32_tensor("bias", &[1], vec![0.25]),
    ];
    let bytes = model_bytes(
        nodes,
        initializer,
        k,
        vec![value_info("pd", 1), value_info("logit", 1)],
    );
    let (direct, tract) = (load(&bytes, true), load(&bytes, false));
    assert_eq!(direct.engine(), Engine::Direct);
    assert_engines_agree(
        "operators",
        &direct,
        &tract,
        &random_rows(4, 4_000, -3.0, 3.0, 8),
        true,
    );
    // Reasons: one changed feature reaches two Gather outputs, then Gemm's rows (Δ·W, or the
    // full product once a third of its inputs differ); rows with infinities take the full path.
    let mut rows = random_rows(4, 300, -3.0, 3.0, 9);
    rows.extend([
        f32::INFINITY,
        0.5,
        -1.0,
        2.0,
        0.0,
        f32::NEG_INFINITY,
        1.0,
        f32::MAX,
    ]);
    let baseline = random_rows(4, 1, -1.0, 1.0, 10);
    assert_explanations_agree("operators", &direct, &tract, &rows, &baseline);
}

/// A two-class probability output [N, 2] (pd in the second column) and no log-odds output.
#[test]
fn two_class_output_reads_the_second_column() {
    let k = 3;
    let nodes = vec![
        node("MatMul", &["x", "w"], "z", &[]),
        node("Add", &["z", "b"], "zb", &[]),
        node("Sigmoid", &["zb"], "probabilities", &[]),
    ];
    let initializer = vec![
        f32_tensor("w", &[k, 2], vec![0.5, -0.5, 1.0, -1.0, 0.25, 2.0]),
        f32_tensor("b", &[2], vec![0.1, -0.3]),
    ];
    let bytes = model_bytes(nodes, initializer, k, vec![value_info("probabilities", 2)]);
    let (direct, tract) = (load(&bytes, true), load(&bytes, false));
    assert_eq!(direct.engine(), Engine::Direct);
    assert_engines_agree(
        "two columns",
        &direct,
        &tract,
        &random_rows(3, 500, -4.0, 4.0, 9),
        false,
    );
}

/// Graphs the chain does not describe stay with tract and still score.
#[test]
fn other_graphs_stay_with_tract() {
    let k = 3;
    let w = f32_tensor("w", &[k, 1], vec![0.5, -0.5, 1.0]);
    // x · w + x · w: two variable inputs to one node.
    let branching = model_bytes(
        vec![
            node("MatMul", &["x", "w"], "a", &[]),
            node("MatMul", &["x", "w"], "b", &[]),
            node("Add", &["a", "b"], "z", &[]),
            node("Sigmoid", &["z"], "pd", &[]),
        ],
        vec![w.clone()],
        k,
        vec![value_info("pd", 1)],
    );
    // An operator the chain does not know (Softplus), in the middle.
    let unknown = model_bytes(
        vec![
            node("MatMul", &["x", "w"], "a", &[]),
            node("Softplus", &["a"], "b", &[]),
            node("Sigmoid", &["b"], "pd", &[]),
        ],
        vec![w],
        k,
        vec![value_info("pd", 1)],
    );
    for (what, bytes) in [("branching", branching), ("unknown", unknown)] {
        let (direct, tract) = (load(&bytes, true), load(&bytes, false));
        assert_eq!(direct.engine(), Engine::Tract, "{what}");
        assert_engines_agree(
            what,
            &direct,
            &tract,
            &random_rows(3, 100, -2.0, 2.0, 10),
            false,
        );
    }
}

/// A sparse matrix skips its zero weights only while that is exact: an infinite input times a
/// zero weight is NaN in a dense product, so the row must not come out as a number.
#[test]
fn sparse_weights_keep_ieee_products_for_infinite_inputs() {
    let k = 3;
    let mut w = vec![0.0f32; 3 * 8];
    for (row, col) in [(0, 1), (1, 4), (2, 6)] {
        w[row * 8 + col] = 0.5;
    }
    let bytes = model_bytes(
        vec![
            node("MatMul", &["x", "w"], "h", &[]),
            node("MatMul", &["h", "ones"], "z", &[]),
            node("Sigmoid", &["z"], "pd", &[]),
        ],
        vec![
            f32_tensor("w", &[3, 8], w),
            f32_tensor("ones", &[8, 1], vec![1.0; 8]),
        ],
        k,
        vec![value_info("pd", 1)],
    );
    let (direct, tract) = (load(&bytes, true), load(&bytes, false));
    assert_eq!(direct.engine(), Engine::Direct);
    assert_engines_agree(
        "finite",
        &direct,
        &tract,
        &random_rows(3, 200, -4.0, 4.0, 12),
        false,
    );
    let pd = direct.predict(&[f32::INFINITY, 0.0, 0.0]).unwrap()[0].pd;
    assert!(pd.is_nan(), "∞ × 0 weights must stay NaN, got {pd}");
    let pd = direct.predict(&[1.0, 2.0, -1.0]).unwrap()[0].pd;
    assert!(close(pd, 1.0 / (1.0 + (-1.0f64).exp()), 1e-6), "{pd}");
}
