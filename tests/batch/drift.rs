//! Drift (PSI) in the summary and in the command line's table.

use credit_scorer::batch::BatchOptions;

use crate::common::*;
use crate::{csv_fixture, score_all, score_file, score_with, tmp};

#[test]
fn summary_psi_is_stable_for_training_like_rows_and_flags_a_shift() {
    // Small chunks: the per-chunk drift counts must merge to the whole file's.
    let options = BatchOptions {
        chunk_rows: 7,
        ..BatchOptions::default()
    };
    let sample = read("tests/fixtures/governance/train_sample.csv");
    let (_, s) = score_with(&sample, 1000, options.clone()).unwrap();
    assert_eq!(s.drift.rows, s.scored);
    for l in s.drift.characteristics.iter().chain([&s.drift.score]) {
        let psi = l.psi.unwrap_or_else(|| panic!("{}: no PSI", l.name));
        assert!(psi < 0.1, "{}: PSI {psi}", l.name);
    }
    let shifted = read("tests/fixtures/governance/shifted_duration.csv");
    let (_, s) = score_with(&shifted, 1000, options).unwrap();
    for l in &s.drift.characteristics {
        let psi = l.psi.unwrap();
        if l.name == "duration_months" {
            assert!(psi > 0.25, "duration_months: PSI {psi}");
        } else {
            assert!(psi < 0.1, "{}: PSI {psi}", l.name);
        }
    }
    // Refused rows do not count towards drift.
    let (_, s) = score_all(&csv_fixture("messy.csv"));
    assert_eq!(s.drift.rows, 3);
}

#[test]
fn cli_prints_the_psi_table() {
    let input = repo("tests/fixtures/governance/shifted_duration.csv");
    let run = score_file(&[], &input, &tmp("shifted.out.csv"));
    assert!(run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("Population stability (PSI)"), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("duration_months"))
        .unwrap();
    assert!(line.contains("investigate"), "{line}");
}
