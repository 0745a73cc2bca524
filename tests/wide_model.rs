//! The 40-characteristic model of the wide-form tests (`training/wide_model.py`, issue 19 item
//! 4): its schema's form sections are read in order, and it loads on the direct evaluator (its
//! onnxruntime reference scores) in both builds and scores as onnxruntime does.

mod common;

use common::*;
use credit_scorer::{Engine, Model};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    applicant: serde_json::Map<String, serde_json::Value>,
    applicant_pd: f64,
    rows: Vec<Vec<f32>>,
    pd: Vec<f64>,
}

fn fixture() -> (Model, Fixture) {
    let model = Model::from_bytes(&read("tests/fixtures/wide/wide40.onnx")).expect("loads");
    let f = serde_json::from_slice(&read("tests/fixtures/wide/wide40.json")).expect("parses");
    (model, f)
}

#[test]
fn the_wide_model_has_its_sections_and_scores_like_onnxruntime() {
    let (model, f) = fixture();
    assert_eq!(model.engine(), Engine::Trees);
    let schema = model.schema();
    assert_eq!(schema.features.len(), 40);
    let ids: Vec<_> = schema.groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        ids,
        ["applicant", "loan", "employment", "accounts", "bureau"]
    );
    assert_eq!(schema.groups[4].label["zh"], "征信报告");
    assert!(
        schema
            .features
            .iter()
            .all(|x| x.group.as_deref().is_some_and(|g| ids.contains(&g)))
    );
    // The golden applicant, by name in column order, and the 50 test rows.
    let applicant: Vec<f32> = schema
        .features
        .iter()
        .map(|x| f.applicant[&x.name].as_f64().expect("a number") as f32)
        .collect();
    let p = model.predict(&applicant).expect("scores");
    assert!(
        close(p[0].pd, f.applicant_pd, 1e-5),
        "{} vs {}",
        p[0].pd,
        f.applicant_pd
    );
    let rows: Vec<f32> = f.rows.concat();
    let scored = model.predict(&rows).expect("scores");
    assert_eq!(scored.len(), f.pd.len());
    for (i, (p, want)) in scored.iter().zip(&f.pd).enumerate() {
        assert!(
            close(p.pd, *want, 1e-5),
            "row {i}: {} vs onnxruntime {want}",
            p.pd
        );
    }
}

/// A logistic regression after a scaler: exact reasons at 40 characteristics (each feature's
/// term of the log-odds), not sampled ones, adding up to the points difference.
#[test]
fn the_wide_model_gets_exact_reasons() {
    let (model, f) = fixture();
    assert_eq!(
        credit_scorer::explain::method(&model),
        credit_scorer::explain::Method::ExactShapley
    );
    let scorer =
        credit_scorer::Scorer::from_bytes(&read("tests/fixtures/wide/wide40.onnx")).expect("loads");
    for row in f.rows.iter().take(10) {
        let a = scorer.assess(row).expect("assesses");
        assert!(!a.approximate);
        let sum: f64 = a.contributions.iter().map(|c| c.contribution).sum();
        let want = a.points_unclamped - a.baseline_points;
        assert!((sum - want).abs() < 1e-9, "{sum} vs {want}");
        assert!(
            a.contributions
                .iter()
                .filter(|c| c.contribution != 0.0)
                .count()
                >= 20
        );
    }
}

/// `embed-schema`'s check (`model::with_schema`) takes the groups as fields this scorer reads:
/// the schema written back holds them, and a misspelt one is refused by name.
#[test]
fn embed_schema_keeps_the_groups_and_refuses_a_misspelt_field() {
    let bytes = read("tests/fixtures/wide/wide40.onnx");
    let (model, _) = fixture();
    let mut json = serde_json::to_value(model.schema()).expect("serializes");
    let made = credit_scorer::model::with_schema(&bytes, &json.to_string()).expect("embeds");
    assert_eq!(made.schema.groups, model.schema().groups);
    assert_eq!(made.schema.features[0].group.as_deref(), Some("accounts"));
    json["features"][0]["gruop"] = "accounts".into();
    let Err(e) = credit_scorer::model::with_schema(&bytes, &json.to_string()) else {
        panic!("a misspelt field is refused");
    };
    assert!(e.message().contains("gruop"), "{e}");
}
