//! Raw CSV records (csv-core) cut into chunks, with the line where each record starts.

use std::ops::Range;

use super::{
    BatchOptions, Columns, Decimal, MAX_CHUNK_BYTES, MAX_FEATURE_FIELD_BYTES, MAX_FIELDS,
    MAX_LISTED, MAX_RECORD_BYTES, csv_error, map_header, thousands,
};
use crate::error::Result;
use crate::schema::Schema;

/// One raw record of a chunk.
#[derive(Clone, Debug)]
pub(super) struct RawRecord {
    /// Line where the record starts (the header is line 1 unless blank lines precede it).
    pub(super) line: u64,
    /// Its fields, as a range of [`Chunk::ends`].
    pub(super) fields: Range<usize>,
}

/// Raw records waiting to be validated and scored.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    pub(super) data: Vec<u8>,
    /// End offset in `data` of each field.
    pub(super) ends: Vec<usize>,
    pub(super) records: Vec<RawRecord>,
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

    /// Appends a record that is not CSV text (the Python bindings' Arrow rows): `data` holds its
    /// fields back to back, unquoted, field `i` ending at `ends[i]`; `line` is the number its
    /// messages give. Refuses a feature's field longer than [`MAX_FEATURE_FIELD_BYTES`], as the
    /// CSV [`Parser`] does.
    pub fn push_fields(
        &mut self,
        columns: &Columns,
        line: u64,
        data: &[u8],
        ends: &[usize],
    ) -> Result<()> {
        check_feature_lengths(columns, ends, line)?;
        self.push(line, data, ends);
        Ok(())
    }

    /// Bytes held by the chunk's fields (a [`Parser`] cuts a chunk at [`MAX_CHUNK_BYTES`]).
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    /// Empties the chunk, keeping its buffers for the next one.
    pub fn clear(&mut self) {
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
    pub(super) fn record_bytes(&self, r: &RawRecord) -> &[u8] {
        let end = match r.fields.end.checked_sub(1) {
            Some(last) if r.fields.end > r.fields.start => {
                self.ends.get(last).copied().unwrap_or(0)
            }
            _ => return &[],
        };
        self.data.get(self.first_start(r)..end).unwrap_or(&[])
    }

    pub(super) fn fields<'a>(&'a self, r: &RawRecord) -> Fields<'a> {
        Fields {
            data: &self.data,
            ends: self.ends.get(r.fields.clone()).unwrap_or(&[]).iter(),
            start: self.first_start(r),
        }
    }
}

/// The fields of one record of a chunk, in order.
pub(super) struct Fields<'a> {
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
    /// Waiting for the first bytes (to strip a BOM split across pushes), and for the header
    /// line when the delimiter is to be found from it.
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
    /// The byte between columns, once known.
    delimiter: Option<u8>,
    decimal: Decimal,
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
    /// A parser for comma-separated files scored with `schema`, cutting chunks of `chunk_rows`
    /// records.
    pub fn new(schema: &Schema, chunk_rows: usize) -> Parser {
        Parser::with_options(
            schema,
            &BatchOptions {
                chunk_rows,
                delimiter: Some(b','),
                ..BatchOptions::default()
            },
        )
    }

    /// A parser for files scored with `schema` as `options` say: chunks of `chunk_rows`
    /// records, the delimiter given or found from the header line (see [`detect_delimiter`]).
    pub fn with_options(schema: &Schema, options: &BatchOptions) -> Parser {
        let chunk_rows = options.chunk_rows;
        Parser {
            schema: schema.clone(),
            core: csv_core::ReaderBuilder::new()
                .delimiter(options.delimiter.unwrap_or(b','))
                .build(),
            delimiter: options.delimiter,
            decimal: options.decimal,
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

    /// The byte between columns: as given, or found from the header line once it was read.
    pub fn delimiter(&self) -> Option<u8> {
        self.delimiter
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
                if self.delimiter.is_none() {
                    let body = strip_bom(&self.pending);
                    if !first_line(body).1 {
                        if self.pending.len() > MAX_RECORD_BYTES {
                            return Err(csv_error(format!(
                                "the header line is longer than {} MiB, which usually means a quote (\") is opened and never closed",
                                MAX_RECORD_BYTES >> 20
                            )));
                        }
                        return Ok(());
                    }
                }
                self.start_records(out)
            }
            Phase::Records => self.feed(bytes, out),
        }
    }

    /// Ends the input: the last record and the last, partial chunk go to `out`.
    pub fn finish(&mut self, out: &mut Vec<Chunk>) -> Result<()> {
        if self.phase == Phase::Start {
            self.start_records(out)?;
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

    /// Leaves [`Phase::Start`]: strips a BOM, settles the delimiter and reads what is pending.
    fn start_records(&mut self, out: &mut Vec<Chunk>) -> Result<()> {
        self.phase = Phase::Records;
        let pending = std::mem::take(&mut self.pending);
        let body = strip_bom(&pending);
        let delimiter = match self.delimiter {
            Some(d) => d,
            None => detect_delimiter(&self.schema, first_line(body).0)?,
        };
        if delimiter == b',' && self.decimal == Decimal::Comma {
            return Err(csv_error(
                "the columns are separated by commas, so numbers cannot have a decimal comma; \
                 separate the columns with `;` (or name the delimiter), or write numbers with a point",
            ));
        }
        self.delimiter = Some(delimiter);
        self.core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        self.feed(body, out)
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
            Some(columns) => {
                check_feature_lengths(columns, ends, self.record_line)?;
                self.chunk.push(self.record_line, data, ends);
                if self.chunk.len() >= self.chunk_rows || self.chunk.data.len() >= MAX_CHUNK_BYTES {
                    let next = self.spare.take().unwrap_or_default();
                    out.push(std::mem::replace(&mut self.chunk, next));
                }
            }
        }
        Ok(())
    }
}

/// The delimiters a header line is searched for: comma, semicolon, tab and pipe.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// The first line with something on it, and whether it is complete (a line break outside quotes
/// ends it).
fn first_line(body: &[u8]) -> (&[u8], bool) {
    let mut start = 0;
    let mut quoted = false;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                let line = body.get(start..i).unwrap_or(&[]);
                if line.iter().any(|b| !b.is_ascii_whitespace()) {
                    return (line, true);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    (body.get(start..).unwrap_or(&[]), false)
}

/// A header line's names, split at `delimiter` (`None` when it is not UTF-8 CSV).
fn split_header(line: &[u8], delimiter: u8) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line);
    let record = reader.records().next()?.ok()?;
    Some(record.iter().map(|f| f.trim().to_string()).collect())
}

/// The delimiter of a file, from its header line: the one of [`DELIMITERS`] found there outside
/// quotes; when several are, the one that splits the line into the model's columns. A line
/// that fits two is refused: the caller must name the delimiter.
pub fn detect_delimiter(schema: &Schema, line: &[u8]) -> Result<u8> {
    let count = |d: u8| {
        let mut quoted = false;
        line.iter()
            .filter(|&&b| {
                if b == b'"' {
                    quoted = !quoted;
                }
                b == d && !quoted
            })
            .count()
    };
    let present: Vec<u8> = DELIMITERS.into_iter().filter(|&d| count(d) > 0).collect();
    let [first, ..] = present.as_slice() else {
        // One column: the comma, as any CSV file.
        return Ok(b',');
    };
    if present.len() == 1 {
        return Ok(*first);
    }
    let fitting: Vec<u8> = present
        .iter()
        .copied()
        .filter(|&d| split_header(line, d).is_some_and(|h| map_header(schema, &h).is_ok()))
        .collect();
    match fitting.as_slice() {
        [one] => Ok(*one),
        // None fits: the one giving the most columns, whose header error says what is missing.
        [] => Ok(present
            .iter()
            .copied()
            .max_by_key(|&d| count(d))
            .unwrap_or(b',')),
        [a, b, ..] => Err(csv_error(format!(
            "the header line splits into the model's columns at both {} and {}; name the \
             delimiter (--delimiter on the command line)",
            delimiter_name(*a),
            delimiter_name(*b)
        ))),
    }
}

/// A delimiter as people name it: `,` `;` `|`, or `tab`.
pub fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        d => format!("`{}`", char::from(d)),
    }
}

/// Refuses a record whose field for a feature is longer than [`MAX_FEATURE_FIELD_BYTES`] (columns
/// the model does not use may be as long as the record).
fn check_feature_lengths(columns: &Columns, ends: &[usize], line: u64) -> Result<()> {
    for &c in &columns.column_of_feature {
        // A short (ragged) row lacks the field: the row is refused later, with its own message.
        let Some(&end) = ends.get(c) else { continue };
        let start = match c.checked_sub(1) {
            Some(prev) => ends.get(prev).copied().unwrap_or(0),
            None => 0,
        };
        if end.saturating_sub(start) > MAX_FEATURE_FIELD_BYTES {
            let name = columns.header.get(c).map_or("?", String::as_str);
            return Err(csv_error(format!(
                "line {}: the value in column `{name}` is longer than {} MiB, which usually means a quote (\") is opened and never closed; check that line",
                thousands(line),
                MAX_FEATURE_FIELD_BYTES >> 20
            )));
        }
    }
    Ok(())
}
