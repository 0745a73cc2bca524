//! Batch scoring of CSV files: a corpus of awkward files with exact accounting, streaming in any
//! split of the bytes, scores equal to the single-row engine, and the `score` command line.

#[path = "../common/mod.rs"]
mod common;

mod command_line;
mod corpus;
mod drift;
mod headers;
mod long_fields;
mod output;
mod reasons;
mod streaming;
mod values;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::*;
use credit_scorer::Scorer;
use credit_scorer::batch::{BatchJob, BatchOptions, Summary};

fn scorer() -> Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER
        .get_or_init(|| Scorer::from_bytes(&read(REFERENCE_MODEL)).unwrap())
        .clone()
}

fn csv_fixture(name: &str) -> Vec<u8> {
    read(&format!("tests/fixtures/csv/{name}"))
}

const FIXTURES: &[&str] = &[
    "basic.csv",
    "blank_before_header.csv",
    "bom_crlf.csv",
    "header_case_values.csv",
    "header_only.csv",
    "latin1.csv",
    "messy.csv",
    "quoted.csv",
    "unclosed_quote.csv",
];

/// Scores `bytes` pushed in pieces of `piece` bytes, with chunks of `chunk_rows` rows.
fn score_with(
    bytes: &[u8],
    piece: usize,
    options: BatchOptions,
) -> credit_scorer::Result<(Vec<u8>, Summary)> {
    let mut job = BatchJob::new(scorer(), options);
    let mut out = Vec::new();
    for part in bytes.chunks(piece.max(1)) {
        out.extend(job.push(part)?);
    }
    out.extend(job.finish()?);
    Ok((out, job.summary().clone()))
}

fn score_all(bytes: &[u8]) -> (Vec<u8>, Summary) {
    score_with(bytes, bytes.len().max(1), BatchOptions::default()).unwrap()
}

/// The output as records (header first).
fn records(out: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(out)
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).unwrap();
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

fn assert_accounting(s: &Summary) {
    assert_eq!(
        s.rows_in,
        s.scored + s.refused,
        "rows_in = scored + refused"
    );
    assert_eq!(s.bands.iter().map(|b| b.count).sum::<u64>(), s.scored);
    assert_eq!(s.histogram.counts.iter().sum::<u64>(), s.scored);
}

/// A generated file: valid rows with every 97th refused, a blank line every 1,000 rows.
fn generated(rows: usize) -> Vec<u8> {
    let golden = reference_golden();
    let mut out = format!("id,{}\n", golden.features.join(",")).into_bytes();
    for i in 0..rows {
        let g = &golden.rows[i % golden.rows.len()];
        let mut x: Vec<String> = g.x.iter().map(|v| v.to_string()).collect();
        if i % 97 == 13 {
            x[6] = "n/a".into();
        }
        writeln!(out, "r{i},{}", x.join(",")).unwrap();
        if i % 1000 == 999 {
            out.push(b'\n');
        }
    }
    out
}

/// A file with every kind of cell the writer must quote or replace, and values that are not
/// plain numbers (spaces, exponents, signs, category names) but still valid.
fn awkward(rows: usize) -> Vec<u8> {
    let golden = reference_golden();
    let mut out = format!("note,{},id\n", golden.features.join(",")).into_bytes();
    let notes: [&[u8]; 8] = [
        b"",
        b"plain",
        b"\"with, comma\"",
        b"\"say \"\"hi\"\"\"",
        b"\"two\nlines\"",
        b"\"cr\rhere\"",
        b"caf\xc3\xa9",
        b"M\xfcller",
    ];
    for i in 0..rows {
        let g = &golden.rows[i % golden.rows.len()];
        let mut x: Vec<String> = g.x.iter().map(|v| v.to_string()).collect();
        match i % 11 {
            3 => x[3] = format!(" {} ", x[3]),
            4 => x[6] = format!("{}e0", x[6]),
            5 => x[6] = format!("+{}", x[6]),
            6 => x[6] = format!("{}.000", x[6]),
            7 => x[0] = "no checking account".into(),
            8 => x[6] = "n/a".into(),
            _ => {}
        }
        out.extend_from_slice(notes[i % notes.len()]);
        write!(out, ",{},r{i}", x.join(",")).unwrap();
        out.extend_from_slice(if i % 5 == 0 { b"\r\n" } else { b"\n" });
    }
    out
}

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_credit-scorer"))
}

fn model_path() -> String {
    repo(REFERENCE_MODEL).to_string_lossy().into_owned()
}

/// `credit-scorer score FLAGS… --model MODEL INPUT -o OUTPUT`, run to the end.
fn score_file(flags: &[&str], input: &Path, output: &Path) -> Output {
    cli()
        .arg("score")
        .args(flags)
        .args(["--model", &model_path()])
        .arg(input)
        .arg("-o")
        .arg(output)
        .output()
        .unwrap()
}

/// The run exited 0 (else its stderr says why).
fn assert_done(run: &Output) {
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("credit-scorer-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
