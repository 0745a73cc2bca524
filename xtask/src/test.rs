//! `cargo xtask test`: fmt, clippy, native tests (full and lite), the in-browser wasm tests and
//! the end-to-end tests; `--fuzz` adds the fuzz targets.

use std::time::Instant;

use crate::e2e::{e2e, prepare_browser_tests};
use crate::fuzz;
use crate::tools::wasm_bindgen_bin;
use crate::util::{self, Result, cargo, step, target_dir};
use crate::wasm::{Variant, WASM_TARGET, set_wasm_rustflags};

/// Runs every test; `with_fuzz` adds the fuzz targets.
pub fn run(with_fuzz: bool) -> Result {
    let start = Instant::now();
    step("cargo fmt --check", || {
        util::run(cargo().args(["fmt", "--all", "--check"]))
    })?;
    step("cargo clippy", || {
        util::run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("cargo clippy (lite build, no tract)", || {
        util::run(cargo().args([
            "clippy",
            "--package",
            "credit-scorer",
            "--all-targets",
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("native tests", || {
        util::run(cargo().args(["test", "--workspace"]))
    })?;
    // After the native tests: the Python tests compare with the CLI they built.
    crate::python::test()?;
    // The lite build's contract (tests/engines/) and the paths it shares with the full build;
    // the other test files compare against tract or load models only the full build runs. Its
    // own target directory: these tests build the CLI too, and the end-to-end tests need the
    // full one at `debug/credit-scorer`.
    step("native tests (lite build, no tract)", || {
        util::run(
            cargo()
                .env("CARGO_TARGET_DIR", target_dir().join("lite"))
                .args([
                    "test",
                    "--package",
                    "credit-scorer",
                    "--no-default-features",
                    "--lib",
                    "--test",
                    "engines",
                    "--test",
                    "batch",
                    "--test",
                    "reference_model",
                    "--test",
                    "validation",
                    "--test",
                    "bank_models",
                    "--test",
                    "attribution",
                ]),
        )
    })?;
    prepare_browser_tests()?;
    let runner = wasm_bindgen_bin()?.join("wasm-bindgen-test-runner");
    step("wasm-bindgen tests in headless Chromium", || {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--release",
            "--target",
            WASM_TARGET,
            "--test",
            "web",
        ])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
        // The scalar build's flags: the test reuses its dependencies instead of rebuilding tract.
        set_wasm_rustflags(&mut cmd, Variant::Scalar, &target_dir());
        util::run(&mut cmd)
    })?;
    step("end-to-end tests (playwright-core + Chromium)", || e2e(&[]))?;
    if with_fuzz {
        fuzz::run_all()?;
    }
    println!(
        "\nall tests passed in {:.1} min",
        start.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}
