//! `cargo xtask pack [--out DIR]`: the library (`www/lib/`) as an npm package tarball, from
//! www/ as last built (no wasm build; run `cargo xtask build` first). The package holds the
//! library and the element with their type declarations, the app modules they import, the
//! engine Worker's modules and the four pinned engine builds, in the same relative layout as
//! www/, so the library finds its Worker and engines beside itself. `npm pack` makes the
//! tarball (the `npm pack` layout, `package/…`); nothing is published.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::integrity::{self, ENGINE_FILES};
use crate::util::{Result, root, run, step, target_dir};

/// The package's files besides the engine builds, relative to www/ (what the library imports,
/// and the Workers' scripts; the e2e test loads every one from the installed package).
const FILES: [&str; 25] = [
    "lib/credit-scorer.js",
    "lib/credit-scorer.d.ts",
    "lib/credit-score-form.js",
    "lib/credit-score-form.d.ts",
    "lib/credit-score-form.css.js",
    "js/engine.js",
    "js/channel.js",
    "js/trusted.js",
    "js/pins.js",
    "js/form.js",
    "js/result.js",
    "js/dom.js",
    "js/i18n.js",
    // Imported by i18n.js: the Chinese table, and the later panels' English strings.
    "js/i18n-zh.js",
    "js/i18n-later.js",
    "js/worker/engine-worker.js",
    "js/worker/engine-loader.js",
    "js/worker/file-batch.js",
    "js/worker/helper-worker.js",
    "js/worker/decode.js",
    "examples/index.html",
    "examples/example.js",
    "examples/example.css",
    "examples/icon.svg",
    "models/german-credit-mlp.onnx",
];

/// The crate's version (the package's), from Cargo.toml's `[package]`.
fn crate_version() -> Result<String> {
    let toml = fs::read_to_string(root().join("Cargo.toml"))?;
    toml.lines()
        .find_map(|l| l.strip_prefix("version = \"")?.strip_suffix('"'))
        .map(String::from)
        .ok_or_else(|| "no version in Cargo.toml".into())
}

/// The package.json of the tarball.
fn package_json(version: &str) -> String {
    let manifest = json!({
        "name": "credit-scorer",
        "version": version,
        "description": "Scores loan applicants with an ONNX credit-risk model inside the browser: a library and a <credit-score-form> element.",
        "license": "MIT OR Apache-2.0",
        "type": "module",
        "types": "./lib/credit-scorer.d.ts",
        "exports": {
            ".": { "types": "./lib/credit-scorer.d.ts", "default": "./lib/credit-scorer.js" },
            "./form": { "types": "./lib/credit-score-form.d.ts", "default": "./lib/credit-score-form.js" },
            "./package.json": "./package.json"
        },
        "sideEffects": ["./lib/credit-score-form.js"],
        "files": ["lib/", "js/", "pkg/", "examples/", "models/", "README.md"]
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&manifest).unwrap_or_default()
    )
}

const README: &str = "# credit-scorer\n\n\
Scores loan applicants with an ONNX credit-risk model inside the browser (WebAssembly in a\n\
module Worker): nothing the applicant types leaves the page.\n\n\
```js\n\
import { createScorer } from 'credit-scorer'; // or ./node_modules/credit-scorer/lib/credit-scorer.js\n\
const scorer = createScorer();                // the engine builds beside the library, with their pins\n\
await scorer.load(new URL('model.onnx', location.href));\n\
const { pd, points, band, reasons } = await scorer.score({ duration_months: '24' /* … */ });\n\
scorer.close();\n\
```\n\n\
Or the element: `import 'credit-scorer/form'` and\n\
`<credit-score-form model=\"model.onnx\" model-integrity=\"sha256-…\" lang=\"en\"></credit-score-form>`.\n\
Serve the package from the page's own origin (Workers are same-origin). The CSP a page needs,\n\
the events and the styling: the project's README, \"Embedding\"; the types: `lib/*.d.ts`;\n\
a complete page: `examples/`.\n";

/// Copies the package's files from `www` into `stage`.
fn stage_files(www: &Path, stage: &Path) -> Result {
    for rel in FILES.iter().chain(ENGINE_FILES.iter()) {
        let from = www.join(rel);
        let to = stage.join(rel);
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::copy(&from, &to).map_err(|e| {
            format!(
                "cannot copy {} into the package: {e} (run `cargo xtask build` first)",
                from.display()
            )
        })?;
    }
    Ok(())
}

/// Packs the library into `out` (default `$CARGO_TARGET_DIR/dist/`); returns the tarball's path.
pub fn pack(out: Option<PathBuf>) -> Result<PathBuf> {
    let www = root().join("www");
    let out = out.unwrap_or_else(|| target_dir().join("dist"));
    // The package's pins must be those of the engines it ships.
    step("integrity pins", || {
        integrity::update(&www, integrity::Pins::Write)
    })?;
    step("npm package", || {
        let version = crate_version()?;
        let stage = target_dir().join("pack-stage");
        if stage.exists() {
            fs::remove_dir_all(&stage)?;
        }
        fs::create_dir_all(&stage)?;
        stage_files(&www, &stage)?;
        fs::write(stage.join("package.json"), package_json(&version))?;
        fs::write(stage.join("README.md"), README)?;
        fs::create_dir_all(&out)?;
        let out = fs::canonicalize(&out)?;
        run(Command::new("npm")
            .args([
                "pack",
                "--ignore-scripts",
                "--offline",
                "--pack-destination",
            ])
            .arg(&out)
            .current_dir(&stage))?;
        let tarball = out.join(format!("credit-scorer-{version}.tgz"));
        if !tarball.exists() {
            return Err(format!("npm pack did not write {}", tarball.display()).into());
        }
        println!("{}", tarball.display());
        Ok(tarball)
    })
}

/// `pack [--out DIR]`.
pub fn run_command(args: &[String]) -> Result {
    let mut out = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(it.next().ok_or("--out needs a directory")?)),
            other => return Err(format!("pack: unknown argument `{other}`").into()),
        }
    }
    pack(out).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_has_exports_and_types() {
        let v: serde_json::Value = serde_json::from_str(&package_json("1.2.3")).unwrap();
        assert_eq!(v["name"], "credit-scorer");
        assert_eq!(v["version"], "1.2.3");
        assert_eq!(v["types"], "./lib/credit-scorer.d.ts");
        assert_eq!(v["exports"]["."]["default"], "./lib/credit-scorer.js");
        assert_eq!(
            v["exports"]["./form"]["types"],
            "./lib/credit-score-form.d.ts"
        );
    }

    #[test]
    fn every_listed_file_exists() {
        let www = root().join("www");
        for rel in FILES {
            assert!(www.join(rel).is_file(), "www/{rel}");
        }
    }
}
