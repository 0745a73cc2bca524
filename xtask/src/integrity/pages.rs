//! The committed page pins: `www/js/pins.js` (the reference model, the deployment file and the
//! engine builds), the import map in `www/index.html` pinning every page module, the CSP hash
//! that allows that import map (`www/index.html`, `www/_headers`), and the example page's model
//! pin.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::engines::EnginePins;
use super::{read, read_text, sha256, sha384};
use crate::util::Result;

pub const BEGIN: &str = "<!-- integrity:begin";
pub const END: &str = "<!-- integrity:end -->";
const SCRIPT_SRC: &str = "script-src 'self' 'wasm-unsafe-eval'";
pub(super) const MODEL: &str = "models/german-credit-mlp.onnx";
/// The example lender page, whose `<credit-score-form>` loads the reference model with its pin.
const EXAMPLE: &str = "examples/index.html";
/// The lender's deployment file (creditor, notice texts): edited per deployment, pinned like the model.
pub(super) const DEPLOYMENT: &str = "deployment.json";
/// Page modules that are not part of the page's module graph (import maps do not reach workers).
const NOT_PAGE_MODULES: [&str; 1] = ["worker.js"];

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
