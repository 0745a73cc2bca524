//! `score` on several threads: reading and parsing on the calling thread, scoring on workers,
//! writing on the calling thread in input order (the core's [`Ordered`]).

use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, mpsc};

use credit_scorer::batch::{
    BatchOptions, Chunk, Columns, Ordered, Parser, Scratch, Tally, score_chunk_into,
};
use credit_scorer::{Error, ErrorKind, Scorer};

use super::score::{Input, Output};

/// A chunk for a worker: its place in the file, its records and the header mapping.
type Job = (u64, Chunk, Arc<Columns>);

/// A chunk scored by a worker: its place in the file, the chunk (for reuse) and the result.
type Done = (u64, Chunk, Result<(Tally, Vec<u8>), Error>);

fn crashed() -> Error {
    Error::new(ErrorKind::Inference, "a scoring thread crashed")
}

/// Reading and parsing on this thread, scoring on `threads` workers, writing here in input
/// order: parsing overlaps scoring, and at most a few chunks per worker are in flight.
pub(super) fn run(
    scorer: &Scorer,
    options: &BatchOptions,
    threads: usize,
    input: &mut Input<'_>,
    output: &mut Output<'_>,
) -> Result<(), Error> {
    let max_in_flight = (threads * 4) as u64;
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(threads * 2);
    let job_rx = Mutex::new(job_rx);
    std::thread::scope(|s| {
        // Owned by this closure: on any return the queue closes and the workers stop.
        let job_tx = job_tx;
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            s.spawn(move || worker(scorer, options, job_rx, &done_tx));
        }
        drop(done_tx);
        let mut results = Results {
            done: done_rx,
            ordered: Ordered::new(),
        };
        let mut columns: Option<Arc<Columns>> = None;
        let mut sent: u64 = 0;
        while !input.done {
            output.progress.read += input.read()?;
            output.header(input.parser)?;
            if input.chunks.is_empty() {
                continue;
            }
            let columns = match &columns {
                Some(c) => Arc::clone(c),
                None => columns.insert(Arc::new(input.columns()?)).clone(),
            };
            for chunk in std::mem::take(&mut input.chunks) {
                while sent - results.ordered.released() >= max_in_flight {
                    results.receive(true, input.parser, output)?;
                }
                job_tx
                    .send((sent, chunk, Arc::clone(&columns)))
                    .map_err(|_| crashed())?;
                sent += 1;
                results.receive(false, input.parser, output)?;
            }
        }
        drop(job_tx);
        while results.ordered.released() < sent {
            results.receive(true, input.parser, output)?;
        }
        Ok(())
    })
}

/// Scored chunks coming back from the workers, written in input order.
struct Results {
    done: Receiver<Done>,
    ordered: Ordered<(Tally, Vec<u8>)>,
}

impl Results {
    /// Takes every finished chunk (waiting for one when `block`) and writes those now next in
    /// input order.
    fn receive(
        &mut self,
        mut block: bool,
        parser: &mut Parser,
        output: &mut Output<'_>,
    ) -> Result<(), Error> {
        loop {
            let next = if block {
                self.done.recv().map_err(|_| crashed())?
            } else {
                match self.done.try_recv() {
                    Ok(done) => done,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => return Ok(()),
                }
            };
            let (seq, chunk, result) = next;
            if !self.ordered.insert(seq, result?) {
                return Err(crashed());
            }
            parser.recycle(chunk);
            while let Some((tally, csv)) = self.ordered.pop() {
                output.chunk(&tally, &csv)?;
            }
            block = false;
        }
    }
}

/// Scores chunks until the queue closes; a panic becomes an error for the writer.
fn worker(
    scorer: &Scorer,
    options: &BatchOptions,
    jobs: &Mutex<Receiver<Job>>,
    done: &Sender<Done>,
) {
    let mut scratch = Scratch::default();
    loop {
        let job = match jobs.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok((seq, chunk, columns)) = job else {
            return;
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut csv = Vec::with_capacity(chunk.len() * 64);
            score_chunk_into(scorer, &columns, &chunk, options, &mut scratch, &mut csv)
                .map(|tally| (tally, csv))
        }))
        .unwrap_or_else(|_| Err(crashed()));
        if done.send((seq, chunk, result)).is_err() {
            return;
        }
    }
}
