//! The progress bar only on a terminal and not with `--quiet`; Parquet never to a terminal.

use tempfile::TempDir;

use crate::{basic_csv, cli, model};

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
