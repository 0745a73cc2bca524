//! Raw CSV records (csv-core) cut into chunks, with the line where each record starts.

use std::ops::Range;

use super::{
    Columns, MAX_CHUNK_BYTES, MAX_FEATURE_FIELD_BYTES, MAX_FIELDS, MAX_LISTED, MAX_RECORD_BYTES,
    csv_error, map_header, thousands,
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
