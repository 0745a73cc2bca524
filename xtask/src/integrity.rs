//! Subresource Integrity and the offline manifest, written by `cargo xtask build`.
//!
//! Committed files (they change only when the files they pin change; a native test below fails
//! when one is stale):
//! - `www/js/pins.js`: the reference model's SHA-256, which the page passes to `fetch(…, { integrity })`.
//! - `www/index.html`, between `<!-- integrity:begin` and `<!-- integrity:end -->`: an import map
//!   whose `integrity` map pins every page module (`www/js/*.js` except the worker) and the
//!   `<script type="module">` that starts the page, with its own `integrity`.
//! - the CSP in `www/_headers` and the `<meta>` in `www/index.html`: `script-src` allows that
//!   inline import map by its SHA-256 (and nothing else inline).
//!
//! Build output (git-ignored, changes with every wasm build):
//! - `www/pkg/sw-manifest.js`: every file the service worker keeps, with its SHA-384, and a
//!   VERSION derived from all of them.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha384};

use crate::Result;

pub const BEGIN: &str = "<!-- integrity:begin";
pub const END: &str = "<!-- integrity:end -->";
const SCRIPT_SRC: &str = "script-src 'self' 'wasm-unsafe-eval'";
const MODEL: &str = "models/german-credit-mlp.onnx";
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

fn pins_js(www: &Path) -> Result<String> {
    let model = read(&www.join(MODEL))?;
    let hex: String = Sha256::digest(&model)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!(
        "// Written by `cargo xtask build`; do not edit. The reference model's SHA-256: the page fetches\n\
         // it with `integrity`, so a different file is refused. This module is itself pinned by the\n\
         // import map in index.html (see SECURITY.md).\n\
         export const REFERENCE_MODEL_INTEGRITY = '{}';\n\
         export const REFERENCE_MODEL_SHA256 = '{hex}';\n",
        sha256(&model)
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

/// What the committed files must contain: (path, expected content).
pub fn expected(www: &Path) -> Result<Vec<(PathBuf, String)>> {
    let pins = pins_js(www)?;
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

    Ok(vec![
        (www.join("js/pins.js"), pins),
        (html_path, html),
        (headers_path, headers),
    ])
}

/// The build output the page loads: both engine variants (SIMD and the scalar fallback).
const ENGINE_FILES: [&str; 4] = [
    "pkg/credit_scorer.js",
    "pkg/credit_scorer_bg.wasm",
    "pkg/simd/credit_scorer.js",
    "pkg/simd/credit_scorer_bg.wasm",
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

/// Writes the committed pins (when they changed) and the service worker's manifest.
pub fn update(www: &Path) -> Result {
    for (path, content) in expected(www)? {
        if read_text(&path).ok().as_deref() != Some(content.as_str()) {
            fs::write(&path, &content)?;
            println!("updated {}", path.display());
        }
    }
    let mut entries = Vec::new();
    let mut all = String::new();
    for rel in offline_files(www)? {
        let hash = sha384(&read(&www.join(&rel))?);
        if rel == "index.html" {
            entries.push(format!("  {{ path: './', integrity: '{hash}' }},"));
        }
        entries.push(format!("  {{ path: '{rel}', integrity: '{hash}' }},"));
        all.push_str(&format!("{rel} {hash}\n"));
    }
    let version: String = Sha256::digest(all.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = format!(
        "// Written by `cargo xtask build`: the files the service worker (sw.js) keeps for offline use.\n\
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

    /// The committed hashes match the committed files: run `cargo xtask build` after changing a
    /// page module or the reference model.
    #[test]
    fn committed_integrity_is_current() {
        let www = crate::root().join("www");
        for (path, want) in expected(&www).expect("the pins can be computed") {
            let have = fs::read_to_string(&path).expect("the file exists");
            assert!(
                have == want,
                "{} has stale integrity hashes: run `cargo xtask build` and commit the result",
                path.display()
            );
        }
    }
}
