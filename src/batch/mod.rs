//! Batch scoring of CSV files, streaming: bytes are pushed in, scored CSV comes out, and memory
//! stays bounded by one chunk of rows whatever the file's size.
//!
//! The pipeline has two stages so that the command line can run the second on several cores:
//!
//! 1. [`Parser`] (sequential) turns pushed bytes into [`Chunk`]s of raw records, with the line
//!    number where each record starts. It maps the header to the schema's features, accepts a
//!    UTF-8 BOM, CRLF or LF, quoted fields with commas and newlines, and counts blank lines.
//! 2. [`score_chunk`] (independent per chunk) validates each record (plain numbers by
//!    [`crate::validate::CellValidator`], anything else by [`crate::validate::validate_value`]),
//!    scores the valid ones in one model run, finds their reasons and writes the output CSV: the
//!    input columns, then `pd`, `points`, `band`, `reason_1` … `reason_4` and `error`. A refused
//!    row keeps its place with its error and no score. [`score_chunk_into`] does the same into a
//!    caller's buffer with a [`Scratch`] reused across chunks, so a valid row allocates nothing;
//!    [`score_chunk_rows`] hands each row's values instead of text (the Python bindings build
//!    Arrow columns from them, with records made by [`Chunk::push_fields`], not parsed).
//!
//! [`BatchJob`] glues the two for the page (on one Worker, or handing chunks as bytes to
//! [`ChunkScorer`]s in helper Workers); [`Ordered`] puts results that come back in any order into
//! input order, for the page's Workers and the command line's threads alike; [`Summary`] accounts
//! for every row (`rows_in = scored + refused`) and every blank line, as data (the command line
//! writes it as text).
//!
//! One file per job: `read` (csv-core records and chunks), `header` (the header mapping),
//! `score_chunk` (validation, scoring, reasons), `write` (CSV fields and numbers),
//! `summary`, `ordered`, `job` ([`BatchJob`]) and `wire` (the bytes between Workers).
//!
//! **Reasons.** Each valid row is explained by [`crate::Scorer::contributions_into`], the code
//! [`crate::Scorer::assess`] runs for the page and `credit-scorer assess`: Shapley values against
//! the schema's baseline applicant on the log-odds ([`crate::explain`]: TreeSHAP for a sum of
//! trees, exact for up to 12 features, per hidden unit for a one-hidden-layer network, sampled
//! above 12). The four features that cost the most points (negative contribution, worst first,
//! ranked by [`crate::explain::rank_reasons`]) are written as `reason_1` … `reason_4`, by their
//! schema **names** (the CSV's column names: language-neutral and easy to join on; the page and
//! the schema map them to texts). So a row's reasons are the ones `assess` gives the same
//! applicant. [`Summary::reasons_method`] names the method; with
//! [`BatchOptions::contributions`] every contribution follows in its own column.

mod header;
mod job;
mod ordered;
mod read;
mod score_chunk;
mod summary;
mod wire;
mod write;

pub use header::{Columns, map_header};
pub use job::BatchJob;
pub use ordered::Ordered;
pub use read::{Chunk, DELIMITERS, Parser, delimiter_name, detect_delimiter};
pub use score_chunk::{
    RowResult, ScoredChunk, Scratch, Tally, score_chunk, score_chunk_into, score_chunk_rows,
};
pub use summary::{BandCount, Histogram, Summary};
pub use wire::ChunkScorer;
pub use write::{one_decimal_value, output_columns, output_header, output_header_with};

use crate::error::{Error, ErrorKind};
pub use crate::validate::Decimal;

/// Rows validated and scored per model run.
pub const CHUNK_ROWS: usize = 1024;
/// Longest record accepted, in bytes: longer ones are almost always an unclosed quote. Room for
/// long free text in columns the model does not use (copied through unchanged).
pub const MAX_RECORD_BYTES: usize = 16 << 20;
/// Longest field the model reads, in bytes: a longer one is almost always an unclosed quote.
pub const MAX_FEATURE_FIELD_BYTES: usize = 1 << 20;
/// A chunk is cut once its records hold this many bytes, even before [`CHUNK_ROWS`] rows: long
/// pass-through fields then cost memory in proportion to the bytes, not to the rows.
pub const MAX_CHUNK_BYTES: usize = 16 << 20;
/// Most fields a record may have.
pub const MAX_FIELDS: usize = 4096;
/// Most line numbers listed in a summary (the counts stay exact).
pub const MAX_LISTED: usize = 1000;
/// Most example error messages kept in a summary.
pub const MAX_EXAMPLES: usize = 20;
/// Number of bins of the points histogram, between the schema's `min_points` and `max_points`.
pub const HISTOGRAM_BINS: usize = 22;
/// The columns appended to each input row.
pub const OUTPUT_COLUMNS: [&str; 8] = [
    "pd", "points", "band", "reason_1", "reason_2", "reason_3", "reason_4", "error",
];

/// How a batch is scored.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Rows per model run.
    pub chunk_rows: usize,
    /// Whether to compute `reason_1` … `reason_4` (each row's Shapley values, as
    /// [`crate::Scorer::assess`] gives them).
    pub reasons: bool,
    /// Whether to append one `contribution_<feature>` column per feature: the contribution in
    /// points at full precision (see [`output_header_with`]).
    pub contributions: bool,
    /// The byte between columns: `,` `;` tab or `|`; `None`: found from the header line
    /// ([`Parser::delimiter`] tells which).
    pub delimiter: Option<u8>,
    /// How numbers write their decimal separator.
    pub decimal: Decimal,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            chunk_rows: CHUNK_ROWS,
            reasons: true,
            contributions: false,
            delimiter: None,
            decimal: Decimal::Point,
        }
    }
}

fn csv_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Csv, message)
}

/// `1204` as `1,204`, as line numbers are written in messages.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
