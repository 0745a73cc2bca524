//! The committed reference model against onnxruntime's outputs, and its schema against its graph.

mod common;

use common::*;
use credit_scorer::schema::FeatureKind;
use credit_scorer::{Scorer, model::sha256_hex};

fn scorer() -> Scorer {
    Scorer::from_bytes(&read(REFERENCE_MODEL)).expect("the reference model loads")
}

#[test]
fn fixture_belongs_to_the_committed_model() {
    let golden = reference_golden();
    assert_eq!(
        sha256_hex(&read(REFERENCE_MODEL)),
        golden.model_sha256,
        "regenerate fixtures with `cargo xtask train`"
    );
}

#[test]
fn pd_and_logit_match_onnxruntime_on_every_fixture_row() {
    let golden = reference_golden();
    assert!(golden.rows.len() >= 75, "at least 75 golden rows");
    let s = scorer();
    let rows: Vec<f32> = golden
        .rows
        .iter()
        .flat_map(|r| r.x.iter().copied())
        .collect();
    let predictions = s.predict(&rows).expect("scores");
    assert_eq!(predictions.len(), golden.rows.len());
    for (p, g) in predictions.iter().zip(&golden.rows) {
        assert!(
            close(p.pd, g.pd, 1e-5),
            "{}: pd {} vs onnxruntime {}",
            g.id,
            p.pd,
            g.pd
        );
        assert!(
            close(p.logit, g.logit, 1e-5),
            "{}: logit {} vs onnxruntime {}",
            g.id,
            p.logit,
            g.logit
        );
    }
}

#[test]
fn one_row_at_a_time_equals_the_batch() {
    let golden = reference_golden();
    let s = scorer();
    for g in golden.rows.iter().take(10) {
        let p = s.predict(&g.x).expect("scores")[0];
        assert!(close(p.pd, g.pd, 1e-5), "{}", g.id);
    }
}

#[test]
fn schema_matches_the_graph() {
    let golden = reference_golden();
    let s = scorer();
    let schema = s.schema();
    assert!(!schema.generic);
    let names: Vec<&str> = schema.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, golden.features);
    let baseline: Vec<f64> = schema.features.iter().map(|f| f.baseline).collect();
    assert_eq!(baseline, golden.baseline);
    // The schema's WoE tables reproduce the graph's `woe` output on every fixture row.
    for g in &golden.rows {
        for ((f, &x), &woe) in schema.features.iter().zip(&g.x).zip(&g.woe) {
            let bin = f
                .bin_of(f64::from(x))
                .unwrap_or_else(|| panic!("{}: {} has no bin for {x}", g.id, f.name));
            let table = f.woe.as_ref().expect("reference features carry WoE");
            assert!(
                close(table[bin], woe, 1e-5),
                "{} {}: schema WoE {} vs graph {}",
                g.id,
                f.name,
                table[bin],
                woe
            );
        }
    }
}

#[test]
fn fixtures_cover_every_category_and_both_sides_of_every_cut() {
    let golden = reference_golden();
    let s = scorer();
    for (i, f) in s.schema().features.iter().enumerate() {
        let seen: Vec<f64> = golden.rows.iter().map(|r| f64::from(r.x[i])).collect();
        match &f.kind {
            FeatureKind::Categorical { categories } => {
                for c in categories {
                    assert!(
                        seen.contains(&(c.code as f64)),
                        "{}: category {} not covered",
                        f.name,
                        c.code
                    );
                }
            }
            FeatureKind::Numeric { min, max, .. } => {
                for cut in f.cuts.as_deref().unwrap_or_default() {
                    assert!(
                        seen.iter().any(|v| v < cut) && seen.contains(cut),
                        "{}: cut {cut} not covered",
                        f.name
                    );
                }
                assert!(seen.contains(&min.unwrap()), "{}: min not covered", f.name);
                assert!(seen.contains(&max.unwrap()), "{}: max not covered", f.name);
            }
        }
    }
}

#[test]
fn model_card_and_scaling_are_present() {
    let s = scorer();
    let schema = s.schema();
    assert_eq!(schema.scaling.pdo, 20.0);
    assert_eq!(schema.scaling.base_points, 600.0);
    assert_eq!(schema.scaling.base_odds, 50.0);
    let card = &schema.model_card;
    for key in [
        "dataset",
        "metrics",
        "intended_use",
        "limits",
        "excluded_characteristics",
    ] {
        assert!(card.get(key).is_some(), "model card lacks `{key}`");
    }
    for f in &schema.features {
        assert!(
            f.label.contains_key("en") && f.label.contains_key("zh"),
            "{} lacks en/zh labels",
            f.name
        );
        assert!(
            f.reason.contains_key("en") && f.reason.contains_key("zh"),
            "{} lacks en/zh reasons",
            f.name
        );
    }
}

#[test]
fn protected_characteristics_are_not_model_inputs() {
    // Every input names a real column of the vendored data set, and none is a prohibited basis.
    let csv = String::from_utf8(read("training/data/germancredit.csv")).unwrap();
    let header: Vec<&str> = csv
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(|c| c.trim_matches('"'))
        .collect();
    let protected = ["personal_status_and_sex", "age_in_years", "foreign_worker"];
    for p in protected {
        assert!(
            header.contains(&p),
            "the data set has no column `{p}`: the check below would be void"
        );
    }
    let s = scorer();
    for f in &s.schema().features {
        let source = f.source_column.as_deref().unwrap_or_default();
        assert!(
            header.contains(&source),
            "{}: source column `{source}` is not in the data set",
            f.name
        );
        assert!(
            !protected.contains(&source),
            "{} is built from a prohibited basis",
            f.name
        );
    }
    let excluded = s.schema().model_card["excluded_characteristics"].to_string();
    for p in protected {
        assert!(
            excluded.contains(p),
            "the model card does not list `{p}` as excluded"
        );
    }
}
