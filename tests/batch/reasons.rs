//! Reasons and contributions in the output columns.

use credit_scorer::batch::BatchOptions;

use crate::common::*;
use crate::{awkward, column, csv_fixture, generated, records, score_with, scorer};

#[test]
fn reasons_are_the_assessments_reasons_of_each_row() {
    let n = 600;
    let (out, s) = score_with(&generated(n), 1 << 16, BatchOptions::default()).unwrap();
    assert_eq!(s.reasons, "shapley");
    assert_eq!(s.reasons_method.as_deref(), Some("exact Shapley"));
    let rows = records(&out);
    let sc = scorer();
    let golden = reference_golden();
    let mut with_four = 0;
    for (i, row) in rows[1..].iter().enumerate() {
        if i % 97 == 13 {
            continue;
        }
        let x = &golden.rows[i % golden.rows.len()].x;
        let a = sc.assess(x).unwrap();
        let mut expected: Vec<&str> = a.reasons.iter().map(|r| r.feature.as_str()).collect();
        with_four += usize::from(expected.len() == 4);
        expected.resize(4, "");
        assert_eq!(row[14..18], expected[..], "row {i}");
    }
    assert!(with_four > 0, "some rows have four reasons");
}

#[test]
fn without_reasons_the_reason_columns_stay_empty() {
    let options = BatchOptions {
        reasons: false,
        ..BatchOptions::default()
    };
    let (out, s) = score_with(&csv_fixture("basic.csv"), 4096, options).unwrap();
    assert_eq!(s.reasons, "none");
    assert_eq!(s.reasons_method, None);
    let rows = records(&out);
    assert!(column(&rows, "reason_1").iter().all(String::is_empty));
    assert!(column(&rows, "pd").iter().all(|p| !p.is_empty()));
}

#[test]
fn contributions_follow_the_error_column_and_are_empty_for_a_refused_row() {
    let options = BatchOptions {
        contributions: true,
        ..BatchOptions::default()
    };
    let (out, s) = score_with(&awkward(300), 4096, options).unwrap();
    assert_eq!(s.reasons_method.as_deref(), Some("exact Shapley"));
    let rows = records(&out);
    let sc = scorer();
    let names: Vec<String> = sc
        .schema()
        .features
        .iter()
        .map(|f| format!("contribution_{}", f.name))
        .collect();
    let header = &rows[0];
    let error = header.iter().position(|h| h == "error").unwrap();
    assert_eq!(header[error + 1..], names[..]);
    let (mut scored, mut refused) = (0, 0);
    for (n, row) in rows[1..].iter().enumerate() {
        assert_eq!(row.len(), header.len(), "row {n}");
        let cells = &row[error + 1..];
        if row[error].is_empty() {
            scored += 1;
            let points: Vec<f64> = cells.iter().map(|c| c.parse().unwrap()).collect();
            // The reasons are the most negative contributions, worst first.
            let mut ranked = Vec::new();
            credit_scorer::explain::rank_reasons(&points, 4, &mut ranked);
            let reasons: Vec<&str> = (1..=4)
                .map(|i| {
                    row[header
                        .iter()
                        .position(|h| *h == format!("reason_{i}"))
                        .unwrap()]
                    .as_str()
                })
                .filter(|r| !r.is_empty())
                .collect();
            let expected: Vec<&str> = ranked
                .iter()
                .map(|&(i, _)| sc.schema().features[i].name.as_str())
                .collect();
            assert_eq!(reasons, expected, "row {n}");
        } else {
            refused += 1;
            assert!(cells.iter().all(String::is_empty), "row {n}: {cells:?}");
        }
    }
    assert!(
        scored > 0 && refused > 0,
        "{scored} scored, {refused} refused"
    );
}

/// What the exact explanation costs a batch, against `assess`: run with `--ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn measure_exact_reasons_against_batch_reasons() {
    let sc = scorer();
    let g = reference_golden();
    let n = 200;
    let t = std::time::Instant::now();
    for i in 0..n {
        sc.assess(&g.rows[i % g.rows.len()].x).unwrap();
    }
    let exact = n as f64 / t.elapsed().as_secs_f64();
    let bytes = generated(50_000);
    let mut rates = Vec::new();
    for reasons in [true, false] {
        let t = std::time::Instant::now();
        let options = BatchOptions {
            reasons,
            ..BatchOptions::default()
        };
        score_with(&bytes, 1 << 20, options).unwrap();
        rates.push(50_000.0 / t.elapsed().as_secs_f64());
    }
    println!(
        "Scorer::assess: {exact:.0} rows/s; batch with Shapley reasons: {:.0} rows/s; without reasons: {:.0} rows/s",
        rates[0], rates[1]
    );
}
