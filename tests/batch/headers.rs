//! Header matching: ambiguous columns, delimiters and labels in either language.

use std::io::Write;

use credit_scorer::ErrorKind;
use credit_scorer::batch::BatchOptions;

use crate::common::*;
use crate::{csv_fixture, records, score_all, score_with, scorer};

#[test]
fn a_feature_matched_by_two_columns_is_refused_with_both_named() {
    let schema = scorer().schema().clone();
    let mut header: Vec<String> = schema.features.iter().map(|f| f.name.clone()).collect();
    // Exactly the same name twice, and two spellings of one feature (no exact match).
    let mut twice = header.clone();
    twice.push("duration_months".into());
    let e = credit_scorer::batch::map_header(&schema, &twice).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Csv);
    assert!(
        e.message()
            .contains("`duration_months`, `duration_months` all match feature `duration_months`"),
        "{e}"
    );
    let i = header.iter().position(|h| h == "credit_amount").unwrap();
    header[i] = "Credit Amount".into();
    header.push("CREDIT_AMOUNT".into());
    let e = credit_scorer::batch::map_header(&schema, &header).unwrap_err();
    assert!(
        e.message()
            .contains("`Credit Amount`, `CREDIT_AMOUNT` all match feature `credit_amount`"),
        "{e}"
    );
    // One spelling alone maps.
    header.pop();
    let columns = credit_scorer::batch::map_header(&schema, &header).unwrap();
    assert_eq!(columns.column_of_feature[6], i);
}

#[test]
fn a_feature_named_twice_after_folding_case_and_spaces_is_refused_with_both_named() {
    // An exact name and a spelling that folds to it: the second would otherwise be copied
    // through as an unused column, and nobody would know which one was scored.
    let golden = reference_golden();
    let mut bytes = format!("{}, DURATION_MONTHS \n", golden.features.join(",")).into_bytes();
    let x: Vec<String> = golden.rows[0].x.iter().map(|v| v.to_string()).collect();
    writeln!(bytes, "{},12", x.join(",")).unwrap();
    let e = score_with(&bytes, bytes.len(), BatchOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Csv, "{e}");
    assert!(
        e.message()
            .contains("`duration_months`, `DURATION_MONTHS` all match feature `duration_months`"),
        "{e}"
    );
}

#[test]
fn the_delimiter_is_found_from_the_header_line_in_any_split() {
    let twin = read("tests/fixtures/encodings/utf16le.utf8.csv");
    let (tabs, s) = score_all(&twin);
    assert_eq!((s.scored, s.refused), (12, 0));
    assert_eq!(s.delimiter.as_deref(), Some("\t"));
    let commas: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(false)
        .from_reader(twin.as_slice())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &commas {
        w.write_record(r).unwrap();
    }
    let (out, s) = score_all(&w.into_inner().unwrap());
    assert_eq!(s.delimiter.as_deref(), Some(","));
    assert_eq!(
        out, tabs,
        "the output is comma-separated whatever the input's delimiter"
    );
    let codes = String::from_utf8(csv_fixture("basic.csv")).unwrap();
    let (out, _) = score_all(codes.as_bytes());
    for to in [";", "|", "\t"] {
        let other = codes.replace(',', to);
        for piece in [1, 7, 4096] {
            let (o, s) = score_with(other.as_bytes(), piece, BatchOptions::default()).unwrap();
            assert_eq!(s.delimiter.as_deref(), Some(to));
            assert_eq!(o, out, "{to} in pieces of {piece}");
        }
    }
    // A comma inside a quoted name does not count; named, the delimiter is not searched for.
    let quoted = other_header_with_quoted_comma();
    let (_, s) = score_all(quoted.as_bytes());
    assert_eq!((s.delimiter.as_deref(), s.scored), (Some(";"), 1));
    let named = BatchOptions {
        delimiter: Some(b','),
        ..BatchOptions::default()
    };
    let e = score_with(quoted.as_bytes(), 4096, named).unwrap_err();
    assert!(e.message().contains("the CSV header lacks"), "{e}");
}

fn other_header_with_quoted_comma() -> String {
    "\"note, free text\";checking_status;credit_history;savings;duration_months;purpose;property;\
     credit_amount;housing;other_installment_plans;employment_since\n\
     \"a, b\";0;2;0;42;2;1;7882;2;2;3\n"
        .to_string()
}

#[test]
fn headers_and_categories_match_by_labels_in_either_language() {
    let golden = reference_golden();
    let test_rows: Vec<_> = golden
        .rows
        .iter()
        .filter(|r| r.id.starts_with("test-"))
        .collect();
    let comma = BatchOptions {
        decimal: credit_scorer::batch::Decimal::Comma,
        ..BatchOptions::default()
    };
    for (file, options) in [
        ("gbk.utf8.csv", BatchOptions::default()),
        ("windows1252.utf8.csv", comma),
    ] {
        let bytes = read(&format!("tests/fixtures/encodings/{file}"));
        let (out, s) = score_with(&bytes, 4096, options).unwrap();
        assert_eq!((s.scored, s.refused), (12, 0), "{file}: {:?}", s.examples);
        for (row, g) in records(&out)[1..].iter().zip(&test_rows) {
            let pd: f64 = row[11].parse().unwrap();
            assert!(
                (pd - g.pd).abs() < 1e-6,
                "{file} {}: {pd} vs {}",
                g.id,
                g.pd
            );
        }
    }
}

#[test]
fn a_column_that_fits_two_features_is_refused_naming_both() {
    let mut schema = scorer().schema().clone();
    for f in &mut schema.features {
        if f.name == "duration_months" || f.name == "credit_amount" {
            f.label.insert("en".into(), "Amount".into());
        }
    }
    let mut header: Vec<String> = schema.features.iter().map(|f| f.name.clone()).collect();
    header[3] = "AMOUNT".into();
    header[6] = "note".into();
    let e = credit_scorer::batch::map_header(&schema, &header).unwrap_err();
    assert!(
        e.message().contains(
            "column `AMOUNT` fits both feature `duration_months` and feature `credit_amount`"
        ),
        "{e}"
    );
    // Beside its feature's exact name, a column with that feature's label is a second copy.
    header[3] = "duration_months".into();
    header[6] = "amount".into();
    let e = credit_scorer::batch::map_header(&schema, &header).unwrap_err();
    assert!(
        e.message()
            .contains("all match feature `duration_months`; keep one"),
        "{e}"
    );
}

#[test]
fn a_header_line_that_fits_two_delimiters_is_refused_naming_both() {
    let mut schema = scorer().schema().clone();
    schema.features.truncate(1);
    let line = b"checking_status,note;checking_status";
    let e = credit_scorer::batch::detect_delimiter(&schema, line).unwrap_err();
    assert!(
        e.message()
            .contains("splits into the model's columns at both `,` and `;`; name the delimiter"),
        "{e}"
    );
    // One of them present: that one, without trying the header.
    assert_eq!(
        credit_scorer::batch::detect_delimiter(&schema, b"x|y").unwrap(),
        b'|'
    );
    assert_eq!(
        credit_scorer::batch::detect_delimiter(&schema, b"checking_status").unwrap(),
        b','
    );
}
