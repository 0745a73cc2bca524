//! Batch scoring of CSV files, streaming: bytes are pushed in, scored CSV comes out, and memory
//! stays bounded by one chunk of rows whatever the file's size.
//!
//! The pipeline has two stages so that the command line can run the second on several cores:
//!
//! 1. [`Parser`] (sequential) turns pushed bytes into [`Chunk`]s of raw records, with the line
//!    number where each record starts. It maps the header to the schema's features, accepts a
//!    UTF-8 BOM, CRLF or LF, quoted fields with commas and newlines, and counts blank lines.
//! 2. [`score_chunk`] (independent per chunk) validates each record with
//!    [`validate::validate_value`], scores the valid ones in one model run, finds their reasons and
//!    writes the output CSV: the input columns, then `pd`, `points`, `band`, `reason_1` …
//!    `reason_4` and `error`. A refused row keeps its place with its error and no score.
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
use crate::validate::{RawValue, validate_value};
use crate::{REASON_COUNT, Scorer};

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

    fn fields<'a>(&'a self, r: &RawRecord) -> impl Iterator<Item = &'a [u8]> + 'a {
        let first_start = match r.fields.start.checked_sub(1) {
            Some(prev) => self.ends.get(prev).copied().unwrap_or(0),
            None => 0,
        };
        let ends = self.ends.get(r.fields.clone()).unwrap_or(&[]);
        ends.iter().scan(first_start, move |start, &end| {
            let field = self.data.get(*start..end).unwrap_or(&[]);
            *start = end;
            Some(field)
        })
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
                    out.push(std::mem::take(&mut self.chunk));
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
enum Outcome {
    Scored { index: usize },
    Refused { message: String },
}

/// Validates, scores and explains a chunk, and writes its output rows.
pub fn score_chunk(
    scorer: &Scorer,
    columns: &Columns,
    chunk: &Chunk,
    options: &BatchOptions,
) -> Result<ScoredChunk> {
    let schema = scorer.schema();
    let k = schema.features.len();
    let width = columns.header.len();
    let mut matrix: Vec<f32> = Vec::with_capacity(chunk.len() * k);
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(chunk.len());
    let mut cells: Vec<&[u8]> = Vec::with_capacity(width);
    let mut row: Vec<f32> = Vec::with_capacity(k);
    let mut problems: Vec<String> = Vec::new();
    for r in &chunk.records {
        cells.clear();
        cells.extend(chunk.fields(r));
        let line = thousands(r.line);
        if cells.len() != width {
            let hint = if cells.iter().any(|c| c.contains(&b'\n')) {
                "a quote (\") opened and never closed, which swallows the following lines"
            } else {
                "a missing or extra comma, or an unquoted comma inside a value"
            };
            outcomes.push(Outcome::Refused {
                message: format!(
                    "line {line}: the row has {} fields but the header has {width}; check for {hint}",
                    cells.len()
                ),
            });
            continue;
        }
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
            outcomes.push(Outcome::Scored {
                index: matrix.len() / k.max(1),
            });
            matrix.extend_from_slice(&row);
        } else {
            outcomes.push(Outcome::Refused {
                message: format!("line {line}, {}", problems.join("; ")),
            });
        }
    }
    let predictions = scorer.predict(&matrix)?;
    let reasons = if options.reasons {
        leave_one_out_reasons(scorer, &matrix, &predictions)?
    } else {
        Vec::new()
    };

    let mut drift = Drift::new(schema);
    let pds: Vec<f64> = predictions.iter().map(|p| p.pd).collect();
    drift.add_rows(&matrix, &pds);
    let mut tally = Tally {
        drift: Some(drift),
        bands: vec![0; schema.bands.len()],
        histogram: vec![0; HISTOGRAM_BINS],
        ..Tally::default()
    };
    let mut w = csv::WriterBuilder::new().from_writer(Vec::with_capacity(chunk.data.len() * 2));
    for (r, outcome) in chunk.records.iter().zip(&outcomes) {
        tally.rows += 1;
        let mut n = 0;
        for cell in chunk.fields(r).take(width) {
            match std::str::from_utf8(cell) {
                Ok(text) => w.write_field(text),
                Err(_) => w.write_field(String::from_utf8_lossy(cell).as_ref()),
            }
            .map_err(write_error)?;
            n += 1;
        }
        for _ in n..width {
            w.write_field("").map_err(write_error)?;
        }
        let scored = match outcome {
            Outcome::Scored { index } => predictions
                .get(*index)
                .filter(|p| p.pd.is_finite())
                .map(|p| (*index, p)),
            Outcome::Refused { .. } => None,
        };
        match (scored, outcome) {
            (Some((index, p)), _) => {
                let (points, band) = scorer.points_and_band(p);
                tally.scored += 1;
                if let Some(b) = schema.bands.iter().position(|b| b.id == band.id)
                    && let Some(c) = tally.bands.get_mut(b)
                {
                    *c += 1;
                }
                if let Some(c) = tally
                    .histogram
                    .get_mut(histogram_bin(&schema.scaling, points))
                {
                    *c += 1;
                }
                w.write_field(format!("{}", p.pd as f32))
                    .map_err(write_error)?;
                w.write_field(format!("{points:.1}")).map_err(write_error)?;
                w.write_field(&band.id).map_err(write_error)?;
                let names = reasons.get(index).map(Vec::as_slice).unwrap_or(&[]);
                for i in 0..REASON_COUNT {
                    let name = names
                        .get(i)
                        .and_then(|&f| schema.features.get(f))
                        .map_or("", |f| f.name.as_str());
                    w.write_field(name).map_err(write_error)?;
                }
                w.write_field("").map_err(write_error)?;
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
                if tally.examples.len() < MAX_EXAMPLES {
                    tally.examples.push(message.clone());
                }
                for _ in 0..3 + REASON_COUNT {
                    w.write_field("").map_err(write_error)?;
                }
                w.write_field(&message).map_err(write_error)?;
            }
        }
        w.write_record(std::iter::empty::<&[u8]>())
            .map_err(write_error)?;
    }
    let csv = w
        .into_inner()
        .map_err(|e| csv_error(format!("cannot write the output: {e}")))?;
    Ok(ScoredChunk { csv, tally })
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

/// For each valid row, the features that cost the most points, worst first (at most four):
/// points(x) − points(x with feature i at its baseline), computed in one model run.
fn leave_one_out_reasons(
    scorer: &Scorer,
    matrix: &[f32],
    predictions: &[crate::Prediction],
) -> Result<Vec<Vec<usize>>> {
    let schema = scorer.schema();
    let k = schema.features.len();
    if k == 0 {
        return Ok(Vec::new());
    }
    let baseline = schema.baseline();
    let mut variants: Vec<f32> = Vec::new();
    let mut which: Vec<(usize, usize)> = Vec::new();
    for (r, row) in matrix.chunks_exact(k).enumerate() {
        for (i, (&x, &b)) in row.iter().zip(&baseline).enumerate() {
            if x != b {
                variants.extend(
                    row.iter()
                        .enumerate()
                        .map(|(j, &v)| if j == i { b } else { v }),
                );
                which.push((r, i));
            }
        }
    }
    let moved = scorer.predict(&variants)?;
    let factor = schema.scaling.factor();
    let mut costs: Vec<Vec<(usize, f64)>> = vec![Vec::new(); predictions.len()];
    for (&(r, i), q) in which.iter().zip(&moved) {
        if let (Some(p), Some(list)) = (predictions.get(r), costs.get_mut(r)) {
            let contribution = -factor * (p.logit - q.logit);
            if contribution < 0.0 {
                list.push((i, contribution));
            }
        }
    }
    Ok(costs
        .into_iter()
        .map(|mut list| {
            list.sort_by(|a, b| a.1.total_cmp(&b.1));
            list.into_iter()
                .take(REASON_COUNT)
                .map(|(i, _)| i)
                .collect()
        })
        .collect())
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

    /// Rows accounted for so far (scored or refused).
    pub fn rows_done(&self) -> u64 {
        self.summary.rows_in
    }

    /// The summary so far (complete after [`BatchJob::finish`]).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    fn drain(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        if !self.header_written
            && let Some(columns) = self.parser.columns()
        {
            out = output_header(columns)?;
            self.header_written = true;
        }
        for chunk in std::mem::take(&mut self.chunks) {
            let columns = self
                .parser
                .columns()
                .ok_or_else(|| csv_error("rows arrived before the header"))?;
            let scored = score_chunk(&self.scorer, columns, &chunk, &self.options)?;
            self.summary.add(&scored.tally);
            out.extend_from_slice(&scored.csv);
        }
        self.summary.update_from(&self.parser);
        Ok(out)
    }
}
