//! One attribution for every channel: the Shapley values `assess` and the batch share, checked
//! against independent brute force over every coalition, and the same reasons and contributions
//! from `credit-scorer assess` and `credit-scorer score --contributions`.

mod common;

use std::collections::HashMap;

use common::*;
use credit_scorer::model::pb;
use credit_scorer::{Model, Scorer, explain};
use prost::Message;

/// s! (k−1−s)! / k!: the share of orderings of k players in which a given set of s others
/// comes first.
fn shapley_weight(k: usize, s: usize) -> f64 {
    let f = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
    f(s) * f(k - 1 - s) / f(k)
}

/// φ_i = Σ_{S ∌ i} |S|! (k−|S|−1)! / k! · (v(S ∪ {i}) − v(S)), from `v` over all 2^k masks.
fn shapley_from_values(k: usize, v: &[f64]) -> Vec<f64> {
    (0..k)
        .map(|i| {
            (0..1usize << k)
                .filter(|mask| mask >> i & 1 == 0)
                .map(|mask| {
                    shapley_weight(k, mask.count_ones() as usize) * (v[mask | 1 << i] - v[mask])
                })
                .sum()
        })
        .collect()
}

/// Brute force through the model itself: all 2^k coalition rows (feature i at the applicant's
/// value when bit i is set, else the baseline's) through `model.predict`.
fn brute_force_by_model(model: &Model, x: &[f32], b: &[f32]) -> Vec<f64> {
    let k = x.len();
    let mut rows = Vec::with_capacity(k << k);
    for mask in 0..1usize << k {
        rows.extend((0..k).map(|i| if mask >> i & 1 == 1 { x[i] } else { b[i] }));
    }
    let v: Vec<f64> = model
        .predict(&rows)
        .unwrap()
        .iter()
        .map(|p| p.logit)
        .collect();
    shapley_from_values(k, &v)
}

/// The reference network read from its ONNX file by this test, evaluated on its own: the WoE
/// lookup in f32 as the graph computes it (Gather, GreaterOrEqual, Cast, MatMul, Add), the
/// hidden layer, Relu and the output layer in f64 (exact Shapley values are those of the
/// network; a run in f32 rounds each coalition's log-odds by ~1e-7).
struct ReferenceNet {
    step_columns: Vec<usize>,
    step_thresholds: Vec<f32>,
    woe_steps: Vec<f32>,
    woe_base: Vec<f32>,
    w1: Vec<f64>,
    b1: Vec<f64>,
    w2: Vec<f64>,
    b2: f64,
}

fn floats(t: &pb::TensorProto) -> Vec<f64> {
    if !t.raw_data.is_empty() {
        match t.data_type {
            1 => t
                .raw_data
                .chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap())))
                .collect(),
            7 => t
                .raw_data
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f64)
                .collect(),
            other => panic!("{}: data type {other}", t.name),
        }
    } else if !t.float_data.is_empty() {
        t.float_data.iter().map(|&v| f64::from(v)).collect()
    } else {
        t.int64_data.iter().map(|&v| v as f64).collect()
    }
}

impl ReferenceNet {
    fn read() -> ReferenceNet {
        let proto = pb::ModelProto::decode(&read(REFERENCE_MODEL)[..]).unwrap();
        let graph = proto.graph.unwrap();
        let ops: Vec<&str> = graph.node.iter().map(|n| n.op_type.as_str()).collect();
        assert_eq!(
            ops,
            [
                "Gather",
                "GreaterOrEqual",
                "Cast",
                "MatMul",
                "Add",
                "MatMul",
                "Add",
                "Relu",
                "MatMul",
                "Add",
                "Sigmoid"
            ],
            "the reference model's graph changed: update this test"
        );
        let init: HashMap<&str, Vec<f64>> = graph
            .initializer
            .iter()
            .map(|t| (t.name.as_str(), floats(t)))
            .collect();
        let f32s = |name: &str| init[name].iter().map(|&v| v as f32).collect::<Vec<f32>>();
        ReferenceNet {
            step_columns: init["step_columns"].iter().map(|&v| v as usize).collect(),
            step_thresholds: f32s("step_thresholds"),
            woe_steps: f32s("woe_steps"),
            woe_base: f32s("woe_base"),
            w1: init["dense1_w"].clone(),
            b1: init["dense1_b"].clone(),
            w2: init["dense2_w"].clone(),
            b2: init["dense2_b"][0],
        }
    }

    /// The WoE values (the hidden layer's inputs) of a raw row, in f32 as the graph has them:
    /// each sum accumulated over the step columns in order.
    fn woe(&self, x: &[f32]) -> Vec<f32> {
        let n = self.step_columns.len();
        let width = self.woe_base.len();
        let on: Vec<f32> = (0..n)
            .map(|t| {
                let v = x[self.step_columns[t]];
                if v >= self.step_thresholds[t] { 1.0 } else { 0.0 }
            })
            .collect();
        (0..width)
            .map(|o| {
                let mut s = 0.0f32;
                for t in 0..n {
                    s += on[t] * self.woe_steps[t * width + o];
                }
                s + self.woe_base[o]
            })
            .collect()
    }

    /// Log-odds from WoE values, in f64.
    fn logit(&self, woe: &[f32]) -> f64 {
        let units = self.b1.len();
        let mut out = self.b2;
        for j in 0..units {
            let mut h = self.b1[j];
            for (t, &z) in woe.iter().enumerate() {
                h += f64::from(z) * self.w1[t * units + j];
            }
            out += self.w2[j] * h.max(0.0);
        }
        out
    }

    /// Brute-force Shapley values of `x` against `b`: every coalition's log-odds.
    fn shapley(&self, x: &[f32], b: &[f32]) -> (Vec<f64>, f64, f64) {
        let k = x.len();
        let v: Vec<f64> = (0..1usize << k)
            .map(|mask| {
                let row: Vec<f32> = (0..k)
                    .map(|i| if mask >> i & 1 == 1 { x[i] } else { b[i] })
                    .collect();
                self.logit(&self.woe(&row))
            })
            .collect();
        (shapley_from_values(k, &v), v[0], v[(1 << k) - 1])
    }
}

/// The 200 applicants of the held-out test split.
fn test_split() -> Vec<Vec<f32>> {
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

/// Applicants of the test split with some features at the baseline's values, and the baseline.
fn with_baseline_features(rows: &[Vec<f32>], baseline: &[f32]) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    for (n, row) in rows.iter().enumerate().take(40) {
        let mut r = row.clone();
        // 1 to 9 features set to the baseline's, a different choice per row.
        for i in 0..r.len() {
            if (n * 7 + i * 3) % 10 < 1 + n % 9 {
                r[i] = baseline[i];
            }
        }
        out.push(r);
    }
    out.push(baseline.to_vec());
    out
}

#[test]
fn the_fast_exact_routine_is_the_brute_force_shapley_value_of_the_network() {
    let scorer = Scorer::from_bytes(&read(REFERENCE_MODEL)).unwrap();
    let model = scorer.model();
    assert!(
        model.has_network_contributions(),
        "the reference model is one hidden layer"
    );
    assert_eq!(explain::method(model), explain::Method::ExactShapley);
    let baseline = scorer.schema().baseline();
    let net = ReferenceNet::read();
    let rows = test_split();
    assert_eq!(rows.len(), 200);
    let mut cases = rows.clone();
    cases.extend(with_baseline_features(&rows, &baseline));
    let (mut worst_net, mut worst_model) = (0.0f64, 0.0f64);
    for x in &cases {
        let a = explain::shapley(model, x, &baseline).unwrap();
        assert!(!a.approximate);
        let (expected, v0, v1) = net.shapley(x, &baseline);
        for (i, (&got, &want)) in a.logit_contributions.iter().zip(&expected).enumerate() {
            worst_net = worst_net.max((got - want).abs());
            assert!(
                (got - want).abs() <= 1e-9,
                "{x:?} feature {i}: {got} vs brute force {want}"
            );
        }
        assert!((a.baseline_logit - v0).abs() <= 1e-9);
        assert!((a.applicant_logit - v1).abs() <= 1e-9);
        // The model's own f32 run of every coalition: the same values up to f32 rounding.
        for (got, want) in a
            .logit_contributions
            .iter()
            .zip(brute_force_by_model(model, x, &baseline))
        {
            worst_model = worst_model.max((got - want).abs());
            assert!((got - want).abs() <= 2e-6, "{x:?}: {got} vs the model's run {want}");
        }
        // A feature at the baseline's value gets exactly nothing.
        for (i, (&xi, &bi)) in x.iter().zip(&baseline).enumerate() {
            if xi == bi {
                assert_eq!(a.logit_contributions[i], 0.0, "{x:?} feature {i}");
            }
        }
    }
    eprintln!(
        "largest difference: {worst_net:e} from the network's brute force, {worst_model:e} from the model's f32 runs"
    );
}
