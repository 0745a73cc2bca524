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
                if v >= self.step_thresholds[t] {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        (0..width)
            .map(|o| {
                let mut s = 0.0f32;
                for (t, on) in on.iter().enumerate() {
                    s += on * self.woe_steps[t * width + o];
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
            assert!(
                (got - want).abs() <= 2e-6,
                "{x:?}: {got} vs the model's run {want}"
            );
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

/// The rows of a fixture as CSV cells and JSON values (a missing value: an empty cell, `null`).
fn applicant_json(names: &[String], row: &[Option<f64>]) -> String {
    let object: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .zip(row)
        .map(|(n, v)| {
            (
                n.clone(),
                v.map_or(serde_json::Value::Null, |v| serde_json::json!(v)),
            )
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// `credit-scorer assess` on each row and `credit-scorer score --contributions` on all of them:
/// the same four reasons in the same order and the same contributions, to 1e-9 points.
fn assess_and_score_agree(model: &str, rows: &[Vec<Option<f64>>], method: &str) {
    let dir = tempfile::TempDir::new().unwrap();
    let scorer = Scorer::from_bytes(&read(model)).unwrap();
    let names: Vec<String> = scorer
        .schema()
        .features
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let mut csv = names.join(",") + "\n";
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| v.map_or(String::new(), |v| format!("{v}")))
            .collect();
        csv += &(cells.join(",") + "\n");
    }
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    let run = assert_cmd::Command::cargo_bin("credit-scorer")
        .unwrap()
        .args(["score", "--contributions", "--threads", "2", "--model"])
        .arg(repo(model))
        .arg(&input)
        .assert()
        .success();
    let summary = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(
        summary.contains(&format!("reasons: {method} against the baseline")),
        "{summary}"
    );
    let mut reader = csv::Reader::from_reader(&run.get_output().stdout[..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let expected_header: Vec<String> = names
        .iter()
        .cloned()
        .chain(
            [
                "pd", "points", "band", "reason_1", "reason_2", "reason_3", "reason_4", "error",
            ]
            .map(String::from),
        )
        .chain(names.iter().map(|n| format!("contribution_{n}")))
        .collect();
    assert_eq!(header, expected_header);
    let k = names.len();
    let out: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(out.len(), rows.len());
    // The same run as JSON Lines with the summary file: the same columns in the same order,
    // the contributions as numbers (the CSV's values), and the summary names the method.
    let jsonl = dir.path().join("scored.jsonl");
    let summary_file = dir.path().join("summary.json");
    assert_cmd::Command::cargo_bin("credit-scorer")
        .unwrap()
        .args([
            "score",
            "-q",
            "--contributions",
            "--format",
            "jsonl",
            "--model",
        ])
        .arg(repo(model))
        .arg(&input)
        .arg("-o")
        .arg(&jsonl)
        .arg("--summary")
        .arg(&summary_file)
        .assert()
        .success();
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary_file).unwrap()).unwrap();
    assert_eq!(s["summary"]["reasons_method"], method);
    let lines = std::fs::read_to_string(&jsonl).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), out.len());
    for (n, (line, record)) in lines.iter().zip(&out).enumerate() {
        let mut at = 0;
        for h in &header {
            let key = format!("{}:", serde_json::to_string(h).unwrap());
            at += line[at..]
                .find(&key)
                .unwrap_or_else(|| panic!("row {n}: {key} in order in {line}"));
        }
        let object: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(object["error"].is_null(), "row {n}: {line}");
        for (i, name) in names.iter().enumerate() {
            let value = &object[format!("contribution_{name}")];
            let csv: f64 = record[k + 8 + i].parse().unwrap();
            let json = value
                .as_f64()
                .unwrap_or_else(|| panic!("row {n} {name}: {value} is not a number"));
            assert!(
                (json - csv).abs() <= 1e-12 * csv.abs().max(1.0),
                "row {n} {name}: {json} vs {csv}"
            );
        }
    }
    let mut with_four = 0;
    for (n, (row, record)) in rows.iter().zip(&out).enumerate() {
        assert_eq!(&record[k + 7], "", "row {n} refused");
        let file = dir.path().join("applicant.json");
        std::fs::write(&file, applicant_json(&names, row)).unwrap();
        let run = assert_cmd::Command::cargo_bin("credit-scorer")
            .unwrap()
            .args(["assess", "--model"])
            .arg(repo(model))
            .arg(&file)
            .assert()
            .success();
        let a: serde_json::Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
        let reasons: Vec<&str> = a["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["feature"].as_str().unwrap())
            .collect();
        let batch_reasons: Vec<&str> = (0..4)
            .map(|i| &record[k + 3 + i])
            .filter(|r| !r.is_empty())
            .collect();
        assert_eq!(reasons, batch_reasons, "row {n}");
        with_four += usize::from(reasons.len() == 4);
        for (i, c) in a["contributions"].as_array().unwrap().iter().enumerate() {
            let page = c["contribution"].as_f64().unwrap();
            let batch: f64 = record[k + 8 + i].parse().unwrap();
            assert!(
                (page - batch).abs() <= 1e-9,
                "row {n} {}: {page} vs {batch}",
                names[i]
            );
        }
        assert!(
            (0..k).all(|i| &record[k + 8 + i] != "-0"),
            "row {n}: a zero contribution is written as 0"
        );
        // Contributions add up to the applicant's points minus the baseline's.
        let sum: f64 = (0..k)
            .map(|i| record[k + 8 + i].parse::<f64>().unwrap())
            .sum();
        let diff = a["points_unclamped"].as_f64().unwrap() - a["baseline_points"].as_f64().unwrap();
        assert!((sum - diff).abs() <= 1e-9, "row {n}: {sum} vs {diff}");
    }
    assert!(
        with_four > rows.len() / 4,
        "{with_four} rows with four reasons"
    );
}

#[test]
fn assess_and_score_give_the_same_reasons_and_contributions_for_the_reference_model() {
    let rows: Vec<Vec<Option<f64>>> = test_split()
        .iter()
        .map(|r| r.iter().map(|&v| Some(f64::from(v))).collect())
        .collect();
    assert_eq!(rows.len(), 200);
    assess_and_score_agree(REFERENCE_MODEL, &rows, "exact Shapley");
}

#[test]
fn assess_and_score_give_the_same_reasons_and_contributions_for_a_tree_model() {
    let v: serde_json::Value =
        serde_json::from_slice(&read("tests/fixtures/bank/xgboost.json")).unwrap();
    let baseline = Scorer::from_bytes(&read("tests/fixtures/bank/xgboost.onnx"))
        .unwrap()
        .schema()
        .baseline();
    // The schema requires every value: a missing one takes the baseline's (so that some
    // applicants equal the baseline in several features).
    let rows: Vec<Vec<Option<f64>>> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .zip(&baseline)
                .map(|(x, &b)| Some(x.as_f64().unwrap_or(f64::from(b))))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 200);
    assess_and_score_agree("tests/fixtures/bank/xgboost.onnx", &rows, "exact TreeSHAP");
}

/// Time per applicant of the exact Shapley routine on the reference model's test split (the
/// batch path's reasons), for docs/BENCHMARKS.md: `cargo test --release --no-default-features
/// --test attribution -- --ignored --nocapture`.
#[test]
#[ignore = "a timing, not a check: run it in release"]
fn time_exact_shapley_per_applicant() {
    let scorer = Scorer::from_bytes(&read(REFERENCE_MODEL)).unwrap();
    let model = scorer.model();
    let baseline = scorer.schema().baseline();
    let rows = test_split();
    let mut work = explain::Workspace::default();
    let mut phi = Vec::new();
    let mut check = 0.0;
    let mut best = f64::INFINITY;
    for _ in 0..7 {
        let start = std::time::Instant::now();
        for _ in 0..50 {
            for row in &rows {
                explain::shapley_into(model, row, &baseline, &mut work, &mut phi).unwrap();
                check += phi[0];
            }
        }
        best = best.min(start.elapsed().as_secs_f64() / (50 * rows.len()) as f64);
    }
    eprintln!(
        "exact Shapley, reference model, test split: {:.3} µs per applicant (best of 7 × {} \
         applicants; checksum {check:e})",
        best * 1e6,
        50 * rows.len()
    );
}
