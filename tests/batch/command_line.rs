//! The `score` command line on files, stdin and several threads.

use std::io::Write;
use std::process::Stdio;

use crate::common::*;
use crate::{
    assert_done, cli, csv_fixture, generated, model_path, records, score_all, score_file, tmp,
};

#[test]
fn cli_scores_a_file_like_the_library_and_strict_fails_on_refusals() {
    let input = repo("tests/fixtures/csv/messy.csv");
    let output = tmp("messy.out.csv");
    // Named UTF-8, its Latin-1 row is refused as the library refuses it.
    let run = score_file(&["--encoding", "utf-8"], &input, &output);
    assert_done(&run);
    let (expected, _) = score_all(&csv_fixture("messy.csv"));
    assert_eq!(std::fs::read(&output).unwrap(), expected);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("rows in: 9 = scored 3 + refused 6"),
        "{stderr}"
    );
    assert!(
        stderr.contains("refused rows at lines: 4, 5, 6, 9, 10, 12"),
        "{stderr}"
    );
    assert!(stderr.contains("blank lines skipped: 3"), "{stderr}");

    // The same output again: `--force` replaces it.
    let strict = score_file(
        &["--strict", "--force", "--encoding", "utf-8"],
        &input,
        &output,
    );
    assert_eq!(strict.status.code(), Some(3));
    let basic = repo("tests/fixtures/csv/basic.csv");
    let clean = score_file(&["--strict", "--force"], &basic, &output);
    assert!(clean.status.success());
}

#[test]
fn cli_reads_stdin_and_writes_stdout() {
    let mut child = cli()
        .args(["score", "--quiet", "--model", &model_path(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&csv_fixture("quoted.csv"))
        .unwrap();
    let run = child.wait_with_output().unwrap();
    assert_done(&run);
    assert_eq!(run.stdout, score_all(&csv_fixture("quoted.csv")).0);
    assert!(run.stderr.is_empty(), "--quiet prints nothing");
}

#[test]
fn cli_refuses_a_bad_header_with_the_message() {
    let input = repo("tests/fixtures/csv/missing_columns.csv");
    let run = score_file(&[], &input, &tmp("missing.out.csv"));
    assert_eq!(run.status.code(), Some(1), "a refused file exits 1");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("missing `credit_amount`, `housing`"),
        "{stderr}"
    );
}

#[test]
fn cli_output_is_the_same_on_one_and_on_several_threads() {
    let input = tmp("many.csv");
    std::fs::write(&input, generated(30_000)).unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let output = tmp(&format!("many.{threads}.out.csv"));
        assert_done(&score_file(&["--threads", threads], &input, &output));
        outputs.push(std::fs::read(&output).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(records(&outputs[0]).len(), 30_001);
}
