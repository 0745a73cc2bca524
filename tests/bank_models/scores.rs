//! Scores against onnxruntime, missing values, and the evaluator's throughput.

use credit_scorer::{Engine, Scorer};

use crate::{MODELS, fixture, load, row};

/// Every fixture model loads in this build on the direct evaluator (checked against its reference
/// scores) and scores ~200 test applicants, missing values included, within 1e-5 of onnxruntime.
#[test]
fn every_bank_model_scores_like_onnxruntime() {
    for name in MODELS {
        let (bytes, f) = fixture(name);
        let model = load(name, &bytes);
        assert_eq!(model.engine(), Engine::Trees, "{name}");
        let rows: Vec<f32> = f.rows.iter().flat_map(|r| row(r)).collect();
        let scored = model.predict(&rows).expect("scores");
        assert_eq!(scored.len(), f.pd.len(), "{name}");
        let missing = f.rows.iter().filter(|r| r.contains(&None)).count();
        let mut worst = 0.0f64;
        for (i, (p, &want)) in scored.iter().zip(&f.pd).enumerate() {
            let diff = (p.pd - want).abs();
            worst = worst.max(diff);
            assert!(
                diff <= 1e-5,
                "{name} row {i}: {} vs onnxruntime {want}",
                p.pd
            );
            // The log-odds go with the probability.
            let from_logit = 1.0 / (1.0 + (-p.logit).exp());
            assert!(
                (from_logit - p.pd).abs() < 1e-6,
                "{name} row {i}: logit {}",
                p.logit
            );
        }
        // One row at a time (the page's single applicant) takes its own walk.
        for (i, (r, &want)) in f.rows.iter().zip(&f.pd).enumerate().take(40) {
            let one = model.predict(&row(r)).expect("scores");
            let pd = one.first().expect("one score").pd;
            assert!(
                (pd - want).abs() <= 1e-5,
                "{name} row {i} alone: {pd} vs onnxruntime {want}"
            );
        }
        eprintln!(
            "{name}: {} rows ({missing} with missing values), worst {worst:.1e}",
            f.pd.len()
        );
    }
}

/// The models trained with missing values really send NaN down the tracked branches: scoring
/// the NaN rows with the NaN replaced changes some scores (so the fixtures exercise
/// `nodes_missing_value_tracks_true`).
#[test]
fn missing_values_take_their_own_branches() {
    for name in ["xgboost", "lightgbm", "catboost", "regressor_sigmoid"] {
        let (bytes, f) = fixture(name);
        let model = load(name, &bytes);
        let with_nan: Vec<&Vec<Option<f32>>> =
            f.rows.iter().filter(|r| r.contains(&None)).collect();
        assert!(
            with_nan.len() > 20,
            "{name}: {} rows with NaN",
            with_nan.len()
        );
        let nan_rows: Vec<f32> = with_nan.iter().flat_map(|r| row(r)).collect();
        let zero_rows: Vec<f32> = with_nan
            .iter()
            .flat_map(|r| r.iter().map(|v| v.unwrap_or(0.0)).collect::<Vec<_>>())
            .collect();
        let a = model.predict(&nan_rows).expect("scores");
        let b = model.predict(&zero_rows).expect("scores");
        let changed = a
            .iter()
            .zip(&b)
            .filter(|(a, b)| (a.pd - b.pd).abs() > 1e-6)
            .count();
        assert!(changed > 0, "{name}: NaN scored as 0 everywhere");
    }
}

/// Throughput of the direct tree evaluator on the model at `$CREDIT_SCORER_BENCH_MODEL` (the
/// 500-tree, depth-6 XGBoost from `training/bank_models.py --bench-model PATH`): 10,000 rows
/// without reasons, and applicants scored with exact reasons. A measurement, not a check; run
/// with `cargo test --release --test bank_models -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_trees_throughput() {
    let Ok(path) = std::env::var("CREDIT_SCORER_BENCH_MODEL") else {
        eprintln!("set CREDIT_SCORER_BENCH_MODEL");
        return;
    };
    let bytes = std::fs::read(&path).expect("bench model");
    let scorer = Scorer::from_bytes(&bytes).expect("loads");
    assert_eq!(scorer.model().engine(), Engine::Trees);
    let (_, f) = fixture("xgboost");
    let base: Vec<f32> = f.rows.iter().flat_map(|r| row(r)).collect();
    let rows: Vec<f32> = base.iter().copied().cycle().take(10_000 * 18).collect();
    let mut out = Vec::new();
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        out.clear();
        let t = std::time::Instant::now();
        scorer
            .model()
            .predict_pd_into(&rows, &mut out)
            .expect("scores");
        best = best.min(t.elapsed().as_secs_f64());
    }
    eprintln!(
        "{path}: 10,000 rows without reasons in {best:.4} s ({:.0} rows/s)",
        10_000.0 / best
    );
    let applicants: Vec<Vec<f32>> = f
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&f.baseline)
                .map(|(v, b)| v.unwrap_or(*b))
                .collect()
        })
        .collect();
    let t = std::time::Instant::now();
    for a in &applicants {
        let assessed = scorer.assess(a).expect("assesses");
        assert!(!assessed.approximate);
    }
    let per = t.elapsed().as_secs_f64() / applicants.len() as f64;
    let t2 = std::time::Instant::now();
    for a in &applicants {
        scorer
            .model()
            .tree_contributions(a, &f.baseline)
            .expect("TreeSHAP");
    }
    let shap = t2.elapsed().as_secs_f64() / applicants.len() as f64;
    eprintln!("of which TreeSHAP with both log-odds: {:.3} ms", shap * 1e3);
    eprintln!(
        "score + exact reasons: {:.3} ms per applicant ({:.0} applicants/s)",
        per * 1e3,
        1.0 / per
    );
}
