//! Recourse (`credit_scorer::recourse`) against an independent brute force written here: every
//! set of up to three actionable features × every value of each feature's full grid (every
//! `min + n · step` in range, every allowed category), scored through `model.predict` — not the
//! split points the search starts from. On the reference model's test split and on a bank tree
//! model (XGBoost) given actionable fields in its schema. Runs in both builds.

mod common;

use std::collections::BTreeMap;

use common::{REFERENCE_MODEL, read, repo, test_split};
use credit_scorer::model::pb;
use credit_scorer::recourse::{self, MAX_CHANGES, RecourseResult};
use credit_scorer::schema::{Direction, FeatureKind, Schema};
use credit_scorer::score::band_index_for;
use credit_scorer::{ErrorKind, Scorer};
use prost::Message;

fn reference() -> Scorer {
    Scorer::from_bytes(&read(REFERENCE_MODEL)).expect("reference model loads")
}

/// One feature's full grid under the schema's rules, with each value's movement: numeric every
/// `min + n · step` (recourse_step, else step) in range, categorical every allowed category.
fn full_grid(schema: &Schema, i: usize, x: f32) -> Vec<(f32, f64)> {
    let f = &schema.features[i];
    let cost = f.recourse_cost.unwrap_or(1.0);
    let direction = f.direction.unwrap();
    let ok = |from: f64, to: f64| match direction {
        Direction::Increase => to > from,
        Direction::Decrease => to < from,
        Direction::Any => to != from,
    };
    match &f.kind {
        FeatureKind::Numeric { min, max, step, .. } => {
            let (lo, hi) = (min.unwrap(), max.unwrap());
            let step = f.recourse_step.or(*step).unwrap();
            let mut out = Vec::new();
            let mut n = 0.0;
            while lo + n * step <= hi {
                let v = (lo + n * step) as f32;
                if ok(f64::from(x), f64::from(v)) {
                    out.push((v, (f64::from(v) - f64::from(x)).abs() / (hi - lo) * cost));
                }
                n += 1.0;
            }
            out
        }
        FeatureKind::Categorical { categories } => {
            let from = categories.iter().position(|c| c.code as f32 == x).unwrap();
            categories
                .iter()
                .enumerate()
                .filter(|(to, c)| {
                    ok(from as f64, *to as f64)
                        && f.recourse_targets
                            .as_ref()
                            .is_none_or(|t| t.contains(&c.code))
                })
                .map(|(to, c)| {
                    let moved = (to as f64 - from as f64).abs() / (categories.len() - 1) as f64;
                    (c.code as f32, moved * cost)
                })
                .collect()
        }
    }
}

/// The brute force's answer: every feasible feature set with its least movement.
fn brute_force(scorer: &Scorer, row: &[f32], target: usize) -> BTreeMap<Vec<usize>, f64> {
    let schema = scorer.schema();
    let actionable: Vec<usize> = (0..row.len())
        .filter(|&i| schema.features[i].actionable)
        .collect();
    let grids: Vec<Vec<(f32, f64)>> = actionable
        .iter()
        .map(|&i| full_grid(schema, i, row[i]))
        .collect();
    let mut feasible = BTreeMap::new();
    let n = actionable.len();
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for a in 0..n {
        sets.push(vec![a]);
        for b in a + 1..n {
            sets.push(vec![a, b]);
            for c in b + 1..n {
                sets.push(vec![a, b, c]);
            }
        }
    }
    for set in sets {
        let mut rows = Vec::new();
        let mut moves = Vec::new();
        let mut combos: Vec<(Vec<f32>, f64)> = vec![(row.to_vec(), 0.0)];
        for &m in &set {
            let mut next = Vec::new();
            for (r, mv) in &combos {
                for &(v, dm) in &grids[m] {
                    let mut r = r.clone();
                    r[actionable[m]] = v;
                    next.push((r, mv + dm));
                }
            }
            combos = next;
        }
        for (r, mv) in combos {
            rows.extend(r);
            moves.push(mv);
        }
        if moves.is_empty() {
            continue;
        }
        let p = scorer.model().predict(&rows).unwrap();
        let best = p
            .iter()
            .zip(&moves)
            .filter(|(p, _)| band_index_for(&schema.bands, p.pd).unwrap() <= target)
            .map(|(_, &m)| m)
            .fold(f64::INFINITY, f64::min);
        if best.is_finite() {
            let features: Vec<usize> = set.iter().map(|&m| actionable[m]).collect();
            feasible.insert(features, best);
        }
    }
    feasible
}

/// Checks one search result against the brute force and against `Scorer::assess`.
fn check(scorer: &Scorer, row: &[f32], target: usize, r: &RecourseResult) -> &'static str {
    let schema = scorer.schema();
    let now = band_index_for(&schema.bands, scorer.assess(row).unwrap().pd).unwrap();
    assert_eq!(r.target_band, schema.bands[target].id);
    assert_eq!(r.searched_up_to, MAX_CHANGES);
    if now <= target {
        assert!(
            r.already_met && r.options.is_empty() && !r.proven_none,
            "{r:?}"
        );
        return "met";
    }
    assert!(!r.already_met);
    let feasible = brute_force(scorer, row, target);
    // Minimal sets: no proper subset works.
    let mut minimal: Vec<(&Vec<usize>, f64)> = feasible
        .iter()
        .filter(|(s, _)| {
            !feasible
                .keys()
                .any(|t| t != *s && t.iter().all(|i| s.contains(i)))
        })
        .map(|(s, &m)| (s, m))
        .collect();
    minimal.sort_by(|a, b| {
        a.0.len()
            .cmp(&b.0.len())
            .then(a.1.total_cmp(&b.1))
            .then(a.0.cmp(b.0))
    });
    minimal.truncate(3);
    assert_eq!(r.proven_none, feasible.is_empty(), "row {row:?}: {r:?}");
    let got: Vec<Vec<usize>> = r
        .options
        .iter()
        .map(|o| {
            o.changes
                .iter()
                .map(|c| schema.feature_index(&c.feature).unwrap())
                .collect()
        })
        .collect();
    let want: Vec<Vec<usize>> = minimal.iter().map(|(s, _)| (*s).clone()).collect();
    assert_eq!(got, want, "row {row:?}: no better option may be missed");
    for (o, (_, best)) in r.options.iter().zip(&minimal) {
        assert!(
            (o.movement - best).abs() < 1e-12,
            "row {row:?}: movement {} vs the brute force's {best}",
            o.movement
        );
        let mut changed = row.to_vec();
        for c in &o.changes {
            let i = schema.feature_index(&c.feature).unwrap();
            let f = &schema.features[i];
            assert!(f.actionable, "{} is not actionable", c.feature);
            assert_eq!(c.from, f64::from(row[i]));
            match f.direction.unwrap() {
                Direction::Increase => assert!(c.to > c.from, "{c:?}"),
                Direction::Decrease => assert!(c.to < c.from, "{c:?}"),
                Direction::Any => assert!(c.to != c.from, "{c:?}"),
            }
            match &f.kind {
                FeatureKind::Numeric { min, max, .. } => {
                    assert!(c.to >= min.unwrap() && c.to <= max.unwrap(), "{c:?}");
                    assert!(c.to_label.is_none());
                }
                FeatureKind::Categorical { .. } => {
                    let cat = f.category(c.to as i64).unwrap();
                    assert_eq!(c.to_label.as_ref(), Some(&cat.label));
                    assert!(
                        f.recourse_targets
                            .as_ref()
                            .is_none_or(|t| t.contains(&(c.to as i64)))
                    );
                }
            }
            changed[i] = c.to as f32;
        }
        // Exactly what `assess` gives the changed applicant, and in the target band or better.
        let a = scorer.assess(&changed).unwrap();
        assert_eq!((a.pd, a.points, &a.band), (o.pd, o.points, &o.band));
        assert!(band_index_for(&schema.bands, a.pd).unwrap() <= target);
    }
    // Immutable characteristics never change, and no option is a superset of another.
    for (i, a) in got.iter().enumerate() {
        for (j, b) in got.iter().enumerate() {
            assert!(i == j || !a.iter().all(|f| b.contains(f)), "{got:?}");
        }
    }
    if r.proven_none { "none" } else { "options" }
}

fn tally(counts: &mut BTreeMap<&'static str, usize>, what: &'static str) {
    *counts.entry(what).or_default() += 1;
}

/// Each kind of answer [`check`] tells apart came up at least once.
fn assert_every_answer_seen(counts: &BTreeMap<&'static str, usize>) {
    eprintln!("{counts:?}");
    for what in ["met", "options", "none"] {
        assert!(
            counts.get(what).copied().unwrap_or(0) > 0,
            "no `{what}` case: {counts:?}"
        );
    }
}

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

#[test]
fn an_unknown_target_band_is_an_input_error_naming_the_bands() {
    let scorer = reference();
    let e = recourse::search(&scorer, &test_split()[0], Some("Z")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input);
    assert!(
        e.message().contains("no band `Z`") && e.message().contains("A, B, C, D, E"),
        "{e}"
    );
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

// ------------------------------------------------------------------ schema validation

fn schema_with(feature: serde_json::Value) -> Result<Schema, credit_scorer::Error> {
    let json = serde_json::json!({ "schema_version": 1, "features": [feature] });
    Schema::from_json(&json.to_string(), 1)
}

fn numeric(extra: serde_json::Value) -> serde_json::Value {
    let mut f = serde_json::json!({
        "name": "amount", "kind": "numeric", "min": 0, "max": 100, "step": 1, "baseline": 0 });
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    f
}

fn categorical(extra: serde_json::Value) -> serde_json::Value {
    let mut f = serde_json::json!({
        "name": "savings", "kind": "categorical", "baseline": 0,
        "categories": [{ "code": 0 }, { "code": 1 }, { "code": 2 }] });
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    f
}

#[test]
fn recourse_fields_are_checked_with_a_message_saying_what_to_fix() {
    use serde_json::json;
    let ok = [
        numeric(json!({ "actionable": true, "direction": "decrease" })),
        numeric(
            json!({ "actionable": true, "direction": "any", "recourse_step": 5,
                        "recourse_cost": 0.5 }),
        ),
        categorical(json!({ "actionable": true, "direction": "increase",
                            "recourse_targets": [1, 2] })),
        numeric(json!({})),
    ];
    for f in ok {
        schema_with(f.clone()).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let bad = [
        (
            numeric(json!({ "direction": "decrease" })),
            "has `direction` but is not `actionable`; add \"actionable\": true",
        ),
        (
            categorical(json!({ "recourse_targets": [1] })),
            "has `recourse_targets` but is not `actionable`",
        ),
        (
            numeric(json!({ "actionable": true })),
            "is `actionable` but has no `direction`; add \"direction\"",
        ),
        (
            numeric(json!({ "actionable": true, "direction": "decrease", "recourse_step": 0 })),
            "`recourse_step` is 0; it must be a finite number above 0",
        ),
        (
            numeric(json!({ "actionable": true, "direction": "decrease", "recourse_cost": -1 })),
            "`recourse_cost` is -1; it must be a finite number above 0",
        ),
        (
            numeric(json!({ "step": -1 })),
            "`step` is -1; it must be above 0",
        ),
        (
            json!({ "name": "amount", "kind": "numeric", "min": 0, "baseline": 0,
                 "actionable": true, "direction": "decrease" }),
            "is `actionable` but has no range; give it `min` and `max`",
        ),
        (
            numeric(json!({ "actionable": true, "direction": "any", "recourse_targets": [1] })),
            "is numeric and cannot have `recourse_targets`",
        ),
        (
            categorical(json!({ "actionable": true, "direction": "any", "recourse_step": 1 })),
            "is categorical and cannot have `recourse_step`",
        ),
        (
            categorical(json!({ "actionable": true, "direction": "any", "recourse_targets": [7] })),
            "`recourse_targets` names code 7, which is not one of its categories",
        ),
        (
            categorical(json!({ "actionable": true, "direction": "any",
                             "recourse_targets": [1, 1] })),
            "`recourse_targets` lists code 1 twice",
        ),
        (
            numeric(json!({ "actionable": true, "direction": "sideways" })),
            "unknown variant `sideways`",
        ),
    ];
    for (f, want) in bad {
        let e = schema_with(f.clone()).expect_err(&f.to_string());
        assert_eq!(e.kind(), ErrorKind::Schema, "{f}");
        assert!(e.message().contains(want), "{f}: {e}");
    }
}

// ------------------------------------------------------------------ the command line

#[test]
fn assess_prints_the_options_and_takes_a_target_band() {
    use assert_cmd::Command;
    let scorer = reference();
    let schema = scorer.schema();
    let row = test_split()
        .into_iter()
        .find(|r| scorer.assess(r).unwrap().band.id == "E")
        .unwrap();
    let applicant: serde_json::Map<String, serde_json::Value> = schema
        .features
        .iter()
        .zip(&row)
        .map(|(f, &x)| (f.name.clone(), serde_json::json!(x)))
        .collect();
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("applicant.json");
    std::fs::write(&file, serde_json::Value::Object(applicant).to_string()).unwrap();
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = Command::cargo_bin("credit-scorer")
            .unwrap()
            .args(["assess", "-m"])
            .arg(repo(REFERENCE_MODEL))
            .args(extra)
            .arg(&file)
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    for (extra, band) in [(&[][..], "C"), (&["--target-band", "D"][..], "D")] {
        let printed = run(extra);
        let want = recourse::search(&scorer, &row, Some(band)).unwrap();
        // Through the same JSON text (serde_json's parser may round a float's last bit).
        let want: serde_json::Value =
            serde_json::from_str(&serde_json::to_string_pretty(&want).unwrap()).unwrap();
        assert_eq!(printed["recourse"], want);
        assert_eq!(printed["recourse"]["target_band"], band);
        assert!(printed["pd"].is_number());
    }
    assert!(run(&["--no-recourse"]).get("recourse").is_none());
    Command::cargo_bin("credit-scorer")
        .unwrap()
        .args(["assess", "-m"])
        .arg(repo(REFERENCE_MODEL))
        .args(["--target-band", "Q"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicates::str::contains("no band `Q`"));
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
