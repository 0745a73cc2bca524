//! What is refused: an unknown target band, recourse fields that do not fit.

use credit_scorer::ErrorKind;
use credit_scorer::recourse;
use credit_scorer::schema::Schema;

use crate::common::test_split;
use crate::reference;

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
