//! Encodings, delimiters and decimal marks, and header labels.

use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

use crate::common::*;
use crate::{basic_csv, cli, encoded, model, score_with_flags};

#[test]
fn files_a_bank_saves_score_as_their_utf8_twins_and_as_onnxruntime() {
    let golden = reference_golden();
    let test_rows: Vec<_> = golden
        .rows
        .iter()
        .filter(|r| r.id.starts_with("test-"))
        .take(12)
        .collect();
    // (fixture, its flags, how the summary says it was read, the twin's flags)
    let cases: [(&str, &[&str], &str, &[&str]); 3] = [
        (
            "gbk",
            &["--encoding", "gbk"],
            "read as GBK (--encoding), columns separated by `,`, decimal point",
            &[],
        ),
        (
            "windows1252",
            &["--encoding", "windows-1252", "--decimal", ","],
            "read as windows-1252 (--encoding), columns separated by `;`, decimal comma",
            &["--decimal", ","],
        ),
        (
            "utf16le",
            &[],
            "read as UTF-16LE (byte-order mark), columns separated by tab, decimal point",
            &["--delimiter", "tab"],
        ),
    ];
    for (name, flags, read_as, twin_flags) in cases {
        let (out, err) = score_with_flags(&encoded(name), flags);
        assert!(err.contains(read_as), "{name}: {err}");
        let (twin, twin_err) = score_with_flags(&encoded(&format!("{name}.utf8")), twin_flags);
        assert!(twin_err.contains("read as UTF-8"), "{twin_err}");
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            String::from_utf8(twin).unwrap(),
            "{name}"
        );
        // The cells as written (decoded to UTF-8), then onnxruntime's PDs.
        let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
            .from_reader(out.as_slice())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 12, "{name}");
        let twin_text = std::fs::read_to_string(encoded(&format!("{name}.utf8"))).unwrap();
        let delimiter = if name == "gbk" {
            ','
        } else if name == "utf16le" {
            '\t'
        } else {
            ';'
        };
        let first_row = twin_text.lines().nth(1).unwrap();
        let first_cell = first_row.split(delimiter).next().unwrap();
        assert_eq!(&rows[0][0], first_cell, "{name}");
        for (row, g) in rows.iter().zip(&test_rows) {
            let pd: f64 = row[11].parse().unwrap();
            assert!(
                (pd - g.pd).abs() < 1e-6,
                "{name} {}: pd {pd} vs {}",
                g.id,
                g.pd
            );
            assert_eq!(&row[18], "", "{name}: no error");
        }
    }
    // Windows-1252's own letters and the euro sign came through.
    let (out, _) = score_with_flags(
        &encoded("windows1252"),
        &["--encoding", "windows-1252", "--decimal", ","],
    );
    let text = String::from_utf8(out).unwrap();
    for word in ["Müller", "Lefèvre", "Zoë €"] {
        assert!(text.contains(word), "{word} in {text}");
    }
}

#[test]
fn an_encoding_that_cannot_be_told_is_refused_naming_the_flag() {
    for (name, why) in [
        ("gbk", "is not UTF-8 (byte 1 is not)"),
        ("windows1252", "is not UTF-8"),
    ] {
        cli()
            .args(["score", "-q", "--model"])
            .arg(model())
            .arg(encoded(name))
            .assert()
            .code(1)
            .stdout("")
            .stderr(contains(why).and(contains("name it with --encoding (utf-8, utf-16le")));
    }
    // UTF-16 without its byte-order mark: zero bytes.
    let dir = TempDir::new().unwrap();
    let no_bom = dir.path().join("no-bom.csv");
    std::fs::write(&no_bom, &std::fs::read(encoded("utf16le")).unwrap()[2..]).unwrap();
    cli()
        .args(["score", "-q", "--model"])
        .arg(model())
        .arg(&no_bom)
        .assert()
        .code(1)
        .stderr(contains(
            "is zero, as in UTF-16 text: try --encoding utf-16le",
        ));
    // Named, it scores.
    let (out, _) = score_with_flags(&no_bom, &["--encoding", "utf-16le"]);
    assert_eq!(out, score_with_flags(&encoded("utf16le"), &[]).0);
}

#[test]
fn encoding_delimiter_and_decimal_flags_refuse_what_they_cannot_read() {
    for (flag, value, message) in [
        (
            "--encoding",
            "klingon",
            "unknown encoding `klingon`; name one of utf-8",
        ),
        (
            "--delimiter",
            ":",
            "`:` is not a delimiter this tool reads; use `,` `;` `tab` or `|`",
        ),
        ("--delimiter", ",,", "is not a delimiter"),
        (
            "--decimal",
            ";",
            "`;` is not a decimal separator; use `.` or `,`",
        ),
    ] {
        cli()
            .args(["score", "--model"])
            .arg(model())
            .arg(basic_csv())
            .args([flag, value])
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                contains(format!("invalid value '{value}' for '{flag}")).and(contains(message)),
            );
    }
    // A decimal comma in a file whose columns are separated by commas.
    cli()
        .args(["score", "-q", "--decimal", ",", "--model"])
        .arg(model())
        .arg(basic_csv())
        .assert()
        .code(1)
        .stderr(contains(
            "the columns are separated by commas, so numbers cannot have a decimal comma",
        ));
    // A decimal point in a decimal-comma file: that row is refused, saying why.
    let dir = TempDir::new().unwrap();
    let mixed = dir.path().join("mixed.csv");
    let text = std::fs::read_to_string(encoded("windows1252.utf8")).unwrap();
    std::fs::write(&mixed, text.replacen("42,0;", "42.5;", 1)).unwrap();
    let out = cli()
        .args(["score", "-q", "--decimal", ",", "--model"])
        .arg(model())
        .arg(&mixed)
        .assert()
        .success();
    let out = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        out.contains("`42.5` has a point, but this file's numbers have a decimal comma"),
        "{out}"
    );
    // The wrong delimiter named: one column, which lacks every feature.
    cli()
        .args(["score", "-q", "--delimiter", ";", "--model"])
        .arg(model())
        .arg(basic_csv())
        .assert()
        .code(1)
        .stderr(contains("the CSV header lacks 10 of the model's columns"));
}
