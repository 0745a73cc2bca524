//! What every job uses: the repository's paths, running a command, timing a step, the machine.

use std::env;
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Every job's result: an error is a message for the person at the terminal.
pub type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

/// The repository root: from the `CARGO_MANIFEST_DIR` that `cargo run` sets, so that a binary
/// reused from a shared target directory (built in another clone) still works on this clone.
pub fn root() -> PathBuf {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The cargo target directory: `CARGO_TARGET_DIR`, or `target/` in the repository.
pub fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Where installed tools are cached: `CREDIT_SCORER_TOOLS`, or ~/.cache/credit-scorer/tools.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = env::var_os("CREDIT_SCORER_TOOLS") {
        return PathBuf::from(dir);
    }
    let home = env::var_os("HOME").map_or_else(|| root().join("target"), PathBuf::from);
    home.join(".cache/credit-scorer/tools")
}

/// Runs a command in the repository root, failing with its name if it fails.
pub fn run(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}").replace('"', "");
    println!("$ {shown}");
    let status = cmd
        .current_dir_if_unset()
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{shown}` failed ({status})").into());
    }
    Ok(())
}

/// Runs a command in the repository root unless it was given a directory.
pub trait CurrentDir {
    fn current_dir_if_unset(&mut self) -> &mut Self;
}

impl CurrentDir for Command {
    fn current_dir_if_unset(&mut self) -> &mut Self {
        if self.get_current_dir().is_none() {
            self.current_dir(root());
        }
        self
    }
}

/// The cargo that runs xtask (`CARGO`), so that the pinned toolchain builds everything.
pub fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Whether this runs in CI (`CI` set, as GitHub Actions and most CI services do): there the
/// committed pins are checked, never rewritten.
pub fn in_ci() -> bool {
    env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// `rustc --version` of the toolchain in use, for error messages.
pub fn rustc_version() -> String {
    Command::new("rustc")
        .arg("--version")
        .current_dir(root())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "rustc --version failed".into())
}

/// Runs one named step, printing its name and how long it took; its error names the step.
pub fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("\n==> {name}");
    let start = Instant::now();
    let out = f().map_err(|e| format!("{name}: {e}"))?;
    println!("<== {name}: {:.1} s", start.elapsed().as_secs_f64());
    Ok(out)
}

/// Whether this runs as root (and so may install Debian packages).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether `program` is on `PATH`.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The version of `name` in Cargo.lock.
pub fn locked_version(name: &str) -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock"))?;
    let needle = format!("name = \"{name}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .ok_or_else(|| format!("{name} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').ok_or("Cargo.lock is malformed")?;
    Ok(lock[start..start + end].to_string())
}
