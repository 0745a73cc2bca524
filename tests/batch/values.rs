//! The rows as values (what the Python package builds its Arrow columns from) against the CSV rows,
//! and feature cells pushed as fields against parsed ones.

use credit_scorer::ErrorKind;
use credit_scorer::batch::BatchOptions;

use crate::{awkward, records, scorer};

/// A [`score_chunk_rows`] row as the eight cells the CSV writes for it.
fn row_cells(row: credit_scorer::batch::RowResult<'_>) -> Vec<String> {
    use credit_scorer::batch::RowResult;
    match row {
        RowResult::Scored {
            pd,
            points,
            band,
            reasons,
        } => {
            let printed = format!("{points:.1}");
            assert_eq!(
                credit_scorer::batch::one_decimal_value(points).map(f64::to_bits),
                Some(printed.parse::<f64>().unwrap().to_bits())
            );
            let mut cells = vec![pd.to_string(), printed, band.to_string()];
            cells.extend(reasons.iter().map(|r| r.to_string()));
            cells.push(String::new());
            cells
        }
        RowResult::Refused { message } => {
            let mut cells = vec![String::new(); 7];
            cells.push(message.to_string());
            cells
        }
    }
}

/// `line 1,204, column …` → `column …`.
fn without_line(message: &str) -> &str {
    let rest = message.strip_prefix("line ").unwrap();
    let at = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap();
    rest[at..].trim_start_matches([':', ' '])
}

#[test]
fn rows_as_values_are_the_csv_rows_and_pushed_fields_score_as_parsed_ones() {
    use credit_scorer::batch::{
        Chunk, Parser, Scratch, map_header, score_chunk_into, score_chunk_rows, thousands,
    };
    let sc = scorer();
    let schema = sc.schema();
    let n = 2500;
    let options = BatchOptions::default();
    let mut parser = Parser::new(schema, 1024);
    let mut chunks = Vec::new();
    parser.push(&awkward(n), &mut chunks).unwrap();
    parser.finish(&mut chunks).unwrap();
    let columns = parser.columns().unwrap().clone();
    let mut scratch = Scratch::default();
    let mut text = Vec::new();
    let mut values = Vec::new();
    for chunk in &chunks {
        score_chunk_into(&sc, &columns, chunk, &options, &mut scratch, &mut text).unwrap();
        score_chunk_rows(&sc, &columns, chunk, &options, &mut scratch, |row| {
            values.push(row_cells(row))
        })
        .unwrap();
    }
    let rows = records(&text);
    assert_eq!((rows.len(), values.len()), (n, n));
    for (i, (row, cells)) in rows.iter().zip(&values).enumerate() {
        assert_eq!(&row[row.len() - 8..], cells.as_slice(), "row {i}");
    }
    assert!(values.iter().any(|c| !c[7].is_empty()) && values.iter().any(|c| !c[3].is_empty()));

    // The same feature cells pushed as fields, not parsed: the same rows, each message with the
    // line it was pushed with.
    let k = schema.features.len();
    let features: Vec<String> = schema.features.iter().map(|f| f.name.clone()).collect();
    let pushed_columns = map_header(schema, &features).unwrap();
    let mut chunk = Chunk::default();
    let mut pushed = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let (mut data, mut ends) = (Vec::new(), Vec::new());
        for cell in &row[1..=k] {
            data.extend_from_slice(cell.as_bytes());
            ends.push(data.len());
        }
        chunk
            .push_fields(&pushed_columns, i as u64 + 1, &data, &ends)
            .unwrap();
        if chunk.len() == 1024 || i + 1 == n {
            score_chunk_rows(
                &sc,
                &pushed_columns,
                &chunk,
                &options,
                &mut scratch,
                |row| pushed.push(row_cells(row)),
            )
            .unwrap();
            chunk.clear();
        }
    }
    assert_eq!(pushed.len(), n);
    for (i, (a, b)) in values.iter().zip(&pushed).enumerate() {
        assert_eq!(a[..7], b[..7], "row {i}");
        if a[7].is_empty() {
            assert_eq!(b[7], "", "row {i}");
        } else {
            assert_eq!(without_line(&a[7]), without_line(&b[7]), "row {i}");
            assert!(
                b[7].starts_with(&format!("line {}", thousands(i as u64 + 1))),
                "{}",
                b[7]
            );
        }
    }

    // A feature's field longer than the parser allows refuses the batch, naming line and column.
    let mut data = Vec::new();
    let mut ends = Vec::new();
    for j in 0..k {
        if j == 3 {
            data.extend(std::iter::repeat_n(b'1', (1 << 20) + 1));
        } else {
            data.push(b'1');
        }
        ends.push(data.len());
    }
    let e = chunk
        .push_fields(&pushed_columns, 7, &data, &ends)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Csv, "{e}");
    assert!(
        e.message().contains("line 7") && e.message().contains(&features[3]),
        "{e}"
    );
    assert!(chunk.is_empty());
}
