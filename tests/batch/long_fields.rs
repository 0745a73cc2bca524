//! Long fields: free text copied through in bounded memory, a long model input refused.

use std::io::Write;

use credit_scorer::ErrorKind;
use credit_scorer::batch::BatchOptions;

use crate::common::*;
use crate::{assert_accounting, column, records, score_with, scorer};

/// `rows` rows of golden applicants, each with a free-text `notes` column of `note_bytes` bytes.
fn with_notes(rows: usize, note_bytes: usize) -> Vec<u8> {
    let golden = reference_golden();
    let mut out = format!("id,{},notes\n", golden.features.join(",")).into_bytes();
    for i in 0..rows {
        let g = &golden.rows[i % golden.rows.len()];
        let x: Vec<String> = g.x.iter().map(|v| v.to_string()).collect();
        let note: String = (0..note_bytes)
            .map(|j| if j % 50 == 49 { ' ' } else { 'n' })
            .collect();
        writeln!(out, "r{i},{},\"{note}\"", x.join(",")).unwrap();
    }
    out
}

#[test]
fn a_megabyte_of_free_text_in_a_column_the_model_does_not_use_is_copied_through() {
    let note_bytes = (1 << 20) + 100;
    let bytes = with_notes(3, note_bytes);
    let (out, s) = score_with(&bytes, 65_536, BatchOptions::default()).unwrap();
    assert_accounting(&s);
    assert_eq!((s.rows_in, s.scored, s.refused), (3, 3, 0));
    let rows = records(&out);
    let notes = column(&rows, "notes");
    assert!(notes.iter().all(|n| n.len() == note_bytes));
    let golden = reference_golden();
    for (pd, g) in column(&rows, "pd").iter().zip(&golden.rows) {
        assert!(close(pd.parse().unwrap(), g.pd, 1e-5), "{pd} vs {}", g.pd);
    }
}

#[test]
fn long_pass_through_fields_cut_chunks_by_bytes_so_memory_stays_bounded() {
    let schema = scorer().schema().clone();
    let bytes = with_notes(40, 1 << 20);
    let mut parser = credit_scorer::batch::Parser::new(&schema, 1024);
    let mut chunks = Vec::new();
    for part in bytes.chunks(1 << 16) {
        parser.push(part, &mut chunks).unwrap();
    }
    parser.finish(&mut chunks).unwrap();
    assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 40);
    let budget_rows = credit_scorer::batch::MAX_CHUNK_BYTES >> 20;
    assert!(
        chunks.iter().all(|c| c.len() <= budget_rows),
        "chunk sizes {:?}",
        chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
    );
}

#[test]
fn a_long_field_the_model_reads_still_refuses_the_file_with_its_line() {
    let golden = reference_golden();
    let mut bytes = format!("id,{}\n", golden.features.join(",")).into_bytes();
    let mut x: Vec<String> = golden.rows[0].x.iter().map(|v| v.to_string()).collect();
    x[3] = "1".repeat((1 << 20) + 1);
    writeln!(bytes, "r0,{}", x.join(",")).unwrap();
    let e = score_with(&bytes, 65_536, BatchOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Csv, "{e}");
    assert!(e.message().contains("line 2"), "{e}");
    assert!(e.message().contains("duration_months"), "{e}");
}
