//! Usage errors (exit 2) and refused input (exit 1): each names what was wrong.

use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

use crate::common::*;
use crate::{basic_csv, cli, files_in, model};

// ------------------------------------------------------------------ usage errors: exit 2

#[test]
fn usage_errors_name_the_flag_and_exit_2() {
    let model = model();
    let model = model.to_str().unwrap();
    let input = basic_csv();
    let input = input.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["score", "--model", model, input, "--bogus"], "--bogus"),
        // `--strict` is a flag, never the model's path.
        (vec!["score", "--model", "--strict", input], "--model"),
        // A trailing `-o` is not stdout.
        (vec!["score", "--model", model, input, "-o"], "--output"),
        (vec!["score", "--model", model], "<INPUT.csv>"),
        (vec!["score", input], "--model"),
        (
            vec!["score", "--model", model, input, "--threads", "0"],
            "--threads",
        ),
        (
            vec!["score", "--model", model, input, "-j", "many"],
            "--threads",
        ),
        (vec!["score", "--model", model, input, input], input),
        // Flags another command has are not silently ignored.
        (vec!["schema", "--model", model, "--strict"], "--strict"),
        (vec!["schema", "--model", model, "-o", "x.json"], "-o"),
        (
            vec!["assess", "--model", model, "a.json", "--threads", "2"],
            "--threads",
        ),
        (vec!["assess", "--model", model], "<APPLICANT.json>"),
        (vec!["reference-scores", "--model", model], "--output"),
        (
            vec![
                "reference-scores",
                "--model",
                model,
                "-o",
                "x.onnx",
                "--no-reasons",
            ],
            "--no-reasons",
        ),
        (vec!["scroe", "--model", model], "scroe"),
        (vec!["--model", model, "score", input], "--model"),
    ];
    for (args, named) in cases {
        let run = cli().args(&args).assert().code(2).stdout("");
        let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
        assert!(
            stderr.starts_with("error: ") && stderr.contains(named),
            "{args:?}: the message should name {named}:\n{stderr}"
        );
    }
}

// ------------------------------------------------------------------ refused input: exit 1

#[test]
fn a_refused_model_or_file_exits_1_with_the_reason() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.onnx");
    for command in [vec!["schema"], vec!["score", "-"], vec!["assess", "a.json"]] {
        cli()
            .args(&command)
            .arg("--model")
            .arg(&missing)
            .assert()
            .code(1)
            .stderr(contains("error: cannot read model `").and(contains("missing.onnx")));
    }
    // Not a model at all: the CSV file.
    cli()
        .args(["schema", "--model"])
        .arg(basic_csv())
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::starts_with("error: "));
    cli()
        .args(["score", "--model"])
        .arg(model())
        .arg(dir.path().join("nowhere.csv"))
        .assert()
        .code(1)
        .stderr(contains("cannot open `").and(contains("nowhere.csv")));
    // A header without the model's columns is refused whole.
    cli()
        .args(["score", "--model"])
        .arg(model())
        .arg(repo("tests/fixtures/csv/missing_columns.csv"))
        .assert()
        .code(1)
        .stderr(contains("missing `credit_amount`, `housing`"));
    // An applicant with an invalid field: every such field is named.
    let applicant = dir.path().join("applicant.json");
    std::fs::write(&applicant, r#"{"duration_months": "soon"}"#).unwrap();
    cli()
        .args(["assess", "--model"])
        .arg(model())
        .arg(&applicant)
        .assert()
        .code(1)
        .stderr(contains("the applicant is invalid").and(contains("duration_months")));
    assert_eq!(files_in(dir.path()), ["applicant.json"]);
}
