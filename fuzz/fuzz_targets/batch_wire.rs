//! Any bytes where the page's Workers pass batch chunks, header mappings and scored results to
//! each other (`ChunkScorer::new`, `ChunkScorer::score`, `BatchJob::add_scored`): each must be
//! refused or scored, never panic, and a result must never be counted for a chunk not handed out.
#![no_main]

mod reference;

use credit_scorer::batch::{BatchJob, BatchOptions, ChunkScorer};
use libfuzzer_sys::fuzz_target;
use reference::scorer;

/// A real two-row file's job, its header mapping and one chunk handed out.
fn job() -> (BatchJob, Vec<u8>) {
    let csv = include_bytes!("../../tests/fixtures/csv/basic.csv");
    let options = BatchOptions { chunk_rows: 2, reasons: true, ..BatchOptions::default() };
    let mut job = BatchJob::new(scorer().clone(), options);
    job.parse(csv).expect("the fixture parses");
    job.finish_parse().expect("the fixture parses");
    let columns = job.columns_wire().expect("the fixture has a header");
    job.take_chunk().expect("the fixture has rows");
    (job, columns)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else { return };
    let options = BatchOptions { chunk_rows: 2, reasons: true, ..BatchOptions::default() };
    let (mut job, columns) = job();
    match mode % 3 {
        0 => {
            if let Ok(mut helper) = ChunkScorer::new(scorer().clone(), options, &columns) {
                let _ = helper.score(bytes);
            }
        }
        1 => {
            let _ = ChunkScorer::new(scorer().clone(), options, bytes).map(|mut h| h.score(&[]));
        }
        _ => {
            let before = job.rows_done();
            let _ = job.add_scored(1, bytes);
            assert_eq!(job.rows_done(), before, "chunk 1 was never handed out");
            let _ = job.add_scored(0, bytes);
        }
    }
});
