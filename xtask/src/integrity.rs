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

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha384};

use crate::util::Result;

pub const BEGIN: &str = "<!-- integrity:begin";
pub const END: &str = "<!-- integrity:end -->";
const SCRIPT_SRC: &str = "script-src 'self' 'wasm-unsafe-eval'";
const MODEL: &str = "models/german-credit-mlp.onnx";
/// The example lender page, whose `<credit-score-form>` loads the reference model with its pin.
const EXAMPLE: &str = "examples/index.html";
/// The lender's deployment file (creditor, notice texts): edited per deployment, pinned like the model.
const DEPLOYMENT: &str = "deployment.json";
/// Page modules that are not part of the page's module graph (import maps do not reach workers).
const NOT_PAGE_MODULES: [&str; 1] = ["worker.js"];

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

/// The page modules, sorted: `js/*.js` without the worker.
fn page_modules(www: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(www.join("js"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".js") && !NOT_PAGE_MODULES.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The engine builds the page pins: their name in `ENGINE_INTEGRITY` (the worker's variant) and
/// their wasm under `www/`. The test-only debug engine (`pkg/debug/`) is deliberately not here.
pub const PINNED_ENGINES: [(&str, &str); 4] = [
    ("scalar", "pkg/credit_scorer_bg.wasm"),
    ("simd", "pkg/simd/credit_scorer_bg.wasm"),
    ("liteScalar", "pkg/lite/credit_scorer_bg.wasm"),
    ("liteSimd", "pkg/lite/simd/credit_scorer_bg.wasm"),
];

/// The SHA-384 SRI value of each pinned engine build, in [`PINNED_ENGINES`] order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnginePins(Vec<String>);

impl EnginePins {
    /// The hashes of the engine builds in `www/pkg/`.
    pub fn built(www: &Path) -> Result<EnginePins> {
        let mut hashes = Vec::new();
        for (_, file) in PINNED_ENGINES {
            hashes
                .push(sha384(&read(&www.join(file)).map_err(|e| {
                    format!("{e} (build it with `cargo xtask build`)")
                })?));
        }
        Ok(EnginePins(hashes))
    }

    /// The hashes the committed `www/js/pins.js` holds.
    pub fn committed(www: &Path) -> Result<EnginePins> {
        let path = www.join("js/pins.js");
        let pins = read_text(&path)?;
        let mut hashes = Vec::new();
        for (name, _) in PINNED_ENGINES {
            let key = format!("\n  {name}: '");
            let hash = pins
                .find(&key)
                .map(|at| &pins[at + key.len()..])
                .and_then(|rest| rest.split_once('\''))
                .map(|(hash, _)| hash.to_string())
                .filter(|hash| hash.starts_with("sha384-"))
                .ok_or_else(|| {
                    format!(
                        "{} pins no `{name}` engine: run `cargo xtask build` and commit the result",
                        path.display()
                    )
                })?;
            hashes.push(hash);
        }
        Ok(EnginePins(hashes))
    }

    /// (name, file, hash) for each pinned build.
    fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
        PINNED_ENGINES
            .iter()
            .zip(&self.0)
            .map(|(&(name, file), hash)| (name, file, hash.as_str()))
    }
}

fn pins_js(www: &Path, engines: &EnginePins) -> Result<String> {
    let model = read(&www.join(MODEL))?;
    let deployment = read(&www.join(DEPLOYMENT))?;
    let hex: String = Sha256::digest(&model)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let engine_lines: String = engines
        .iter()
        .map(|(name, file, hash)| format!("  {name}: '{hash}', // {file}\n"))
        .collect();
    Ok(format!(
        "// Written by `cargo xtask build`; do not edit. This module is itself pinned by the import map\n\
         // in index.html (see SECURITY.md).\n\
         \n\
         // The reference model: the page fetches it with `integrity`, so a different file is refused.\n\
         export const REFERENCE_MODEL_INTEGRITY = '{}';\n\
         export const REFERENCE_MODEL_SHA256 = '{hex}';\n\
         \n\
         // The lender's deployment file (creditor and notice texts): fetched with `integrity` too, so\n\
         // after editing it run `cargo xtask build` and deploy the new pins with it.\n\
         export const DEPLOYMENT_INTEGRITY = '{}';\n\
         \n\
         // The engine builds, from a byte-reproducible release build (rust-toolchain.toml, Cargo.lock):\n\
         // the page hands these to the Worker, which fetches the wasm it runs with `integrity`, so a\n\
         // different wasm is refused before any of it runs.\n\
         export const ENGINE_INTEGRITY = Object.freeze({{\n\
         {engine_lines}\
         }});\n",
        sha256(&model),
        sha384(&deployment)
    ))
}

/// The generated block of index.html and the import map's text (for its CSP hash).
/// `pins` is the content pins.js will have.
fn html_block(www: &Path, pins: &str) -> Result<(String, String)> {
    let mut entries = Vec::new();
    let mut main = None;
    for name in page_modules(www)? {
        let hash = if name == "pins.js" {
            sha384(pins.as_bytes())
        } else {
            sha384(&read(&www.join("js").join(&name))?)
        };
        if name == "main.js" {
            main = Some(hash.clone());
        }
        entries.push(format!("\"./js/{name}\":\"{hash}\""));
    }
    let main = main.ok_or("www/js/main.js is missing")?;
    let importmap = format!("{{\"integrity\":{{{}}}}}", entries.join(","));
    let block = format!(
        "{BEGIN} (written by `cargo xtask build`: SHA-384 of every page module; see SECURITY.md) -->\n  \
         <script type=\"importmap\">{importmap}</script>\n  \
         <script type=\"module\" src=\"js/main.js\" integrity=\"{main}\"></script>\n  \
         {END}"
    );
    Ok((block, importmap))
}

/// `text` with every `script-src 'self' 'wasm-unsafe-eval'` followed by exactly `hash`.
fn with_script_hash(text: &str, hash: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(at) = rest.find(SCRIPT_SRC) {
        let end = at + SCRIPT_SRC.len();
        out.push_str(&rest[..end]);
        rest = &rest[end..];
        // Drop the hashes a previous build wrote.
        while let Some(after) = rest.strip_prefix(" 'sha256-") {
            match after.find('\'') {
                Some(q) => rest = &after[q + 1..],
                None => break,
            }
        }
        out.push_str(&format!(" '{hash}'"));
    }
    out.push_str(rest);
    out
}

/// What the committed files must contain, given the engine pins: (path, expected content).
pub fn expected(www: &Path, engines: &EnginePins) -> Result<Vec<(PathBuf, String)>> {
    let pins = pins_js(www, engines)?;
    let (block, importmap) = html_block(www, &pins)?;
    let csp_hash = sha256(importmap.as_bytes());

    let html_path = www.join("index.html");
    let html = read_text(&html_path)?;
    let begin = html
        .find(BEGIN)
        .ok_or("www/index.html has no `<!-- integrity:begin` marker")?;
    let end = html[begin..]
        .find(END)
        .ok_or("www/index.html has no `<!-- integrity:end -->` marker")?
        + begin
        + END.len();
    let html = format!("{}{block}{}", &html[..begin], &html[end..]);
    let html = with_script_hash(&html, &csp_hash);

    let headers_path = www.join("_headers");
    let headers = with_script_hash(&read_text(&headers_path)?, &csp_hash);

    let mut files = vec![
        (www.join("js/pins.js"), pins),
        (html_path, html),
        (headers_path, headers),
    ];
    let example = www.join(EXAMPLE);
    if example.exists() {
        let model = sha256(&read(&www.join(MODEL))?);
        files.push((
            example.clone(),
            with_model_integrity(&read_text(&example)?, &model),
        ));
    }
    Ok(files)
}

/// `html` with every `model-integrity="…"` attribute set to `hash` (the example page's element).
fn with_model_integrity(html: &str, hash: &str) -> String {
    const ATTR: &str = "model-integrity=\"";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(ATTR) {
        let start = at + ATTR.len();
        out.push_str(&rest[..start]);
        out.push_str(hash);
        rest = &rest[start..];
        rest = rest.find('"').map_or("", |q| &rest[q..]);
    }
    out.push_str(rest);
    out
}

/// The build output the page loads: both engines (lite and full), each as SIMD and the scalar
/// fallback. The service worker caches the lite build the browser runs before the page is
/// ready, the full engine of that variant once the page is idle (or when a model first needs
/// it), and the other variant only when a page asks for it (see [`offline_group`]).
pub const ENGINE_FILES: [&str; 8] = [
    "pkg/credit_scorer.js",
    "pkg/credit_scorer_bg.wasm",
    "pkg/simd/credit_scorer.js",
    "pkg/simd/credit_scorer_bg.wasm",
    "pkg/lite/credit_scorer.js",
    "pkg/lite/credit_scorer_bg.wasm",
    "pkg/lite/simd/credit_scorer.js",
    "pkg/lite/simd/credit_scorer_bg.wasm",
];

/// Every file the service worker keeps, relative to www/, sorted ("./" is index.html).
fn offline_files(www: &Path) -> Result<Vec<String>> {
    fn walk(dir: &Path, www: &Path, out: &mut Vec<String>) -> Result {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let rel = path.strip_prefix(www)?.to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                walk(&path, www, out)?;
            } else if !(rel == "_headers"
                || rel == "sw.js"
                || rel.starts_with('.')
                || rel.ends_with(".d.ts")
                // The test and benchmark probes: the app never loads them.
                || rel.starts_with("js/worker/probe")
                // The library and its example page are for other pages, not part of the app.
                || rel.starts_with("lib/")
                || rel.starts_with("examples/")
                || (rel.starts_with("pkg/") && !ENGINE_FILES.contains(&rel.as_str())))
            {
                out.push(rel);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(www, www, &mut files)?;
    files.sort();
    Ok(files)
}

/// What the page loads only after it says it is ready (js/main.js imports the panels' modules
/// then; the engine Worker imports the batch's on first use): not needed to score an applicant,
/// so not part of a first visit's download before ready (docs/BENCHMARKS.md, *First visit*).
const AFTER_READY: [&str; 15] = [
    "deployment.json",
    "js/batch.js",
    "js/decision-record.js",
    "js/decision.js",
    "js/deployment.js",
    "js/governance.js",
    "js/i18n-later.js",
    "js/i18n-zh.js",
    "js/notice.js",
    "js/record.js",
    "js/recourse.js",
    "js/worker/decode.js",
    "js/worker/file-batch.js",
    "js/worker/helper-worker.js",
    "manifest.webmanifest",
];

/// When the service worker caches a file (the manifest's `group`; sw.js decides by it):
/// - `app`: at install, before the page says it is ready (the page, the modules it needs to
///   score, the model);
/// - `liteSimd` / `liteScalar`: at install, the one the browser runs (its SIMD probe);
/// - `idle` ([`AFTER_READY`]): once the page is ready and idle, also when the browser asks to
///   save data (they are the app's own small files: offline use needs them);
/// - `simd` / `scalar` (the full engine) and `later` (the install icons): the full engine of the
///   browser's variant and the icons once the page is ready and idle (not when the browser asks
///   to save data); any of them, and the other variant, also when a page first requests it.
fn offline_group(rel: &str) -> &'static str {
    if let Some(engine) = rel.strip_prefix("pkg/") {
        match engine.split_once('/') {
            Some(("lite", rest)) if rest.starts_with("simd/") => "liteSimd",
            Some(("lite", _)) => "liteScalar",
            Some(("simd", _)) => "simd",
            Some(_) => "later",
            None if ENGINE_FILES.contains(&rel) => "scalar",
            None => "app", // sw-manifest.js
        }
    } else if rel.starts_with("icons/") {
        "later"
    } else if AFTER_READY.contains(&rel) {
        "idle"
    } else {
        "app"
    }
}

/// What [`update`] may do with the committed files.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pins {
    /// Rewrite the stale ones (a developer's build).
    Write,
    /// Fail on a stale one (CI: what is tested must be what is committed).
    Check,
}

/// Why the built engine differs from the committed pin, for the error message.
fn engine_mismatch(built: &EnginePins, committed: &EnginePins) -> String {
    let mut lines = Vec::new();
    for ((_, file, have), (_, _, want)) in built.iter().zip(committed.iter()) {
        if have != want {
            lines.push(format!(
                "  www/{file}: built {have}, js/pins.js pins {want}"
            ));
        }
    }
    lines.join("\n")
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
    let mut entries = Vec::new();
    let mut all = String::new();
    for rel in offline_files(www)? {
        let hash = sha384(&read(&www.join(&rel))?);
        let group = offline_group(&rel);
        if rel == "index.html" {
            entries.push(format!(
                "  {{ path: './', integrity: '{hash}', group: '{group}' }},"
            ));
        }
        entries.push(format!(
            "  {{ path: '{rel}', integrity: '{hash}', group: '{group}' }},"
        ));
        all.push_str(&format!("{rel} {hash}\n"));
    }
    let version: String = Sha256::digest(all.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = format!(
        "// Written by `cargo xtask build`: the files the service worker (sw.js) keeps for offline use,\n\
         // each with its SHA-384 and the group that says when it is cached (xtask/src/integrity.rs).\n\
         export const VERSION = '{version}';\n\
         export const FILES = [\n{}\n];\n",
        entries.join("\n")
    );
    fs::write(www.join("pkg/sw-manifest.js"), manifest)?;
    println!("offline cache version {version}");
    Ok(())
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn example_page_gets_the_model_pin() {
        assert_eq!(
            with_model_integrity(
                r#"<x model="m" model-integrity="sha256-old="></x><y model-integrity="">"#,
                "sha256-new="
            ),
            r#"<x model="m" model-integrity="sha256-new="></x><y model-integrity="sha256-new=">"#
        );
    }

    #[test]
    fn script_hash_replaces_the_previous_one() {
        let csp = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-old='; style-src 'self'";
        assert_eq!(
            with_script_hash(csp, "sha256-new="),
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-new='; style-src 'self'"
        );
        let bare = "script-src 'self' 'wasm-unsafe-eval'; x";
        assert_eq!(
            with_script_hash(bare, "sha256-a="),
            "script-src 'self' 'wasm-unsafe-eval' 'sha256-a='; x"
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
