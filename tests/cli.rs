//! The `credit-scorer` command line: every command's arguments, help, errors and exit codes
//! (0 done, 1 refused input, 2 usage, 3 `--strict` with refused rows), the output written
//! atomically (never the input, an existing one only with `--force`) and the progress bar only on
//! a terminal. What it scores is checked against onnxruntime in tests/batch.rs and here for
//! `assess`.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::*;
use credit_scorer::batch::thousands;
use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

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

// ------------------------------------------------------------------ help and version

#[test]
fn help_for_the_tool_lists_the_commands_examples_and_exit_codes() {
    for flag in ["--help", "-h"] {
        cli()
            .arg(flag)
            .assert()
            .success()
            .stderr("")
            .stdout(contains("Usage: credit-scorer <COMMAND>"))
            .stdout(contains("score "))
            .stdout(contains("assess "))
            .stdout(contains("schema "))
            .stdout(contains("reference-scores "))
            .stdout(contains(
                "Examples:\n  credit-scorer score --model model.onnx applicants.csv -o scored.csv",
            ))
            .stdout(contains("Exit codes:\n  0  done\n  1  refused"))
            .stdout(contains("  2  usage"))
            .stdout(contains("  3  score --strict"));
    }
    // No command: the help, as a usage error.
    cli()
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("Usage: credit-scorer <COMMAND>"));
}

#[test]
fn help_for_each_command_names_its_flags_with_examples() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "score",
            &[
                "Usage: credit-scorer score [OPTIONS] --model <MODEL.onnx> <INPUT.csv>",
                "-o, --output <OUTPUT.csv>",
                "--force",
                "--strict",
                "--no-reasons",
                "-q, --quiet",
                "-j, --threads <N>",
                "credit-scorer score --model model.onnx applicants.csv -o scored.csv",
            ],
        ),
        (
            "assess",
            &[
                "Usage: credit-scorer assess [OPTIONS] --model <MODEL.onnx> <APPLICANT.json>",
                "--target-band <ID>",
                "--no-recourse",
                "credit-scorer assess --model model.onnx applicant.json",
            ],
        ),
        (
            "schema",
            &[
                "Usage: credit-scorer schema --model <MODEL.onnx>",
                "credit-scorer schema --model model.onnx",
            ],
        ),
        (
            "reference-scores",
            &[
                "Usage: credit-scorer reference-scores [OPTIONS] --model <MODEL.onnx> --output <OUT.onnx>",
                "--force",
                "credit-scorer reference-scores --model model.onnx -o model-lite.onnx",
            ],
        ),
    ];
    for (command, expected) in cases {
        for help in [
            vec![command, "--help"],
            vec![command, "-h"],
            vec!["help", command],
        ] {
            let mut run = cli().args(&help).assert().success().stderr("");
            for text in expected {
                run = run.stdout(contains(*text));
            }
            run.stdout(contains("Exit codes:"));
        }
    }
}

/// `--version` names the crate's version and the engine; the tract version is the one
/// Cargo.toml pins.
#[test]
fn version_names_the_crate_and_the_engine() {
    let manifest = std::fs::read_to_string(repo("Cargo.toml")).unwrap();
    let pin = manifest
        .lines()
        .find_map(|l| l.strip_prefix("tract-onnx = { version = \"="))
        .and_then(|rest| rest.split('"').next())
        .expect("tract-onnx is pinned in Cargo.toml");
    let expected = if cfg!(feature = "tract") {
        format!(
            "credit-scorer {} (full engine: tract {pin} and the direct evaluators)\n",
            env!("CARGO_PKG_VERSION")
        )
    } else {
        format!(
            "credit-scorer {} (lite engine: the direct evaluators only, no tract)\n",
            env!("CARGO_PKG_VERSION")
        )
    };
    for flag in ["--version", "-V"] {
        cli().arg(flag).assert().success().stdout(expected.clone());
    }
}

/// The README's command-line section shows the help as the tool prints it.
#[test]
fn the_readme_shows_the_help_as_printed() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    for args in [vec!["--help"], vec!["score", "--help"]] {
        let out = cli().args(&args).assert().success();
        let help = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let block = format!("```console\n$ credit-scorer {}\n{help}```", args.join(" "));
        assert!(
            readme.contains(&block),
            "README.md should contain, verbatim:\n{block}"
        );
    }
}

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

// ------------------------------------------------------------------ the commands themselves

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
    cli()
        .args(["score", "--strict", "-q", "--encoding", "utf-8", "--model"])
        .arg(model())
        .arg(&messy)
        .arg("-o")
        .arg(&out)
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

// ------------------------------------------------------------------ atomic output

#[test]
fn an_existing_output_is_replaced_only_with_force() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("scored.csv");
    std::fs::write(&out, "yesterday's scores\n").unwrap();
    cli()
        .args(["score", "--model"])
        .arg(model())
        .arg(basic_csv())
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("exists; give --force to replace it"));
    assert_eq!(std::fs::read(&out).unwrap(), b"yesterday's scores\n");
    assert_eq!(files_in(dir.path()), ["scored.csv"]);

    cli()
        .args(["score", "--force", "-q", "--model"])
        .arg(model())
        .arg(basic_csv())
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), scored(&basic_csv()));
    assert_eq!(files_in(dir.path()), ["scored.csv"]);
}

/// The output gets the permissions a newly created file gets (not the temporary file's 0600).
#[cfg(unix)]
#[test]
fn the_output_has_a_new_files_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let plain = dir.path().join("plain");
    std::fs::File::create(&plain).unwrap();
    let out = dir.path().join("scored.csv");
    cli()
        .args(["score", "-q", "--model"])
        .arg(model())
        .arg(basic_csv())
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out), mode(&plain));
}

/// A file that fails after rows were scored and written (a row with too many fields near its
/// end) leaves no output and no temporary file, and an existing output as it was; as CSV and as
/// Parquet (whose row groups are written as they fill).
#[test]
fn a_failing_run_leaves_no_partial_output() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("big.csv");
    let basic = std::fs::read_to_string(basic_csv()).unwrap();
    let (header, rows) = basic.split_once('\n').unwrap();
    let mut text = format!("{header}\n");
    while text.len() < 3 << 20 {
        text.push_str(rows);
    }
    let bad_line = text.lines().count() as u64 + 1;
    text.push_str(&",".repeat(5000));
    text.push('\n');
    std::fs::write(&input, &text).unwrap();

    for (name, force) in [
        ("scored.csv", false),
        ("scored.csv", true),
        ("scored.parquet", false),
        ("scored.parquet", true),
    ] {
        let out = dir.path().join(name);
        let mut run = cli();
        run.args(["score", "-q", "--no-reasons", "--threads", "1", "--model"])
            .arg(model())
            .arg(&input)
            .arg("-o")
            .arg(&out);
        if force {
            std::fs::write(&out, "yesterday's scores\n").unwrap();
            run.arg("--force");
        }
        run.assert()
            .code(1)
            .stderr(contains(format!("line {}: ", thousands(bad_line))).and(contains("fields")));
        if force {
            assert_eq!(std::fs::read(&out).unwrap(), b"yesterday's scores\n");
            assert_eq!(files_in(dir.path()), ["big.csv", name]);
            std::fs::remove_file(&out).unwrap();
        } else {
            assert_eq!(files_in(dir.path()), ["big.csv"]);
        }
    }
}

/// A run killed while writing leaves no output, only its hidden temporary file (stdin keeps it
/// waiting, so it is killed in the middle whatever the machine's speed).
#[test]
fn a_killed_run_leaves_no_output() {
    use std::io::Write;
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("scored.csv");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_credit-scorer"))
        .args(["score", "-q", "--threads", "1", "--model"])
        .arg(model())
        .arg("-")
        .arg("-o")
        .arg(&out)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let basic = std::fs::read_to_string(basic_csv()).unwrap();
    let (header, rows) = basic.split_once('\n').unwrap();
    let mut text = format!("{header}\n");
    while text.len() < 4 << 20 {
        text.push_str(rows);
    }
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(text.as_bytes()).unwrap();
    // Written past the output's buffer: the temporary file has bytes in it.
    let started = std::time::Instant::now();
    let partial = loop {
        let found = files_in(dir.path()).into_iter().find(|name| {
            name.starts_with(".scored.csv.")
                && name.ends_with(".partial")
                && std::fs::metadata(dir.path().join(name)).is_ok_and(|m| m.len() > 0)
        });
        if let Some(name) = found {
            break name;
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "no temporary file with bytes in it: {:?}",
            files_in(dir.path())
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    assert_eq!(files_in(dir.path()), [partial]);
}

/// The input is never the output: not by the same path, another path to it, a symbolic or a
/// hard link, with `--force` or without.
#[test]
fn the_input_is_never_overwritten() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("applicants.csv");
    let original = std::fs::read(basic_csv()).unwrap();
    std::fs::write(&input, &original).unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let mut outputs = vec![input.clone(), sub.join("..").join("applicants.csv")];
    #[cfg(unix)]
    {
        let link = dir.path().join("symlink.csv");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        outputs.push(link);
    }
    let hard = dir.path().join("hardlink.csv");
    std::fs::hard_link(&input, &hard).unwrap();
    outputs.push(hard);
    for output in &outputs {
        for force in [false, true] {
            let mut run = cli();
            run.args(["score", "--model"])
                .arg(model())
                .arg(&input)
                .arg("-o")
                .arg(output);
            if force {
                run.arg("--force");
            }
            run.assert()
                .code(1)
                .stderr(contains("is the input").and(contains("give another output file")));
            assert_eq!(std::fs::read(&input).unwrap(), original, "{output:?}");
        }
    }
    // The same file on stdin.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_credit-scorer"))
        .args(["score", "--force", "--model"])
        .arg(model())
        .arg("-")
        .arg("-o")
        .arg(&input)
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("is the file on stdin"), "{stderr}");
    assert_eq!(std::fs::read(&input).unwrap(), original);
}

/// `reference-scores` writes its model the same way: never over the model it reads, an existing
/// file only with `--force`.
#[cfg(feature = "tract")]
#[test]
fn reference_scores_writes_atomically_and_never_over_the_model() {
    let dir = TempDir::new().unwrap();
    let plain = dir.path().join("mlp.onnx");
    let bytes = std::fs::read(repo("tests/fixtures/models/mlp_dynamic.onnx")).unwrap();
    std::fs::write(&plain, &bytes).unwrap();
    for force in [false, true] {
        let mut run = cli();
        run.args(["reference-scores", "--model"])
            .arg(&plain)
            .arg("-o")
            .arg(&plain);
        if force {
            run.arg("--force");
        }
        run.assert().code(1).stderr(contains("is the input"));
    }
    assert_eq!(std::fs::read(&plain).unwrap(), bytes);

    let lite = dir.path().join("mlp-lite.onnx");
    std::fs::write(&lite, "old").unwrap();
    cli()
        .args(["reference-scores", "--model"])
        .arg(&plain)
        .arg("-o")
        .arg(&lite)
        .assert()
        .code(1)
        .stderr(contains("exists; give --force"));
    assert_eq!(std::fs::read(&lite).unwrap(), b"old");
    cli()
        .args(["reference-scores", "--force", "--model"])
        .arg(&plain)
        .arg("-o")
        .arg(&lite)
        .assert()
        .success()
        .stdout("")
        .stderr(contains("reference rows scored by tract"));
    let written = std::fs::read(&lite).unwrap();
    assert!(written.len() > bytes.len() && written.starts_with(&bytes));
    assert_eq!(files_in(dir.path()), ["mlp-lite.onnx", "mlp.onnx"]);
}

// ------------------------------------------------------------------ progress

/// Not a terminal (as here): no progress bar, only the summary.
#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let out = cli()
        .args(["score", "--model"])
        .arg(model())
        .arg(basic_csv())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("rows in: "), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}') && !stderr.contains(" left"),
        "{stderr:?}"
    );
}

/// On a terminal (a pseudo-terminal from util-linux's `script`) the bar is drawn with rows, rate
/// and time left, and `-q` silences it.
#[cfg(target_os = "linux")]
#[test]
fn a_progress_bar_on_a_terminal_unless_quiet() {
    let dir = TempDir::new().unwrap();
    let command = |quiet: bool| {
        format!(
            "{} score {} --model '{}' '{}' -o '{}'",
            env!("CARGO_BIN_EXE_credit-scorer"),
            if quiet { "-q" } else { "" },
            model().display(),
            basic_csv().display(),
            dir.path().join(format!("out-{quiet}.csv")).display()
        )
    };
    let on_terminal = |quiet: bool| {
        let out = std::process::Command::new("script")
            .args(["-q", "-e", "-c", &command(quiet), "/dev/null"])
            .env("TERM", "xterm")
            .output()
            .expect("util-linux's `script` runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = on_terminal(false);
    assert!(
        shown.contains("[##############################] 100%"),
        "{shown:?}"
    );
    assert!(
        shown.contains(" rows/s") && shown.contains(" left"),
        "{shown:?}"
    );
    assert!(
        shown.contains("rows in: "),
        "the summary follows: {shown:?}"
    );
    let quiet = on_terminal(true);
    assert!(quiet.trim().is_empty(), "{quiet:?}");
}

/// Parquet is binary: to stdout only when that is not a terminal (a pseudo-terminal from
/// util-linux's `script` here), with a message naming `-o`, and nothing written.
#[cfg(target_os = "linux")]
#[test]
fn parquet_is_refused_on_a_terminal() {
    let command = format!(
        "{} score -q --format parquet --model '{}' '{}'",
        env!("CARGO_BIN_EXE_credit-scorer"),
        model().display(),
        basic_csv().display(),
    );
    let out = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("util-linux's `script` runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("Parquet is binary and stdout is a terminal")
            && shown.contains("-o scored.parquet")
            && !shown.contains("PAR1"),
        "{shown:?}"
    );
}

// ------------------------------------------------------------------ encodings, delimiters, labels

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

// ------------------------------------------------------------------ formats, kept columns, summary

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
    cli()
        .args(["score", "-q", "--encoding", "gbk", "--model"])
        .arg(model())
        .arg(encoded("gbk"))
        .arg("-o")
        .arg(&out)
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
    // An existing summary only with --force; never the output itself.
    cli()
        .args(["score", "-q", "--encoding", "gbk", "--model"])
        .arg(model())
        .arg(encoded("gbk"))
        .arg("--summary")
        .arg(&summary)
        .assert()
        .code(1)
        .stderr(contains("summary.json"));
    cli()
        .args(["score", "-q", "--force", "--encoding", "gbk", "--model"])
        .arg(model())
        .arg(encoded("gbk"))
        .arg("-o")
        .arg(&out)
        .arg("--summary")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains("--summary and --output name the same file"));
    // By another spelling of the same path too; and never the input.
    let dotted = dir.path().join(".").join("scored.csv");
    cli()
        .args(["score", "-q", "--force", "--encoding", "gbk", "--model"])
        .arg(model())
        .arg(encoded("gbk"))
        .arg("-o")
        .arg(&out)
        .arg("--summary")
        .arg(&dotted)
        .assert()
        .code(1)
        .stderr(contains("--summary and --output name the same file"));
    let input = dir.path().join("in.csv");
    std::fs::copy(encoded("gbk"), &input).unwrap();
    cli()
        .args(["score", "-q", "--force", "--encoding", "gbk", "--model"])
        .arg(model())
        .arg(&input)
        .arg("--summary")
        .arg(&input)
        .assert()
        .code(1)
        .stderr(contains("is the input"));
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
