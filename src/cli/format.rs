//! The scored rows as the chosen format: CSV (the core's bytes, untouched unless `--keep-columns`
//! drops input columns), JSON Lines (one object per row, the same columns: input cells as
//! written, as strings; `pd`, `points` and the `contribution_<feature>` columns as numbers; an
//! empty output cell as `null`) or Parquet (the same columns, typed: `super::parquet`).

use std::path::Path;

use credit_scorer::batch::Columns;
use credit_scorer::{Error, ErrorKind};

use super::parquet::{Kind, ParquetRows};

/// The output format (`--format`, else the output's extension, else CSV).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header line
    Csv,
    /// JSON Lines: one object per row
    Jsonl,
    /// Apache Parquet: typed columns, the audit trail in its metadata
    Parquet,
}

impl Format {
    /// `--format` if given, else by the output's extension (`.jsonl`, `.ndjson`, `.parquet`),
    /// else CSV.
    pub fn choose(given: Option<Format>, output: Option<&Path>) -> Format {
        given.unwrap_or_else(|| {
            match output
                .and_then(Path::extension)
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("jsonl" | "ndjson") => Format::Jsonl,
                Some("parquet") => Format::Parquet,
                _ => Format::Csv,
            }
        })
    }

    /// Its name, for the summary.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}

/// Which input columns the output carries (`--keep-columns`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Every input column (the default).
    All,
    /// None: only the scored columns.
    None,
    /// These, in this order.
    Named(Vec<String>),
}

/// `--keep-columns`' value: `all`, `none`, or column names separated by commas.
pub fn parse_keep(text: &str) -> Result<Keep, String> {
    match text.trim() {
        "all" => Ok(Keep::All),
        "none" => Ok(Keep::None),
        names => {
            let names: Vec<String> = names.split(',').map(|n| n.trim().to_string()).collect();
            if names.iter().any(String::is_empty) {
                return Err(format!(
                    "`{text}` names an empty column; use `all`, `none` or names separated by commas"
                ));
            }
            Ok(Keep::Named(names))
        }
    }
}

fn write_error(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("cannot write the output: {e}"))
}

/// What a column of the output holds, for JSON Lines and Parquet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    /// An input cell: a string, as written.
    Input,
    /// A scored column holding text (`band`, the reasons, `error`); empty: `null`.
    Text,
    /// The PD: a number; empty: `null`.
    Probability,
    /// A scored column holding another number (`points`, the contributions); empty: `null`.
    Number,
}

/// One column of the output.
#[derive(Clone, Debug)]
struct Picked {
    name: String,
    /// Its index in the core's CSV row.
    index: usize,
    cell: Cell,
}

/// Turns the core's CSV rows into the chosen format and columns.
pub struct RowFormat {
    format: Format,
    keep: Keep,
    /// The columns the core appends to each input row
    /// ([`credit_scorer::batch::output_columns`]), in its order.
    outputs: Vec<String>,
    /// Once the header is known: the output's columns. `None` while every column passes
    /// through as CSV.
    picked: Option<Vec<Picked>>,
    /// Key-value metadata for the formats that carry it (Parquet).
    metadata: Vec<(String, String)>,
    /// The Parquet file being written, once the header is known.
    parquet: Option<ParquetRows>,
}

impl RowFormat {
    /// `outputs`: the names of the columns the core appends to each input row (those of
    /// [`credit_scorer::batch::output_columns`] for the batch's options); `metadata`: the
    /// key-value metadata known before the rows, for the formats that carry it (Parquet).
    pub fn new(
        format: Format,
        keep: Keep,
        outputs: Vec<String>,
        metadata: Vec<(String, String)>,
    ) -> RowFormat {
        RowFormat {
            format,
            keep,
            outputs,
            picked: None,
            metadata,
            parquet: None,
        }
    }

    /// The output's header line (none for JSON Lines), once the input's header is known;
    /// refuses kept columns the input does not have.
    pub fn header(&mut self, columns: &Columns) -> Result<Vec<u8>, Error> {
        let input = &columns.header;
        let kept: Vec<usize> = match &self.keep {
            Keep::All => (0..input.len()).collect(),
            Keep::None => Vec::new(),
            Keep::Named(names) => names
                .iter()
                .map(|n| {
                    input.iter().position(|h| h == n).ok_or_else(|| {
                        Error::new(
                            ErrorKind::Csv,
                            format!(
                                "--keep-columns names `{n}`, which the input does not have; its \
                                 columns are {}",
                                input
                                    .iter()
                                    .map(|h| format!("`{h}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let mut picked: Vec<Picked> = kept
            .iter()
            .filter_map(|&i| {
                input.get(i).map(|name| Picked {
                    name: name.clone(),
                    index: i,
                    cell: Cell::Input,
                })
            })
            .collect();
        picked.extend(self.outputs.iter().enumerate().map(|(o, name)| Picked {
            name: name.clone(),
            index: input.len() + o,
            cell: if name == "pd" {
                Cell::Probability
            } else if name == "points" || name.starts_with("contribution_") {
                Cell::Number
            } else {
                Cell::Text
            },
        }));
        let passthrough = self.format == Format::Csv && self.keep == Keep::All;
        let header = match self.format {
            // The same header line as the core's (`output_header_with`).
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(picked.iter().map(|p| &p.name))
                    .map_err(write_error)?;
                w.into_inner().map_err(write_error)?
            }
            Format::Jsonl => Vec::new(),
            Format::Parquet => {
                let columns: Vec<(String, usize, Kind)> = picked
                    .iter()
                    .map(|p| {
                        let kind = match p.cell {
                            Cell::Input => Kind::Input,
                            Cell::Text => Kind::Text,
                            Cell::Probability => Kind::Probability,
                            Cell::Number => Kind::Number,
                        };
                        (p.name.clone(), p.index, kind)
                    })
                    .collect();
                self.parquet = Some(ParquetRows::new(&columns, &self.metadata)?);
                Vec::new()
            }
        };
        self.picked = (!passthrough).then_some(picked);
        Ok(header)
    }

    /// True while rows go out as the core wrote them (CSV with every column).
    pub fn passthrough(&self) -> bool {
        self.picked.is_none()
    }

    /// Appends the core's CSV rows `csv` to `out` in the chosen format (CSV with every column:
    /// as they are; Parquet: the row groups that filled).
    pub fn rows(&mut self, csv: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let Some(picked) = &self.picked else {
            out.extend_from_slice(csv);
            return Ok(());
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(csv);
        let mut record = csv::ByteRecord::new();
        match self.format {
            Format::Parquet => match &mut self.parquet {
                Some(parquet) => parquet.rows(csv, out)?,
                None => return Err(no_header()),
            },
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                while reader.read_byte_record(&mut record).map_err(write_error)? {
                    w.write_record(picked.iter().map(|p| record.get(p.index).unwrap_or(b"")))
                        .map_err(write_error)?;
                }
                w.flush().map_err(write_error)?;
            }
            Format::Jsonl => {
                while reader.read_byte_record(&mut record).map_err(write_error)? {
                    // Written by hand to keep the columns in order.
                    out.push(b'{');
                    for (at, column) in picked.iter().enumerate() {
                        if at > 0 {
                            out.push(b',');
                        }
                        serde_json::to_writer(&mut *out, &column.name).map_err(write_error)?;
                        out.push(b':');
                        let cell = String::from_utf8_lossy(record.get(column.index).unwrap_or(b""));
                        if cell.is_empty() && column.cell != Cell::Input {
                            out.extend_from_slice(b"null");
                        } else if matches!(column.cell, Cell::Number | Cell::Probability) {
                            // Numbers exactly as the CSV writes them (JSON has no infinity:
                            // such points stay text).
                            match cell.parse::<f64>() {
                                Ok(v) if v.is_finite() => out.extend_from_slice(cell.as_bytes()),
                                Ok(_) => {
                                    serde_json::to_writer(&mut *out, &cell).map_err(write_error)?
                                }
                                Err(_) => {
                                    return Err(write_error(format!("`{cell}` is not a number")));
                                }
                            }
                        } else {
                            serde_json::to_writer(&mut *out, &cell).map_err(write_error)?;
                        }
                    }
                    out.extend_from_slice(b"}\n");
                }
            }
        }
        Ok(())
    }

    /// Appends to `out` what ends the output (Parquet: its last row group and its footer, with
    /// `metadata` added to the metadata given to [`RowFormat::new`]); nothing for CSV and JSON
    /// Lines.
    pub fn finish(
        &mut self,
        metadata: &[(String, String)],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        match self.format {
            Format::Csv | Format::Jsonl => Ok(()),
            Format::Parquet => match self.parquet.take() {
                Some(parquet) => parquet.finish(metadata, out),
                None => Err(no_header()),
            },
        }
    }
}

/// Rows, or the end, before the header: the input has none, so no Parquet schema.
fn no_header() -> Error {
    Error::new(
        ErrorKind::Csv,
        "the input has no header line, so the Parquet output has no columns; the first line must \
         name the model's columns",
    )
}
