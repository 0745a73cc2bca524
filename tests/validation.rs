//! Validation of raw applicant values and the score scale, on the reference model's schema.

mod common;

use common::*;
use credit_scorer::validate::{FieldErrorCode, RawValue, validate_fields, validate_json};
use credit_scorer::{Schema, Scorer};
use proptest::prelude::*;

fn schema() -> Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Scorer::from_bytes(&read(REFERENCE_MODEL))
                .unwrap()
                .schema()
                .clone()
        })
        .clone()
}

/// The first golden row as form strings.
fn valid_strings(schema: &Schema) -> Vec<(String, String)> {
    let row = &reference_golden().rows[0];
    schema
        .features
        .iter()
        .zip(&row.x)
        .map(|(f, x)| (f.name.clone(), x.to_string()))
        .collect()
}

fn validate(
    schema: &Schema,
    pairs: &[(String, String)],
) -> Result<Vec<f32>, Vec<credit_scorer::FieldError>> {
    validate_fields(
        schema,
        pairs.iter().map(|(k, v)| (k.as_str(), RawValue::Text(v))),
    )
}

#[test]
fn a_valid_form_gives_the_row_in_column_order() {
    let schema = schema();
    let row = validate(&schema, &valid_strings(&schema)).unwrap();
    assert_eq!(row, reference_golden().rows[0].x);
}

#[test]
fn every_error_is_collected_at_once_and_names_its_field() {
    let schema = schema();
    let mut pairs = valid_strings(&schema);
    let numeric = |name: &str| pairs.iter().position(|(k, _)| k == name).unwrap();
    let duration = numeric("duration_months");
    let amount = numeric("credit_amount");
    pairs[duration].1 = "999".into();
    pairs[amount].1 = "12k".into();
    pairs[0].1 = "42".into(); // checking_status has no code 42
    pairs[1].1 = "".into();
    pairs.push(("favourite_colour".into(), "blue".into()));
    let errors = validate(&schema, &pairs).unwrap_err();
    let by_field = |f: &str| {
        errors
            .iter()
            .find(|e| e.field == f)
            .unwrap_or_else(|| panic!("no error for {f}: {errors:?}"))
    };
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert_eq!(by_field("duration_months").code, FieldErrorCode::OutOfRange);
    assert!(
        by_field("duration_months").message.contains("between"),
        "{}",
        by_field("duration_months").message
    );
    assert_eq!(by_field("credit_amount").code, FieldErrorCode::NotANumber);
    assert!(
        by_field("credit_amount")
            .message
            .contains("`12k` is not a number")
    );
    assert_eq!(
        by_field(&schema.features[0].name).code,
        FieldErrorCode::UnknownCategory
    );
    assert_eq!(
        by_field(&schema.features[1].name).code,
        FieldErrorCode::Missing
    );
    assert_eq!(
        by_field("favourite_colour").code,
        FieldErrorCode::UnknownField
    );
}

#[test]
fn nan_and_infinity_are_refused() {
    let schema = schema();
    for bad in ["NaN", "inf", "-infinity"] {
        let mut pairs = valid_strings(&schema);
        let i = pairs
            .iter()
            .position(|(k, _)| k == "credit_amount")
            .unwrap();
        pairs[i].1 = bad.into();
        let errors = validate(&schema, &pairs).unwrap_err();
        assert_eq!(errors[0].code, FieldErrorCode::NotFinite, "{bad}");
    }
}

#[test]
fn categories_are_accepted_by_code_or_by_their_value_in_the_data_set() {
    let schema = schema();
    let f = &schema.features[0];
    let credit_scorer::schema::FeatureKind::Categorical { categories } = &f.kind else {
        panic!("categorical")
    };
    let c = &categories[1];
    let by_value =
        credit_scorer::validate::validate_value(f, RawValue::Text(c.value.as_deref().unwrap()))
            .unwrap();
    let by_code =
        credit_scorer::validate::validate_value(f, RawValue::Number(c.code as f64)).unwrap();
    assert_eq!(by_value, c.code as f32);
    assert_eq!(by_code, c.code as f32);
}

#[test]
fn json_objects_validate_like_forms() {
    let schema = schema();
    let pairs = valid_strings(&schema);
    let object: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::Value::from(v.parse::<f64>().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        validate_json(&schema, &serde_json::Value::Object(object)).unwrap(),
        reference_golden().rows[0].x
    );
    assert!(validate_json(&schema, &serde_json::json!([1, 2])).is_err());
}

proptest! {
    #[test]
    fn no_input_string_makes_validation_panic(values in proptest::collection::vec(".*", 10), extra in ".*") {
        let schema = schema();
        let mut pairs: Vec<(String, String)> = schema.features.iter().map(|f| f.name.clone()).zip(values).collect();
        pairs.push((extra.clone(), extra));
        let _ = validate(&schema, &pairs);
    }

    #[test]
    fn no_number_makes_validation_panic(values in proptest::collection::vec(proptest::num::f64::ANY, 10)) {
        let schema = schema();
        let fields = schema.features.iter().zip(&values).map(|(f, v)| (f.name.as_str(), RawValue::Number(*v)));
        if let Ok(row) = validate_fields(&schema, fields) {
            prop_assert!(row.iter().all(|v| v.is_finite()));
        }
    }
}
