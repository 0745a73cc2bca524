//! The SHA-384 pins of the engine builds the page runs: those of the wasm built here and those
//! the committed `www/js/pins.js` holds.

use std::path::Path;

use super::{read, read_text, sha384};
use crate::util::Result;

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
pub struct EnginePins(pub(super) Vec<String>);

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
    pub(super) fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
        PINNED_ENGINES
            .iter()
            .zip(&self.0)
            .map(|(&(name, file), hash)| (name, file, hash.as_str()))
    }
}

/// Why the built engine differs from the committed pin, for the error message.
pub(super) fn engine_mismatch(built: &EnginePins, committed: &EnginePins) -> String {
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
