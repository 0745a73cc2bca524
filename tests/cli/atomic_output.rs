//! Atomic output: never a partial file, never over the input, an existing one only with
//! `--force`.

use std::path::Path;

use credit_scorer::batch::thousands;
use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

#[cfg(feature = "tract")]
use crate::{NO_INPUT, common::repo};
use crate::{basic_csv, files_in, model, scored, writing};

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
