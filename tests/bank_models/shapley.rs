//! Exact reasons: TreeSHAP against Python `shap` and brute force, linear models, `assess`.

use credit_scorer::{Model, Scorer};
use serde_json::json;

use crate::common::*;
use crate::{MODELS, fixture, load, row};

/// TreeSHAP against the baseline matches Python `shap` (interventional, the baseline as the one
/// background row, on the log-odds) to 1e-6, and the contributions add up to the difference in
/// log-odds.
#[test]
fn tree_shap_matches_python_shap() {
    let mut checked = 0;
    for name in MODELS {
        let (bytes, f) = fixture(name);
        let Some(shap) = &f.shap else { continue };
        let model = load(name, &bytes);
        for (r, want) in shap.rows.iter().zip(&shap.values) {
            let x = row(r);
            let (phi, base, fx) = model
                .tree_contributions(&x, &f.baseline)
                .unwrap_or_else(|| panic!("{name}: no TreeSHAP"));
            let sum: f64 = phi.iter().sum();
            assert!(
                (sum - (fx - base)).abs() < 1e-9,
                "{name}: sum {sum} vs {}",
                fx - base
            );
            // Both log-odds are the ones the model scores (checked against onnxruntime above).
            for (z, logit) in [(&x, fx), (&f.baseline, base)] {
                let scored = model.predict(z).expect("scores")[0].logit;
                assert!((scored - logit).abs() < 1e-9, "{name}: {logit} vs {scored}");
            }
            for (j, (got, want)) in phi.iter().zip(want).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-6,
                    "{name} feature {j}: {got} vs shap {want}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "{checked} rows checked");
}

/// Exact Shapley values by brute force over every coalition, from the model's log-odds.
fn brute_force(model: &Model, x: &[f32], z: &[f32]) -> Vec<f64> {
    let differ: Vec<usize> = (0..x.len())
        .filter(|&i| x[i].to_bits() != z[i].to_bits())
        .collect();
    let d = differ.len();
    assert!(d <= 10, "{d} features differ");
    let mut rows = Vec::new();
    for mask in 0..1usize << d {
        let mut r = z.to_vec();
        for (b, &i) in differ.iter().enumerate() {
            if mask >> b & 1 == 1 {
                r[i] = x[i];
            }
        }
        rows.extend(r);
    }
    let f: Vec<f64> = model
        .predict(&rows)
        .expect("scores")
        .iter()
        .map(|p| p.logit)
        .collect();
    let fact = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
    let mut phi = vec![0.0; x.len()];
    for (b, &i) in differ.iter().enumerate() {
        for mask in 0..1usize << d {
            if mask >> b & 1 == 1 {
                continue;
            }
            let s = mask.count_ones() as usize;
            let w = fact(s) * fact(d - 1 - s) / fact(d);
            phi[i] += w * (f[mask | 1 << b] - f[mask]);
        }
    }
    phi
}

/// Row `r` (the `n`th) with 10 of its characteristics kept (a different ten for each `n`) and
/// the rest at the baseline; a missing value as NaN.
fn ten_of(baseline: &[f32], r: &[Option<f32>], n: usize) -> Vec<f32> {
    let mut x = baseline.to_vec();
    for j in 0..10 {
        let i = (n * 3 + j * 7) % x.len();
        x[i] = r[i].unwrap_or(f32::NAN);
    }
    x
}

/// `phi` equals the brute-force Shapley values of `x` against `z` to 1e-9.
fn assert_brute_force(model: &Model, x: &[f32], z: &[f32], phi: &[f64], what: &str) {
    let brute = brute_force(model, x, z);
    for (j, (a, b)) in phi.iter().zip(&brute).enumerate() {
        assert!(
            (a - b).abs() <= 1e-9,
            "{what} feature {j}: {a} vs brute force {b}"
        );
    }
}

/// TreeSHAP equals brute-force Shapley values to 1e-9 on applicants that differ from the
/// baseline in up to 10 characteristics (the others contribute nothing either way), for every
/// tree model whose log-odds are a sum of trees.
#[test]
fn tree_shap_matches_brute_force() {
    let mut checked = 0;
    for name in MODELS {
        let (bytes, f) = fixture(name);
        let model = load(name, &bytes);
        for (n, r) in f.rows.iter().take(12).enumerate() {
            let x = ten_of(&f.baseline, r, n);
            let Some((phi, base, fx)) = model.tree_contributions(&x, &f.baseline) else {
                break;
            };
            assert_brute_force(&model, &x, &f.baseline, &phi, &format!("{name} row {n}"));
            let sum: f64 = phi.iter().sum();
            assert!((sum - (fx - base)).abs() <= 1e-9);
            checked += 1;
        }
    }
    assert!(checked >= 7 * 12, "{checked} applicants checked");
}

/// A logistic regression (alone or after a `Scaler`) has log-odds linear in the input, so each
/// feature's term is its exact Shapley value at any width: equal to brute force over the
/// coalitions of up to 10 differing characteristics (1e-9), adding up to the log-odds
/// difference, and `assess` says the reasons are exact for all 18 characteristics (more than
/// the 12 that coalitions are enumerated for). A `Normalizer` in front is not linear: no closed
/// form then.
#[test]
fn linear_models_get_exact_contributions_at_any_width() {
    for name in ["sklearn_logistic", "sklearn_pipeline"] {
        let (bytes, f) = fixture(name);
        let model = load(name, &bytes);
        assert!(model.k() > 12, "{name}: {} characteristics", model.k());
        let mut moved = 0;
        for (n, r) in f.rows.iter().take(12).enumerate() {
            let x = ten_of(&f.baseline, r, n);
            assert!(x.iter().all(|v| v.is_finite()), "{name}: complete rows");
            let (phi, base, fx) = model
                .linear_contributions(&x, &f.baseline)
                .unwrap_or_else(|| panic!("{name}: no closed form"));
            assert_brute_force(&model, &x, &f.baseline, &phi, &format!("{name} row {n}"));
            let sum: f64 = phi.iter().sum();
            assert!((sum - (fx - base)).abs() <= 1e-9, "{name}");
            moved += phi.iter().filter(|v| **v != 0.0).count();
        }
        assert!(moved >= 24, "{name}: {moved} non-zero contributions");
        let scorer = Scorer::from_bytes(&bytes).expect("loads");
        let x = row(&f.rows[3]);
        let a = scorer.assess(&x).expect("assesses");
        assert!(!a.approximate, "{name}: approximate reasons");
        let sum: f64 = a.contributions.iter().map(|c| c.contribution).sum();
        let want = a.points_unclamped - a.baseline_points;
        assert!((sum - want).abs() < 1e-9, "{name}: {sum} vs {want}");
    }
    let (bytes, _) = fixture("sklearn_normalizer");
    let model = load("sklearn_normalizer", &bytes);
    assert!(!model.has_linear_contributions());
}

/// `assess` (CLI, page and batch share it) gives exact reasons for tree models at 18
/// characteristics: not approximate, adding up to the log-odds difference.
#[test]
fn assess_gives_exact_reasons_for_trees() {
    for name in [
        "xgboost",
        "lightgbm_zipmap",
        "catboost",
        "tree_ensemble_v5",
        "regressor_sigmoid",
    ] {
        let (bytes, f) = fixture(name);
        let scorer = Scorer::from_bytes(&bytes).expect("loads");
        let x: Vec<f32> = row(&f.rows[3])
            .iter()
            .zip(&f.baseline)
            .map(|(v, b)| if v.is_nan() { *b } else { *v })
            .collect();
        let a = scorer.assess(&x).expect("assesses");
        assert!(!a.approximate, "{name}: approximate reasons");
        // In points: the contributions add up to the applicant's points less the baseline's.
        let sum: f64 = a.contributions.iter().map(|c| c.contribution).sum();
        let want = a.points_unclamped - a.baseline_points;
        assert!((sum - want).abs() < 1e-9, "{name}: {sum} vs {want}");
        assert!(
            a.contributions
                .iter()
                .filter(|c| c.contribution != 0.0)
                .count()
                >= 3,
            "{name}"
        );
    }
}

/// `credit-scorer assess` (the CLI) on a bank model: the applicant's PD as onnxruntime gives it
/// and exact reasons (`approximate: false`) over all 18 characteristics.
#[test]
fn cli_assess_gives_exact_reasons() {
    let (_, f) = fixture("lightgbm_zipmap");
    let i = f
        .rows
        .iter()
        .position(|r| !r.contains(&None))
        .expect("a full row");
    let schema = Model::from_bytes(&fixture("lightgbm_zipmap").0).expect("loads");
    let applicant: serde_json::Map<String, serde_json::Value> = schema
        .schema()
        .features
        .iter()
        .zip(&f.rows[i])
        .map(|(feature, v)| (feature.name.clone(), json!(v.expect("value"))))
        .collect();
    let dir = std::env::temp_dir().join(format!("credit-scorer-bank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let file = dir.join("applicant.json");
    std::fs::write(&file, serde_json::Value::Object(applicant).to_string()).expect("writes");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_credit-scorer"))
        .arg("assess")
        .arg("--model")
        .arg(repo("tests/fixtures/bank/lightgbm_zipmap.onnx"))
        .arg(&file)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(a["approximate"], json!(false));
    let pd = a["pd"].as_f64().expect("pd");
    assert!(
        (pd - f.pd[i]).abs() <= 1e-5,
        "{pd} vs onnxruntime {}",
        f.pd[i]
    );
    assert_eq!(
        a["contributions"].as_array().expect("contributions").len(),
        18
    );
    std::fs::remove_dir_all(&dir).ok();
}
