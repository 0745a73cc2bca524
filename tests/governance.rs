//! Model governance: the figures the training pipeline put in the model card (calibration, KS, AUC,
//! Brier, score distribution, bands, fair lending) recomputed from the test split, and the
//! Population Stability Index on a file sampled from the training data and on a shifted one.
//!
//! Tolerances: the model card rounds every figure to 4 decimals, so a recomputation from the same
//! PDs (onnxruntime's float32 outputs, stored exactly in the fixture) must agree to half a unit of
//! the 4th decimal (5e-5, plus 1e-9 for float summation order). Counts must agree exactly. With
//! tract's PDs instead of onnxruntime's (they differ by < 1e-6), the ranking of 200 applicants can
//! only change where two PDs are within 1e-6 of each other, so AUC and KS agree to 1e-3.

use credit_scorer::drift::{Drift, Reading};
// The command line's text of the drift report (the core holds it as data only).
#[path = "../src/cli/summary_text.rs"]
mod summary_text;
use credit_scorer::{Scorer, model::sha256_hex};
use serde::Deserialize;
use serde_json::Value;
use summary_text::ToText;

// Own fixture helpers (tests/common is shared and changes under other work).
const REFERENCE_MODEL: &str = "www/models/german-credit-mlp.onnx";

fn read(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

const ROUNDING: f64 = 5e-5 + 1e-9;
const PROTECTED: [&str; 3] = ["personal_status_and_sex", "age_in_years", "foreign_worker"];

#[derive(Deserialize)]
struct Row {
    x: Vec<f32>,
    pd: f64,
    bad: u8,
    sex: String,
    age_in_years: u32,
    foreign_worker: String,
}

#[derive(Deserialize)]
struct Split {
    model_sha256: String,
    features: Vec<String>,
    rows: Vec<Row>,
}

fn split() -> Split {
    serde_json::from_slice(&read("tests/fixtures/governance/test_split.json"))
        .expect("test split JSON")
}

fn scorer() -> Scorer {
    Scorer::from_bytes(&read(REFERENCE_MODEL)).expect("the reference model loads")
}

fn card() -> Value {
    scorer().schema().model_card.clone()
}

fn num(v: &Value, path: &str) -> f64 {
    v.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("model card has no number at {path}"))
}

fn close(what: &str, got: f64, card: f64, tol: f64) {
    assert!(
        (got - card).abs() <= tol,
        "{what}: recomputed {got}, model card {card} (tolerance {tol})"
    );
}

/// AUC as the Mann–Whitney statistic: P(pd of a bad > pd of a good), ties count one half.
fn auc(pd: &[f64], bad: &[u8]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (p, &b) in pd.iter().zip(bad) {
        if b != 1 {
            continue;
        }
        for (q, &g) in pd.iter().zip(bad) {
            if g != 0 {
                continue;
            }
            pairs += 1.0;
            if p > q {
                wins += 1.0;
            } else if p == q {
                wins += 0.5;
            }
        }
    }
    wins / pairs
}

/// KS: the largest gap between the cumulative shares of bads and goods above a threshold.
fn ks(pd: &[f64], bad: &[u8]) -> f64 {
    let mut thresholds: Vec<f64> = pd.to_vec();
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    let nb = bad.iter().filter(|&&b| b == 1).count() as f64;
    let ng = bad.len() as f64 - nb;
    thresholds
        .iter()
        .map(|&t| {
            let tb = pd
                .iter()
                .zip(bad)
                .filter(|(p, b)| **p >= t && **b == 1)
                .count() as f64;
            let tg = pd
                .iter()
                .zip(bad)
                .filter(|(p, b)| **p >= t && **b == 0)
                .count() as f64;
            tb / nb - tg / ng
        })
        .fold(0.0, f64::max)
}

fn brier(pd: &[f64], bad: &[u8]) -> f64 {
    pd.iter()
        .zip(bad)
        .map(|(p, &b)| (p - f64::from(b)).powi(2))
        .sum::<f64>()
        / pd.len() as f64
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    s / n as f64
}

fn columns(s: &Split) -> (Vec<f64>, Vec<u8>) {
    (
        s.rows.iter().map(|r| r.pd).collect(),
        s.rows.iter().map(|r| r.bad).collect(),
    )
}

#[test]
fn fixture_belongs_to_the_committed_model() {
    assert_eq!(
        sha256_hex(&read(REFERENCE_MODEL)),
        split().model_sha256,
        "regenerate fixtures with `cargo xtask train`"
    );
}

#[test]
fn protected_attributes_are_never_model_inputs() {
    let s = scorer();
    let schema = s.schema();
    for f in &schema.features {
        let src = f.source_column.as_deref().unwrap_or("");
        assert!(
            !PROTECTED.contains(&src),
            "feature {} reads protected column {src}",
            f.name
        );
        assert!(
            !["sex", "age", "foreign_worker"]
                .iter()
                .any(|p| f.name.contains(p)),
            "{}",
            f.name
        );
    }
    let excluded: Vec<&str> = schema.model_card["excluded_characteristics"]
        .as_array()
        .expect("excluded_characteristics")
        .iter()
        .filter_map(|e| e["source_column"].as_str())
        .collect();
    assert_eq!(excluded, PROTECTED);
    assert_eq!(split().features.len(), schema.features.len());
}

#[test]
fn auc_ks_brier_match_the_model_card_and_lie_inside_their_intervals() {
    let c = card();
    let s = split();
    assert_eq!(s.rows.len() as f64, num(&c, "/split/test"));
    let (pd, bad) = columns(&s);
    for (name, got) in [
        ("auc", auc(&pd, &bad)),
        ("ks", ks(&pd, &bad)),
        ("brier", brier(&pd, &bad)),
    ] {
        let base = format!("/metrics/test/mlp/{name}");
        let value = num(&c, &format!("{base}/value"));
        close(name, got, value, ROUNDING);
        // The bootstrap itself (numpy's generator) is not replayed; its interval must contain the
        // point estimate and be of a plausible width for 200 applicants.
        let lo = num(&c, &format!("{base}/ci95/0"));
        let hi = num(&c, &format!("{base}/ci95/1"));
        assert!(
            lo <= value && value <= hi,
            "{name}: {value} outside [{lo}, {hi}]"
        );
        assert!(
            hi - lo > 0.01 && hi - lo < 0.4,
            "{name}: implausible interval [{lo}, {hi}]"
        );
    }
    close(
        "gini",
        2.0 * auc(&pd, &bad) - 1.0,
        num(&c, "/metrics/test/mlp/gini/value"),
        2.0 * ROUNDING,
    );
}

#[test]
fn tract_reproduces_the_ranking_onnxruntime_gave() {
    let s = split();
    let rows: Vec<f32> = s.rows.iter().flat_map(|r| r.x.iter().copied()).collect();
    let tract: Vec<f64> = scorer()
        .predict(&rows)
        .expect("scores")
        .iter()
        .map(|p| p.pd)
        .collect();
    let (pd, bad) = columns(&s);
    for (a, b) in tract.iter().zip(&pd) {
        assert!((a - b).abs() < 1e-5, "tract {a} vs onnxruntime {b}");
    }
    assert!((auc(&tract, &bad) - auc(&pd, &bad)).abs() < 1e-3);
    assert!((ks(&tract, &bad) - ks(&pd, &bad)).abs() < 1e-3);
}

#[test]
fn reliability_table_matches_the_model_card() {
    let c = card();
    let (pd, bad) = columns(&split());
    let mut order: Vec<usize> = (0..pd.len()).collect();
    order.sort_by(|&a, &b| pd[a].total_cmp(&pd[b])); // stable, like numpy's kind="stable"
    let table = c
        .pointer("/calibration/table")
        .and_then(Value::as_array)
        .expect("calibration table");
    assert_eq!(table.len(), 10);
    // numpy.array_split: the first n % 10 deciles get one row more
    let (n, k) = (order.len(), 10);
    let mut start = 0;
    for (d, row) in table.iter().enumerate() {
        let size = n / k + usize::from(d < n % k);
        let idx = &order[start..start + size];
        start += size;
        assert_eq!(row["count"].as_u64(), Some(size as u64));
        let p: Vec<f64> = idx.iter().map(|&i| pd[i]).collect();
        close(
            "min_pd",
            p.iter().copied().fold(f64::INFINITY, f64::min),
            num(row, "/min_pd"),
            ROUNDING,
        );
        close(
            "max_pd",
            p.iter().copied().fold(0.0, f64::max),
            num(row, "/max_pd"),
            ROUNDING,
        );
        close(
            "mean_pd",
            mean(p.iter().copied()),
            num(row, "/mean_pd"),
            ROUNDING,
        );
        close(
            "observed",
            mean(idx.iter().map(|&i| f64::from(bad[i]))),
            num(row, "/observed_bad_rate"),
            ROUNDING,
        );
    }
}

#[test]
fn score_distribution_and_bands_match_the_model_card() {
    let c = card();
    let s = scorer();
    let schema = s.schema();
    let (pd, bad) = columns(&split());
    let d = &c["score_distribution"];
    let edges: Vec<f64> = d["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let mut good = vec![0u64; edges.len() - 1];
    let mut bads = vec![0u64; edges.len() - 1];
    for (&p, &b) in pd.iter().zip(&bad) {
        let pts = credit_scorer::score::points_from_pd(&schema.scaling, p);
        // numpy.histogram: half-open bins, the last one closed
        let i = edges
            .windows(2)
            .position(|w| pts >= w[0] && pts < w[1])
            .unwrap_or(edges.len() - 2);
        if b == 1 { bads[i] += 1 } else { good[i] += 1 }
    }
    let as_u64 = |v: &Value| -> Vec<u64> {
        v.as_array()
            .expect("counts")
            .iter()
            .filter_map(Value::as_u64)
            .collect()
    };
    assert_eq!(good, as_u64(&d["good"]));
    assert_eq!(bads, as_u64(&d["bad"]));

    let table = c["bands_test"].as_array().expect("bands_test");
    for row in table {
        let id = row["band"].as_str().expect("band id");
        let sel: Vec<usize> = (0..pd.len())
            .filter(|&i| {
                credit_scorer::score::band_for(&schema.bands, pd[i]).map(|b| b.id.as_str())
                    == Some(id)
            })
            .collect();
        assert_eq!(row["count"].as_u64(), Some(sel.len() as u64), "band {id}");
        assert_eq!(
            row["bads"].as_u64(),
            Some(sel.iter().filter(|&&i| bad[i] == 1).count() as u64)
        );
        if !sel.is_empty() {
            close(
                "band bad rate",
                mean(sel.iter().map(|&i| f64::from(bad[i]))),
                num(row, "/observed_bad_rate"),
                ROUNDING,
            );
        }
    }
}

#[test]
fn fair_lending_figures_match_the_model_card() {
    let c = card();
    let s = split();
    let cut = num(&c, "/fair_lending/approval_max_pd");
    // the stated cut-off is a band boundary of the schema
    assert!(scorer().schema().bands.iter().any(|b| b.max_pd == cut));
    type GroupOf = fn(&Row) -> String;
    let attrs: [(&str, GroupOf); 3] = [
        ("sex", |r| r.sex.clone()),
        ("age", |r| {
            if r.age_in_years < 25 {
                "under_25".into()
            } else {
                "25_and_over".into()
            }
        }),
        ("foreign_worker", |r| r.foreign_worker.clone()),
    ];
    for (attr, group_of) in attrs {
        let section = &c["fair_lending"]["test"][attr];
        let groups = section["groups"].as_array().expect("groups");
        let mut rates = Vec::new();
        for g in groups {
            let name = g["group"].as_str().expect("group");
            let rows: Vec<&Row> = s.rows.iter().filter(|r| group_of(r) == name).collect();
            assert_eq!(
                g["count"].as_u64(),
                Some(rows.len() as u64),
                "{attr}/{name}"
            );
            let approved = rows.iter().filter(|r| r.pd <= cut).count();
            assert_eq!(
                g["approved"].as_u64(),
                Some(approved as u64),
                "{attr}/{name} approved"
            );
            let rate = approved as f64 / rows.len() as f64;
            close(
                &format!("{attr}/{name} approval"),
                rate,
                num(g, "/approval_rate"),
                ROUNDING,
            );
            rates.push((name.to_string(), rate));
            let pd: Vec<f64> = rows.iter().map(|r| r.pd).collect();
            let bad: Vec<u8> = rows.iter().map(|r| r.bad).collect();
            close(
                &format!("{attr}/{name} AUC"),
                auc(&pd, &bad),
                num(g, "/auc"),
                ROUNDING,
            );
        }
        let lo = rates.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
        let hi = rates.iter().map(|r| r.1).fold(0.0, f64::max);
        let air = lo / hi;
        close(
            &format!("{attr} AIR"),
            air,
            num(section, "/adverse_impact_ratio"),
            ROUNDING,
        );
        assert_eq!(
            section["four_fifths_ok"].as_bool(),
            Some(air >= 0.8),
            "{attr} four-fifths"
        );
        let lowest = rates.iter().find(|r| r.1 == lo).map(|r| r.0.as_str());
        assert_eq!(section["lowest_approval_group"].as_str(), lowest);
    }
}

// ---------------------------------------------------------------------------------------------
// Drift

fn csv_rows(path: &str) -> (Vec<String>, Vec<f32>) {
    let text = String::from_utf8(read(path)).expect("utf-8");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .flat_map(|l| {
            l.split(',')
                .map(|v| v.parse::<f32>().expect("number"))
                .collect::<Vec<_>>()
        })
        .collect();
    (header, rows)
}

fn drift_of(path: &str) -> credit_scorer::drift::DriftReport {
    let s = scorer();
    let (header, rows) = csv_rows(path);
    let names: Vec<&str> = s
        .schema()
        .features
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(header, names, "{path}: columns in schema order");
    let pds: Vec<f64> = s
        .predict(&rows)
        .expect("scores")
        .iter()
        .map(|p| p.pd)
        .collect();
    // feed in two halves and merge, as a chunked batch would
    let k = names.len();
    let half = pds.len() / 2;
    let mut a = Drift::new(s.schema());
    let mut b = Drift::new(s.schema());
    a.add_rows(&rows[..half * k], &pds[..half]);
    b.add_rows(&rows[half * k..], &pds[half..]);
    a.merge(&b);
    assert_eq!(a.rows(), pds.len() as u64);
    let r = a.report();
    print!("{path}\n{}", r.to_text());
    r
}

#[test]
fn a_file_sampled_from_the_training_data_is_stable() {
    let r = drift_of("tests/fixtures/governance/train_sample.csv");
    assert_eq!(r.rows, 500);
    for l in r.characteristics.iter().chain(std::iter::once(&r.score)) {
        let psi = l
            .psi
            .unwrap_or_else(|| panic!("{}: no PSI ({:?})", l.name, l.missing));
        assert!(psi < 0.1, "{}: PSI {psi}", l.name);
        assert_eq!(l.reading, Some(Reading::Stable));
        let expected: f64 = l.bins.iter().map(|b| b.expected).sum();
        assert!(
            (expected - 1.0).abs() < 0.01,
            "{}: shares sum to {expected}",
            l.name
        );
    }
    assert_eq!(r.worst, Some(Reading::Stable));
}

#[test]
fn shifting_one_characteristic_flags_it_and_only_it() {
    let r = drift_of("tests/fixtures/governance/shifted_duration.csv");
    for l in &r.characteristics {
        let psi = l.psi.expect("PSI");
        if l.name == "duration_months" {
            assert!(psi > 0.25, "duration_months: PSI {psi}");
            assert_eq!(l.reading, Some(Reading::Investigate));
        } else {
            assert!(psi < 0.1, "{}: PSI {psi}", l.name);
        }
    }
    assert_eq!(r.worst, Some(Reading::Investigate));
}

#[test]
fn a_model_without_training_shares_says_what_is_missing() {
    let s = Scorer::from_bytes(&read("tests/fixtures/models/logreg.onnx")).expect("logreg loads");
    let mut d = Drift::new(s.schema());
    assert!(!d.available());
    let k = s.schema().features.len();
    d.add(&vec![0.0; k], Some(0.2));
    let r = d.report();
    assert!(r.characteristics.iter().all(|l| l.psi.is_none()));
    assert!(r.characteristics.iter().all(|l| {
        l.missing
            .as_deref()
            .is_some_and(|m| m.contains("train_share"))
    }));
    assert!(
        r.score
            .missing
            .as_deref()
            .is_some_and(|m| m.contains("score_share"))
    );
    assert!(r.to_text().contains("not computed"));
}
