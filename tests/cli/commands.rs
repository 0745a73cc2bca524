//! The commands themselves: `assess`, `schema`, `score` and `--strict`.

use predicates::str::contains;
use tempfile::TempDir;

use crate::common::*;
use crate::{basic_csv, cli, files_in, model, score_with_flags, scored, writing};

/// `assess` prints the PD onnxruntime gave the golden applicant.
#[test]
fn assess_scores_an_applicant_as_onnxruntime_does() {
    let golden = reference_golden();
    let row = &golden.rows[0];
    let applicant: serde_json::Map<String, serde_json::Value> = golden
        .features
        .iter()
        .zip(&row.x)
        .map(|(name, &x)| (name.clone(), serde_json::json!(x)))
        .collect();
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("applicant.json");
    std::fs::write(&file, serde_json::Value::Object(applicant).to_string()).unwrap();
    let out = cli()
        .args(["assess", "-m"])
        .arg(model())
        .arg(&file)
        .assert()
        .success();
    let a: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let pd = a["pd"].as_f64().unwrap();
    assert!((pd - row.pd).abs() < 1e-6, "{pd} vs onnxruntime {}", row.pd);
}

#[test]
fn schema_prints_the_models_features() {
    let out = cli()
        .args(["schema", "--model"])
        .arg(model())
        .assert()
        .success();
    let schema: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let names: Vec<&str> = schema["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, reference_golden().features);
}

#[test]
fn score_reads_stdin_and_writes_stdout_or_a_file_with_the_same_bytes() {
    let expected = scored(&basic_csv());
    assert!(expected.starts_with(b"checking_status,"));
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("scored.csv");
    cli()
        .args(["score", "--model"])
        .arg(model())
        .arg("-")
        .args(["-o", "-", "--quiet"])
        .pipe_stdin(basic_csv())
        .unwrap()
        .assert()
        .success()
        .stdout(expected.clone())
        .stderr("");
    cli()
        .args(["score", "--model"])
        .arg(model())
        .arg(basic_csv())
        .arg("--output")
        .arg(&out)
        .assert()
        .success()
        .stdout("")
        .stderr(contains("rows in: "));
    assert_eq!(std::fs::read(&out).unwrap(), expected);
    assert_eq!(files_in(dir.path()), ["scored.csv"]);
}

#[test]
fn strict_exits_3_when_rows_were_refused_and_still_writes_them() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("messy.scored.csv");
    // Its Latin-1 row is refused as not UTF-8 once the file is named UTF-8.
    let messy = repo("tests/fixtures/csv/messy.csv");
    writing(
        &["score", "--strict", "-q", "--encoding", "utf-8"],
        model(),
        &[&messy],
        &out,
    )
    .assert()
    .code(3)
    .stderr("");
    let utf8 = score_with_flags(&messy, &["-q", "--encoding", "utf-8"]).0;
    assert_eq!(std::fs::read(&out).unwrap(), utf8);
    cli()
        .args(["score", "--strict", "--model"])
        .arg(model())
        .arg(basic_csv())
        .assert()
        .success();
}
