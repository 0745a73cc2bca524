//! The corpus of awkward files: each line accounted for, each refusal with its reason.

use credit_scorer::ErrorKind;
use credit_scorer::batch::{BatchOptions, OUTPUT_COLUMNS};

use crate::common::*;
use crate::{assert_accounting, column, csv_fixture, records, score_all, score_with, scorer};

#[test]
fn basic_file_scores_like_the_engine() {
    let (out, s) = score_all(&csv_fixture("basic.csv"));
    assert_accounting(&s);
    assert_eq!(
        (s.rows_in, s.scored, s.refused, s.blank_lines),
        (3, 3, 0, 0)
    );
    let rows = records(&out);
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[0][10..], OUTPUT_COLUMNS.map(String::from).as_slice());
    let golden = reference_golden();
    let by_x = |x: &[f32]| golden.rows.iter().find(|r| r.x == x).unwrap();
    let sc = scorer();
    for row in &rows[1..] {
        let x: Vec<f32> = row[..10].iter().map(|v| v.parse().unwrap()).collect();
        let g = by_x(&x);
        let pd: f64 = row[10].parse().unwrap();
        assert!((pd - g.pd).abs() < 1e-6, "pd {pd} vs golden {}", g.pd);
        let p = sc.predict(&x).unwrap()[0];
        let (points, band) = sc.points_and_band(&p);
        assert_eq!(row[11], format!("{points:.1}"));
        assert_eq!(row[12], band.id);
        assert_eq!(row[17], "", "no error");
        // Reasons are features that differ from the baseline, each named once.
        let baseline = sc.schema().baseline();
        let reasons: Vec<&String> = row[13..17].iter().filter(|r| !r.is_empty()).collect();
        assert!(!reasons.is_empty());
        for r in &reasons {
            let i = sc.schema().feature_index(r).unwrap();
            assert_ne!(x[i], baseline[i], "{r} is at its baseline");
        }
    }
}

#[test]
fn bom_and_crlf_give_the_same_output_as_plain_lf() {
    let (plain, _) = score_all(&csv_fixture("basic.csv"));
    let (bom, s) = score_all(&csv_fixture("bom_crlf.csv"));
    assert_eq!(
        String::from_utf8(bom).unwrap(),
        String::from_utf8(plain).unwrap()
    );
    assert_eq!((s.rows_in, s.blank_lines, s.lines), (3, 0, 4));
}

#[test]
fn quoted_commas_newlines_and_quotes_pass_through() {
    let (out, s) = score_all(&csv_fixture("quoted.csv"));
    assert_accounting(&s);
    assert_eq!((s.rows_in, s.scored, s.refused), (3, 3, 0));
    assert_eq!(s.ignored_columns, ["id", "note"]);
    let rows = records(&out);
    assert_eq!(
        column(&rows, "note"),
        ["late, but paid", "two\nlines", "said \"hi\", left"]
    );
    assert_eq!(column(&rows, "id"), ["a1", "a2", "a3"]);
    assert!(column(&rows, "error").iter().all(String::is_empty));
}

#[test]
fn header_matches_ignoring_case_and_spaces_and_categories_accept_data_values() {
    let (out, s) = score_all(&csv_fixture("header_case_values.csv"));
    assert_eq!((s.rows_in, s.scored, s.refused), (2, 2, 0));
    let (basic, _) = score_all(&csv_fixture("basic.csv"));
    // Row 1 spells golden row test-3 with the data set's values: same score as its codes.
    assert_eq!(
        column(&records(&out), "pd")[0],
        column(&records(&basic), "pd")[0]
    );
}

#[test]
fn messy_file_accounts_for_every_line() {
    let (out, s) = score_all(&csv_fixture("messy.csv"));
    assert_accounting(&s);
    assert_eq!((s.rows_in, s.scored, s.refused), (9, 3, 6));
    assert_eq!(s.refused_lines, [4, 5, 6, 9, 10, 12]);
    assert!(!s.refused_lines_truncated);
    assert_eq!(s.blank_lines, 3);
    assert_eq!(s.blank_line_numbers, [3, 7, 11]);
    assert_eq!(s.lines, 13);
    let rows = records(&out);
    assert_eq!(rows.len(), 1 + 9, "every row keeps its place");
    let errors = column(&rows, "error");
    let pds = column(&rows, "pd");
    for (e, pd) in errors.iter().zip(&pds) {
        assert!(
            e.is_empty() != pd.is_empty(),
            "a score or an error: {e:?} {pd:?}"
        );
    }
    assert!(errors[1].starts_with("line 4: the row has 9 fields but the header has 10"));
    assert_eq!(
        errors[2],
        "line 5, column `credit_amount`: Credit amount: `12k` is not a number"
    );
    assert!(errors[3].contains("column `duration_months`"));
    assert!(errors[3].contains("column `purpose`"));
    assert!(errors[5].contains("column `purpose`: the value is not UTF-8 text"));
    assert!(errors[6].contains("column `savings`") && errors[6].contains("required"));
    assert!(errors[7].starts_with("line 12: the row has 11 fields"));
    // Every output row has the header's width, ragged or not.
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
}

#[test]
fn non_utf8_bytes_refuse_only_their_row() {
    let (out, s) = score_all(&csv_fixture("latin1.csv"));
    assert_accounting(&s);
    assert_eq!((s.rows_in, s.scored, s.refused), (2, 1, 1));
    assert_eq!(s.refused_lines, [3]);
    let rows = records(&out);
    // An unused column in Latin-1 is copied (with replacement characters) and the row scored.
    assert_eq!(column(&rows, "id")[0], "M\u{fffd}ller");
    assert!(!column(&rows, "pd")[0].is_empty());
}

#[test]
fn an_unclosed_quote_is_one_refused_row_with_a_hint() {
    let (out, s) = score_all(&csv_fixture("unclosed_quote.csv"));
    assert_accounting(&s);
    assert_eq!((s.rows_in, s.scored, s.refused), (2, 1, 1));
    assert_eq!(s.refused_lines, [3]);
    let errors = column(&records(&out), "error");
    assert!(errors[1].contains("never closed"), "{}", errors[1]);
}

#[test]
fn blank_lines_before_the_header_are_counted() {
    let (_, s) = score_all(&csv_fixture("blank_before_header.csv"));
    assert_eq!((s.rows_in, s.scored, s.blank_lines), (1, 1, 2));
    assert_eq!(s.blank_line_numbers, [1, 2]);
}

#[test]
fn header_only_is_zero_rows_and_empty_is_an_error() {
    let (out, s) = score_all(&csv_fixture("header_only.csv"));
    assert_eq!((s.rows_in, s.blank_lines), (0, 0));
    assert_eq!(records(&out).len(), 1);
    let err = score_with(b"", 1, BatchOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Csv);
    assert!(err.message().contains("empty"), "{}", err.message());
}

#[test]
fn missing_columns_are_named_with_the_extra_ones() {
    let err = score_with(
        &csv_fixture("missing_columns.csv"),
        4096,
        BatchOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Csv);
    let m = err.message();
    assert!(m.contains("missing `credit_amount`, `housing`"), "{m}");
    assert!(m.contains("`amount`, `home`"), "{m}");
}

#[test]
fn line_numbers_count_quoted_newlines_and_crlf() {
    let h = "id,checking_status,credit_history,savings,duration_months,purpose,property,credit_amount,housing,other_installment_plans,employment_since";
    let text = format!(
        "{h}\r\n\"a\r\nb\",0,2,0,42,2,1,7882,2,2,3\r\n\r\nc,0,2,0,42,2,1,x,2,2,3\r\nd,0,2,0,42,2,1,7882,2,2,3"
    );
    for piece in [1, 2, 3, 7, 4096] {
        let (_, s) = score_with(text.as_bytes(), piece, BatchOptions::default()).unwrap();
        assert_eq!(s.refused_lines, [5], "piece {piece}");
        assert_eq!(s.blank_line_numbers, [4], "piece {piece}");
        assert_eq!((s.rows_in, s.scored, s.lines), (3, 2, 6), "piece {piece}");
    }
}
