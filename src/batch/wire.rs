//! The Workers' wire format: parsed chunks, the header mapping and scored chunks as bytes.
//!
//! A page has no threads to share memory with, so to use more than one core the parsing Worker
//! hands parsed chunks to helper Workers as bytes and takes scored chunks back, in the forms
//! below (protobuf, with prost, which the loader already uses). The parser, the summary and the
//! order of the output stay with the one `BatchJob`; a helper only runs `score_chunk_into`.

use super::read::RawRecord;
use super::{BatchOptions, Chunk, Columns, HISTOGRAM_BINS, Scratch, Tally, score_chunk_into};
use crate::Scorer;
use crate::drift::Drift;
use crate::error::{Error, ErrorKind, Result};
use crate::schema::Schema;

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
pub(super) fn wire_error(what: &str) -> Error {
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
pub(super) fn scored_from_wire(schema: &Schema, bytes: &[u8]) -> Result<(Tally, Vec<u8>)> {
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
