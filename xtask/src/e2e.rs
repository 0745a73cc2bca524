//! `cargo xtask e2e`: the builds the end-to-end tests need, then the tests (node's test runner,
//! playwright-core and Debian's Chromium) against www/ served by xtask's server.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::tools::{ensure_chromium, ensure_npm};
use crate::util::{self, Result, root, step, target_dir};
use crate::wasm::{DEBUG_ENGINE, build, build_debug_engine};
use crate::{browsers, integrity, serve};

/// Chromium, the npm packages, the pinned release builds, which every end-to-end test loads (in
/// CI the build fails when they differ from the committed pins), then the unpinned debug engine
/// for the crash test.
pub fn prepare_browser_tests() -> Result {
    step("browser toolchain", || {
        ensure_chromium()?;
        ensure_npm()
    })?;
    build(false)?;
    build_debug_engine()
}

/// `cargo xtask e2e [--no-build] [FILE…]`: the builds the end-to-end tests need, then those
/// tests. `--no-build` skips the wasm builds (www/pkg/ as last built, e.g. copied from another
/// clone) and only rewrites the pins, so a second clone can run its page tests without
/// rebuilding the shared wasm cache for its own path.
pub fn run(args: &[String]) -> Result {
    let no_build = args.iter().any(|a| a == "--no-build");
    let files: Vec<String> = args
        .iter()
        .filter(|a| *a != "--no-build")
        .cloned()
        .collect();
    if no_build {
        step("browser toolchain", || {
            ensure_chromium()?;
            ensure_npm()
        })?;
        // Page modules may have changed since the last build: pin them to the wasm as built.
        step("integrity pins and offline manifest", || {
            integrity::update(&root().join("www"), integrity::Pins::Write)
        })?;
    } else {
        prepare_browser_tests()?;
    }
    let files = files.as_slice();
    step("end-to-end tests (playwright-core + Chromium)", || {
        e2e(files)
    })
}

/// Runs the end-to-end tests (all of tests/e2e/, or `files`) against www/ as built, served by
/// xtask's server, with a second served copy for the service-worker update test.
pub fn e2e(files: &[String]) -> Result {
    let www = root().join("www");
    let server = serve::Server::start(&www, 0)?;
    // A second copy of www/ on its own port (its own origin, so its own service worker), which
    // tests/e2e/offline.test.mjs changes on disk as a new deployment would.
    let update_www = target_dir().join("e2e-update-www");
    copy_site(&www, &update_www)?;
    let update_server = serve::Server::start(&update_www, 0)?;
    let screenshots = target_dir().join("screenshots");
    fs::create_dir_all(&screenshots)?;
    let mut cmd = Command::new("node");
    cmd.args(["--test", "--test-concurrency=1"]);
    if files.is_empty() {
        cmd.arg("tests/e2e/");
    } else {
        cmd.args(files);
    }
    let _display = browsers::prepare(&mut cmd)?;
    let result = util::run(
        cmd.env("BASE_URL", server.url())
            .env("SCREENSHOT_DIR", &screenshots)
            .env("UPDATE_BASE_URL", update_server.url())
            .env("UPDATE_WWW", &update_www)
            // The crash test must find the debug engine (against a deployment, or with
            // `--no-build` and no debug engine built, it skips instead).
            .env(
                "REQUIRE_DEBUG_ENGINE",
                if www.join("pkg").join(DEBUG_ENGINE).exists() {
                    "1"
                } else {
                    ""
                },
            )
            // The batch test compares the page's output with the CLI's (built by the native tests).
            .env(
                "CREDIT_SCORER_CLI",
                target_dir().join("debug/credit-scorer"),
            ),
    );
    server.stop();
    update_server.stop();
    result
}

/// A fresh copy of the site in `to` (what a deployment would upload), without the debug engine.
fn copy_site(from: &Path, to: &Path) -> Result {
    fn copy_dir(from: &Path, to: &Path, skip: &Path) -> Result {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let path = entry?.path();
            if path == skip {
                continue;
            }
            let dest = to.join(path.file_name().ok_or("a file without a name")?);
            if path.is_dir() {
                copy_dir(&path, &dest, skip)?;
            } else {
                fs::copy(&path, &dest)
                    .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
            }
        }
        Ok(())
    }
    if to.exists() {
        fs::remove_dir_all(to)?;
    }
    copy_dir(from, to, &from.join("pkg").join(DEBUG_ENGINE))
}
