//! The `credit-scorer` command line: every command's arguments, help, errors and exit codes
//! (0 done, 1 refused input, 2 usage, 3 `--strict` with refused rows), the output written
//! atomically (never the input, an existing one only with `--force`) and the progress bar only on
//! a terminal. What it scores is checked against onnxruntime in tests/batch.rs and here for
//! `assess`.

mod common;

use std::ffi::OsStr;
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
            .stdout(contains("schema-template "))
            .stdout(contains("embed-schema "))
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
    let cases: [(&str, &[&str]); 6] = [
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
        (
            "schema-template",
            &[
                "Usage: credit-scorer schema-template [OPTIONS] --model <MODEL.onnx> --output <SCHEMA.json>",
                "--force",
                "credit-scorer schema-template --model bank.onnx -o schema.json",
            ],
        ),
        (
            "embed-schema",
            &[
                "Usage: credit-scorer embed-schema [OPTIONS] --model <MODEL.onnx> --output <OUT.onnx> <SCHEMA.json>",
                "--force",
                "credit-scorer embed-schema --model bank.onnx schema.json -o bank-schema.onnx",
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

/// The README's command-line section shows the help as the tool prints it: the tool's, and every
/// command's its `Commands:` list names (so a new command cannot be left out).
#[test]
fn the_readme_shows_the_help_as_printed() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let help = |args: &[&str]| {
        let out = cli().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let top = help(&["--help"]);
    let commands: Vec<&str> = top
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|&c| c != "help")
        .collect();
    assert_eq!(
        commands,
        [
            "score",
            "assess",
            "schema",
            "reference-scores",
            "schema-template",
            "embed-schema"
        ]
    );
    let mut cases = vec![vec!["--help"]];
    cases.extend(commands.iter().map(|&c| vec![c, "--help"]));
    for args in cases {
        let block = format!(
            "```console\n$ credit-scorer {}\n{}```",
            args.join(" "),
            help(&args)
        );
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

// ------------------------------------------------------------------ atomic output

#[test]
fn an_existing_output_is_replaced_only_with_force() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("scored.csv");
    std::fs::write(&out, "yesterday's scores\n").unwrap();
    writing(&["score"], model(), &[basic_csv()], &out)
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("exists; give --force to replace it"));
    assert_eq!(std::fs::read(&out).unwrap(), b"yesterday's scores\n");
    assert_eq!(files_in(dir.path()), ["scored.csv"]);

    writing(&["score", "--force", "-q"], model(), &[basic_csv()], &out)
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
    writing(&["score", "-q"], model(), &[basic_csv()], &out)
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
        if force {
            std::fs::write(&out, "yesterday's scores\n").unwrap();
        }
        let flags = ["score", "-q", "--no-reasons", "--threads", "1"];
        writing(&flags, model(), &[&input], &out)
            .args(force.then_some("--force"))
            .assert()
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
            writing(&["score"], model(), &[&input], output)
                .args(force.then_some("--force"))
                .assert()
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
        writing(&["reference-scores"], &plain, NO_INPUT, &plain)
            .args(force.then_some("--force"))
            .assert()
            .code(1)
            .stderr(contains("is the input"));
    }
    assert_eq!(std::fs::read(&plain).unwrap(), bytes);

    let lite = dir.path().join("mlp-lite.onnx");
    std::fs::write(&lite, "old").unwrap();
    writing(&["reference-scores"], &plain, NO_INPUT, &lite)
        .assert()
        .code(1)
        .stderr(contains("exists; give --force"));
    assert_eq!(std::fs::read(&lite).unwrap(), b"old");
    writing(&["reference-scores", "--force"], &plain, NO_INPUT, &lite)
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

// ------------------------------------------------------------------ schema-template, embed-schema

use credit_scorer::model::pb;
use credit_scorer::schema::SCHEMA_METADATA_KEY;
use prost::Message;

const XGBOOST: &str = "tests/fixtures/bank/xgboost.onnx";

/// The fixture's schema as its exporter (Python) wrote it, and the model without that entry.
fn schema_apart(path: &str) -> (String, Vec<u8>) {
    let mut proto = pb::ModelProto::decode(read(path).as_slice()).unwrap();
    let at = proto
        .metadata_props
        .iter()
        .position(|p| p.key == SCHEMA_METADATA_KEY)
        .unwrap();
    let entry = proto.metadata_props.remove(at);
    (entry.value, proto.encode_to_vec())
}

/// Per input column, the lowest and highest split threshold of the model's tree ensemble, read
/// from the ONNX attributes (`nodes_featureids`, `nodes_values`, `nodes_modes`).
fn tree_threshold_ranges(path: &str, k: usize) -> Vec<Option<(f32, f32)>> {
    let proto = pb::ModelProto::decode(read(path).as_slice()).unwrap();
    let graph = proto.graph.unwrap();
    let node = graph
        .node
        .iter()
        .find(|n| n.op_type == "TreeEnsembleClassifier")
        .unwrap();
    let attr = |name: &str| node.attribute.iter().find(|a| a.name == name).unwrap();
    let features = &attr("nodes_featureids").ints;
    let values = &attr("nodes_values").floats;
    let modes = &attr("nodes_modes").strings;
    assert!(features.len() == values.len() && values.len() == modes.len());
    let mut ranges: Vec<Option<(f32, f32)>> = vec![None; k];
    for ((&f, &v), mode) in features.iter().zip(values).zip(modes) {
        if mode.as_slice() == b"LEAF" {
            continue;
        }
        let r = &mut ranges[f as usize];
        *r = Some(r.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
    }
    ranges
}

/// The reference network compares each input with its schema's cuts (numeric) or its codes but
/// the first (categorical, one WoE bin per code): the thresholds, from the training's schema.
fn reference_threshold_ranges() -> Vec<Option<(f32, f32)>> {
    let schema = credit_scorer::Scorer::from_bytes(&read(REFERENCE_MODEL))
        .unwrap()
        .schema()
        .clone();
    schema
        .features
        .iter()
        .map(|f| {
            let points: Vec<f64> = match &f.kind {
                credit_scorer::schema::FeatureKind::Numeric { .. } => f.cuts.clone().unwrap(),
                credit_scorer::schema::FeatureKind::Categorical { categories } => {
                    categories.iter().skip(1).map(|c| c.code as f64).collect()
                }
            };
            Some((*points.first()? as f32, *points.last()? as f32))
        })
        .collect()
}

fn template_of(model: &Path) -> serde_json::Value {
    let out = cli()
        .args(["schema-template", "-o", "-", "--model"])
        .arg(model)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// The template names each input, reads the loader's probability output, gives each input the
/// range of the model's split thresholds on it (as float32, exactly), and leaves a placeholder
/// for everything only the bank knows.
#[test]
fn schema_template_ranges_are_the_models_split_thresholds() {
    let xgboost: serde_json::Value =
        serde_json::from_slice(&read("tests/fixtures/bank/xgboost.json")).unwrap();
    let cases = [
        (
            XGBOOST,
            tree_threshold_ranges(XGBOOST, 18),
            xgboost["pd_output"].as_str().unwrap(),
        ),
        (REFERENCE_MODEL, reference_threshold_ranges(), "pd"),
    ];
    for (path, ranges, pd) in cases {
        let template = template_of(&repo(path));
        assert_eq!(template["schema_version"], 1);
        assert_eq!(template["output"]["pd"], pd, "{path}");
        assert!(
            template["model"]["name"]
                .as_str()
                .unwrap()
                .starts_with("TODO:")
        );
        let features = template["features"].as_array().unwrap();
        assert_eq!(features.len(), ranges.len(), "{path}");
        for (i, (f, range)) in features.iter().zip(&ranges).enumerate() {
            assert_eq!(f["name"], format!("x{i}"));
            assert_eq!(f["kind"], "numeric");
            let got = match (f.get("min"), f.get("max")) {
                (Some(lo), Some(hi)) => {
                    Some((lo.as_f64().unwrap() as f32, hi.as_f64().unwrap() as f32))
                }
                (None, None) => None,
                other => panic!("{path} x{i}: one end only: {other:?}"),
            };
            assert_eq!(got, *range, "{path} x{i}");
            for field in ["baseline", "range_todo"] {
                assert!(
                    f[field].as_str().unwrap().starts_with("TODO: "),
                    "{path} x{i}"
                );
            }
            for field in ["label", "reason"] {
                assert!(
                    f[field]["en"].as_str().unwrap().starts_with("TODO: "),
                    "{path} x{i}"
                );
            }
        }
        // The xgboost model splits on most inputs, not all; the network on every one.
        assert!(ranges.iter().filter(|r| r.is_some()).count() >= ranges.len() / 2);
    }
}

/// The bank's edit of a template: every placeholder replaced, the range notes deleted.
fn filled(mut template: serde_json::Value) -> serde_json::Value {
    template["model"] = serde_json::json!({ "name": "Bank XGBoost", "version": "2026-12" });
    for (i, f) in template["features"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let f = f.as_object_mut().unwrap();
        f.remove("range_todo");
        f.insert("name".into(), format!("feature_{i}").into());
        f.insert(
            "label".into(),
            serde_json::json!({ "en": format!("Feature {i}") }),
        );
        f.insert(
            "reason".into(),
            serde_json::json!({ "en": format!("Feature {i}") }),
        );
        let baseline = f.get("min").cloned().unwrap_or(0.into());
        f.insert("baseline".into(), baseline);
    }
    template
}

/// A template still holding placeholders is refused (by `embed-schema` and by the loader) with
/// what to fill in; once filled in, it is a schema the model loads with.
#[test]
fn an_unfilled_template_is_refused_and_a_filled_one_embeds() {
    let dir = TempDir::new().unwrap();
    let plain = repo("tests/fixtures/bank/xgboost.noschema.onnx");
    let schema = dir.path().join("schema.json");
    writing(&["schema-template"], &plain, NO_INPUT, &schema)
        .assert()
        .success()
        .stdout("")
        .stderr(contains("a starter schema for 18 inputs"));
    let template: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&schema).unwrap()).unwrap();
    let out = dir.path().join("out.onnx");
    writing(&["embed-schema"], &plain, &[&schema], &out)
        .assert()
        .code(1)
        .stderr(contains("the schema still holds 74 placeholders from `credit-scorer schema-template` to fill in"))
        .stderr(contains("`features[0].baseline` says \"TODO: the most favourable value of `x0`"))
        .stderr(contains("replace each `TODO:` text"));
    assert_eq!(files_in(dir.path()), ["schema.json"]);

    // One placeholder left: named, with what belongs there.
    let mut almost = filled(template.clone());
    almost["features"][3]["reason"]["en"] = "TODO: the reason text".into();
    std::fs::write(&schema, almost.to_string()).unwrap();
    let e = credit_scorer::model::with_schema(&std::fs::read(&plain).unwrap(), &almost.to_string())
        .unwrap_err();
    assert_eq!(e.kind(), credit_scorer::ErrorKind::Schema);
    assert!(
        e.message().contains("holds 1 placeholder from")
            && e.message()
                .contains("`features[3].reason.en` says \"TODO: the reason text\";"),
        "{e}"
    );
    // The loader refuses it too, however it got into the model.
    let mut proto = pb::ModelProto::decode(std::fs::read(&plain).unwrap().as_slice()).unwrap();
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: SCHEMA_METADATA_KEY.into(),
        value: almost.to_string(),
    });
    let e = credit_scorer::Model::from_bytes(&proto.encode_to_vec()).unwrap_err();
    assert_eq!(e.kind(), credit_scorer::ErrorKind::Schema);
    assert!(e.message().contains("`features[3].reason.en`"), "{e}");

    let done = filled(template);
    std::fs::write(&schema, done.to_string()).unwrap();
    let run = writing(&["embed-schema"], &plain, &[&schema], &out)
        .assert()
        .success()
        .stdout("")
        .stderr(contains(
            "the model with the schema of `Bank XGBoost` (18 features);",
        ));
    // Without reference scores: the full build checks the trees against tract; the lite build
    // writes the model and says what it needs.
    if cfg!(feature = "tract") {
        run.stderr(contains("this build loads it with the tree evaluator"));
        let scorer = credit_scorer::Scorer::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(scorer.schema().model.name, "Bank XGBoost");
        assert_eq!(scorer.schema().features[1].name, "feature_1");
        // The last step: the page's lite engine runs it.
        let page = dir.path().join("page.onnx");
        writing(&["reference-scores"], &out, NO_INPUT, &page)
            .assert()
            .success()
            .stderr(contains("the page's lite engine will run it"));
    } else {
        run.stderr(contains("it does not load yet: the model's tree ensemble"));
    }
}

/// Embedding a schema changes nothing else in the file: the decoded protobufs are equal but for
/// that entry, the model loads with that schema and scores exactly as the exporter's own file
/// with it (and as onnxruntime), and embedding again replaces the entry rather than adding one.
#[test]
fn embed_schema_round_trip_scores_as_the_model_with_its_schema() {
    let dir = TempDir::new().unwrap();
    let golden = reference_golden();
    let xgboost: serde_json::Value =
        serde_json::from_slice(&read("tests/fixtures/bank/xgboost.json")).unwrap();
    let nan = |v: &serde_json::Value| v.as_f64().map_or(f32::NAN, |x| x as f32);
    // Per model, rows and onnxruntime's probability for each.
    type Golden = Vec<(Vec<f32>, f64)>;
    let cases: [(&str, Golden); 2] = [
        (
            XGBOOST,
            xgboost["rows"]
                .as_array()
                .unwrap()
                .iter()
                .zip(xgboost["pd"].as_array().unwrap())
                .map(|(r, p)| {
                    let row = r.as_array().unwrap().iter().map(nan).collect();
                    (row, p.as_f64().unwrap())
                })
                .collect(),
        ),
        (
            REFERENCE_MODEL,
            golden.rows.iter().map(|r| (r.x.clone(), r.pd)).collect(),
        ),
    ];
    for (path, rows) in cases {
        let (schema_text, plain_bytes) = schema_apart(path);
        let plain = dir.path().join("plain.onnx");
        let schema = dir.path().join("schema.json");
        let out = dir.path().join("out.onnx");
        std::fs::write(&plain, &plain_bytes).unwrap();
        std::fs::write(&schema, &schema_text).unwrap();
        writing(&["embed-schema", "--force"], &plain, &[&schema], &out)
            .assert()
            .success()
            .stderr(contains("features); this build loads it with"));
        let written = std::fs::read(&out).unwrap();
        assert!(
            written.starts_with(&plain_bytes),
            "{path}: the model's bytes come first"
        );

        let without_schema = |bytes: &[u8]| {
            let mut proto = pb::ModelProto::decode(bytes).unwrap();
            let n = proto.metadata_props.len();
            proto
                .metadata_props
                .retain(|p| p.key != SCHEMA_METADATA_KEY);
            let removed = n - proto.metadata_props.len();
            (proto, removed)
        };
        let (rest, schemas) = without_schema(&written);
        assert_eq!(schemas, 1, "{path}");
        assert_eq!(rest, without_schema(&plain_bytes).0, "{path}");

        let exporters = credit_scorer::Scorer::from_bytes(&read(path)).unwrap();
        let ours = credit_scorer::Scorer::from_bytes(&written).unwrap();
        assert_eq!(ours.schema(), exporters.schema(), "{path}");
        assert_eq!(ours.model().engine(), exporters.model().engine(), "{path}");
        let flat: Vec<f32> = rows.iter().flat_map(|(x, _)| x.iter().copied()).collect();
        let a = ours.model().predict(&flat).unwrap();
        assert_eq!(a, exporters.model().predict(&flat).unwrap(), "{path}");
        for (i, (p, (_, want))) in a.iter().zip(&rows).enumerate() {
            assert!(
                close(p.pd, *want, 1e-5),
                "{path} row {i}: {} vs onnxruntime {want}",
                p.pd
            );
        }

        // Again, into the model that has it (and into the exporter's file): one schema entry.
        let again = dir.path().join("again.onnx");
        for model in [out.clone(), repo(path)] {
            writing(&["embed-schema", "--force"], &model, &[&schema], &again)
                .assert()
                .success()
                .stderr(contains(", replacing its own;"));
            let twice = std::fs::read(&again).unwrap();
            assert_eq!(without_schema(&twice).1, 1, "{path}");
            assert_eq!(
                without_schema(&twice).0,
                without_schema(&std::fs::read(&model).unwrap()).0,
                "{path}"
            );
            if model == out {
                assert_eq!(
                    twice, written,
                    "{path}: the same schema again, the same file"
                );
            }
        }
    }
}

/// A schema that does not fit the model is refused with the loader's kind and message, and no
/// file is written; the output is never the model or the schema, an existing one only with
/// `--force`.
#[test]
fn embed_schema_refuses_a_schema_that_does_not_fit_and_writes_atomically() {
    use credit_scorer::ErrorKind;
    let (text, plain_bytes) = schema_apart(XGBOOST);
    let good: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut fewer = good.clone();
    fewer["features"].as_array_mut().unwrap().pop();
    let mut output = good.clone();
    output["output"]["pd"] = "probability_of_default".into();
    let mut misspelt = good.clone();
    let label = misspelt["features"][2]["label"].clone();
    misspelt["features"][2]
        .as_object_mut()
        .unwrap()
        .remove("label");
    misspelt["features"][2]["lable"] = label;
    let mut baseline = good.clone();
    baseline["features"][1]["baseline"] = 1e6.into();
    let cases = [
        (
            fewer,
            ErrorKind::Schema,
            "the schema describes 17 features but the model takes 18 inputs",
        ),
        (
            output,
            ErrorKind::Schema,
            "the schema names output `probability_of_default` as the probability",
        ),
        (
            misspelt,
            ErrorKind::Schema,
            "a field `features[2].lable` this scorer does not read",
        ),
        (
            baseline,
            ErrorKind::Schema,
            "the baseline 1000000 is outside the range",
        ),
    ];
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("model.onnx");
    let schema = dir.path().join("schema.json");
    let out = dir.path().join("out.onnx");
    std::fs::write(&model, &plain_bytes).unwrap();
    for (bad, kind, message) in cases {
        let e = credit_scorer::model::with_schema(&plain_bytes, &bad.to_string()).unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
        assert!(e.message().contains(message), "{e}");
        std::fs::write(&schema, bad.to_string()).unwrap();
        writing(&["embed-schema"], &model, &[&schema], &out)
            .assert()
            .code(1)
            .stdout("")
            .stderr(contains("error: `").and(contains(message)));
        assert_eq!(files_in(dir.path()), ["model.onnx", "schema.json"]);
    }

    std::fs::write(&schema, &text).unwrap();
    for target in [&model, &schema] {
        for force in [false, true] {
            writing(&["embed-schema"], &model, &[&schema], target)
                .args(force.then_some("--force"))
                .assert()
                .code(1)
                .stderr(contains("is the input"));
        }
    }
    assert_eq!(std::fs::read(&model).unwrap(), plain_bytes);
    assert_eq!(std::fs::read_to_string(&schema).unwrap(), text);
    std::fs::write(&out, "old").unwrap();
    let embed = |force: bool| {
        writing(&["embed-schema"], &model, &[&schema], &out)
            .args(force.then_some("--force"))
            .assert()
    };
    embed(false)
        .code(1)
        .stderr(contains("exists; give --force"));
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
    embed(true).success();
    assert!(std::fs::read(&out).unwrap().starts_with(&plain_bytes));
    assert_eq!(
        files_in(dir.path()),
        ["model.onnx", "out.onnx", "schema.json"]
    );
    // schema-template too: never over the model, an existing file only with --force.
    for (target, expected) in [(&model, "is the input"), (&schema, "exists; give --force")] {
        writing(&["schema-template"], &model, NO_INPUT, target)
            .assert()
            .code(1)
            .stderr(contains(expected));
    }
    assert_eq!(std::fs::read_to_string(&schema).unwrap(), text);
}

/// A classifier whose classes are not the integers 0 and 1 (scikit-learn's "bad"/"good"): the
/// template asks which is default, and the filled-in answer is what the model is then read with.
#[test]
fn schema_template_asks_which_class_is_default() {
    let plain = repo("tests/fixtures/bank/sklearn_logistic.noschema.onnx");
    let template = template_of(&plain);
    let asked = template["output"]["default_class"].as_str().unwrap();
    assert!(
        asked.starts_with("TODO: which of the model's classes \"bad\", \"good\" is default"),
        "{asked}"
    );
    // Without a schema the loader cannot tell either.
    let bytes = std::fs::read(&plain).unwrap();
    let e = credit_scorer::Model::from_bytes(&bytes).unwrap_err();
    assert!(
        e.message()
            .contains("cannot tell which of the model's classes"),
        "{e}"
    );
    let mut done = filled(template);
    done["output"]["default_class"] = "bad".into();
    let made = credit_scorer::model::with_schema(&bytes, &done.to_string()).unwrap();
    assert_eq!(made.schema.output.default_class, Some("bad".into()));
    // The exporter's own file names the same class.
    let (exporters, _) = schema_apart("tests/fixtures/bank/sklearn_logistic.onnx");
    let exporters: serde_json::Value = serde_json::from_str(&exporters).unwrap();
    assert_eq!(exporters["output"]["default_class"], "bad");
}
