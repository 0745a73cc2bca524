//! `cargo xtask test --fuzz`: runs every cargo-fuzz target in `fuzz/` for a while (60 s each by
//! default, `CREDIT_SCORER_FUZZ_SECONDS` to change it) and fails on the first crash. Installs a
//! nightly toolchain (rustup) and cargo-fuzz (into the tool cache) when missing. The corpus grows
//! in `fuzz/corpus/<target>/` (git-ignored); a crash leaves its input in `fuzz/artifacts/<target>/`.

use std::env;
use std::path::PathBuf;
use std::process::Command;

use crate::util::{Result, cargo, root, run, step, target_dir, tools_dir};

/// The committed models every model-loading run starts from.
const MODEL_SEEDS: &[&str] = &[
    "www/models",
    "tests/fixtures/models",
    "tests/fixtures/hostile",
    "tests/fixtures/bank",
];

/// Each target, whether it runs the full build (with tract) or the lite one, and the committed
/// inputs it starts from (besides its own growing corpus).
const TARGETS: [(&str, bool, &[&str]); 6] = [
    ("model_from_bytes", true, MODEL_SEEDS),
    // The lite build's own path: reference scores and the chain without tract behind them.
    ("model_from_bytes", false, MODEL_SEEDS),
    ("schema_from_json", true, &[]),
    ("validate_applicant", true, &[]),
    ("csv_rows", true, &["tests/fixtures/csv"]),
    ("batch_wire", true, &[]),
];

fn ensure_nightly() -> Result {
    let list = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()?;
    if !String::from_utf8_lossy(&list.stdout)
        .lines()
        .any(|l| l.starts_with("nightly"))
    {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    Ok(())
}

/// cargo-fuzz, installed once into the tool cache.
fn cargo_fuzz_bin() -> Result<PathBuf> {
    let dir = tools_dir().join("cargo-fuzz");
    let bin = dir.join("bin").join("cargo-fuzz");
    if !bin.exists() {
        run(cargo().args(["install", "cargo-fuzz", "--root"]).arg(&dir))?;
    }
    Ok(bin)
}

pub fn run_all() -> Result {
    let seconds: u64 = env::var("CREDIT_SCORER_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let bin = step("fuzz toolchain (nightly, cargo-fuzz)", || {
        ensure_nightly()?;
        cargo_fuzz_bin()
    })?;
    let root = root();
    // The fuzz crate's own target directory: sanitizer builds share nothing with the others.
    let target_dir = target_dir().join("fuzz");
    for (target, full, seeds) in TARGETS {
        let build = if full { "full" } else { "lite" };
        step(
            &format!("fuzz {target}, {build} build ({seconds} s)"),
            || {
                let corpus = root.join("fuzz/corpus").join(target);
                std::fs::create_dir_all(&corpus)?;
                let mut cmd = Command::new(&bin);
                cmd.args(["fuzz", "run", "--release", "--debug-assertions"]);
                if !full {
                    cmd.arg("--no-default-features");
                }
                cmd.arg(target).arg(&corpus);
                for seed in seeds {
                    let dir = root.join(seed);
                    if dir.is_dir() {
                        cmd.arg(dir);
                    }
                }
                cmd.args([
                    "--",
                    &format!("-max_total_time={seconds}"),
                    "-timeout=30",
                    "-rss_limit_mb=4096",
                    "-max_len=262144",
                    "-print_final_stats=1",
                ])
                .env("RUSTUP_TOOLCHAIN", "nightly")
                .env("CARGO_TARGET_DIR", &target_dir);
                run(&mut cmd)
            },
        )?;
    }
    Ok(())
}
