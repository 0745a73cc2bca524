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

// ------------------------------------------------------------------ the CSV cell fast path

use credit_scorer::schema::{Category, FeatureKind};
use credit_scorer::validate::{CellValidator, Decimal, validate_value};

/// The reference schema plus features the reference model lacks: unbounded and one-sided numbers,
/// codes that are negative or beyond 255, and data values that look like numbers (a value `"1"`
/// on code 0 makes the cell `1` fit two categories).
fn awkward_schema() -> Schema {
    let mut s = schema();
    let category = |code: i64, value: Option<&str>| Category {
        code,
        value: value.map(String::from),
        label: Default::default(),
    };
    let mut extra = s.features[0].clone();
    let mut push = |name: &str, kind: FeatureKind| {
        extra.name = name.into();
        extra.kind = kind;
        s.features.push(extra.clone());
    };
    push(
        "unbounded",
        FeatureKind::Numeric {
            unit: Default::default(),
            min: None,
            max: None,
            step: None,
        },
    );
    push(
        "at_least_minus_ten",
        FeatureKind::Numeric {
            unit: Default::default(),
            min: Some(-10.0),
            max: None,
            step: None,
        },
    );
    push(
        "numeric_values",
        FeatureKind::Categorical {
            categories: vec![
                category(0, Some(" 1 ")),
                category(1, Some("0.5")),
                category(2, Some("two")),
            ],
        },
    );
    push(
        "wide_codes",
        FeatureKind::Categorical {
            categories: vec![
                category(-3, None),
                category(300, Some("three hundred")),
                category(16_777_217, None),
                category(7, None),
            ],
        },
    );
    s
}

/// Whatever the fast path accepts, the full check accepts with the very same value:
/// `validate_value` with a decimal point, `validate_cell` with a decimal comma.
fn assert_fast_path_agrees(schema: &Schema, decimal: Decimal, cell: &[u8]) {
    let check = CellValidator::new(schema, decimal);
    for (i, feature) in schema.features.iter().enumerate() {
        let Some(fast) = check.check(i, cell) else {
            continue;
        };
        let text = std::str::from_utf8(cell).expect("the fast path only accepts UTF-8");
        let full = match decimal {
            Decimal::Point => validate_value(feature, RawValue::Text(text)),
            Decimal::Comma => credit_scorer::validate::validate_cell(feature, text, decimal),
        };
        assert_eq!(
            full.map(f32::to_bits),
            Ok(fast.to_bits()),
            "{}: {text:?}",
            feature.name
        );
    }
}

#[test]
fn the_csv_fast_path_agrees_with_validate_value() {
    let schema = awkward_schema();
    let cells = [
        "0",
        "-0",
        "00",
        "007",
        "1",
        "2",
        "3",
        "4",
        "9",
        "10",
        "-3",
        "300",
        "16777217",
        "7.0",
        "0.5",
        "1.5",
        "4",
        "72",
        "73",
        "250",
        "249.99",
        "18424",
        "18424.0001",
        "2500",
        "-10",
        "-10.5",
        "123456789012345",
        "1234567890123456",
        "0.000000000000001",
        "1.",
        ".5",
        "+1",
        " 1",
        "1 ",
        "1e3",
        "one",
        "",
        "-",
        "1.2.3",
        "9007199254740993",
    ];
    for cell in cells {
        assert_fast_path_agrees(&schema, Decimal::Point, cell.as_bytes());
    }
    assert_fast_path_agrees(&schema, Decimal::Point, b"1\xe9");
    // Plain numbers in range take the fast path (a miss would only be slower, but is a bug).
    let check = CellValidator::new(&schema, Decimal::Point);
    let duration = schema.feature_index("duration_months").unwrap();
    assert_eq!(check.check(duration, b"24"), Some(24.0));
    assert_eq!(check.check(duration, b"24.5"), Some(24.5));
    assert_eq!(check.check(0, b"3"), Some(3.0));
    // Code 0's data value " 1 " and code 1 both fit the cell "1": an error naming both, on the
    // full path.
    let numeric_values = schema.feature_index("numeric_values").unwrap();
    assert_eq!(check.check(numeric_values, b"1"), None);
    let e = validate_value(&schema.features[numeric_values], RawValue::Text("1")).unwrap_err();
    assert_eq!(e.code, FieldErrorCode::UnknownCategory);
    assert!(
        e.message.contains("`1` fits both 0 and 1; write the code"),
        "{}",
        e.message
    );
    assert_eq!(check.check(numeric_values, b"2"), None);
    assert_eq!(
        validate_value(&schema.features[numeric_values], RawValue::Text(" TWO ")),
        Ok(2.0)
    );
    let wide = schema.feature_index("wide_codes").unwrap();
    assert_eq!(check.check(wide, b"300"), Some(300.0));
    assert_eq!(check.check(wide, b"16777217"), Some(16_777_217i64 as f32));
    assert_eq!(check.check(wide, b"8"), None);
}

#[test]
fn with_a_decimal_comma_the_fast_path_agrees_with_validate_cell() {
    let schema = awkward_schema();
    for cell in [
        "3", "3,0", "24,5", "24.5", "-10,5", "0,5", "1,", ",5", "300", "1,2,3",
    ] {
        assert_fast_path_agrees(&schema, Decimal::Comma, cell.as_bytes());
    }
    let check = CellValidator::new(&schema, Decimal::Comma);
    let duration = schema.feature_index("duration_months").unwrap();
    assert_eq!(check.check(duration, b"24,5"), Some(24.5));
    assert_eq!(check.check(duration, b"24.5"), None);
    assert_eq!(check.check(0, b"3,0"), None);
}

proptest! {
    #[test]
    fn the_csv_fast_path_agrees_with_a_decimal_comma(cell in "-?[0-9]{0,17}(,[0-9]{0,17})?") {
        assert_fast_path_agrees(&awkward_schema(), Decimal::Comma, cell.as_bytes());
    }

    #[test]
    fn the_csv_fast_path_agrees_on_any_number_like_text(cell in "-?[0-9]{0,17}(\\.[0-9]{0,17})?") {
        assert_fast_path_agrees(&awkward_schema(), Decimal::Point, cell.as_bytes());
    }

    #[test]
    fn the_csv_fast_path_agrees_on_any_float_as_text(v in proptest::num::f64::ANY, digits in 0usize..17) {
        let schema = awkward_schema();
        assert_fast_path_agrees(&schema, Decimal::Point, format!("{v}").as_bytes());
        assert_fast_path_agrees(&schema, Decimal::Point, format!("{v:.digits$}").as_bytes());
    }

    #[test]
    fn the_csv_fast_path_agrees_on_any_bytes(cell in proptest::collection::vec(any::<u8>(), 0..12)) {
        assert_fast_path_agrees(&awkward_schema(), Decimal::Point, &cell);
    }
}
