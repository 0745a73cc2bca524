//! Batch scoring of CSV files: a corpus of awkward files with exact accounting, streaming in any
//! split of the bytes, scores equal to the single-row engine, and the `score` command line.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::*;
use credit_scorer::batch::{BatchJob, BatchOptions, ChunkScorer, OUTPUT_COLUMNS, Summary};
use credit_scorer::{ErrorKind, Scorer};

fn scorer() -> Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER
        .get_or_init(|| Scorer::from_bytes(&read(REFERENCE_MODEL)).unwrap())
        .clone()
}

fn csv_fixture(name: &str) -> Vec<u8> {
    read(&format!("tests/fixtures/csv/{name}"))
}

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

#[test]
fn any_split_of_the_bytes_and_any_chunk_size_give_the_same_output() {
    for name in FIXTURES {
        let bytes = csv_fixture(name);
        let (expected, summary) = score_all(&bytes);
        for (piece, chunk_rows) in [(1, 1), (2, 2), (3, 1024), (5, 3), (64, 2)] {
            let options = BatchOptions {
                chunk_rows,
                ..BatchOptions::default()
            };
            let (out, s) = score_with(&bytes, piece, options).unwrap();
            assert_eq!(
                out, expected,
                "{name}: pieces of {piece}, chunks of {chunk_rows}"
            );
            assert_eq!(s, summary, "{name}");
        }
    }
}

/// The page's several-Worker path: the job only parses; of each batch of waiting chunks the
/// first is scored here, the others go out as bytes to `helpers` scorers in turn (as to helper
/// Workers) and come back in reverse order; output rows are written in chunk order.
fn score_in_workers(
    bytes: &[u8],
    piece: usize,
    helpers: usize,
    options: BatchOptions,
) -> credit_scorer::Result<(Vec<u8>, Summary)> {
    let mut job = BatchJob::new(scorer(), options.clone());
    let mut scorers: Vec<ChunkScorer> = Vec::new();
    let mut out = Vec::new();
    let mut seq = 0u64;
    let mut drain = |job: &mut BatchJob, out: &mut Vec<u8>| -> credit_scorer::Result<()> {
        if scorers.is_empty()
            && let Some(columns) = job.columns_wire()
        {
            for _ in 0..helpers {
                scorers.push(ChunkScorer::new(scorer(), options.clone(), &columns)?);
            }
        }
        let mut csvs = Vec::new();
        if let Some(csv) = job.score_here()? {
            csvs.push(csv);
            seq += 1;
        }
        let mut sent = Vec::new();
        while let Some(chunk) = job.take_chunk() {
            let helper = seq as usize % helpers;
            sent.push((seq, scorers[helper].score(&chunk)?));
            seq += 1;
        }
        let mut back = Vec::new();
        for (n, scored) in sent.iter().rev() {
            back.push(job.add_scored(*n, scored)?);
        }
        csvs.extend(back.into_iter().rev());
        csvs.iter().for_each(|csv| out.extend_from_slice(csv));
        Ok(())
    };
    for part in bytes.chunks(piece.max(1)) {
        out.extend(job.parse(part)?);
        drain(&mut job, &mut out)?;
    }
    out.extend(job.finish_parse()?);
    drain(&mut job, &mut out)?;
    Ok((out, job.summary().clone()))
}

#[test]
fn scoring_in_several_workers_gives_the_same_file_and_summary() {
    let mut files: Vec<(String, Vec<u8>)> = FIXTURES
        .iter()
        .map(|name| (name.to_string(), csv_fixture(name)))
        .collect();
    files.push(("generated".into(), generated(3_000)));
    files.push(("awkward".into(), awkward(2_000)));
    for (name, bytes) in &files {
        for reasons in [true, false] {
            // Small chunks, large pieces: several chunks wait at once, so results come back
            // out of order.
            let options = BatchOptions {
                chunk_rows: 64,
                reasons,
                contributions: reasons,
                ..BatchOptions::default()
            };
            let one = score_with(bytes, 65_536, options.clone());
            let several = score_in_workers(bytes, 65_536, 3, options);
            match (one, several) {
                (Ok((a, s)), Ok((b, t))) => {
                    assert!(a == b, "{name}: the output differs");
                    assert_eq!(s, t, "{name}");
                    assert!(s.rows_in > 0 || s.lines <= 1, "{name}: {s:?}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
                (a, b) => panic!("{name}: one Worker {a:?}, several {b:?}"),
            }
        }
    }
}

#[test]
fn damaged_chunks_between_workers_are_errors() {
    let bytes = generated(50);
    let mut job = BatchJob::new(scorer(), BatchOptions::default());
    job.parse(&bytes).unwrap();
    job.finish_parse().unwrap();
    let columns = job.columns_wire().unwrap();
    let chunk = job.take_chunk().unwrap();
    assert!(job.take_chunk().is_none());
    let mut helper = ChunkScorer::new(scorer(), BatchOptions::default(), &columns).unwrap();
    let scored = helper.score(&chunk).unwrap();
    // Every truncation of the chunk, the mapping and the result is refused or still consistent;
    // none may panic or be counted twice.
    for cut in 0..chunk.len() {
        let _ = helper.score(&chunk[..cut]);
    }
    assert!(helper.score(&[0xff; 7]).is_err());
    assert!(
        ChunkScorer::new(
            scorer(),
            BatchOptions::default(),
            &columns[..columns.len() / 2]
        )
        .is_err()
    );
    for cut in (0..scored.len()).step_by(7) {
        let mut again = BatchJob::new(scorer(), BatchOptions::default());
        again.parse(&bytes).unwrap();
        again.finish_parse().unwrap();
        again.take_chunk().unwrap();
        let _ = again.add_scored(0, &scored[..cut]);
    }
    assert!(
        job.add_scored(1, &scored).is_err(),
        "chunk 1 was never handed out"
    );
    assert!(job.add_scored(0, b"\x08\x01\x12").is_err());
    let csv = job.add_scored(0, &scored).unwrap();
    assert_eq!(records(&csv).len(), 50);
    assert_eq!(job.summary().rows_in, 50);
    assert!(job.add_scored(0, &scored).is_err(), "counted twice");
    assert_eq!(job.summary().rows_in, 50);
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

#[test]
fn many_rows_score_as_one_by_one_and_refusals_are_exact() {
    let n = 5000;
    let bytes = generated(n);
    let (out, s) = score_with(&bytes, 65_536, BatchOptions::default()).unwrap();
    assert_accounting(&s);
    let refused = (0..n).filter(|i| i % 97 == 13).count() as u64;
    assert_eq!((s.rows_in, s.refused), (n as u64, refused));
    assert_eq!(s.blank_lines, (n / 1000) as u64);
    let rows = records(&out);
    assert_eq!(rows.len(), n + 1);
    let golden = reference_golden();
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], format!("r{i}"), "input order kept");
        if i % 97 == 13 {
            assert!(row[11].is_empty() && !row[18].is_empty());
        } else {
            let g = &golden.rows[i % golden.rows.len()];
            let pd: f64 = row[11].parse().unwrap();
            assert!((pd - g.pd).abs() < 1e-6, "row {i}");
        }
    }
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

#[test]
fn output_bytes_are_what_the_csv_writer_and_the_standard_formatter_write() {
    let bytes = awkward(3000);
    let (out, s) = score_with(&bytes, 4096, BatchOptions::default()).unwrap();
    assert_accounting(&s);
    assert_eq!(s.refused, (0..3000).filter(|i| i % 11 == 8).count() as u64);
    // Read back and written again by the csv crate: the same bytes (quoting, U+FFFD, line ends).
    let rows = records(&out);
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for row in &rows {
        w.write_record(row).unwrap();
    }
    assert_eq!(
        String::from_utf8(w.into_inner().unwrap()).unwrap(),
        String::from_utf8(out).unwrap()
    );
    assert!(rows.iter().any(|r| r[0] == "say \"hi\""));
    assert!(rows.iter().any(|r| r[0] == "M\u{fffd}ller"));
    // pd as `{}` of the f32 probability, points as `{:.1}`: what the standard formatter writes.
    let sc = scorer();
    let golden = reference_golden();
    let no_checking_account = credit_scorer::validate::validate_value(
        &sc.schema().features[0],
        credit_scorer::RawValue::Text("no checking account"),
    )
    .unwrap();
    for (i, row) in rows[1..].iter().enumerate() {
        if i % 11 == 8 {
            assert!(row[12].is_empty() && row[19].contains("n/a"), "{row:?}");
            continue;
        }
        assert_eq!(row[11], format!("r{i}"));
        let mut x = golden.rows[i % golden.rows.len()].x.clone();
        if i % 11 == 7 {
            x[0] = no_checking_account;
        }
        let p = sc.predict(&x).unwrap()[0];
        let (points, band) = sc.points_and_band(&p);
        assert_eq!(row[12], format!("{}", p.pd as f32), "row {i}");
        assert_eq!(row[13], format!("{points:.1}"), "row {i}");
        assert_eq!(row[14], band.id, "row {i}");
        assert_eq!(row[19], "", "row {i}");
    }
}

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

// ------------------------------------------------------------------ command line

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

// ------------------------------------------------------------------ drift (PSI) in the summary

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

/// `rows` rows of golden applicants, each with a free-text `notes` column of `note_bytes` bytes.
fn with_notes(rows: usize, note_bytes: usize) -> Vec<u8> {
    let golden = reference_golden();
    let mut out = format!("id,{},notes\n", golden.features.join(",")).into_bytes();
    for i in 0..rows {
        let g = &golden.rows[i % golden.rows.len()];
        let x: Vec<String> = g.x.iter().map(|v| v.to_string()).collect();
        let note: String = (0..note_bytes)
            .map(|j| if j % 50 == 49 { ' ' } else { 'n' })
            .collect();
        writeln!(out, "r{i},{},\"{note}\"", x.join(",")).unwrap();
    }
    out
}

#[test]
fn a_megabyte_of_free_text_in_a_column_the_model_does_not_use_is_copied_through() {
    let note_bytes = (1 << 20) + 100;
    let bytes = with_notes(3, note_bytes);
    let (out, s) = score_with(&bytes, 65_536, BatchOptions::default()).unwrap();
    assert_accounting(&s);
    assert_eq!((s.rows_in, s.scored, s.refused), (3, 3, 0));
    let rows = records(&out);
    let notes = column(&rows, "notes");
    assert!(notes.iter().all(|n| n.len() == note_bytes));
    let golden = reference_golden();
    for (pd, g) in column(&rows, "pd").iter().zip(&golden.rows) {
        assert!(close(pd.parse().unwrap(), g.pd, 1e-5), "{pd} vs {}", g.pd);
    }
}

#[test]
fn long_pass_through_fields_cut_chunks_by_bytes_so_memory_stays_bounded() {
    let schema = scorer().schema().clone();
    let bytes = with_notes(40, 1 << 20);
    let mut parser = credit_scorer::batch::Parser::new(&schema, 1024);
    let mut chunks = Vec::new();
    for part in bytes.chunks(1 << 16) {
        parser.push(part, &mut chunks).unwrap();
    }
    parser.finish(&mut chunks).unwrap();
    assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 40);
    let budget_rows = credit_scorer::batch::MAX_CHUNK_BYTES >> 20;
    assert!(
        chunks.iter().all(|c| c.len() <= budget_rows),
        "chunk sizes {:?}",
        chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
    );
}

#[test]
fn a_long_field_the_model_reads_still_refuses_the_file_with_its_line() {
    let golden = reference_golden();
    let mut bytes = format!("id,{}\n", golden.features.join(",")).into_bytes();
    let mut x: Vec<String> = golden.rows[0].x.iter().map(|v| v.to_string()).collect();
    x[3] = "1".repeat((1 << 20) + 1);
    writeln!(bytes, "r0,{}", x.join(",")).unwrap();
    let e = score_with(&bytes, 65_536, BatchOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Csv, "{e}");
    assert!(e.message().contains("line 2"), "{e}");
    assert!(e.message().contains("duration_months"), "{e}");
}

#[test]
fn an_applicant_on_a_band_cut_off_gets_one_band_from_assess_and_the_batch_in_every_engine() {
    // pd = sigmoid(x): an applicant is placed on a PD by its log-odds. The reference model's
    // cut-offs (the generic schema has the same bands) and PDs within 1e-6 either side, where
    // the engines (up to 1e-5 apart) could otherwise disagree.
    let cut_offs = [0.05, 0.10, 0.20, 0.35];
    let ln_odds = |p: f64| (p / (1.0 - p)).ln();
    // The reference rows cover the model: the baseline 0 and ±10 (ReferenceScores::uncovered).
    let probe: Vec<Vec<f32>> = [-10.0f32, -3.0, -1.0, 0.0, 2.0, 10.0]
        .iter()
        .map(|&x| vec![x])
        .collect();
    let probe_pds: Vec<f64> = probe
        .iter()
        .map(|x| 1.0 / (1.0 + (-f64::from(x[0])).exp()))
        .collect();
    let bytes = with_reference_pds(
        &linear_onnx(&[1.0], 0.0),
        "the sigmoid of x in f64 (tests/batch.rs)",
        &probe,
        &probe_pds,
    );
    let mut scorers = vec![Scorer::from_bytes(&bytes).unwrap()];
    if cfg!(feature = "tract") {
        let options = credit_scorer::LoadOptions {
            direct: false,
            ..Default::default()
        };
        scorers.push(Scorer::from_bytes_with(&bytes, &options).unwrap());
    }
    for s in &scorers {
        let bands = &s.schema().bands;
        let mut csv = b"x0\n".to_vec();
        let mut want = Vec::new();
        for &cut in &cut_offs {
            let band = &bands.iter().find(|b| b.max_pd == cut).unwrap().id;
            for delta in [0.0, 1e-6, -1e-6, 5e-7, -5e-7] {
                let x = ln_odds(cut + delta) as f32;
                let a = s.assess(&[x]).unwrap();
                assert!(close(a.pd, cut, 2e-6), "{}", a.pd);
                assert_eq!(&a.band.id, band, "assess, pd {} next to {cut}", a.pd);
                writeln!(csv, "{x}").unwrap();
                want.push(band.clone());
            }
        }
        let mut job = BatchJob::new(s.clone(), BatchOptions::default());
        let mut out = job.push(&csv).unwrap();
        out.extend(job.finish().unwrap());
        let rows = records(&out);
        let pds = column(&rows, "pd");
        for ((got, want), pd) in column(&rows, "band").iter().zip(&want).zip(&pds) {
            assert_eq!(got, want, "batch, pd {pd}");
        }
    }
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

// ------------------------------------------------------------------ delimiters and labels

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

/// A [`score_chunk_rows`] row as the eight cells the CSV writes for it.
fn row_cells(row: credit_scorer::batch::RowResult<'_>) -> Vec<String> {
    use credit_scorer::batch::RowResult;
    match row {
        RowResult::Scored {
            pd,
            points,
            band,
            reasons,
        } => {
            let printed = format!("{points:.1}");
            assert_eq!(
                credit_scorer::batch::one_decimal_value(points).map(f64::to_bits),
                Some(printed.parse::<f64>().unwrap().to_bits())
            );
            let mut cells = vec![pd.to_string(), printed, band.to_string()];
            cells.extend(reasons.iter().map(|r| r.to_string()));
            cells.push(String::new());
            cells
        }
        RowResult::Refused { message } => {
            let mut cells = vec![String::new(); 7];
            cells.push(message.to_string());
            cells
        }
    }
}

/// `line 1,204, column …` → `column …`.
fn without_line(message: &str) -> &str {
    let rest = message.strip_prefix("line ").unwrap();
    let at = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap();
    rest[at..].trim_start_matches([':', ' '])
}

#[test]
fn rows_as_values_are_the_csv_rows_and_pushed_fields_score_as_parsed_ones() {
    use credit_scorer::batch::{
        Chunk, Parser, Scratch, map_header, score_chunk_into, score_chunk_rows, thousands,
    };
    let sc = scorer();
    let schema = sc.schema();
    let n = 2500;
    let options = BatchOptions::default();
    let mut parser = Parser::new(schema, 1024);
    let mut chunks = Vec::new();
    parser.push(&awkward(n), &mut chunks).unwrap();
    parser.finish(&mut chunks).unwrap();
    let columns = parser.columns().unwrap().clone();
    let mut scratch = Scratch::default();
    let mut text = Vec::new();
    let mut values = Vec::new();
    for chunk in &chunks {
        score_chunk_into(&sc, &columns, chunk, &options, &mut scratch, &mut text).unwrap();
        score_chunk_rows(&sc, &columns, chunk, &options, &mut scratch, |row| {
            values.push(row_cells(row))
        })
        .unwrap();
    }
    let rows = records(&text);
    assert_eq!((rows.len(), values.len()), (n, n));
    for (i, (row, cells)) in rows.iter().zip(&values).enumerate() {
        assert_eq!(&row[row.len() - 8..], cells.as_slice(), "row {i}");
    }
    assert!(values.iter().any(|c| !c[7].is_empty()) && values.iter().any(|c| !c[3].is_empty()));

    // The same feature cells pushed as fields, not parsed: the same rows, each message with the
    // line it was pushed with.
    let k = schema.features.len();
    let features: Vec<String> = schema.features.iter().map(|f| f.name.clone()).collect();
    let pushed_columns = map_header(schema, &features).unwrap();
    let mut chunk = Chunk::default();
    let mut pushed = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let (mut data, mut ends) = (Vec::new(), Vec::new());
        for cell in &row[1..=k] {
            data.extend_from_slice(cell.as_bytes());
            ends.push(data.len());
        }
        chunk
            .push_fields(&pushed_columns, i as u64 + 1, &data, &ends)
            .unwrap();
        if chunk.len() == 1024 || i + 1 == n {
            score_chunk_rows(
                &sc,
                &pushed_columns,
                &chunk,
                &options,
                &mut scratch,
                |row| pushed.push(row_cells(row)),
            )
            .unwrap();
            chunk.clear();
        }
    }
    assert_eq!(pushed.len(), n);
    for (i, (a, b)) in values.iter().zip(&pushed).enumerate() {
        assert_eq!(a[..7], b[..7], "row {i}");
        if a[7].is_empty() {
            assert_eq!(b[7], "", "row {i}");
        } else {
            assert_eq!(without_line(&a[7]), without_line(&b[7]), "row {i}");
            assert!(
                b[7].starts_with(&format!("line {}", thousands(i as u64 + 1))),
                "{}",
                b[7]
            );
        }
    }

    // A feature's field longer than the parser allows refuses the batch, naming line and column.
    let mut data = Vec::new();
    let mut ends = Vec::new();
    for j in 0..k {
        if j == 3 {
            data.extend(std::iter::repeat_n(b'1', (1 << 20) + 1));
        } else {
            data.push(b'1');
        }
        ends.push(data.len());
    }
    let e = chunk
        .push_fields(&pushed_columns, 7, &data, &ends)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Csv, "{e}");
    assert!(
        e.message().contains("line 7") && e.message().contains(&features[3]),
        "{e}"
    );
    assert!(chunk.is_empty());
}
