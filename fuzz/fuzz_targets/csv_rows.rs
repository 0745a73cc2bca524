//! Any bytes as a batch CSV for the reference model, pushed in two pieces cut at any point (as
//! the page streams a file) with small chunks: parsing, validation, scoring and the output CSV
//! must refuse the file or account for every row, never panic.
#![no_main]

mod reference;

use credit_scorer::batch::{BatchJob, BatchOptions};
use libfuzzer_sys::fuzz_target;
use reference::scorer;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, csv)) = data.split_first() else { return };
    let cut = usize::from(cut).min(csv.len());
    let (a, b) = csv.split_at(cut);
    let options = BatchOptions { chunk_rows: 3, reasons: true, ..BatchOptions::default() };
    let mut job = BatchJob::new(scorer().clone(), options);
    if job.push(a).is_err() || job.push(b).is_err() {
        return;
    }
    let _ = job.finish();
});
