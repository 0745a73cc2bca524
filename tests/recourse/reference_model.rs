//! The reference model: options against the brute force on the test split, near the cuts, timed.

use std::collections::BTreeMap;

use credit_scorer::recourse;
use credit_scorer::schema::FeatureKind;
use credit_scorer::score::band_index_for;

use crate::brute_force::{assert_every_answer_seen, check, tally};
use crate::common::test_split;
use crate::reference;

#[test]
fn reference_model_options_match_the_brute_force_on_the_test_split() {
    let scorer = reference();
    let schema = scorer.schema();
    // The default target: the approval cut-off of the model card (PD 0.2, band C).
    let c = schema.bands.iter().position(|b| b.id == "C").unwrap();
    assert_eq!(schema.model_card["fair_lending"]["approval_max_pd"], 0.2);
    assert_eq!(recourse::default_target(schema), Some(c));
    let mut counts = BTreeMap::new();
    for row in test_split() {
        let r = recourse::search(&scorer, &row, None).unwrap();
        tally(&mut counts, check(&scorer, &row, c, &r));
    }
    // Band A for a sample: most applicants cannot get there.
    let a = schema.bands.iter().position(|b| b.id == "A").unwrap();
    for row in test_split().iter().step_by(4) {
        let r = recourse::search(&scorer, row, Some("A")).unwrap();
        tally(&mut counts, check(&scorer, row, a, &r));
    }
    assert_every_answer_seen(&counts);
}

/// The reference model reads its numeric inputs only through `x >= cut` comparisons: the search
/// starts from those cuts, and an option lands on the near side of each (one grid step back
/// towards the applicant loses the target band).
#[test]
fn options_sit_on_the_near_side_of_the_cuts() {
    let scorer = reference();
    let schema = scorer.schema();
    let splits = scorer
        .model()
        .split_points()
        .expect("a step function of each input");
    for (i, f) in schema.features.iter().enumerate() {
        if let Some(cuts) = &f.cuts {
            let got: Vec<f64> = splits[i].iter().map(|&t| f64::from(t)).collect();
            assert_eq!(&got, cuts, "{}", f.name);
        }
    }
    let c = recourse::default_target(schema).unwrap();
    let mut checked = 0;
    for row in test_split() {
        let r = recourse::search(&scorer, &row, None).unwrap();
        for o in &r.options {
            let mut changed = row.clone();
            for ch in &o.changes {
                changed[schema.feature_index(&ch.feature).unwrap()] = ch.to as f32;
            }
            for ch in &o.changes {
                let i = schema.feature_index(&ch.feature).unwrap();
                let f = &schema.features[i];
                let FeatureKind::Numeric { step, .. } = &f.kind else {
                    continue;
                };
                let step = f.recourse_step.or(*step).unwrap();
                let back = if ch.to < ch.from {
                    ch.to + step
                } else {
                    ch.to - step
                };
                if (back - ch.from) * (ch.to - ch.from) <= 0.0 {
                    continue;
                }
                let mut closer = changed.clone();
                closer[i] = back as f32;
                let pd = scorer.model().predict(&closer).unwrap()[0].pd;
                assert!(
                    band_index_for(&schema.bands, pd).unwrap() > c,
                    "{}: {} is not the nearest value that works ({back} does)",
                    f.name,
                    ch.to
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} numeric changes checked");
}

/// Time per applicant over the reference model's test split (median and 95th percentile), for
/// docs/BENCHMARKS.md: `cargo test --release --no-default-features --test recourse -- --ignored
/// --nocapture`.
#[test]
#[ignore = "a timing, not a check: run it in release"]
fn time_per_applicant_on_the_test_split() {
    let scorer = reference();
    let rows = test_split();
    let (mut all, mut searched) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        for row in &rows {
            let start = std::time::Instant::now();
            let r = recourse::search(&scorer, row, None).unwrap();
            let ms = start.elapsed().as_secs_f64() * 1e3;
            all.push(ms);
            if !r.already_met {
                searched.push(ms);
            }
        }
    }
    for (what, times) in [
        ("every applicant", &mut all),
        ("below band C", &mut searched),
    ] {
        times.sort_by(f64::total_cmp);
        let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        eprintln!(
            "recourse, reference model, {what} ({} searches): median {:.3} ms, p95 {:.3} ms, \
             max {:.3} ms",
            times.len(),
            at(0.5),
            at(0.95),
            at(1.0)
        );
    }
}
