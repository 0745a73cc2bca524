//! `--summary out.json`: the summary as data with its audit trail — the model (name, version,
//! SHA-256, engine), the tool's version, the times, and how the input was read and the output
//! written. The CSV and JSON Lines outputs stay plain rows (a comment line would break the
//! readers that consume them); this file is their audit trail. A Parquet output carries the
//! same tool, model and times in its key-value metadata (`score::audit_metadata`).

use std::time::SystemTime;

use credit_scorer::batch::Summary;
use credit_scorer::{Engine, Scorer};
use serde::Serialize;

/// The file `--summary` writes.
#[derive(Serialize)]
pub struct SummaryFile<'a> {
    /// Which program wrote it: `credit-scorer` and its version and engine.
    pub tool: Tool,
    pub model: ModelId,
    /// When scoring started and ended, RFC 3339 in UTC.
    pub started_at: String,
    pub finished_at: String,
    pub input: InputRead,
    pub output: OutputWritten,
    /// Rows in, scored and refused, bands, points histogram, drift and how reasons were found.
    pub summary: &'a Summary,
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
    /// `--version`'s text: the crate version and the engines this build has.
    pub build: &'static str,
}

/// The model that scored the rows.
#[derive(Serialize)]
pub struct ModelId {
    /// From the schema's `model` (empty when the model has none).
    pub name: String,
    pub version: String,
    /// Hex SHA-256 of the model file's bytes.
    pub sha256: String,
    /// `direct`, `trees` or `tract`.
    pub engine: &'static str,
}

impl ModelId {
    pub fn of(scorer: &Scorer) -> ModelId {
        let schema = scorer.schema();
        ModelId {
            name: schema.model.name.clone(),
            version: schema.model.version.clone(),
            sha256: scorer.model().sha256().to_string(),
            engine: match scorer.model().engine() {
                Engine::Direct => "direct",
                Engine::Trees => "trees",
                Engine::Tract => "tract",
            },
        }
    }
}

/// How the input was read.
#[derive(Serialize)]
pub struct InputRead {
    /// The path as given (`-`: stdin).
    pub path: String,
    /// encoding_rs's name: `UTF-8`, `GBK`, `UTF-16LE`, `windows-1252` …
    pub encoding: String,
    /// How the encoding was known: `byte_order_mark`, `option` or `utf8_text`.
    pub encoding_from: &'static str,
    /// `,` `;` `\t` or `|`.
    pub delimiter: Option<String>,
    /// `.` or `,`.
    pub decimal: &'static str,
}

/// Where the rows went.
#[derive(Serialize)]
pub struct OutputWritten {
    /// The path as given (`-` or none: stdout).
    pub path: String,
    /// `csv`, `jsonl` or `parquet`.
    pub format: &'static str,
    /// The input columns carried through (`all`, `none`, or their names).
    pub kept_columns: serde_json::Value,
}

/// `t` as RFC 3339 in UTC, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}
