//! The Python package (`python/`): its venv, the extension built into it, pytest, the wheel and
//! the Spark benchmark. `cargo xtask test` runs [`test`]; `cargo xtask python …` runs [`command`].
//!
//! The extension is built in the `dev` profile, the one the native tests build tract in, so it
//! reuses that tract instead of building it again in another profile.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::tools::{DebianPackage, ensure_debian_packages};
use crate::util::{Result, root, run, step, target_dir};

/// `cargo xtask python test|build|bench [ARGS…]`.
pub fn command(args: &[String]) -> Result {
    let (what, rest) = args
        .split_first()
        .map_or(("", &[][..]), |(w, r)| (w.as_str(), r));
    match what {
        "test" => test_with(rest),
        "build" => wheel(),
        "bench" => bench(rest),
        other => {
            Err(format!("cargo xtask python: unknown `{other}`; use test, build or bench").into())
        }
    }
}

/// The venv, the extension built into it, and the whole pytest suite (Spark test included).
pub fn test() -> Result {
    test_with(&[])
}

fn test_with(pytest_args: &[String]) -> Result {
    ensure_java()?;
    let venv = ensure_venv()?;
    develop(&venv)?;
    step("pytest (python/tests, Spark local[2] included)", || {
        run(Command::new(venv.join("bin/python"))
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
            .args(pytest_args)
            .current_dir(root().join("python"))
            // The parity tests compare with the CLI the native tests built.
            .env(
                "CREDIT_SCORER_CLI",
                target_dir().join("debug/credit-scorer"),
            )
            .env("PYTHONDONTWRITEBYTECODE", "1"))
    })
}

/// Spark runs on a JVM: Debian's OpenJDK 17 (Spark 4 needs 17 or later).
const JAVA: &[DebianPackage] = &[DebianPackage {
    name: "openjdk-17-jre-headless",
    provides: "java",
}];

fn ensure_java() -> Result {
    ensure_debian_packages("`java`, which Spark needs, is", JAVA)
}

/// `python/.venv` with `python/requirements-test.txt` installed; reinstalled when that file
/// changes (its SHA-256 is kept in the venv).
fn ensure_venv() -> Result<PathBuf> {
    let python_dir = root().join("python");
    let venv = python_dir.join(".venv");
    let requirements = python_dir.join("requirements-test.txt");
    let wanted = hex(&Sha256::digest(fs::read(&requirements)?));
    let stamp = venv.join(".requirements-sha256");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    step("python venv (python/requirements-test.txt)", || {
        if !venv.join("bin/python").exists() {
            run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements))?;
        fs::write(&stamp, &wanted)?;
        Ok(())
    })?;
    Ok(venv)
}

/// Builds the extension into the venv (`maturin develop`, `dev` profile).
fn develop(venv: &std::path::Path) -> Result {
    step("python extension (maturin develop, dev profile)", || {
        run(maturin(venv).args(["develop", "--quiet", "--profile", "dev"]))
    })
}

/// maturin in the venv, for the venv's interpreter: pyo3's build then sees the same Python for
/// `develop` and `build` and is not rebuilt between them.
fn maturin(venv: &std::path::Path) -> Command {
    let mut cmd = Command::new(venv.join("bin/maturin"));
    cmd.current_dir(root().join("python"))
        .env("CARGO_TARGET_DIR", target_dir())
        .env("VIRTUAL_ENV", venv);
    cmd
}

/// The abi3 wheel, in the `dev` profile the tests run (see docs/SCALE.md), tagged with the
/// newest manylinux policy this machine's glibc allows (maturin checks the symbols).
fn wheel() -> Result {
    let venv = ensure_venv()?;
    let out = target_dir().join("wheels");
    step("python wheel (maturin build, dev profile)", || {
        run(maturin(&venv)
            .args(["build", "--profile", "dev", "--interpreter"])
            .arg(venv.join("bin/python"))
            .arg("--out")
            .arg(&out))
    })?;
    println!("wheel in {}", out.display());
    Ok(())
}

/// Spark local mode: credit-scorer with reasons against onnxruntime in a pandas UDF, same rows,
/// same run; results in `$CARGO_TARGET_DIR/bench/python.{json,md}`.
fn bench(args: &[String]) -> Result {
    ensure_java()?;
    let venv = ensure_venv()?;
    develop(&venv)?;
    let out = target_dir().join("bench");
    step(
        "Spark benchmark (python/bench/spark_vs_onnxruntime.py)",
        || {
            run(Command::new(venv.join("bin/python"))
                .arg("bench/spark_vs_onnxruntime.py")
                .arg(&out)
                .args(args)
                .current_dir(root().join("python")))
        },
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
