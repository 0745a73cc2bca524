//! Batch scoring of CSV files, streaming: bytes are pushed in, scored CSV comes out, and memory
//! stays bounded by one chunk of rows whatever the file's size.
//!
//! The pipeline has two stages so that the command line can run the second on several cores:
//!
//! 1. [`Parser`] (sequential) turns pushed bytes into [`Chunk`]s of raw records, with the line
//!    number where each record starts. It maps the header to the schema's features, accepts a
//!    UTF-8 BOM, CRLF or LF, quoted fields with commas and newlines, and counts blank lines.
//! 2. [`score_chunk`] (independent per chunk) validates each record (plain numbers by
//!    [`validate::CellValidator`], anything else by [`validate::validate_value`]), scores the valid
//!    ones in one model run, finds their reasons and writes the output CSV: the input columns, then
//!    `pd`, `points`, `band`, `reason_1` … `reason_4` and `error`. A refused row keeps its place
//!    with its error and no score. [`score_chunk_into`] does the same into a caller's buffer with
//!    a [`Scratch`] reused across chunks, so a valid row allocates nothing.
//!
//! [`BatchJob`] glues the two for a single thread (the page); [`Summary`] accounts for every row
//! (`rows_in = scored + refused`) and every blank line.
//!
//! **Reasons.** The single-applicant explanation ([`crate::Scorer::assess`]) computes exact
//! Shapley values, which for the reference model's 10 features is one model run over 1,024
//! coalitions per applicant: about 1,000 times the cost of scoring it, far too slow for files.
//! A batch instead uses *leave-one-out against the baseline*: for each applicant and each feature
//! that differs from the schema's baseline, the points gained if that feature alone took its
//! baseline value. All these variants for a chunk go through the model in one run (at most
//! `k + 1` rows per applicant). The four features that cost the most points (negative
//! contribution, worst first) are written as `reason_1` … `reason_4`, by their schema **names**
//! (the CSV's column names: language-neutral and easy to join on; the page and the schema map them
//! to texts). For an additive model (a scorecard, the WoE logistic regression) leave-one-out equals
//! the Shapley value; for others it can order the reasons differently from the page's exact
//! explanation.

use std::ops::Range;

use serde::Serialize;

use crate::drift::{Drift, DriftReport};
use crate::error::{Error, ErrorKind, Result};
use crate::schema::Schema;
use crate::validate::{CellValidator, RawValue, validate_value};
use crate::{Prediction, REASON_COUNT, Scorer};

/// Rows validated and scored per model run.
pub const CHUNK_ROWS: usize = 1024;
/// Longest record accepted, in bytes: longer ones are almost always an unclosed quote.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
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
    /// Whether to compute `reason_1` … `reason_4` (about `k + 1` times the model work).
    pub reasons: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            chunk_rows: CHUNK_ROWS,
            reasons: true,
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

/// A header name compared case- and space-insensitively: `Credit Amount`, `credit_amount` and
/// `CREDIT-AMOUNT` are the same column.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// How the input's columns map to the model's features.
#[derive(Clone, Debug, Serialize)]
pub struct Columns {
    /// The input header, as read.
    pub header: Vec<String>,
    /// For each feature (schema order), the input column that holds it.
    pub column_of_feature: Vec<usize>,
    /// Input columns that are not features; they are copied to the output unchanged.
    pub ignored: Vec<String>,
}

/// Maps a header to the schema: each feature by its exact name, else by its name or source column
/// ignoring case, spaces, `_`, `-` and `.`. Refuses a header that lacks a feature or names one twice.
pub fn map_header(schema: &Schema, header: &[String]) -> Result<Columns> {
    let mut column_of_feature: Vec<Option<usize>> = vec![None; schema.features.len()];
    let mut used = vec![false; header.len()];
    // Exact names first, so a normalized match never steals an exact one.
    for exact in [true, false] {
        for (f, slot) in schema.features.iter().zip(column_of_feature.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            let wanted: Vec<String> = [Some(f.name.as_str()), f.source_column.as_deref()]
                .into_iter()
                .flatten()
                .map(normalize)
                .collect();
            let matches = |h: &String| {
                if exact {
                    h.trim() == f.name
                } else {
                    wanted.contains(&normalize(h))
                }
            };
            let hits: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(i, h)| !used.get(*i).copied().unwrap_or(true) && matches(h))
                .map(|(i, _)| i)
                .collect();
            match hits.as_slice() {
                [] => {}
                [one] => {
                    *slot = Some(*one);
                    if let Some(u) = used.get_mut(*one) {
                        *u = true;
                    }
                }
                many => {
                    let names: Vec<String> = many
                        .iter()
                        .filter_map(|&i| header.get(i))
                        .map(|h| format!("`{h}`"))
                        .collect();
                    return Err(csv_error(format!(
                        "columns {} all match feature `{}`; keep one",
                        names.join(", "),
                        f.name
                    )));
                }
            }
        }
    }
    let ignored: Vec<String> = header
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(h, _)| h.clone())
        .collect();
    let missing: Vec<&str> = schema
        .features
        .iter()
        .zip(&column_of_feature)
        .filter(|(_, c)| c.is_none())
        .map(|(f, _)| f.name.as_str())
        .collect();
    if !missing.is_empty() {
        let quote = |v: &[&str]| {
            v.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let extra: Vec<&str> = ignored.iter().map(String::as_str).collect();
        let extra_text = if extra.is_empty() {
            "there are no other columns".to_string()
        } else {
            format!("columns the model does not use: {}", quote(&extra))
        };
        return Err(csv_error(format!(
            "the CSV header lacks {} of the model's columns: missing {}; {extra_text}. \
             The first line must name every feature ({}); names match ignoring case and spaces",
            missing.len(),
            quote(&missing),
            schema.feature_list()
        )));
    }
    Ok(Columns {
        header: header.to_vec(),
        column_of_feature: column_of_feature.into_iter().flatten().collect(),
        ignored,
    })
}

/// The output header: the input's columns, then [`OUTPUT_COLUMNS`].
pub fn output_header(columns: &Columns) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for h in &columns.header {
        w.write_field(h).map_err(write_error)?;
    }
    for h in OUTPUT_COLUMNS {
        w.write_field(h).map_err(write_error)?;
    }
    w.write_record(std::iter::empty::<&[u8]>())
        .map_err(write_error)?;
    w.into_inner()
        .map_err(|e| csv_error(format!("cannot write the output: {e}")))
}

fn write_error(e: csv::Error) -> Error {
    csv_error(format!("cannot write the output: {e}"))
}

/// One raw record of a chunk.
#[derive(Clone, Debug)]
struct RawRecord {
    /// Line where the record starts (the header is line 1 unless blank lines precede it).
    line: u64,
    /// Its fields, as a range of [`Chunk::ends`].
    fields: Range<usize>,
}

/// Raw records waiting to be validated and scored.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    data: Vec<u8>,
    /// End offset in `data` of each field.
    ends: Vec<usize>,
    records: Vec<RawRecord>,
}

impl Chunk {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when the chunk holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn push(&mut self, line: u64, data: &[u8], ends: &[usize]) {
        let base = self.data.len();
        let start = self.ends.len();
        self.data.extend_from_slice(data);
        self.ends.extend(ends.iter().map(|e| base + e));
        self.records.push(RawRecord {
            line,
            fields: start..self.ends.len(),
        });
    }

    /// Empties the chunk, keeping its buffers for the next one.
    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.records.clear();
    }

    /// Where the record's first field starts in `data`.
    fn first_start(&self, r: &RawRecord) -> usize {
        match r.fields.start.checked_sub(1) {
            Some(prev) => self.ends.get(prev).copied().unwrap_or(0),
            None => 0,
        }
    }

    /// All the record's field bytes, back to back.
    fn record_bytes(&self, r: &RawRecord) -> &[u8] {
        let end = match r.fields.end.checked_sub(1) {
            Some(last) if r.fields.end > r.fields.start => {
                self.ends.get(last).copied().unwrap_or(0)
            }
            _ => return &[],
        };
        self.data.get(self.first_start(r)..end).unwrap_or(&[])
    }

    fn fields<'a>(&'a self, r: &RawRecord) -> Fields<'a> {
        Fields {
            data: &self.data,
            ends: self.ends.get(r.fields.clone()).unwrap_or(&[]).iter(),
            start: self.first_start(r),
        }
    }
}

/// The fields of one record of a chunk, in order.
struct Fields<'a> {
    data: &'a [u8],
    ends: std::slice::Iter<'a, usize>,
    start: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    // Called per field: the size-optimized wasm build would not inline it otherwise.
    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        let &end = self.ends.next()?;
        let field = self.data.get(self.start..end).unwrap_or(&[]);
        self.start = end;
        Some(field)
    }
}

/// Where the parser stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Waiting for the first bytes (to strip a BOM split across pushes).
    Start,
    /// Reading records.
    Records,
    /// `finish` was called.
    Done,
}

/// Splits pushed bytes into records and records into chunks.
#[derive(Debug)]
pub struct Parser {
    schema: Schema,
    core: csv_core::Reader,
    phase: Phase,
    pending: Vec<u8>,
    chunk_rows: usize,
    columns: Option<Columns>,
    chunk: Chunk,
    /// A scored chunk handed back by [`Parser::recycle`], reused for the next one.
    spare: Option<Chunk>,
    rec: Vec<u8>,
    rec_len: usize,
    ends: Vec<usize>,
    n_ends: usize,
    /// Between records: the next `\r`/`\n` bytes are blank lines, not data.
    at_record_start: bool,
    /// The last record ended with `\r`: a `\n` right after it belongs to that terminator.
    after_cr: bool,
    /// `\n` bytes consumed so far.
    newlines: u64,
    /// Line where the current record starts.
    record_line: u64,
    blank_lines: u64,
    blank_line_numbers: Vec<u64>,
}

impl Parser {
    /// A parser for files scored with `schema`, cutting chunks of `chunk_rows` records.
    pub fn new(schema: &Schema, chunk_rows: usize) -> Parser {
        Parser {
            schema: schema.clone(),
            core: csv_core::ReaderBuilder::new().build(),
            phase: Phase::Start,
            pending: Vec::new(),
            chunk_rows: chunk_rows.max(1),
            columns: None,
            chunk: Chunk::default(),
            spare: None,
            rec: vec![0; 4096],
            rec_len: 0,
            ends: vec![0; 64],
            n_ends: 0,
            at_record_start: true,
            after_cr: false,
            newlines: 0,
            record_line: 1,
            blank_lines: 0,
            blank_line_numbers: Vec::new(),
        }
    }

    /// The header mapping, once the header has been read.
    pub fn columns(&self) -> Option<&Columns> {
        self.columns.as_ref()
    }

    /// Blank lines seen so far.
    pub fn blank_lines(&self) -> u64 {
        self.blank_lines
    }

    /// Line numbers of the first [`MAX_LISTED`] blank lines.
    pub fn blank_line_numbers(&self) -> &[u64] {
        &self.blank_line_numbers
    }

    /// Lines read so far (a last line without a line break counts).
    pub fn lines(&self) -> u64 {
        self.newlines
    }

    /// Takes back a chunk that has been scored, so the next chunk reuses its buffers.
    pub fn recycle(&mut self, mut chunk: Chunk) {
        chunk.clear();
        self.spare = Some(chunk);
    }

    /// Consumes `bytes`, appending every completed chunk to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Chunk>) -> Result<()> {
        match self.phase {
            Phase::Done => Err(csv_error(
                "the file was already finished; start a new batch",
            )),
            Phase::Start => {
                self.pending.extend_from_slice(bytes);
                if self.pending.len() < 3 {
                    return Ok(());
                }
                self.phase = Phase::Records;
                let pending = std::mem::take(&mut self.pending);
                let body = pending.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&pending);
                self.feed(body, out)
            }
            Phase::Records => self.feed(bytes, out),
        }
    }

    /// Ends the input: the last record and the last, partial chunk go to `out`.
    pub fn finish(&mut self, out: &mut Vec<Chunk>) -> Result<()> {
        if self.phase == Phase::Start {
            self.phase = Phase::Records;
            let pending = std::mem::take(&mut self.pending);
            let body = pending.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&pending);
            self.feed(body, out)?;
        }
        if self.phase == Phase::Done {
            return Ok(());
        }
        self.feed(&[], out)?;
        self.phase = Phase::Done;
        if self.columns.is_none() {
            return Err(csv_error(
                "the file is empty; the first line must be a header naming the model's columns",
            ));
        }
        if !self.chunk.is_empty() {
            out.push(std::mem::take(&mut self.chunk));
        }
        Ok(())
    }

    fn feed(&mut self, mut input: &[u8], out: &mut Vec<Chunk>) -> Result<()> {
        let eof = input.is_empty();
        loop {
            if self.at_record_start {
                // Blank lines between records: csv-core would skip them silently; count them.
                let skip = input
                    .iter()
                    .take_while(|&&b| b == b'\n' || b == b'\r')
                    .count();
                for &b in input.get(..skip).unwrap_or(&[]) {
                    if b == b'\n' {
                        self.newlines += 1;
                        if !self.after_cr {
                            self.blank(self.newlines);
                        }
                    }
                    self.after_cr = false;
                }
                input = input.get(skip..).unwrap_or(&[]);
                if input.is_empty() && !eof {
                    return Ok(());
                }
                self.after_cr = false;
                self.at_record_start = false;
                self.record_line = self.newlines + 1;
                if eof {
                    return Ok(());
                }
            }
            let (res, nin, nout, nend) = self.core.read_record(
                input,
                self.rec.get_mut(self.rec_len..).unwrap_or(&mut []),
                self.ends.get_mut(self.n_ends..).unwrap_or(&mut []),
            );
            let consumed = input.get(..nin).unwrap_or(&[]);
            self.newlines += consumed.iter().filter(|&&b| b == b'\n').count() as u64;
            let last = consumed.last().copied();
            input = input.get(nin..).unwrap_or(&[]);
            self.rec_len += nout;
            self.n_ends += nend;
            use csv_core::ReadRecordResult as R;
            match res {
                R::InputEmpty => {
                    if input.is_empty() {
                        return Ok(());
                    }
                }
                R::OutputFull => {
                    if self.rec.len() >= MAX_RECORD_BYTES {
                        return Err(csv_error(format!(
                            "line {}: a row is longer than {} MiB, which usually means a quote (\") is opened and never closed; check that line",
                            thousands(self.record_line),
                            MAX_RECORD_BYTES >> 20
                        )));
                    }
                    let len = self.rec.len() * 2;
                    self.rec.resize(len, 0);
                }
                R::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        return Err(csv_error(format!(
                            "line {}: a row has more than {MAX_FIELDS} fields; is this a CSV file with commas between the values?",
                            thousands(self.record_line)
                        )));
                    }
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                R::Record => {
                    // The record's own terminator was consumed: a `\n` ends its last line.
                    // A record ending at the end of the file counts its last line too.
                    if eof {
                        self.newlines += 1;
                    }
                    self.after_cr = last == Some(b'\r');
                    self.record(out)?;
                    self.rec_len = 0;
                    self.n_ends = 0;
                    self.at_record_start = true;
                }
                R::End => return Ok(()),
            }
        }
    }

    fn blank(&mut self, line: u64) {
        self.blank_lines += 1;
        if self.blank_line_numbers.len() < MAX_LISTED {
            self.blank_line_numbers.push(line);
        }
    }

    fn record(&mut self, out: &mut Vec<Chunk>) -> Result<()> {
        let data = self.rec.get(..self.rec_len).unwrap_or(&[]);
        let ends = self.ends.get(..self.n_ends).unwrap_or(&[]);
        // A line of spaces is blank, not a row of missing values.
        if ends.len() <= 1 && data.iter().all(u8::is_ascii_whitespace) {
            self.blank(self.record_line);
            return Ok(());
        }
        match &self.columns {
            None => {
                let mut header = Vec::with_capacity(ends.len());
                let mut start = 0;
                for &end in ends {
                    let field = data.get(start..end).unwrap_or(&[]);
                    start = end;
                    let text = std::str::from_utf8(field).map_err(|_| {
                        csv_error(format!(
                            "line {}: the header is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)",
                            thousands(self.record_line)
                        ))
                    })?;
                    header.push(text.trim().to_string());
                }
                self.columns = Some(map_header(&self.schema, &header)?);
            }
            Some(_) => {
                self.chunk.push(self.record_line, data, ends);
                if self.chunk.len() >= self.chunk_rows {
                    let next = self.spare.take().unwrap_or_default();
                    out.push(std::mem::replace(&mut self.chunk, next));
                }
            }
        }
        Ok(())
    }
}

/// What one chunk added to the summary.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    drift: Option<Drift>,
    rows: u64,
    scored: u64,
    refused: u64,
    refused_lines: Vec<u64>,
    examples: Vec<String>,
    bands: Vec<u64>,
    histogram: Vec<u64>,
}

/// A scored chunk: its output CSV rows and what it adds to the summary.
#[derive(Clone, Debug)]
pub struct ScoredChunk {
    /// Output CSV rows (no header).
    pub csv: Vec<u8>,
    /// Counts for the summary.
    pub tally: Tally,
}

/// The result of one row.
#[derive(Debug)]
enum Outcome {
    Scored { index: usize },
    Refused { message: String },
}

/// No reason in this slot.
const NO_REASON: usize = usize::MAX;

/// Buffers reused from chunk to chunk (one per thread): scoring a chunk then allocates nothing
/// per valid row.
#[derive(Debug, Default)]
pub struct Scratch {
    matrix: Vec<f32>,
    outcomes: Vec<Outcome>,
    predictions: Vec<Prediction>,
    pds: Vec<f64>,
    variants: Vec<f32>,
    /// (valid row, feature) of each variant.
    which: Vec<(usize, usize)>,
    moved: Vec<f64>,
    costs: Vec<(usize, f64)>,
    /// [`REASON_COUNT`] feature indices per valid row, [`NO_REASON`] where there are fewer.
    reasons: Vec<usize>,
    row: Vec<f32>,
    problems: Vec<String>,
}

/// Validates, scores and explains a chunk, and writes its output rows.
pub fn score_chunk(
    scorer: &Scorer,
    columns: &Columns,
    chunk: &Chunk,
    options: &BatchOptions,
) -> Result<ScoredChunk> {
    let mut csv = Vec::new();
    let tally = score_chunk_into(
        scorer,
        columns,
        chunk,
        options,
        &mut Scratch::default(),
        &mut csv,
    )?;
    Ok(ScoredChunk { csv, tally })
}

/// [`score_chunk`] appending the output rows to `out`, with buffers reused across chunks.
pub fn score_chunk_into(
    scorer: &Scorer,
    columns: &Columns,
    chunk: &Chunk,
    options: &BatchOptions,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<Tally> {
    let schema = scorer.schema();
    let k = schema.features.len();
    let width = columns.header.len();
    let Scratch {
        matrix,
        outcomes,
        predictions,
        pds,
        variants,
        which,
        moved,
        costs,
        reasons,
        row,
        problems,
    } = scratch;
    matrix.clear();
    outcomes.clear();
    let cells_check = CellValidator::new(schema);
    let mut cells: Vec<&[u8]> = Vec::with_capacity(width);
    for r in &chunk.records {
        cells.clear();
        cells.extend(chunk.fields(r));
        if cells.len() != width {
            let hint = if cells.iter().any(|c| c.contains(&b'\n')) {
                "a quote (\") opened and never closed, which swallows the following lines"
            } else {
                "a missing or extra comma, or an unquoted comma inside a value"
            };
            outcomes.push(Outcome::Refused {
                message: format!(
                    "line {}: the row has {} fields but the header has {width}; check for {hint}",
                    thousands(r.line),
                    cells.len()
                ),
            });
            continue;
        }
        let start = matrix.len();
        let index = start / k.max(1);
        // Plain numbers first; any other cell takes the full path below, which decides alone.
        let plain = columns
            .column_of_feature
            .iter()
            .enumerate()
            .all(|(feature, &col)| {
                match cells.get(col).and_then(|c| cells_check.check(feature, c)) {
                    Some(v) => {
                        matrix.push(v);
                        true
                    }
                    None => false,
                }
            });
        if plain {
            outcomes.push(Outcome::Scored { index });
            continue;
        }
        matrix.truncate(start);
        row.clear();
        problems.clear();
        for (feature, &col) in schema.features.iter().zip(&columns.column_of_feature) {
            let bytes = cells.get(col).copied().unwrap_or(&[]);
            let Ok(text) = std::str::from_utf8(bytes) else {
                problems.push(format!(
                    "column `{}`: the value is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)",
                    feature.name
                ));
                continue;
            };
            match validate_value(feature, RawValue::Text(text)) {
                Ok(v) => row.push(v),
                Err(e) => problems.push(format!("column `{}`: {}", feature.name, e.message)),
            }
        }
        if problems.is_empty() {
            outcomes.push(Outcome::Scored { index });
            matrix.extend_from_slice(row);
        } else {
            outcomes.push(Outcome::Refused {
                message: format!("line {}, {}", thousands(r.line), problems.join("; ")),
            });
        }
    }
    predictions.clear();
    reasons.clear();
    if !options.reasons {
        scorer.predict_into(matrix, predictions)?;
    } else {
        leave_one_out_reasons(
            scorer,
            matrix,
            predictions,
            LeaveOneOut {
                variants,
                which,
                moved,
                costs,
                reasons,
            },
        )?;
    }

    let mut drift = Drift::new(schema);
    pds.clear();
    pds.extend(predictions.iter().map(|p| p.pd));
    drift.add_rows(matrix, pds);
    let mut tally = Tally {
        drift: Some(drift),
        bands: vec![0; schema.bands.len()],
        histogram: vec![0; HISTOGRAM_BINS],
        ..Tally::default()
    };
    // Bands are counted under the first band with the same id (as `points_and_band` names them).
    let band_slot = |id: &str| schema.bands.iter().position(|b| b.id == id);
    let slots: Vec<Option<usize>> = schema.bands.iter().map(|b| band_slot(&b.id)).collect();
    let unknown_slot = band_slot("?");
    let scale = crate::score::PointsScale::new(&schema.scaling);
    out.reserve(chunk.data.len() + chunk.len() * 64);
    for (r, outcome) in chunk.records.iter().zip(outcomes.iter()) {
        tally.rows += 1;
        write_input_cells(out, chunk, r, width);
        let scored = match outcome {
            Outcome::Scored { index } => predictions
                .get(*index)
                .filter(|p| p.pd.is_finite())
                .map(|p| (*index, p)),
            Outcome::Refused { .. } => None,
        };
        match (scored, outcome) {
            (Some((index, p)), _) => {
                let points = scale.points(p.logit);
                let band = crate::score::band_index_for(&schema.bands, p.pd);
                tally.scored += 1;
                let slot = match band {
                    Some(b) => slots.get(b).copied().flatten(),
                    None => unknown_slot,
                };
                if let Some(c) = slot.and_then(|b| tally.bands.get_mut(b)) {
                    *c += 1;
                }
                if let Some(c) = tally
                    .histogram
                    .get_mut(histogram_bin(&schema.scaling, points))
                {
                    *c += 1;
                }
                write_f32(out, p.pd as f32);
                out.push(b',');
                write_one_decimal(out, points);
                out.push(b',');
                let id = band
                    .and_then(|b| schema.bands.get(b))
                    .map_or("?", |b| b.id.as_str());
                write_field(out, id.as_bytes());
                out.push(b',');
                let names = reasons
                    .get(index * REASON_COUNT..(index + 1) * REASON_COUNT)
                    .unwrap_or(&[]);
                for i in 0..REASON_COUNT {
                    let name = names
                        .get(i)
                        .and_then(|&f| schema.features.get(f))
                        .map_or("", |f| f.name.as_str());
                    write_field(out, name.as_bytes());
                    out.push(b',');
                }
            }
            (None, outcome) => {
                let message = match outcome {
                    Outcome::Refused { message } => message.clone(),
                    Outcome::Scored { .. } => format!(
                        "line {}: the model returned no probability for this row",
                        thousands(r.line)
                    ),
                };
                tally.refused += 1;
                if tally.refused_lines.len() < MAX_LISTED {
                    tally.refused_lines.push(r.line);
                }
                out.extend_from_slice(&[b','; 3 + REASON_COUNT]);
                write_field(out, message.as_bytes());
                if tally.examples.len() < MAX_EXAMPLES {
                    tally.examples.push(message);
                }
            }
        }
        out.push(b'\n');
    }
    Ok(tally)
}

/// Whether the `csv` writer (`QuoteStyle::Necessary`) would quote a field with this byte.
fn needs_quotes(b: u8) -> bool {
    matches!(b, b',' | b'"' | b'\r' | b'\n')
}

/// One field as the `csv` writer writes it: quoted, with quotes doubled, when it holds a
/// delimiter, a quote or a line break.
fn write_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field.iter().any(|&b| needs_quotes(b)) {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// The record's first `width` fields, each followed by a comma, padded with empty ones; bytes
/// that are not UTF-8 become U+FFFD, as the output is UTF-8.
fn write_input_cells(out: &mut Vec<u8>, chunk: &Chunk, r: &RawRecord, width: usize) {
    // Most records are plain ASCII without quotes: one scan decides for all their fields.
    let plain = chunk
        .record_bytes(r)
        .iter()
        .all(|&b| b.is_ascii() && !needs_quotes(b));
    let mut n = 0;
    for cell in chunk.fields(r).take(width) {
        if plain {
            out.extend_from_slice(cell);
        } else if std::str::from_utf8(cell).is_ok() {
            write_field(out, cell);
        } else {
            write_field(out, String::from_utf8_lossy(cell).as_bytes());
        }
        out.push(b',');
        n += 1;
    }
    for _ in n..width {
        out.push(b',');
    }
}

/// `{}` of an f32 (shortest digits that read back the same, no exponent), into `out`.
fn write_f32(out: &mut Vec<u8>, v: f32) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{v}");
}

/// `{:.1}` of an f64, into `out`: ten times the exact binary value, rounded half to even, as the
/// standard formatter does, without its machinery. Very large or tiny values take the formatter.
fn write_one_decimal(out: &mut Vec<u8>, v: f64) {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    // v = ±mantissa · 2^exponent exactly.
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    if !v.is_finite() || v.abs() >= 1e15 || exponent < -100 {
        use std::io::Write;
        let _ = write!(out, "{v:.1}");
        return;
    }
    let tenths: u128 = if exponent >= 0 {
        (u128::from(mantissa) << exponent) * 10
    } else {
        let shift = exponent.unsigned_abs();
        let scaled = u128::from(mantissa) * 10;
        let whole = scaled >> shift;
        let rest = scaled & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rest > half || (rest == half && whole & 1 == 1);
        whole + u128::from(up)
    };
    if v.is_sign_negative() {
        out.push(b'-');
    }
    // Below 10^16 as |v| < 10^15: u64 digits are much cheaper than u128 ones.
    let mut rest = u64::try_from(tenths).unwrap_or(u64::MAX);
    let mut digits = [0u8; 24];
    let mut at = digits.len();
    let mut written = 0;
    // At least "0.0": two digits.
    while written < 2 || rest > 0 {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        written += 1;
    }
    let text = digits.get(at..).unwrap_or(&[]);
    let (int, last) = text.split_at(text.len().saturating_sub(1));
    out.extend_from_slice(int);
    out.push(b'.');
    out.extend_from_slice(last);
}

fn histogram_bin(scaling: &crate::schema::Scaling, points: f64) -> usize {
    let span = scaling.max_points - scaling.min_points;
    let x = ((points - scaling.min_points) / span * HISTOGRAM_BINS as f64).floor();
    if x.is_nan() || x < 0.0 {
        0
    } else {
        (x as usize).min(HISTOGRAM_BINS - 1)
    }
}

/// The buffers leave-one-out works in.
struct LeaveOneOut<'a> {
    variants: &'a mut Vec<f32>,
    which: &'a mut Vec<(usize, usize)>,
    moved: &'a mut Vec<f64>,
    costs: &'a mut Vec<(usize, f64)>,
    reasons: &'a mut Vec<usize>,
}

/// Scores each valid row into `predictions` and finds the features that cost it the most
/// points, worst first (at most four): points(x) − points(x with feature i at its baseline),
/// computed with the rows' own scores. A feature already at its baseline has no variant: its
/// difference is zero, never a reason.
fn leave_one_out_reasons(
    scorer: &Scorer,
    matrix: &[f32],
    predictions: &mut Vec<Prediction>,
    buffers: LeaveOneOut<'_>,
) -> Result<()> {
    let LeaveOneOut {
        variants,
        which,
        moved,
        costs,
        reasons,
    } = buffers;
    reasons.clear();
    let schema = scorer.schema();
    let k = schema.features.len();
    if k == 0 {
        scorer.predict_into(matrix, predictions)?;
        reasons.resize(predictions.len() * REASON_COUNT, NO_REASON);
        return Ok(());
    }
    let baseline = schema.baseline();
    which.clear();
    for (r, row) in matrix.chunks_exact(k).enumerate() {
        for (i, (&x, &b)) in row.iter().zip(&baseline).enumerate() {
            if x != b {
                which.push((r, i));
            }
        }
    }
    moved.clear();
    scorer.model().predict_with_leave_one_out_into(
        matrix,
        &baseline,
        which,
        variants,
        predictions,
        moved,
    )?;
    reasons.resize(predictions.len() * REASON_COUNT, NO_REASON);
    let factor = schema.scaling.factor();
    // Variants come row by row: rank each row's costs when the next row starts.
    let mut flush = |r: usize, costs: &mut Vec<(usize, f64)>| {
        costs.sort_by(|a, b| a.1.total_cmp(&b.1));
        if let Some(slots) = reasons.get_mut(r * REASON_COUNT..(r + 1) * REASON_COUNT) {
            for (slot, &(i, _)) in slots.iter_mut().zip(costs.iter()) {
                *slot = i;
            }
        }
        costs.clear();
    };
    costs.clear();
    let mut current = None;
    for (&(r, i), &moved_logit) in which.iter().zip(moved.iter()) {
        if current != Some(r) {
            if let Some(previous) = current {
                flush(previous, costs);
            }
            current = Some(r);
        }
        if let Some(p) = predictions.get(r) {
            let contribution = -factor * (p.logit - moved_logit);
            if contribution < 0.0 {
                costs.push((i, contribution));
            }
        }
    }
    if let Some(previous) = current {
        flush(previous, costs);
    }
    Ok(())
}

/// Rows per risk band.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BandCount {
    /// Band id.
    pub id: String,
    /// Band name (en, zh).
    pub label: crate::Localized,
    /// Display colour from the schema.
    pub color: Option<String>,
    /// Rows scored into the band.
    pub count: u64,
}

/// Scored rows per bin of points.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Histogram {
    /// Lower edge of the first bin (the schema's `min_points`).
    pub min: f64,
    /// Upper edge of the last bin (the schema's `max_points`).
    pub max: f64,
    /// Rows per bin; bin `i` covers `min + i·w ≤ points < min + (i+1)·w`, the last includes `max`.
    pub counts: Vec<u64>,
}

/// Accounts for every row of a batch: `rows_in = scored + refused`; blank lines apart.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// Data rows read (the header and blank lines not included).
    pub rows_in: u64,
    /// Rows with a score.
    pub scored: u64,
    /// Rows refused (their error is in the `error` column).
    pub refused: u64,
    /// Line numbers of the first refused rows (at most [`MAX_LISTED`]).
    pub refused_lines: Vec<u64>,
    /// True when more rows were refused than listed.
    pub refused_lines_truncated: bool,
    /// The first error messages (at most [`MAX_EXAMPLES`]).
    pub examples: Vec<String>,
    /// Blank lines skipped (not rows).
    pub blank_lines: u64,
    /// Line numbers of the first blank lines (at most [`MAX_LISTED`]).
    pub blank_line_numbers: Vec<u64>,
    /// Lines in the file.
    pub lines: u64,
    /// Input columns that are not features (copied through).
    pub ignored_columns: Vec<String>,
    /// Rows per band, in the schema's order.
    pub bands: Vec<BandCount>,
    /// Points histogram.
    pub histogram: Histogram,
    /// How reasons were found: `leave_one_out` or `none`.
    pub reasons: String,
    /// Population stability of the scored rows against the training data (see [`crate::drift`]).
    pub drift: DriftReport,
    #[serde(skip)]
    drift_counts: DriftCounts,
}

/// The drift accumulator inside a summary; two are equal when their reports are.
#[derive(Clone, Debug)]
struct DriftCounts(Drift);

impl PartialEq for DriftCounts {
    fn eq(&self, other: &Self) -> bool {
        self.0.report() == other.0.report()
    }
}

impl Summary {
    /// An empty summary for `schema`.
    pub fn new(schema: &Schema, options: &BatchOptions) -> Summary {
        let drift = Drift::new(schema);
        Summary {
            drift: drift.report(),
            drift_counts: DriftCounts(drift),
            rows_in: 0,
            scored: 0,
            refused: 0,
            refused_lines: Vec::new(),
            refused_lines_truncated: false,
            examples: Vec::new(),
            blank_lines: 0,
            blank_line_numbers: Vec::new(),
            lines: 0,
            ignored_columns: Vec::new(),
            bands: schema
                .bands
                .iter()
                .map(|b| BandCount {
                    id: b.id.clone(),
                    label: b.label.clone(),
                    color: b.color.clone(),
                    count: 0,
                })
                .collect(),
            histogram: Histogram {
                min: schema.scaling.min_points,
                max: schema.scaling.max_points,
                counts: vec![0; HISTOGRAM_BINS],
            },
            reasons: if options.reasons {
                "leave_one_out".into()
            } else {
                "none".into()
            },
        }
    }

    /// Adds a scored chunk's counts (chunks must be added in input order for the line lists).
    pub fn add(&mut self, tally: &Tally) {
        self.rows_in += tally.rows;
        self.scored += tally.scored;
        self.refused += tally.refused;
        let room = MAX_LISTED.saturating_sub(self.refused_lines.len());
        self.refused_lines
            .extend(tally.refused_lines.iter().take(room));
        self.refused_lines_truncated = self.refused > self.refused_lines.len() as u64;
        let room = MAX_EXAMPLES.saturating_sub(self.examples.len());
        self.examples
            .extend(tally.examples.iter().take(room).cloned());
        for (b, c) in self.bands.iter_mut().zip(&tally.bands) {
            b.count += c;
        }
        for (h, c) in self.histogram.counts.iter_mut().zip(&tally.histogram) {
            *h += c;
        }
        if let Some(d) = &tally.drift {
            self.drift_counts.0.merge(d);
        }
    }

    /// Takes the parser's counts of lines and blank lines.
    pub fn update_from(&mut self, parser: &Parser) {
        self.blank_lines = parser.blank_lines();
        self.blank_line_numbers = parser.blank_line_numbers().to_vec();
        self.lines = parser.lines();
        if let Some(c) = parser.columns() {
            self.ignored_columns.clone_from(&c.ignored);
        }
        self.drift = self.drift_counts.0.report();
    }

    /// The summary as text, for the command line.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "rows in: {} = scored {} + refused {}",
            thousands(self.rows_in),
            thousands(self.scored),
            thousands(self.refused)
        );
        if self.blank_lines > 0 {
            s += &format!(
                "\nblank lines skipped: {} (lines {}{})",
                thousands(self.blank_lines),
                list(&self.blank_line_numbers, 10),
                if self.blank_lines > 10 { ", …" } else { "" }
            );
        }
        if self.refused > 0 {
            s += &format!(
                "\nrefused rows at lines: {}{}",
                list(&self.refused_lines, 20),
                if self.refused > 20 { ", …" } else { "" }
            );
            for e in self.examples.iter().take(5) {
                s += &format!("\n  {e}");
            }
        }
        if !self.ignored_columns.is_empty() {
            s += &format!(
                "\ncolumns copied through, not used by the model: {}",
                self.ignored_columns.join(", ")
            );
        }
        s += "\nrows per band:";
        for b in &self.bands {
            let share = if self.scored > 0 {
                b.count as f64 / self.scored as f64 * 100.0
            } else {
                0.0
            };
            let label = b.label.get("en").map_or("", String::as_str);
            s += &format!(
                "\n  {:<3} {:<16} {:>12}  {share:5.1}%",
                b.id,
                label,
                thousands(b.count)
            );
        }
        s += "\n";
        s += self.drift.to_text().trim_end();
        s
    }
}

fn list(lines: &[u64], n: usize) -> String {
    lines
        .iter()
        .take(n)
        .map(|&l| thousands(l))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A batch on one thread: push bytes, get scored CSV back, chunk by chunk.
#[derive(Debug)]
pub struct BatchJob {
    scorer: Scorer,
    options: BatchOptions,
    parser: Parser,
    summary: Summary,
    header_written: bool,
    chunks: Vec<Chunk>,
    scratch: Scratch,
    /// Chunks taken (to score elsewhere or here), chunks counted into the summary, and the
    /// tallies that wait for an earlier chunk's.
    taken: u64,
    counted: u64,
    tallies: std::collections::BTreeMap<u64, Tally>,
}

impl BatchJob {
    /// A job scoring with `scorer`.
    pub fn new(scorer: Scorer, options: BatchOptions) -> BatchJob {
        let parser = Parser::new(scorer.schema(), options.chunk_rows);
        let summary = Summary::new(scorer.schema(), &options);
        BatchJob {
            scorer,
            options,
            parser,
            summary,
            header_written: false,
            chunks: Vec::new(),
            scratch: Scratch::default(),
            taken: 0,
            counted: 0,
            tallies: std::collections::BTreeMap::new(),
        }
    }

    /// Consumes the next bytes of the file; returns the output rows completed so far (possibly
    /// none: rows are scored a chunk at a time).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<u8>> {
        self.parser.push(bytes, &mut self.chunks)?;
        self.drain()
    }

    /// Ends the file; returns the last output rows.
    pub fn finish(&mut self) -> Result<Vec<u8>> {
        self.parser.finish(&mut self.chunks)?;
        self.drain()
    }

    /// Consumes the next bytes of the file and only parses them: the chunks wait for
    /// [`BatchJob::take_chunk`]. Returns the output header once the input's is known.
    pub fn parse(&mut self, bytes: &[u8]) -> Result<Vec<u8>> {
        self.parser.push(bytes, &mut self.chunks)?;
        self.parsed()
    }

    /// Ends the file when parsing only; the last chunk then waits for [`BatchJob::take_chunk`].
    pub fn finish_parse(&mut self) -> Result<Vec<u8>> {
        self.parser.finish(&mut self.chunks)?;
        self.parsed()
    }

    fn parsed(&mut self) -> Result<Vec<u8>> {
        self.summary.update_from(&self.parser);
        match self.parser.columns() {
            Some(columns) if !self.header_written => {
                self.header_written = true;
                output_header(columns)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The oldest parsed chunk not yet taken, as bytes for a [`ChunkScorer`]; its result comes
    /// back through [`BatchJob::add_scored`] with its number (chunks are numbered from 0 in the
    /// order taken, here or by [`BatchJob::score_here`]).
    pub fn take_chunk(&mut self) -> Option<Vec<u8>> {
        if self.chunks.is_empty() {
            return None;
        }
        let chunk = self.chunks.remove(0);
        let bytes = chunk.to_wire();
        self.parser.recycle(chunk);
        self.taken += 1;
        Some(bytes)
    }

    /// Scores the oldest parsed chunk not yet taken right here (no bytes passed) and returns its
    /// output rows; `None` when no chunk waits. It takes the next number, like `take_chunk`.
    pub fn score_here(&mut self) -> Result<Option<Vec<u8>>> {
        let mut csv = Vec::new();
        Ok(self.score_next_into(&mut csv)?.then_some(csv))
    }

    /// Scores the oldest waiting chunk, appending its output rows to `out`; `false` when none
    /// waits.
    fn score_next_into(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        if self.chunks.is_empty() {
            return Ok(false);
        }
        let chunk = self.chunks.remove(0);
        let columns = self
            .parser
            .columns()
            .ok_or_else(|| csv_error("rows arrived before the header"))?;
        out.reserve(chunk.len() * 64);
        let tally = score_chunk_into(
            &self.scorer,
            columns,
            &chunk,
            &self.options,
            &mut self.scratch,
            out,
        );
        self.parser.recycle(chunk);
        let seq = self.taken;
        self.taken += 1;
        self.count(seq, tally?);
        Ok(true)
    }

    /// Adds chunk `seq`'s tally to the summary once every earlier chunk's is in (the line lists
    /// must grow in input order).
    fn count(&mut self, seq: u64, tally: Tally) {
        self.tallies.insert(seq, tally);
        while let Some(tally) = self.tallies.remove(&self.counted) {
            self.summary.add(&tally);
            self.counted += 1;
        }
        self.summary.update_from(&self.parser);
    }

    /// The header mapping as bytes for [`ChunkScorer::new`], once the header has been read.
    pub fn columns_wire(&self) -> Option<Vec<u8>> {
        self.parser.columns().map(Columns::to_wire)
    }

    /// Counts chunk `seq`, scored elsewhere (results may arrive in any order), and returns its
    /// output rows; the caller writes those in chunk order.
    pub fn add_scored(&mut self, seq: u64, scored: &[u8]) -> Result<Vec<u8>> {
        if seq >= self.taken || seq < self.counted || self.tallies.contains_key(&seq) {
            return Err(wire_error("result (for a chunk not handed out, or twice)"));
        }
        let (tally, csv) = scored_from_wire(self.scorer.schema(), scored)?;
        self.count(seq, tally);
        Ok(csv)
    }

    /// Rows accounted for so far (scored or refused).
    pub fn rows_done(&self) -> u64 {
        self.summary.rows_in
    }

    /// The summary so far (complete after [`BatchJob::finish`]).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    fn drain(&mut self) -> Result<Vec<u8>> {
        let mut out = self.parsed()?;
        while self.score_next_into(&mut out)? {}
        Ok(out)
    }
}

// ---- scoring in other Workers ----
//
// A page has no threads to share memory with, so to use more than one core the parsing Worker
// hands parsed chunks to helper Workers as bytes and takes scored chunks back, in the forms
// below (protobuf, with prost, which the loader already uses). The parser, the summary and the
// order of the output stay with the one `BatchJob`; a helper only runs `score_chunk_into`.

/// A parsed chunk as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct ChunkWire {
    #[prost(bytes = "vec", tag = "1")]
    data: Vec<u8>,
    #[prost(uint64, repeated, tag = "2")]
    ends: Vec<u64>,
    #[prost(uint64, repeated, tag = "3")]
    lines: Vec<u64>,
    #[prost(uint64, repeated, tag = "4")]
    field_counts: Vec<u64>,
}

/// A header mapping as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct ColumnsWire {
    #[prost(string, repeated, tag = "1")]
    header: Vec<String>,
    #[prost(uint64, repeated, tag = "2")]
    column_of_feature: Vec<u64>,
    #[prost(string, repeated, tag = "3")]
    ignored: Vec<String>,
}

/// A scored chunk (its output rows and its tally) as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct ScoredWire {
    #[prost(bytes = "vec", tag = "1")]
    csv: Vec<u8>,
    #[prost(uint64, tag = "2")]
    rows: u64,
    #[prost(uint64, tag = "3")]
    scored: u64,
    #[prost(uint64, tag = "4")]
    refused: u64,
    #[prost(uint64, repeated, tag = "5")]
    refused_lines: Vec<u64>,
    #[prost(string, repeated, tag = "6")]
    examples: Vec<String>,
    #[prost(uint64, repeated, tag = "7")]
    bands: Vec<u64>,
    #[prost(uint64, repeated, tag = "8")]
    histogram: Vec<u64>,
    #[prost(bool, tag = "9")]
    has_drift: bool,
    #[prost(uint64, tag = "10")]
    drift_rows: u64,
    #[prost(uint64, tag = "11")]
    drift_scored: u64,
    #[prost(uint64, repeated, tag = "12")]
    drift_counts: Vec<u64>,
}

/// What a helper Worker was sent that is not what a `BatchJob` sends.
fn wire_error(what: &str) -> Error {
    Error::new(
        ErrorKind::Inference,
        format!("a batch {what} passed between Workers is damaged; score the file again"),
    )
}

impl Chunk {
    /// The chunk as bytes, for [`ChunkScorer::score`] in another Worker.
    pub fn to_wire(&self) -> Vec<u8> {
        use prost::Message;
        ChunkWire {
            data: self.data.clone(),
            ends: self.ends.iter().map(|&e| e as u64).collect(),
            lines: self.records.iter().map(|r| r.line).collect(),
            field_counts: self.records.iter().map(|r| r.fields.len() as u64).collect(),
        }
        .encode_to_vec()
    }

    /// A chunk from [`Chunk::to_wire`]'s bytes, checked: field ends rise within the data and
    /// the records use every field once.
    pub fn from_wire(bytes: &[u8]) -> Result<Chunk> {
        use prost::Message;
        let wire = ChunkWire::decode(bytes).map_err(|_| wire_error("chunk"))?;
        let ends: Vec<usize> = wire
            .ends
            .iter()
            .map(|&e| usize::try_from(e).map_err(|_| wire_error("chunk")))
            .collect::<Result<_>>()?;
        let rising = ends.windows(2).all(|w| w.first() <= w.get(1));
        if !rising || ends.last().is_some_and(|&e| e > wire.data.len()) {
            return Err(wire_error("chunk"));
        }
        if wire.lines.len() != wire.field_counts.len() {
            return Err(wire_error("chunk"));
        }
        let mut records = Vec::with_capacity(wire.lines.len());
        let mut start = 0usize;
        for (&line, &count) in wire.lines.iter().zip(&wire.field_counts) {
            let end = usize::try_from(count)
                .ok()
                .and_then(|c| start.checked_add(c))
                .filter(|&end| end <= ends.len())
                .ok_or_else(|| wire_error("chunk"))?;
            records.push(RawRecord {
                line,
                fields: start..end,
            });
            start = end;
        }
        if start != ends.len() {
            return Err(wire_error("chunk"));
        }
        Ok(Chunk {
            data: wire.data,
            ends,
            records,
        })
    }
}

impl Columns {
    /// The mapping as bytes, for [`ChunkScorer::new`] in another Worker.
    pub fn to_wire(&self) -> Vec<u8> {
        use prost::Message;
        ColumnsWire {
            header: self.header.clone(),
            column_of_feature: self.column_of_feature.iter().map(|&c| c as u64).collect(),
            ignored: self.ignored.clone(),
        }
        .encode_to_vec()
    }

    /// A mapping from [`Columns::to_wire`]'s bytes, checked against `schema`: one column per
    /// feature, each within the header.
    pub fn from_wire(schema: &Schema, bytes: &[u8]) -> Result<Columns> {
        use prost::Message;
        let wire = ColumnsWire::decode(bytes).map_err(|_| wire_error("header mapping"))?;
        let width = wire.header.len() as u64;
        if wire.column_of_feature.len() != schema.features.len()
            || wire.column_of_feature.iter().any(|&c| c >= width)
        {
            return Err(wire_error("header mapping"));
        }
        Ok(Columns {
            header: wire.header,
            column_of_feature: wire.column_of_feature.iter().map(|&c| c as usize).collect(),
            ignored: wire.ignored,
        })
    }
}

/// Scores chunks sent as bytes from a [`BatchJob`] in another Worker and returns each as bytes
/// for [`BatchJob::add_scored`].
#[derive(Debug)]
pub struct ChunkScorer {
    scorer: Scorer,
    options: BatchOptions,
    columns: Columns,
    scratch: Scratch,
}

impl ChunkScorer {
    /// A scorer for chunks of the file whose header mapping is `columns` (from
    /// [`BatchJob::columns_wire`]).
    pub fn new(scorer: Scorer, options: BatchOptions, columns: &[u8]) -> Result<ChunkScorer> {
        let columns = Columns::from_wire(scorer.schema(), columns)?;
        Ok(ChunkScorer {
            scorer,
            options,
            columns,
            scratch: Scratch::default(),
        })
    }

    /// Validates, scores and explains one chunk (from [`BatchJob::take_chunk`]).
    pub fn score(&mut self, chunk: &[u8]) -> Result<Vec<u8>> {
        use prost::Message;
        let chunk = Chunk::from_wire(chunk)?;
        let mut csv = Vec::with_capacity(chunk.len() * 64);
        let tally = score_chunk_into(
            &self.scorer,
            &self.columns,
            &chunk,
            &self.options,
            &mut self.scratch,
            &mut csv,
        )?;
        let (has_drift, (drift_rows, drift_scored, drift_counts)) = match &tally.drift {
            Some(d) => (true, d.counts()),
            None => (false, (0, 0, Vec::new())),
        };
        Ok(ScoredWire {
            csv,
            rows: tally.rows,
            scored: tally.scored,
            refused: tally.refused,
            refused_lines: tally.refused_lines,
            examples: tally.examples,
            bands: tally.bands,
            histogram: tally.histogram,
            has_drift,
            drift_rows,
            drift_scored,
            drift_counts,
        }
        .encode_to_vec())
    }
}

/// A scored chunk's tally and output rows from [`ChunkScorer::score`]'s bytes.
fn scored_from_wire(schema: &Schema, bytes: &[u8]) -> Result<(Tally, Vec<u8>)> {
    use prost::Message;
    let wire = ScoredWire::decode(bytes).map_err(|_| wire_error("result"))?;
    let drift = if wire.has_drift {
        let d = Drift::from_counts(
            schema,
            wire.drift_rows,
            wire.drift_scored,
            &wire.drift_counts,
        );
        Some(d.ok_or_else(|| wire_error("result"))?)
    } else {
        None
    };
    if wire.bands.len() != schema.bands.len() || wire.histogram.len() != HISTOGRAM_BINS {
        return Err(wire_error("result"));
    }
    let tally = Tally {
        drift,
        rows: wire.rows,
        scored: wire.scored,
        refused: wire.refused,
        refused_lines: wire.refused_lines,
        examples: wire.examples,
        bands: wire.bands,
        histogram: wire.histogram,
    };
    Ok((tally, wire.csv))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::SplitMix64;

    fn one_decimal(v: f64) -> String {
        let mut out = Vec::new();
        write_one_decimal(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_decimal_is_the_standard_formatter() {
        let check = |v: f64| assert_eq!(one_decimal(v), format!("{v:.1}"), "{v:e}");
        // Exact ties round half to even; their neighbours round by the exact binary value.
        for n in -40_000..40_000 {
            let v = f64::from(n) / 20.0;
            for w in [v, v.next_up(), v.next_down()] {
                check(w);
            }
        }
        for v in [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            1e-100,
            0.05,
            0.15,
            0.25,
            299.95,
            300.0,
            850.0,
            849.95,
            1e15,
            -1e15,
            999_999_999_999_999.9,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            check(v);
        }
        let mut rng = SplitMix64(0x1D_EC1A);
        for _ in 0..200_000 {
            check(f64::from_bits(rng.next_u64()));
            check((rng.unit() - 0.5) * 2000.0);
            check(rng.unit() * 1e16);
        }
    }
}
