//! Reason codes: Shapley values against the baseline applicant.

mod common;

use common::*;
use credit_scorer::{Scorer, explain};

#[test]
fn contributions_sum_to_the_score_difference_on_every_fixture_row() {
    let s = Scorer::from_bytes(&read(REFERENCE_MODEL)).unwrap();
    for g in reference_golden().rows.iter().take(40) {
        let a = s.assess(&g.x).unwrap();
        let sum: f64 = a.contributions.iter().map(|c| c.contribution).sum();
        assert!(
            close(sum, a.points_unclamped - a.baseline_points, 1e-9),
            "{}: efficiency {sum} vs {}",
            g.id,
            a.points_unclamped - a.baseline_points
        );
        assert!(!a.approximate);
        assert!(a.reasons.len() <= 4);
        assert!(a.reasons.iter().all(|r| r.contribution < 0.0));
        assert!(
            a.reasons
                .windows(2)
                .all(|w| w[0].contribution <= w[1].contribution),
            "worst reason first"
        );
        assert!(close(a.pd, g.pd, 1e-5));
    }
}

#[test]
fn the_baseline_applicant_has_no_reasons() {
    let s = Scorer::from_bytes(&read(REFERENCE_MODEL)).unwrap();
    let a = s.assess(&s.schema().baseline()).unwrap();
    assert!(a.contributions.iter().all(|c| c.contribution.abs() < 1e-9));
    assert!(a.reasons.is_empty());
}

#[test]
fn a_risky_applicant_gets_four_reasons_with_texts() {
    let s = Scorer::from_bytes(&read(REFERENCE_MODEL)).unwrap();
    let worst = reference_golden()
        .rows
        .into_iter()
        .max_by(|a, b| a.pd.total_cmp(&b.pd))
        .unwrap();
    let a = s.assess(&worst.x).unwrap();
    assert_eq!(a.reasons.len(), 4, "{:?}", a.reasons);
    for r in &a.reasons {
        assert!(!r.text["en"].is_empty() && !r.text["zh"].is_empty());
    }
}

#[test]
fn a_feature_the_model_ignores_gets_zero() {
    let (bytes, golden) = foreign("ignore_feature");
    let s = Scorer::from_bytes(&bytes).unwrap();
    let ignored = golden.ignored_feature.unwrap();
    for r in &golden.rows {
        let a = s.assess(&r.x).unwrap();
        assert!(
            a.contributions[ignored].contribution.abs() < 1e-6,
            "{:?}",
            a.contributions[ignored]
        );
    }
}

#[test]
fn interchangeable_features_get_equal_values() {
    let (bytes, _) = foreign("symmetric");
    let model = credit_scorer::Model::from_bytes(&bytes).unwrap();
    let baseline = [0.0f32, 0.0, 0.0];
    for x in [[1.0f32, 1.0, 0.5], [2.0, 2.0, -1.0], [0.3, 0.3, 3.0]] {
        let a = explain::shapley(&model, &x, &baseline).unwrap();
        assert!(
            close(a.logit_contributions[0], a.logit_contributions[1], 1e-6),
            "{:?}",
            a.logit_contributions
        );
    }
}

#[test]
fn logistic_regression_contributions_are_coefficient_times_distance_from_baseline() {
    let (bytes, golden) = foreign("logreg");
    let model = credit_scorer::Model::from_bytes(&bytes).unwrap();
    let baseline = vec![0.0f32; golden.k];
    for r in golden.rows.iter().take(5) {
        let a = explain::shapley(&model, &r.x, &baseline).unwrap();
        for (i, phi) in a.logit_contributions.iter().enumerate() {
            let expected = golden.coef[i] * f64::from(r.x[i]);
            // float32 inference on raw amounts (thousands) limits the precision.
            assert!(
                close(*phi, expected, 1e-3 * (1.0 + expected.abs())),
                "feature {i}: {phi} vs {expected}"
            );
        }
    }
}

#[test]
fn more_than_twelve_features_use_flagged_permutation_sampling() {
    // For a model additive in the log-odds every permutation gives the exact Shapley values,
    // so the sampled estimate must equal w_i · (x_i − baseline_i).
    let w: Vec<f32> = (0..20).map(|i| (i as f32 - 9.5) / 10.0).collect();
    let model = credit_scorer::Model::from_bytes(&linear_onnx(&w, 0.3)).unwrap();
    let x: Vec<f32> = (0..20).map(|i| ((i * 7) % 5) as f32 - 2.0).collect();
    let baseline = vec![0.0f32; 20];
    let a = explain::shapley(&model, &x, &baseline).unwrap();
    assert!(a.approximate);
    for i in 0..20 {
        let expected = f64::from(w[i]) * f64::from(x[i]);
        assert!(
            close(a.logit_contributions[i], expected, 1e-5),
            "feature {i}: {} vs {expected}",
            a.logit_contributions[i]
        );
    }
    let exact = credit_scorer::Model::from_bytes(&linear_onnx(&w[..12], 0.3)).unwrap();
    assert!(
        !explain::shapley(&exact, &x[..12], &baseline[..12])
            .unwrap()
            .approximate
    );
}
