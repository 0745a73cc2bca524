//! `cargo xtask train`: rebuilds the reference model and fixtures in training/.venv (pinned
//! requirements) and checks they are byte-identical to the committed ones.

use std::process::Command;

use crate::util::{self, Result, root, step};

/// Rebuilds and checks the committed outputs.
pub fn run() -> Result {
    let root = root();
    let venv = root.join("training/.venv");
    let python = venv.join("bin/python");
    step("python venv", || {
        if !python.exists() {
            util::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        util::run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "-r",
            "training/requirements.txt",
        ]))
    })?;
    step("train and export", || {
        util::run(Command::new(&python).arg("training/train.py"))
    })?;
    crate::bank_models::train()?;
    // Every output is committed: a rerun must leave the work tree as it was.
    let changed = Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--",
            "www/models",
            "tests/fixtures",
            "training",
        ])
        .current_dir(&root)
        .output()?;
    let changed = String::from_utf8_lossy(&changed.stdout);
    if !changed.trim().is_empty() {
        return Err(
            format!("the rebuilt outputs differ from the committed ones:\n{changed}").into(),
        );
    }
    println!("the rebuilt model and fixtures are byte-identical to the committed ones");
    Ok(())
}
