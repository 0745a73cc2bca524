//! Subresource Integrity and the offline manifest, written by `cargo xtask build`.
//!
//! Committed files (they change only when the files they pin change; a native test below fails
//! when one is stale):
//! - `www/js/pins.js`: the reference model's SHA-256, which the page passes to
//!   `fetch(…, { integrity })`, and the SHA-384 of each engine build the page runs
//!   (`pkg/…`, `pkg/simd/…`, `pkg/lite/…`, `pkg/lite/simd/credit_scorer_bg.wasm`), which the page hands to the
//!   Worker for its `fetch(…, { integrity })`, and the SHA-384 of `www/deployment.json` (the
//!   lender's name, address and notice texts for the adverse-action notice), which the page
//!   fetches with `integrity` too. The release wasm is byte-reproducible (pinned
//!   toolchain in `rust-toolchain.toml`, `Cargo.lock`, path-independent flags from
//!   `crate::wasm::wasm_rustflags`), so the same commit builds the same hashes on every machine.
//! - `www/index.html`, between `<!-- integrity:begin` and `<!-- integrity:end -->`: an import map
//!   whose `integrity` map pins every page module (`www/js/*.js` except the worker) and the
//!   `<script type="module">` that starts the page, with its own `integrity`.
//! - the CSP in `www/_headers` and the `<meta>` in `www/index.html`: `script-src` allows that
//!   inline import map by its SHA-256 (and nothing else inline).
//!
//! Build output (git-ignored, changes with every wasm build):
//! - `www/pkg/sw-manifest.js`: every file the service worker keeps, with its SHA-384, and a
//!   VERSION derived from all of them.
//!
//! In CI (`CI` set), [`update`] never rewrites a committed file: a stale pin is an error that
//! says what differs and to run `cargo xtask build` and commit.
//!
//! One file per job: `pages.rs` (the committed page pins: `pins.js`, the import map in
//! `index.html`, the CSP hash, the example page's model pin), `engines.rs` (the engine builds'
//! SHA-384 pins, built and committed), `offline.rs` (the service worker's manifest and its
//! groups); [`update`] here writes or checks the first and writes the manifest.

mod engines;
mod offline;
mod pages;

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha384};

use crate::util::Result;

use engines::{EnginePins, engine_mismatch};
pub use offline::ENGINE_FILES;
use pages::expected;

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn sha384(bytes: &[u8]) -> String {
    format!("sha384-{}", base64(&Sha384::digest(bytes)))
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256-{}", base64(&Sha256::digest(bytes)))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// What [`update`] may do with the committed files.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pins {
    /// Rewrite the stale ones (a developer's build).
    Write,
    /// Fail on a stale one (CI: what is tested must be what is committed).
    Check,
}

/// Writes the committed pins (or, with [`Pins::Check`], checks them) and writes the service
/// worker's manifest.
pub fn update(www: &Path, mode: Pins) -> Result {
    let built = EnginePins::built(www)?;
    let stale: Vec<(PathBuf, String)> = expected(www, &built)?
        .into_iter()
        .filter(|(path, content)| read_text(path).ok().as_deref() != Some(content.as_str()))
        .collect();
    let committed = EnginePins::committed(www).ok();
    let engine_changed = committed.as_ref() != Some(&built);
    match mode {
        Pins::Check if !stale.is_empty() => {
            let files: Vec<String> = stale
                .iter()
                .map(|(p, _)| format!("  {}", p.display()))
                .collect();
            let mut message = format!(
                "the committed integrity pins are stale:\n{}\n",
                files.join("\n")
            );
            if engine_changed {
                match &committed {
                    Some(c) => message.push_str(&format!(
                        "The engine built here is not the one pinned:\n{}\n\
                         The release wasm is reproducible from the source, Cargo.lock and the \
                         toolchain in rust-toolchain.toml, so either src/ or a dependency changed \
                         without the pins, or this machine builds with another toolchain \
                         ({}) or wasm-bindgen.\n",
                        engine_mismatch(&built, c),
                        crate::util::rustc_version()
                    )),
                    None => message.push_str("js/pins.js pins no engine build.\n"),
                }
            }
            message.push_str(
                "Run `cargo xtask build` with the pinned toolchain and commit www/js/pins.js, \
                 www/index.html, www/_headers and www/examples/index.html. (CI checks the pins instead of rewriting them.)",
            );
            return Err(message.into());
        }
        _ => {
            for (path, content) in &stale {
                fs::write(path, content)?;
                println!("updated {}", path.display());
            }
            if engine_changed {
                println!(
                    "the engine pins changed (src/, a dependency or the toolchain changed): \
                     commit www/js/pins.js, www/index.html, www/_headers and www/examples/index.html with the change"
                );
            }
        }
    }
    offline::write_manifest(www)
}

#[cfg(test)]
mod tests {
    use super::engines::PINNED_ENGINES;
    use super::offline::offline_group;
    use super::pages::{DEPLOYMENT, MODEL};
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // The SRI example hash of an empty file.
        assert_eq!(
            sha384(b""),
            "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"
        );
    }

    /// A minimal www/ in a temporary directory, with both engine builds.
    fn scratch_www(name: &str) -> PathBuf {
        let www = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&www);
        let files: [(&str, &[u8]); 15] = [
            ("js/main.js", b"import './pins.js';\n"),
            ("js/pins.js", b""),
            ("js/worker.js", b"// not a page module\n"),
            (
                "index.html",
                b"<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'self' 'wasm-unsafe-eval'\">\n\
                  <!-- integrity:begin --><!-- integrity:end -->\n",
            ),
            ("_headers", b"/*\n  Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'\n"),
            (MODEL, b"a model"),
            (DEPLOYMENT, b"{}"),
            ("pkg/credit_scorer.js", b"glue"),
            ("pkg/credit_scorer_bg.wasm", b"\0asm scalar"),
            ("pkg/simd/credit_scorer.js", b"glue"),
            ("pkg/simd/credit_scorer_bg.wasm", b"\0asm simd"),
            ("pkg/lite/credit_scorer.js", b"lite glue"),
            ("pkg/lite/credit_scorer_bg.wasm", b"\0asm lite scalar"),
            ("pkg/lite/simd/credit_scorer.js", b"lite glue"),
            ("pkg/lite/simd/credit_scorer_bg.wasm", b"\0asm lite simd"),
        ];
        for (rel, bytes) in files {
            let path = www.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }
        www
    }

    #[test]
    fn engine_pins_are_written_and_read_back() {
        let www = scratch_www("engine-pins");
        update(&www, Pins::Write).unwrap();
        let built = EnginePins::built(&www).unwrap();
        assert_eq!(EnginePins::committed(&www).unwrap(), built);
        assert_eq!(built.0[1], sha384(b"\0asm simd"));
        let pins = fs::read_to_string(www.join("js/pins.js")).unwrap();
        assert!(pins.contains(&format!(
            "  simd: '{}', // pkg/simd/credit_scorer_bg.wasm\n",
            sha384(b"\0asm simd")
        )));
        // The service worker keeps both pinned builds, never the debug engine.
        fs::create_dir_all(www.join("pkg/debug")).unwrap();
        fs::write(www.join("pkg/debug/credit_scorer_bg.wasm"), b"debug").unwrap();
        update(&www, Pins::Write).unwrap();
        let manifest = fs::read_to_string(www.join("pkg/sw-manifest.js")).unwrap();
        for (_, file) in PINNED_ENGINES {
            assert!(manifest.contains(&format!("path: '{file}'")), "{file}");
        }
        assert!(pins.contains(&format!(
            "  liteSimd: '{}', // pkg/lite/simd/credit_scorer_bg.wasm\n",
            sha384(b"\0asm lite simd")
        )));
        assert!(!manifest.contains("debug"));
        // Only the app and the lite engine are cached before ready; the full engine later.
        for (file, group) in [
            ("js/main.js", "app"),
            ("models/german-credit-mlp.onnx", "app"),
            ("pkg/lite/simd/credit_scorer_bg.wasm", "liteSimd"),
            ("pkg/lite/credit_scorer.js", "liteScalar"),
            ("pkg/simd/credit_scorer_bg.wasm", "simd"),
            ("pkg/credit_scorer_bg.wasm", "scalar"),
        ] {
            assert!(
                manifest.contains(&format!(
                    "path: '{file}', integrity: '{}', group: '{group}' }}",
                    sha384(&fs::read(www.join(file)).unwrap())
                )),
                "{file} in {group}: {manifest}"
            );
        }
        assert_eq!(offline_group("icons/icon-512.png"), "later");
        assert_eq!(offline_group("js/recourse.js"), "idle");
        assert_eq!(offline_group("js/worker/file-batch.js"), "idle");
        assert_eq!(offline_group("js/worker/engine-worker.js"), "app");
        assert_eq!(offline_group("pkg/sw-manifest.js"), "app");
        // The lender's deployment file is pinned and kept offline like the model.
        assert!(pins.contains(&format!(
            "export const DEPLOYMENT_INTEGRITY = '{}';\n",
            sha384(b"{}")
        )));
        assert!(manifest.contains("path: 'deployment.json'"));
        fs::remove_dir_all(&www).unwrap();
    }

    /// What CI does: a wasm that differs from the committed pin fails the build, saying what to
    /// do, and no committed file is touched.
    #[test]
    fn check_mode_refuses_a_changed_engine_without_rewriting() {
        let www = scratch_www("check-mode");
        update(&www, Pins::Write).unwrap();
        update(&www, Pins::Check).expect("current pins pass the check");
        let pins_before = fs::read_to_string(www.join("js/pins.js")).unwrap();
        let html_before = fs::read_to_string(www.join("index.html")).unwrap();

        fs::write(
            www.join("pkg/simd/credit_scorer_bg.wasm"),
            b"\0asm simd, rebuilt",
        )
        .unwrap();
        let err = update(&www, Pins::Check).unwrap_err().to_string();
        assert!(
            err.contains("www/pkg/simd/credit_scorer_bg.wasm: built sha384-"),
            "{err}"
        );
        assert!(
            !err.contains("www/pkg/credit_scorer_bg.wasm"),
            "the scalar build still matches: {err}"
        );
        assert!(
            err.contains("run `cargo xtask build`") || err.contains("Run `cargo xtask build`"),
            "{err}"
        );
        assert!(err.contains("rust-toolchain.toml"), "{err}");
        assert_eq!(
            fs::read_to_string(www.join("js/pins.js")).unwrap(),
            pins_before
        );
        assert_eq!(
            fs::read_to_string(www.join("index.html")).unwrap(),
            html_before
        );

        // A developer's build rewrites them.
        update(&www, Pins::Write).unwrap();
        assert_eq!(
            EnginePins::committed(&www).unwrap(),
            EnginePins::built(&www).unwrap()
        );
        update(&www, Pins::Check).unwrap();
        fs::remove_dir_all(&www).unwrap();
    }

    /// The committed hashes match the committed files: run `cargo xtask build` after changing a
    /// page module or the reference model. (The engine pins are checked against the built wasm by
    /// `cargo xtask build` itself, in CI without rewriting them: this test runs before any build.)
    #[test]
    fn committed_integrity_is_current() {
        let www = crate::util::root().join("www");
        let engines = EnginePins::committed(&www).expect("js/pins.js pins both engine builds");
        for (path, want) in expected(&www, &engines).expect("the pins can be computed") {
            let have = fs::read_to_string(&path).expect("the file exists");
            assert!(
                have == want,
                "{} has stale integrity hashes: run `cargo xtask build` and commit the result",
                path.display()
            );
        }
    }
}
