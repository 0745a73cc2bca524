//! `cargo xtask train`'s second part: the bank-model fixtures of `training/bank_models.py`
//! (tree ensembles and scikit-learn pipelines exported with the converters' defaults), in their
//! own venv with their own pinned requirements.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{Result, root, run, step};

/// `training/.venv-bank` with `training/requirements-bank.txt` installed; returns its python.
/// The tree benchmark (`cargo xtask bench --only trees`) makes its model with it too.
pub fn venv_python() -> Result<PathBuf> {
    let venv = root().join("training/.venv-bank");
    let python = venv.join("bin/python");
    step("python venv (bank models)", || {
        if !python.exists() {
            run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "-r",
            "training/requirements-bank.txt",
        ]))
    })?;
    Ok(python)
}

/// Builds `training/.venv-bank` from `training/requirements-bank.txt` and rewrites
/// `tests/fixtures/bank/`.
pub fn train() -> Result {
    let python = venv_python()?;
    step("bank models and fixtures", || {
        run(Command::new(&python).arg("training/bank_models.py"))
    })
}
