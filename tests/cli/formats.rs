//! Output formats (CSV, JSON Lines), kept columns and the summary.

use std::path::PathBuf;

use predicates::str::contains;
use tempfile::TempDir;

use crate::common::*;
use crate::{
    basic_csv, cli, csv_records, encoded, files_in, messy, model, score_with_flags, writing,
};

#[test]
fn json_lines_hold_the_csv_rows_and_columns_in_order() {
    let flags = ["-q", "--encoding", "utf-8", "--contributions"];
    let (csv_out, _) = score_with_flags(&messy(), &flags);
    let csv_rows = csv_records(&csv_out);
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("scored.jsonl");
    let (stdout, _) = score_with_flags(&messy(), &[&flags[..], &["--format", "jsonl"]].concat());
    // By the extension, the same bytes.
    cli()
        .arg("score")
        .args(flags)
        .arg("--model")
        .arg(model())
        .arg(messy())
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(std::fs::read(&file).unwrap(), stdout);
    let text = String::from_utf8(stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header = &csv_rows[0];
    assert!(
        header.iter().any(|h| h == "contribution_credit_amount"),
        "{header:?}"
    );
    assert_eq!(lines.len(), csv_rows.len() - 1);
    let (mut scored, mut refused) = (0, 0);
    for (line, row) in lines.iter().zip(&csv_rows[1..]) {
        // The keys in the CSV's column order.
        let keys: Vec<String> = header
            .iter()
            .map(|h| serde_json::to_string(h).unwrap())
            .collect();
        let mut at = 0;
        for k in &keys {
            at += line[at..]
                .find(&format!("{k}:"))
                .unwrap_or_else(|| panic!("{k} in order in {line}"));
        }
        let object: serde_json::Value = serde_json::from_str(line).unwrap();
        for (name, cell) in header.iter().zip(row) {
            let value = &object[name];
            let number = name == "pd" || name == "points" || name.starts_with("contribution_");
            match name.as_str() {
                _ if number && cell.is_empty() => assert!(value.is_null(), "{name} in {line}"),
                _ if number => {
                    let want: f64 = cell.parse().unwrap();
                    let got = value.as_f64().unwrap_or_else(|| panic!("{name} in {line}"));
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{name} in {line}"
                    );
                }
                "band" | "reason_1" | "reason_2" | "reason_3" | "reason_4" | "error"
                    if cell.is_empty() =>
                {
                    assert!(value.is_null(), "{name} in {line}")
                }
                _ => assert_eq!(value.as_str(), Some(cell.as_str()), "{name} in {line}"),
            }
        }
        if object["error"].is_null() {
            scored += 1;
        } else {
            refused += 1;
        }
    }
    assert!(
        scored > 0 && refused > 0,
        "{scored} scored, {refused} refused"
    );
    cli()
        .args(["score", "--format", "xml", "--model"])
        .arg(model())
        .arg(basic_csv())
        .assert()
        .code(2)
        .stderr(contains("invalid value 'xml' for '--format <FORMAT>'"));
}

#[test]
fn keep_columns_carries_an_id_or_nothing_and_refuses_unknown_names() {
    let input = encoded("utf16le");
    let (all, _) = score_with_flags(&input, &["-q"]);
    let all = csv_records(&all);
    let (id, _) = score_with_flags(&input, &["-q", "--keep-columns", "id"]);
    let id = csv_records(&id);
    let (none, _) = score_with_flags(&input, &["-q", "--keep-columns", "none"]);
    let none = csv_records(&none);
    let (two, _) = score_with_flags(&input, &["-q", "--keep-columns", "credit_amount,id"]);
    let two = csv_records(&two);
    assert_eq!(id[0][..2], ["id", "pd"]);
    assert_eq!(none[0][0], "pd");
    assert_eq!(two[0][..3], ["credit_amount", "id", "pd"]);
    for (r, full) in all.iter().enumerate() {
        let scored = &full[11..];
        assert_eq!(id[r][0], full[0]);
        assert_eq!(&id[r][1..], scored);
        assert_eq!(&none[r][..], scored);
        assert_eq!(two[r][..2], [full[7].clone(), full[0].clone()]);
    }
    let (jsonl, _) = score_with_flags(&input, &["-q", "--keep-columns", "id", "--format", "jsonl"]);
    let first = String::from_utf8(jsonl).unwrap();
    assert!(
        first.starts_with("{\"id\":\"test-3\",\"pd\":0.68028885,"),
        "{first}"
    );
    cli()
        .args(["score", "-q", "--keep-columns", "id,customer", "--model"])
        .arg(model())
        .arg(&input)
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("--keep-columns names `customer`, which the input does not have; its columns are `id`, `checking_status`"));
    cli()
        .args(["score", "--keep-columns", "id,,x", "--model"])
        .arg(model())
        .arg(&input)
        .assert()
        .code(2)
        .stderr(contains("`id,,x` names an empty column"));
}

#[test]
fn the_summary_json_counts_every_row_and_names_the_model_tool_and_time() {
    let dir = TempDir::new().unwrap();
    let summary = dir.path().join("summary.json");
    let out = dir.path().join("scored.csv");
    let before = std::time::SystemTime::now();
    writing(
        &["score", "-q", "--encoding", "gbk"],
        model(),
        &[encoded("gbk")],
        &out,
    )
    .arg("--summary")
    .arg(&summary)
    .assert()
    .success()
    .stdout("");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let golden = reference_golden();
    assert_eq!(s["model"]["sha256"], golden.model_sha256.as_str());
    let schema: serde_json::Value = serde_json::from_slice(
        &cli()
            .args(["schema", "--model"])
            .arg(model())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(s["model"]["name"], schema["model"]["name"]);
    assert_eq!(s["model"]["version"], schema["model"]["version"]);
    assert!(!s["model"]["name"].as_str().unwrap().is_empty());
    assert_eq!(s["model"]["engine"], "direct");
    assert_eq!(s["tool"]["name"], "credit-scorer");
    assert_eq!(s["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let started = s["started_at"].as_str().unwrap();
    let finished = s["finished_at"].as_str().unwrap();
    assert!(started.ends_with('Z') && started.len() == 20, "{started}");
    assert!(started <= finished, "{started} {finished}");
    let days = [
        humantime_day(before),
        humantime_day(std::time::SystemTime::now()),
    ];
    assert!(
        days.iter().any(|d| started.starts_with(d)),
        "{started} vs {days:?}"
    );
    assert_eq!(s["input"]["encoding"], "GBK");
    assert_eq!(s["input"]["encoding_from"], "option");
    assert_eq!(s["input"]["delimiter"], ",");
    assert_eq!(s["output"]["format"], "csv");
    assert_eq!(s["output"]["kept_columns"], "all");
    let counts = &s["summary"];
    assert_eq!(
        (
            counts["rows_in"].as_u64(),
            counts["scored"].as_u64(),
            counts["refused"].as_u64()
        ),
        (Some(12), Some(12), Some(0))
    );
    let in_bands: u64 = counts["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    let in_bins: u64 = counts["histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!((in_bands, in_bins), (12, 12));
    // The scored file's bands, counted here, are the summary's.
    let rows = csv_records(&std::fs::read(&out).unwrap());
    for b in counts["bands"].as_array().unwrap() {
        let n = rows[1..]
            .iter()
            .filter(|r| r[13] == b["id"].as_str().unwrap())
            .count();
        assert_eq!(b["count"].as_u64(), Some(n as u64));
    }
    assert!(counts["drift"].is_object());
    assert_eq!(files_in(dir.path()), ["scored.csv", "summary.json"]);
    // An existing summary only with --force; never the output itself, by any spelling of its
    // path; never the input.
    let dotted = dir.path().join(".").join("scored.csv");
    let input = dir.path().join("in.csv");
    std::fs::copy(encoded("gbk"), &input).unwrap();
    let same_file = "--summary and --output name the same file";
    // (--force, -o, the input, --summary, what stderr says)
    let refused: [(bool, Option<&PathBuf>, PathBuf, &PathBuf, &str); 4] = [
        (false, None, encoded("gbk"), &summary, "summary.json"),
        (true, Some(&out), encoded("gbk"), &out, same_file),
        (true, Some(&out), encoded("gbk"), &dotted, same_file),
        (true, None, input.clone(), &input, "is the input"),
    ];
    for (force, output, input, summary, expected) in refused {
        let mut run = cli();
        run.args(["score", "-q"])
            .args(force.then_some("--force"))
            .args(["--encoding", "gbk", "--model"])
            .arg(model())
            .arg(input);
        if let Some(output) = output {
            run.arg("-o").arg(output);
        }
        run.arg("--summary")
            .arg(summary)
            .assert()
            .code(1)
            .stderr(contains(expected));
    }
    assert_eq!(
        std::fs::read(&input).unwrap(),
        std::fs::read(encoded("gbk")).unwrap()
    );
}

/// `YYYY-MM-DD` of `t` in UTC, by the days since 1970 (civil-from-days).
fn humantime_day(t: std::time::SystemTime) -> String {
    let days = (t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
