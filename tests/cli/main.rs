//! The `credit-scorer` command line: every command's arguments, help, errors and exit codes
//! (0 done, 1 refused input, 2 usage, 3 `--strict` with refused rows), the output written
//! atomically (never the input, an existing one only with `--force`) and the progress bar only on
//! a terminal. What it scores is checked against onnxruntime in tests/batch/ and here for
//! `assess`.

#[path = "../common/mod.rs"]
mod common;

mod atomic_output;
mod commands;
mod embed_schema;
mod encodings;
mod errors;
mod formats;
mod help;
mod progress;
mod schema_template;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::*;

fn cli() -> Command {
    Command::cargo_bin("credit-scorer").expect("the binary is built")
}

fn model() -> PathBuf {
    repo(REFERENCE_MODEL)
}

fn basic_csv() -> PathBuf {
    repo("tests/fixtures/csv/basic.csv")
}

/// The files in `dir`, sorted (a temporary file left behind would show here).
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The scored CSV of `input`, as the command writes it to stdout.
fn scored(input: &Path) -> Vec<u8> {
    let run = cli()
        .args(["score", "-q", "--model"])
        .arg(model())
        .arg(input)
        .assert()
        .success();
    run.get_output().stdout.clone()
}

/// No positional input (`schema-template`, `reference-scores` read only the model).
const NO_INPUT: &[&str] = &[];

/// `credit-scorer ARGS… --model MODEL INPUTS… -o OUT`: every command that writes a file
/// (`score`, `schema-template`, `embed-schema`, `reference-scores`) is run in this shape here.
fn writing<I: AsRef<OsStr>>(
    args: &[&str],
    model: impl AsRef<OsStr>,
    inputs: &[I],
    out: impl AsRef<OsStr>,
) -> Command {
    let mut run = cli();
    run.args(args)
        .arg("--model")
        .arg(model)
        .args(inputs)
        .arg("-o")
        .arg(out);
    run
}

/// `tests/fixtures/encodings/NAME.csv`.
fn encoded(name: &str) -> PathBuf {
    repo(&format!("tests/fixtures/encodings/{name}.csv"))
}

/// The scored CSV and the stderr of `score` on `input` with `flags`.
fn score_with_flags(input: &Path, flags: &[&str]) -> (Vec<u8>, String) {
    let out = cli()
        .args(["score", "--model"])
        .arg(model())
        .arg(input)
        .args(flags)
        .assert()
        .success();
    let o = out.get_output();
    (
        o.stdout.clone(),
        String::from_utf8(o.stderr.clone()).unwrap(),
    )
}

/// `tests/fixtures/csv/messy.csv` read as UTF-8: scored and refused rows.
fn messy() -> PathBuf {
    repo("tests/fixtures/csv/messy.csv")
}

fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}
