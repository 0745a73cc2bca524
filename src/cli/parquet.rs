//! The scored rows as Parquet: the CSV's columns in its order, typed (input cells as written,
//! as strings; `pd` as float32, the model's own value, which the CSV prints with the shortest
//! digits that read back to it; `points` as float64 as the CSV prints it, to 0.1; the
//! contributions as float64 at full precision, as the CSV prints them; band, reasons and error as
//! strings; an empty scored cell as null), Snappy-compressed, in row groups of
//! [`ROW_GROUP_ROWS`] rows, with the audit trail as key-value metadata.

use std::sync::Arc;

use arrow_array::builder::{Float32Builder, Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use credit_scorer::{Error, ErrorKind};

/// Rows in a row group: the rows a writer holds encoded before it writes them, so memory stays
/// bounded whatever the file's length (a few MB for the reference model's columns).
pub const ROW_GROUP_ROWS: usize = 65_536;

/// What one output column holds, and so its Parquet type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An input cell, as written: a string, never null.
    Input,
    /// Band, a reason or the error: a string, null when empty.
    Text,
    /// The PD: float32, null when empty.
    Probability,
    /// Points or a contribution: float64, null when empty.
    Number,
}

enum Column {
    Text(StringBuilder),
    Float32(Float32Builder),
    Float64(Float64Builder),
}

impl Column {
    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Float32(b) => Arc::new(b.finish()),
            Column::Float64(b) => Arc::new(b.finish()),
        }
    }
}

fn write_error(e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot write the output as Parquet: {e}"),
    )
}

/// A Parquet file being written: rows come in as the core's CSV, bytes go out as row groups
/// fill.
pub struct ParquetRows {
    writer: ArrowWriter<Vec<u8>>,
    schema: SchemaRef,
    /// Per output column: its index in the core's CSV row, its kind and its values so far.
    columns: Vec<(usize, Kind, Column)>,
}

impl ParquetRows {
    /// A file with these columns (name, index in the core's CSV row, kind) and the key-value
    /// `metadata` known before the rows.
    pub fn new(
        columns: &[(String, usize, Kind)],
        metadata: &[(String, String)],
    ) -> Result<ParquetRows, Error> {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, _, kind)| {
                    let data_type = match kind {
                        Kind::Input | Kind::Text => DataType::Utf8,
                        Kind::Probability => DataType::Float32,
                        Kind::Number => DataType::Float64,
                    };
                    Field::new(name, data_type, *kind != Kind::Input)
                })
                .collect::<Vec<_>>(),
        ));
        let properties = WriterProperties::builder()
            // Snappy: what Spark and pyarrow write by default, and every reader reads.
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_size(ROW_GROUP_ROWS)
            .set_key_value_metadata(Some(
                metadata
                    .iter()
                    .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                    .collect(),
            ))
            .build();
        let writer = ArrowWriter::try_new(Vec::new(), Arc::clone(&schema), Some(properties))
            .map_err(write_error)?;
        Ok(ParquetRows {
            writer,
            schema,
            columns: columns
                .iter()
                .map(|&(_, index, kind)| {
                    let values = match kind {
                        Kind::Input | Kind::Text => Column::Text(StringBuilder::new()),
                        Kind::Probability => Column::Float32(Float32Builder::new()),
                        Kind::Number => Column::Float64(Float64Builder::new()),
                    };
                    (index, kind, values)
                })
                .collect(),
        })
    }

    /// Adds the core's CSV rows `csv` and appends to `out` the bytes of the row groups that
    /// filled.
    pub fn rows(&mut self, csv: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(csv);
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(write_error)? {
            for (index, kind, values) in &mut self.columns {
                let cell = record.get(*index).unwrap_or("");
                match values {
                    Column::Text(b) if *kind == Kind::Input => b.append_value(cell),
                    Column::Text(b) if cell.is_empty() => b.append_null(),
                    Column::Text(b) => b.append_value(cell),
                    Column::Float32(b) => b.append_option(number(cell)?),
                    Column::Float64(b) => b.append_option(number(cell)?),
                }
            }
        }
        let arrays = self
            .columns
            .iter_mut()
            .map(|(_, _, c)| c.finish())
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(write_error)?;
        self.writer.write(&batch).map_err(write_error)?;
        // The writer counts the bytes it wrote itself (offsets in the footer), so the bytes
        // already in its buffer can move on to the output.
        out.append(self.writer.inner_mut());
        Ok(())
    }

    /// Writes the last row group and the footer with `metadata` added, into `out`.
    pub fn finish(mut self, metadata: &[(String, String)], out: &mut Vec<u8>) -> Result<(), Error> {
        for (k, v) in metadata {
            self.writer
                .append_key_value_metadata(KeyValue::new(k.clone(), v.clone()));
        }
        out.append(&mut self.writer.into_inner().map_err(write_error)?);
        Ok(())
    }
}

/// A number cell as the CSV wrote it (empty: null).
fn number<T: std::str::FromStr>(cell: &str) -> Result<Option<T>, Error> {
    if cell.is_empty() {
        return Ok(None);
    }
    cell.parse()
        .map(Some)
        .map_err(|_| write_error(format!("`{cell}` is not a number")))
}
