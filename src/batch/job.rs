//! [`BatchJob`]: a file pushed in bytes, scored here or in helper Workers, its output rows and
//! summary released in input order.

use super::wire::{scored_from_wire, wire_error};
use super::{
    BatchOptions, Chunk, Columns, Ordered, Parser, Scratch, Summary, Tally, csv_error,
    output_header_with, score_chunk_into,
};
use crate::Scorer;
use crate::error::Result;

/// A batch: push bytes, get scored CSV back, chunk by chunk. On one thread ([`BatchJob::push`],
/// [`BatchJob::finish`]), or parsed here and scored elsewhere by a
/// [`ChunkScorer`](super::ChunkScorer) ([`BatchJob::parse`], [`BatchJob::take_chunk`],
/// [`BatchJob::add_scored`]); either way the output comes back in input order, byte for byte the
/// same.
#[derive(Debug)]
pub struct BatchJob {
    scorer: Scorer,
    options: BatchOptions,
    parser: Parser,
    summary: Summary,
    header_written: bool,
    chunks: Vec<Chunk>,
    scratch: Scratch,
    /// Chunks taken so far (to score elsewhere or here): the number of the next one.
    taken: u64,
    /// Scored chunks (tally and output rows) released to the summary and the caller in input
    /// order.
    scored: Ordered<(Tally, Vec<u8>)>,
}

impl BatchJob {
    /// Most scored chunks that may wait for an earlier one still out (with a helper): each holds
    /// its output rows in memory until then (the page's wasm memory, which never shrinks), so
    /// [`BatchJob::score_here`] scores no more past this and the caller takes a helper's result
    /// back first. While this Worker and a helper score at the same pace about as many wait as
    /// the page queues per helper (`IN_FLIGHT` in www/js/worker/file-batch.js, 16 at most);
    /// twice that leaves room for uneven paces and bounds the rest (a helper that falls behind).
    pub const MAX_WAITING: usize = 32;

    /// A job scoring with `scorer`.
    pub fn new(scorer: Scorer, options: BatchOptions) -> BatchJob {
        let parser = Parser::with_options(scorer.schema(), &options);
        let summary = Summary::new(&scorer, &options);
        BatchJob {
            scorer,
            options,
            parser,
            summary,
            header_written: false,
            chunks: Vec::new(),
            scratch: Scratch::default(),
            taken: 0,
            scored: Ordered::new(),
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
                output_header_with(columns, self.scorer.schema(), &self.options)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The oldest parsed chunk not yet taken, as bytes for a
    /// [`ChunkScorer`](super::ChunkScorer); its result comes back through
    /// [`BatchJob::add_scored`] with its number (chunks are numbered from 0 in the order taken,
    /// here or by [`BatchJob::score_here`]).
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

    /// Scores the oldest parsed chunk not yet taken right here (no bytes passed) and returns the
    /// output rows now ready, in input order (its own, unless an earlier chunk is still out, and
    /// those of later chunks that waited for it); `None` when no chunk waits, or when
    /// [`BatchJob::MAX_WAITING`] scored chunks already wait for an earlier one (then
    /// [`BatchJob::parsed_chunks`] is not 0: take a result back with
    /// [`BatchJob::add_scored`] first). It takes the next number, like `take_chunk`.
    pub fn score_here(&mut self) -> Result<Option<Vec<u8>>> {
        if self.scored.waiting() >= Self::MAX_WAITING {
            return Ok(None);
        }
        let mut csv = Vec::new();
        Ok(self.score_next_into(&mut csv)?.then_some(csv))
    }

    /// Scores the oldest waiting chunk, appending the output rows now ready to `out`; `false`
    /// when none waits.
    fn score_next_into(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        if self.chunks.is_empty() {
            return Ok(false);
        }
        let chunk = self.chunks.remove(0);
        let columns = self
            .parser
            .columns()
            .ok_or_else(|| csv_error("rows arrived before the header"))?;
        let seq = self.taken;
        // Next in order (always, on one Worker): its rows go straight to `out`.
        let direct = self.scored.released() == seq;
        let mut csv = Vec::new();
        let rows = if direct { &mut *out } else { &mut csv };
        rows.reserve(chunk.len() * 64);
        let tally = score_chunk_into(
            &self.scorer,
            columns,
            &chunk,
            &self.options,
            &mut self.scratch,
            rows,
        );
        self.parser.recycle(chunk);
        self.taken += 1;
        // Rows that wait for an earlier chunk keep no spare capacity (the wasm memory's peak is
        // every waiting chunk at once).
        csv.shrink_to_fit();
        self.release(seq, tally?, csv, |rows| out.extend_from_slice(&rows))?;
        Ok(true)
    }

    /// Takes chunk `seq`'s tally and output rows, then adds to the summary and hands to `each`
    /// those of every chunk now next in input order (the line lists and the file grow in order).
    fn release(
        &mut self,
        seq: u64,
        tally: Tally,
        csv: Vec<u8>,
        mut each: impl FnMut(Vec<u8>),
    ) -> Result<()> {
        if !self.scored.insert(seq, (tally, csv)) {
            return Err(wire_error("result (for a chunk not handed out, or twice)"));
        }
        while let Some((tally, csv)) = self.scored.pop() {
            self.summary.add(&tally);
            each(csv);
        }
        self.summary.update_from(&self.parser);
        Ok(())
    }

    /// The header mapping as bytes for [`ChunkScorer::new`](super::ChunkScorer::new), once the
    /// header has been read.
    pub fn columns_wire(&self) -> Option<Vec<u8>> {
        self.parser.columns().map(Columns::to_wire)
    }

    /// Takes chunk `seq`, scored elsewhere (results may arrive in any order), and returns the
    /// output rows now ready, in input order, one part per chunk: none while an earlier chunk
    /// is still out, else this chunk's and those of later chunks that waited for it. The caller
    /// appends them as they come. The parts are the rows as they waited, not joined into one
    /// buffer: a file's memory is then the chunks that wait, once.
    pub fn add_scored(&mut self, seq: u64, scored: &[u8]) -> Result<Vec<Vec<u8>>> {
        if seq >= self.taken || !self.scored.accepts(seq) {
            return Err(wire_error("result (for a chunk not handed out, or twice)"));
        }
        let (tally, csv) = scored_from_wire(self.scorer.schema(), scored)?;
        let mut parts = Vec::new();
        self.release(seq, tally, csv, |rows| parts.push(rows))?;
        Ok(parts)
    }

    /// Chunks parsed and not yet taken (by [`BatchJob::take_chunk`] or
    /// [`BatchJob::score_here`]).
    pub fn parsed_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Chunks scored (here or elsewhere) whose rows wait for an earlier chunk still out.
    pub fn waiting(&self) -> usize {
        self.scored.waiting()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::ChunkScorer;

    fn read(path: &str) -> Vec<u8> {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
    }

    /// Chunks scored here and in a helper, their results taken back in a scrambled order and
    /// appended as returned, give the file and summary of one thread.
    #[test]
    fn rows_come_back_in_input_order_whatever_order_results_arrive_in() {
        let scorer = Scorer::from_bytes(&read("www/models/german-credit-mlp.onnx")).unwrap();
        let csv = read("tests/fixtures/governance/train_sample.csv");
        let options = BatchOptions {
            chunk_rows: 16,
            reasons: true,
            ..BatchOptions::default()
        };
        let mut one = BatchJob::new(scorer.clone(), options.clone());
        let mut expected = one.push(&csv).unwrap();
        expected.extend(one.finish().unwrap());

        let mut job = BatchJob::new(scorer.clone(), options.clone());
        let mut out = job.parse(&csv).unwrap();
        out.extend(job.finish_parse().unwrap());
        let columns = job.columns_wire().unwrap();
        let mut helper = ChunkScorer::new(scorer, options, &columns).unwrap();
        let mut away = Vec::new();
        for seq in 0u64.. {
            // Every fifth chunk is scored here while earlier ones are still away.
            if seq % 5 == 2 {
                match job.score_here().unwrap() {
                    Some(rows) => out.extend(rows),
                    None => break,
                }
                continue;
            }
            let Some(chunk) = job.take_chunk() else { break };
            away.push((seq, helper.score(&chunk).unwrap()));
        }
        assert!(away.len() > 20, "{} chunks away", away.len());
        // Odd numbers last to first, then even ones first to last.
        away.sort_by_key(|&(seq, _)| {
            (
                seq % 2 == 0,
                if seq % 2 == 1 { u64::MAX - seq } else { seq },
            )
        });
        for (seq, scored) in &away {
            out.extend(job.add_scored(*seq, scored).unwrap().concat());
        }
        assert!(out == expected, "the output differs");
        assert_eq!(job.summary(), one.summary());
        assert_eq!(job.rows_done(), 500);
    }
}
