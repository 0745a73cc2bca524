//! The page's batch through helper Workers holds at most `BatchJob::MAX_WAITING` scored chunks
//! that wait for an earlier one, each once, whatever the file's size and however far the helper
//! falls behind: measured with a counting allocator over 1,000 chunks. (A Worker's wasm memory
//! grows to its peak and never shrinks, so the peak of live bytes is what the page's memory
//! figure sees.)
//!
//! One test only: every allocation of this process is counted.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use common::*;
use credit_scorer::Scorer;
use credit_scorer::batch::{BatchJob, BatchOptions, ChunkScorer};

/// The system allocator, counting the bytes live and their peak, except blocks aligned to
/// [`ELSEWHERE`] (see [`Elsewhere`]).
struct Counting;

const ELSEWHERE: usize = 4096;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call goes to `System` with the caller's arguments; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && layout.align() < ELSEWHERE {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) };
        if layout.align() < ELSEWHERE {
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A buffer that grows is copied to a new place while the old one is still there (wasm's
        // allocator does so unless it is the last block): both count at that moment.
        let counted = layout.align() < ELSEWHERE;
        if counted {
            PEAK.fetch_max(LIVE.load(Relaxed) + new_size, Relaxed);
        }
        // SAFETY: the caller's contract for `realloc`, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && counted {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes in no wasm memory: a chunk posted to the helper Worker waits in its message queue.
/// Kept in blocks aligned to [`ELSEWHERE`], which the counter leaves out.
struct Elsewhere {
    blocks: Vec<Block>,
    len: usize,
}

#[derive(Clone, Copy)]
#[repr(align(4096))]
struct Block([u8; ELSEWHERE]);

impl Elsewhere {
    fn new(bytes: &[u8]) -> Elsewhere {
        let mut blocks = vec![Block([0; ELSEWHERE]); bytes.len().div_ceil(ELSEWHERE)];
        for (block, part) in blocks.iter_mut().zip(bytes.chunks(ELSEWHERE)) {
            block.0[..part.len()].copy_from_slice(part);
        }
        Elsewhere {
            blocks,
            len: bytes.len(),
        }
    }

    /// The bytes as the receiving Worker's wasm memory gets them (counted).
    fn received(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.blocks.iter().flat_map(|b| b.0).collect();
        out.truncate(self.len);
        out
    }
}

/// Chunks the page queues per helper with reasons (`IN_FLIGHT_EXPLAINED` in
/// www/js/worker/file-batch.js).
const IN_FLIGHT: usize = 8;
const CHUNK_ROWS: usize = 256;

/// `chunks` chunks of reference applicants.
fn file(chunks: usize) -> Vec<u8> {
    let golden = reference_golden();
    let mut out = format!("id,{}\n", golden.features.join(",")).into_bytes();
    for i in 0..chunks * CHUNK_ROWS {
        let g = &golden.rows[i % golden.rows.len()];
        let x: Vec<String> = g.x.iter().map(|v| v.to_string()).collect();
        writeln!(out, "r{i},{}", x.join(",")).unwrap();
    }
    out
}

/// How the helper Worker answers.
#[derive(Clone, Copy, Debug)]
enum Helper {
    /// Every chunk at once: nothing ever waits.
    AtOnce,
    /// 1.5 chunks between two slices on average (this Worker scores about as many itself, as it
    /// also parses), except that every 40 slices it stops for 25 (descheduled on a busy
    /// machine, or its results not taken yet).
    Stalling,
}

/// What one run held at its peak.
#[derive(Debug)]
struct Peak {
    /// Live bytes at the peak, above those before the job started.
    growth: usize,
    /// Most chunks whose rows were scored but not yet released.
    most_waiting: usize,
    /// Output rows of one chunk, on average.
    chunk_rows_bytes: usize,
}

/// Scores `bytes` (`chunks` chunks) as file-batch.js does with one helper (a `ChunkScorer`
/// here, answering as `helper` says, in the order it was given chunks), checking every released
/// part against `expected` as it comes.
fn run_with_a_helper(
    scorer: &Scorer,
    bytes: &[u8],
    chunks: usize,
    expected: &[u8],
    helper: Helper,
) -> Peak {
    let options = BatchOptions {
        chunk_rows: CHUNK_ROWS,
        reasons: true,
        ..BatchOptions::default()
    };
    let mut written = 0usize;
    let mut write = |rows: &[u8]| {
        assert!(
            expected.get(written..written + rows.len()) == Some(rows),
            "the output differs from one thread's at byte {written}"
        );
        written += rows.len();
    };
    let mut job = BatchJob::new(scorer.clone(), options.clone());
    let mut scorer_there: Option<ChunkScorer> = None;
    let mut away: VecDeque<(u64, Elsewhere)> = VecDeque::new();
    let (mut taken, mut most_waiting) = (0u64, 0usize);
    let start = LIVE.load(Relaxed);
    PEAK.store(start, Relaxed);
    // Bytes parsed between dispatches: about 2.5 chunks, as the page's 64 KiB slices of
    // 1,024-row chunks.
    let mut slices = bytes.chunks(bytes.len() * 5 / (2 * chunks));
    for n in 0usize.. {
        let last = match slices.next() {
            Some(slice) => {
                write(&job.parse(slice).unwrap());
                false
            }
            None => {
                write(&job.finish_parse().unwrap());
                true
            }
        };
        if scorer_there.is_none()
            && let Some(columns) = job.columns_wire()
        {
            scorer_there =
                Some(ChunkScorer::new(scorer.clone(), options.clone(), &columns).unwrap());
        }
        let mut back = match helper {
            _ if last => usize::MAX,
            Helper::AtOnce => usize::MAX,
            Helper::Stalling if n % 40 >= 15 => 0,
            Helper::Stalling => 1 + n % 2,
        };
        loop {
            // file-batch.js's dispatch: to the helper while it has room, else scored here.
            loop {
                if away.len() < IN_FLIGHT {
                    let Some(chunk) = job.take_chunk() else { break };
                    away.push_back((taken, Elsewhere::new(&chunk)));
                } else {
                    let Some(rows) = job.score_here().unwrap() else {
                        break;
                    };
                    write(&rows);
                }
                taken += 1;
            }
            most_waiting = most_waiting.max(job.waiting());
            // Chunks left parsed: this Worker waits for the helper's next result.
            if back == 0 && job.parsed_chunks() > 0 {
                back = 1;
            }
            if back == 0 || away.is_empty() {
                break;
            }
            while back > 0
                && let Some((seq, chunk)) = away.pop_front()
            {
                back -= 1;
                let there = scorer_there.as_mut().unwrap();
                let scored = there.score(&chunk.received()).unwrap();
                for rows in job.add_scored(seq, &scored).unwrap() {
                    write(&rows);
                }
            }
            // Done with this slice once all is dispatched (at the end: and all is back).
            if job.parsed_chunks() == 0 && (!last || away.is_empty()) {
                break;
            }
        }
        if last {
            break;
        }
    }
    assert_eq!(written, expected.len(), "the whole output");
    assert_eq!((job.waiting(), job.parsed_chunks()), (0, 0));
    Peak {
        growth: PEAK.load(Relaxed) - start,
        most_waiting,
        chunk_rows_bytes: written / chunks,
    }
}

#[test]
fn a_batch_through_helpers_holds_at_most_its_waiting_chunks_once_whatever_the_file_size() {
    let scorer = Scorer::from_bytes(&read(REFERENCE_MODEL)).unwrap();
    let options = BatchOptions {
        chunk_rows: CHUNK_ROWS,
        reasons: true,
        ..BatchOptions::default()
    };
    let run = |chunks: usize, helper: Helper| {
        let bytes = file(chunks);
        let mut one = BatchJob::new(scorer.clone(), options.clone());
        let mut expected = one.push(&bytes).unwrap();
        expected.extend(one.finish().unwrap());
        let peak = run_with_a_helper(&scorer, &bytes, chunks, &expected, helper);
        eprintln!("{chunks} chunks, helper {helper:?}: {peak:?}");
        peak
    };
    let at_once = run(100, Helper::AtOnce);
    let small = run(100, Helper::Stalling);
    let large = run(1000, Helper::Stalling);
    assert_eq!(at_once.most_waiting, 0, "{at_once:?}");
    // The stalls fill the job up to its bound, and never past it.
    assert_eq!(large.most_waiting, BatchJob::MAX_WAITING, "{large:?}");
    // Memory: what a run where nothing waits needs (the chunk being scored, the scratch, the
    // helper's scorer) plus what the chunks that wait hold: their rows once (joined into one
    // buffer on release they would be there twice, and more while that buffer grows), their
    // tallies, and the chunks parsed meanwhile.
    let bound = at_once.growth + 2 * BatchJob::MAX_WAITING * large.chunk_rows_bytes;
    assert!(large.growth <= bound, "{large:?}: over {bound} bytes");
    // Not growing with the file.
    assert!(
        large.growth <= small.growth + small.growth / 8,
        "{small:?} {large:?}"
    );
}
