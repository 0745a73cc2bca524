//! Any applicant against the reference model's schema, as the page sends it (a JSON object of
//! field values) and as typed text (`name=value` lines): validation must return a row of the
//! schema's width or field errors, never panic.
#![no_main]

mod reference;

use credit_scorer::validate::{validate_fields, validate_json};
use credit_scorer::{RawValue, Schema};
use libfuzzer_sys::fuzz_target;

fn schema() -> &'static Schema {
    reference::scorer().schema()
}

fuzz_target!(|data: &[u8]| {
    let schema = schema();
    let k = schema.features.len();
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(row) = validate_json(schema, &value) {
            assert_eq!(row.len(), k);
        }
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let fields = text.lines().map(|line| match line.split_once('=') {
        Some((name, value)) => (name, RawValue::Text(value)),
        None => (line, RawValue::Missing),
    });
    match validate_fields(schema, fields) {
        Ok(row) => assert_eq!(row.len(), k),
        Err(errors) => assert!(!errors.is_empty()),
    }
});
