//! A bank's tree and linear models with actionable fields, and searches too large to finish.

use std::collections::BTreeMap;

use credit_scorer::model::pb;
use credit_scorer::recourse;
use credit_scorer::{ErrorKind, Scorer};
use prost::Message;

use crate::brute_force::{assert_every_answer_seen, brute_force, check, tally};
use crate::common::read;

/// `bytes` with its schema passed through `edit`.
fn with_schema(bytes: &[u8], edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).unwrap();
    let entry = proto
        .metadata_props
        .iter_mut()
        .find(|p| p.key == "credit_scorer.schema")
        .unwrap();
    let mut schema: serde_json::Value = serde_json::from_str(&entry.value).unwrap();
    edit(&mut schema);
    entry.value = schema.to_string();
    proto.encode_to_vec()
}

/// A bank's XGBoost model (`x < t` splits) with actionable fields written into its schema.
fn xgboost() -> Scorer {
    let bytes = with_schema(&read("tests/fixtures/bank/xgboost.onnx"), |s| {
        for f in s["features"].as_array_mut().unwrap() {
            let fields = match f["name"].as_str().unwrap() {
                "status_of_existing_checking_account" => {
                    serde_json::json!({ "direction": "increase", "recourse_targets": [1, 2] })
                }
                "duration_in_month" => serde_json::json!({ "direction": "decrease" }),
                "credit_amount" => serde_json::json!({
                    "direction": "decrease", "recourse_step": 250, "recourse_cost": 2 }),
                "savings_account_and_bonds" => {
                    serde_json::json!({ "direction": "increase", "recourse_targets": [1, 2, 3] })
                }
                "installment_rate_in_percentage_of_disposable_income" => {
                    serde_json::json!({ "direction": "decrease" })
                }
                "other_installment_plans" => serde_json::json!({ "direction": "any" }),
                _ => continue,
            };
            f["actionable"] = true.into();
            for (k, v) in fields.as_object().unwrap() {
                f[k] = v.clone();
            }
        }
    });
    Scorer::from_bytes(&bytes).expect("the bank model loads with actionable fields")
}

fn xgboost_rows() -> Vec<Vec<f32>> {
    let v: serde_json::Value =
        serde_json::from_slice(&read("tests/fixtures/bank/xgboost.json")).unwrap();
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.as_array().unwrap().iter().all(|x| x.is_number()))
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        })
        .collect()
}

#[test]
fn tree_model_options_match_the_brute_force() {
    let scorer = xgboost();
    let schema = scorer.schema();
    assert!(
        scorer.model().split_points().is_some(),
        "trees read the input"
    );
    // The bank's schema names no approval cut-off: the band must be named.
    assert_eq!(recourse::default_target(schema), None);
    let e = recourse::search(&scorer, &xgboost_rows()[0], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input);
    assert!(e.message().contains("name the target band"), "{e}");
    let mut counts = BTreeMap::new();
    for (id, every) in [("C", 1), ("A", 3)] {
        let target = schema.bands.iter().position(|b| b.id == id).unwrap();
        for row in xgboost_rows().iter().step_by(every) {
            let r = recourse::search(&scorer, row, Some(id)).unwrap();
            tally(&mut counts, check(&scorer, row, target, &r));
        }
    }
    assert_every_answer_seen(&counts);
}

/// `name`'s bank model (same features as the XGBoost one) with `actionable` fields.
fn bank_with(name: &str, fields: &[(&str, serde_json::Value)]) -> Scorer {
    let bytes = with_schema(&read(&format!("tests/fixtures/bank/{name}.onnx")), |s| {
        for f in s["features"].as_array_mut().unwrap() {
            let Some((_, extra)) = fields.iter().find(|(n, _)| f["name"] == *n) else {
                continue;
            };
            f["actionable"] = true.into();
            for (k, v) in extra.as_object().unwrap() {
                f[k] = v.clone();
            }
        }
    });
    Scorer::from_bytes(&bytes).expect("the bank model loads with actionable fields")
}

/// A logistic regression reads its inputs through a linear form: no split points, so the search
/// walks each feature's grid over its range (the brute force's own grid).
#[test]
fn a_model_without_split_points_is_searched_on_its_grid() {
    use serde_json::json;
    let scorer = bank_with(
        "sklearn_logistic",
        &[
            (
                "duration_in_month",
                json!({ "direction": "decrease", "recourse_step": 3 }),
            ),
            (
                "credit_amount",
                json!({ "direction": "decrease", "recourse_step": 500 }),
            ),
            (
                "installment_rate_in_percentage_of_disposable_income",
                json!({ "direction": "decrease" }),
            ),
            (
                "savings_account_and_bonds",
                json!({ "direction": "increase", "recourse_targets": [1, 2, 3] }),
            ),
        ],
    );
    assert!(scorer.model().split_points().is_none(), "a linear model");
    let schema = scorer.schema();
    let mut counts = BTreeMap::new();
    for (id, every) in [("C", 2), ("A", 4)] {
        let target = schema.bands.iter().position(|b| b.id == id).unwrap();
        for row in xgboost_rows().iter().step_by(every) {
            let r = recourse::search(&scorer, row, Some(id)).unwrap();
            tally(&mut counts, check(&scorer, row, target, &r));
        }
    }
    assert_every_answer_seen(&counts);
}

/// A set with more combinations than the search scores ends the exhaustive search at the size
/// before it: then `searched_up_to` says so and nothing is claimed proven.
#[test]
fn a_search_too_large_to_finish_says_how_far_it_got() {
    use serde_json::json;
    // 69 durations × 18,175 amounts: over the 2^20 rows one set may take.
    let scorer = bank_with(
        "sklearn_logistic",
        &[
            ("duration_in_month", json!({ "direction": "any" })),
            ("credit_amount", json!({ "direction": "any" })),
        ],
    );
    let schema = scorer.schema();
    let a = schema.bands.iter().position(|b| b.id == "A").unwrap();
    let mut seen = 0;
    for row in xgboost_rows() {
        let r = recourse::search(&scorer, &row, Some("A")).unwrap();
        if r.already_met || !r.options.is_empty() {
            continue;
        }
        assert_eq!(r.searched_up_to, 1, "{r:?}");
        assert!(!r.proven_none, "{r:?}");
        // Yet no single change works: the part it did search is exact.
        assert!(brute_force(&scorer, &row, a).keys().all(|s| s.len() > 1));
        seen += 1;
        if seen == 1 {
            break;
        }
    }
    assert!(seen > 0, "no applicant without a single-change option");
}

/// A model without actionable features: nothing can change, so no option is a proven answer.
#[test]
fn without_actionable_features_there_is_provably_none() {
    let bytes = read("tests/fixtures/bank/xgboost.onnx");
    let scorer = Scorer::from_bytes(&bytes).unwrap();
    let row = xgboost_rows()
        .into_iter()
        .find(|r| scorer.assess(r).unwrap().band.id == "E")
        .expect("a band E applicant");
    let r = recourse::search(&scorer, &row, Some("A")).unwrap();
    assert!(
        r.considered.is_empty() && r.options.is_empty() && r.proven_none,
        "{r:?}"
    );
}
