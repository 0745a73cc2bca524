//! Streaming: any split of the bytes, any chunk size, and chunks scored in several Workers.

use credit_scorer::batch::{BatchJob, BatchOptions, ChunkScorer, Summary};

use crate::{FIXTURES, awkward, csv_fixture, generated, records, score_all, score_with, scorer};

#[test]
fn any_split_of_the_bytes_and_any_chunk_size_give_the_same_output() {
    for name in FIXTURES {
        let bytes = csv_fixture(name);
        let (expected, summary) = score_all(&bytes);
        for (piece, chunk_rows) in [(1, 1), (2, 2), (3, 1024), (5, 3), (64, 2)] {
            let options = BatchOptions {
                chunk_rows,
                ..BatchOptions::default()
            };
            let (out, s) = score_with(&bytes, piece, options).unwrap();
            assert_eq!(
                out, expected,
                "{name}: pieces of {piece}, chunks of {chunk_rows}"
            );
            assert_eq!(s, summary, "{name}");
        }
    }
}

/// The page's several-Worker path: the job only parses; of each batch of waiting chunks the
/// first is scored here, the others go out as bytes to `helpers` scorers in turn (as to helper
/// Workers) and come back in reverse order; output rows are written in chunk order.
fn score_in_workers(
    bytes: &[u8],
    piece: usize,
    helpers: usize,
    options: BatchOptions,
) -> credit_scorer::Result<(Vec<u8>, Summary)> {
    let mut job = BatchJob::new(scorer(), options.clone());
    let mut scorers: Vec<ChunkScorer> = Vec::new();
    let mut out = Vec::new();
    let mut seq = 0u64;
    let mut drain = |job: &mut BatchJob, out: &mut Vec<u8>| -> credit_scorer::Result<()> {
        if scorers.is_empty()
            && let Some(columns) = job.columns_wire()
        {
            for _ in 0..helpers {
                scorers.push(ChunkScorer::new(scorer(), options.clone(), &columns)?);
            }
        }
        let mut csvs = Vec::new();
        if let Some(csv) = job.score_here()? {
            csvs.push(csv);
            seq += 1;
        }
        let mut sent = Vec::new();
        while let Some(chunk) = job.take_chunk() {
            let helper = seq as usize % helpers;
            sent.push((seq, scorers[helper].score(&chunk)?));
            seq += 1;
        }
        let mut back = Vec::new();
        for (n, scored) in sent.iter().rev() {
            back.push(job.add_scored(*n, scored)?.concat());
        }
        csvs.extend(back.into_iter().rev());
        csvs.iter().for_each(|csv| out.extend_from_slice(csv));
        Ok(())
    };
    for part in bytes.chunks(piece.max(1)) {
        out.extend(job.parse(part)?);
        drain(&mut job, &mut out)?;
    }
    out.extend(job.finish_parse()?);
    drain(&mut job, &mut out)?;
    Ok((out, job.summary().clone()))
}

#[test]
fn scoring_in_several_workers_gives_the_same_file_and_summary() {
    let mut files: Vec<(String, Vec<u8>)> = FIXTURES
        .iter()
        .map(|name| (name.to_string(), csv_fixture(name)))
        .collect();
    files.push(("generated".into(), generated(3_000)));
    files.push(("awkward".into(), awkward(2_000)));
    for (name, bytes) in &files {
        for reasons in [true, false] {
            // Small chunks, large pieces: several chunks wait at once, so results come back
            // out of order.
            let options = BatchOptions {
                chunk_rows: 64,
                reasons,
                contributions: reasons,
                ..BatchOptions::default()
            };
            let one = score_with(bytes, 65_536, options.clone());
            let several = score_in_workers(bytes, 65_536, 3, options);
            match (one, several) {
                (Ok((a, s)), Ok((b, t))) => {
                    assert!(a == b, "{name}: the output differs");
                    assert_eq!(s, t, "{name}");
                    assert!(s.rows_in > 0 || s.lines <= 1, "{name}: {s:?}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
                (a, b) => panic!("{name}: one Worker {a:?}, several {b:?}"),
            }
        }
    }
}

#[test]
fn damaged_chunks_between_workers_are_errors() {
    let bytes = generated(50);
    let mut job = BatchJob::new(scorer(), BatchOptions::default());
    job.parse(&bytes).unwrap();
    job.finish_parse().unwrap();
    let columns = job.columns_wire().unwrap();
    let chunk = job.take_chunk().unwrap();
    assert!(job.take_chunk().is_none());
    let mut helper = ChunkScorer::new(scorer(), BatchOptions::default(), &columns).unwrap();
    let scored = helper.score(&chunk).unwrap();
    // Every truncation of the chunk, the mapping and the result is refused or still consistent;
    // none may panic or be counted twice.
    for cut in 0..chunk.len() {
        let _ = helper.score(&chunk[..cut]);
    }
    assert!(helper.score(&[0xff; 7]).is_err());
    assert!(
        ChunkScorer::new(
            scorer(),
            BatchOptions::default(),
            &columns[..columns.len() / 2]
        )
        .is_err()
    );
    for cut in (0..scored.len()).step_by(7) {
        let mut again = BatchJob::new(scorer(), BatchOptions::default());
        again.parse(&bytes).unwrap();
        again.finish_parse().unwrap();
        again.take_chunk().unwrap();
        let _ = again.add_scored(0, &scored[..cut]);
    }
    assert!(
        job.add_scored(1, &scored).is_err(),
        "chunk 1 was never handed out"
    );
    assert!(job.add_scored(0, b"\x08\x01\x12").is_err());
    let csv = job.add_scored(0, &scored).unwrap().concat();
    assert_eq!(records(&csv).len(), 50);
    assert_eq!(job.summary().rows_in, 50);
    assert!(job.add_scored(0, &scored).is_err(), "counted twice");
    assert_eq!(job.summary().rows_in, 50);
}
