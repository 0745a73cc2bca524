//! The service worker's manifest (`www/pkg/sw-manifest.js`, build output): every file it keeps,
//! with its SHA-384, the group that says when it is cached, and a VERSION derived from them all.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{read, sha384};
use crate::util::Result;

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
pub(super) fn offline_group(rel: &str) -> &'static str {
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

/// Writes `www/pkg/sw-manifest.js` for the files now in `www`.
pub(super) fn write_manifest(www: &Path) -> Result {
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
         // each with its SHA-384 and the group that says when it is cached (xtask/src/integrity/offline.rs).\n\
         export const VERSION = '{version}';\n\
         export const FILES = [\n{}\n];\n",
        entries.join("\n")
    );
    fs::write(www.join("pkg/sw-manifest.js"), manifest)?;
    println!("offline cache version {version}");
    Ok(())
}
