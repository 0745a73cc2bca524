//! Scoring one chunk: validation, one model run, each row's contributions and reasons (the
//! same routine as [`Scorer::assess`]), and the output rows.

use std::borrow::Cow;

use super::read::RawRecord;
use super::write::{write_f32, write_f64, write_field, write_input_cells, write_one_decimal};
use super::{BatchOptions, Chunk, Columns, HISTOGRAM_BINS, MAX_EXAMPLES, MAX_LISTED, thousands};
use crate::drift::Drift;
use crate::error::Result;
use crate::explain;
use crate::schema::Schema;
use crate::score::PointsScale;
use crate::validate::{CellValidator, validate_cell};
use crate::{Prediction, REASON_COUNT, Scorer};

/// What one chunk added to the summary.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub(super) drift: Option<Drift>,
    pub(super) rows: u64,
    pub(super) scored: u64,
    pub(super) refused: u64,
    pub(super) refused_lines: Vec<u64>,
    pub(super) examples: Vec<String>,
    pub(super) bands: Vec<u64>,
    pub(super) histogram: Vec<u64>,
}

/// A scored chunk: its output CSV rows and what it adds to the summary.
#[derive(Clone, Debug)]
pub struct ScoredChunk {
    /// Output CSV rows (no header).
    pub csv: Vec<u8>,
    /// Counts for the summary.
    pub tally: Tally,
}

/// The result of one row.
#[derive(Debug)]
enum Outcome {
    Scored { index: usize },
    Refused { message: String },
}

/// No reason in this slot.
const NO_REASON: usize = usize::MAX;

/// Buffers reused from chunk to chunk (one per thread): scoring a chunk then allocates nothing
/// per valid row.
#[derive(Debug, Default)]
pub struct Scratch {
    matrix: Vec<f32>,
    outcomes: Vec<Outcome>,
    predictions: Vec<Prediction>,
    pds: Vec<f64>,
    explain: explain::Workspace,
    /// One row's contributions in points.
    points: Vec<f64>,
    ranked: Vec<(usize, f64)>,
    /// [`REASON_COUNT`] feature indices per valid row, [`NO_REASON`] where there are fewer.
    reasons: Vec<usize>,
    /// `k` contributions in points per valid row (only when the options ask for them).
    contributions: Vec<f64>,
    row: Vec<f32>,
    problems: Vec<String>,
}

/// Validates, scores and explains a chunk, and writes its output rows.
pub fn score_chunk(
    scorer: &Scorer,
    columns: &Columns,
    chunk: &Chunk,
    options: &BatchOptions,
) -> Result<ScoredChunk> {
    let mut csv = Vec::new();
    let tally = score_chunk_into(
        scorer,
        columns,
        chunk,
        options,
        &mut Scratch::default(),
        &mut csv,
    )?;
    Ok(ScoredChunk { csv, tally })
}

/// Validates each record of `chunk`, scores the valid ones in one model run and finds their
/// reasons (and contributions, if asked): the outcomes, predictions and reasons in `scratch`.
fn evaluate(
    scorer: &Scorer,
    columns: &Columns,
    chunk: &Chunk,
    options: &BatchOptions,
    scratch: &mut Scratch,
) -> Result<()> {
    let schema = scorer.schema();
    let k = schema.features.len();
    let width = columns.header.len();
    let Scratch {
        matrix,
        outcomes,
        predictions,
        explain,
        points,
        ranked,
        reasons,
        contributions,
        row,
        problems,
        ..
    } = scratch;
    matrix.clear();
    outcomes.clear();
    let cells_check = CellValidator::new(schema, options.decimal);
    let mut cells: Vec<&[u8]> = Vec::with_capacity(width);
    for r in &chunk.records {
        cells.clear();
        cells.extend(chunk.fields(r));
        if cells.len() != width {
            let hint = if cells.iter().any(|c| c.contains(&b'\n')) {
                "a quote (\") opened and never closed, which swallows the following lines"
            } else {
                "a missing or extra comma, or an unquoted comma inside a value"
            };
            outcomes.push(Outcome::Refused {
                message: format!(
                    "line {}: the row has {} fields but the header has {width}; check for {hint}",
                    thousands(r.line),
                    cells.len()
                ),
            });
            continue;
        }
        let start = matrix.len();
        let index = start / k.max(1);
        // Plain numbers first; any other cell takes the full path below, which decides alone.
        let plain = columns
            .column_of_feature
            .iter()
            .enumerate()
            .all(|(feature, &col)| {
                match cells.get(col).and_then(|c| cells_check.check(feature, c)) {
                    Some(v) => {
                        matrix.push(v);
                        true
                    }
                    None => false,
                }
            });
        if plain {
            outcomes.push(Outcome::Scored { index });
            continue;
        }
        matrix.truncate(start);
        row.clear();
        problems.clear();
        for (feature, &col) in schema.features.iter().zip(&columns.column_of_feature) {
            let bytes = cells.get(col).copied().unwrap_or(&[]);
            let Ok(text) = std::str::from_utf8(bytes) else {
                problems.push(format!(
                    "column `{}`: the value is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)",
                    feature.name
                ));
                continue;
            };
            match validate_cell(feature, text, options.decimal) {
                Ok(v) => row.push(v),
                Err(e) => problems.push(format!("column `{}`: {}", feature.name, e.message)),
            }
        }
        if problems.is_empty() {
            outcomes.push(Outcome::Scored { index });
            matrix.extend_from_slice(row);
        } else {
            outcomes.push(Outcome::Refused {
                message: format!("line {}, {}", thousands(r.line), problems.join("; ")),
            });
        }
    }
    predictions.clear();
    reasons.clear();
    contributions.clear();
    scorer.predict_into(matrix, predictions)?;
    same_count("probabilities", predictions.len(), matrix.len() / k.max(1))?;
    if (options.reasons || options.contributions) && k > 0 {
        for valid in matrix.chunks_exact(k) {
            scorer.contributions_into(valid, explain, points)?;
            if options.reasons {
                explain::rank_reasons(points, REASON_COUNT, ranked);
                reasons.extend(
                    (0..REASON_COUNT).map(|slot| ranked.get(slot).map_or(NO_REASON, |r| r.0)),
                );
            }
            if options.contributions {
                contributions.extend_from_slice(points);
            }
        }
        // Each row's values are found by its index: a short list would shift them.
        if options.contributions {
            same_count("contributions", contributions.len(), predictions.len() * k)?;
        }
    }
    Ok(())
}

/// One row as [`score_chunk_into`] writes it, before the text.
enum Row<'a> {
    /// `index`: the row among the valid ones (its reasons and contributions).
    Scored {
        index: usize,
        pd: f64,
        points: f64,
        band: Option<usize>,
    },
    Refused {
        message: Cow<'a, str>,
    },
}

/// Turns each record's outcome into its [`Row`]: the one place that decides what a row's PD,
/// points, band and error are, for the CSV and for [`score_chunk_rows`] alike.
struct Resolver<'a> {
    schema: &'a Schema,
    scale: PointsScale,
    predictions: &'a [Prediction],
}

impl<'a> Resolver<'a> {
    fn new(schema: &'a Schema, predictions: &'a [Prediction]) -> Resolver<'a> {
        Resolver {
            schema,
            scale: PointsScale::new(&schema.scaling),
            predictions,
        }
    }

    fn row<'o>(&self, r: &RawRecord, outcome: &'o Outcome) -> Row<'o> {
        let scored = match outcome {
            Outcome::Scored { index } => self
                .predictions
                .get(*index)
                .filter(|p| p.pd.is_finite())
                .map(|p| (*index, p)),
            Outcome::Refused { .. } => None,
        };
        match (scored, outcome) {
            (Some((index, p)), _) => Row::Scored {
                index,
                pd: p.pd,
                points: self.scale.points(p.logit),
                band: crate::score::band_index_for(&self.schema.bands, p.pd),
            },
            (None, Outcome::Refused { message }) => Row::Refused {
                message: Cow::Borrowed(message),
            },
            (None, Outcome::Scored { .. }) => Row::Refused {
                message: Cow::Owned(format!(
                    "line {}: the model returned no probability for this row",
                    thousands(r.line)
                )),
            },
        }
    }

    /// The band's id as written: `?` when no band holds the PD.
    fn band_id(&self, band: Option<usize>) -> &'a str {
        band.and_then(|b| self.schema.bands.get(b))
            .map_or("?", |b| b.id.as_str())
    }

    /// Reason `slot` of valid row `index` (a feature's name), empty when there is none.
    fn reason(&self, reasons: &[usize], index: usize, slot: usize) -> &'a str {
        reasons
            .get(index * REASON_COUNT + slot)
            .and_then(|&f| self.schema.features.get(f))
            .map_or("", |f| f.name.as_str())
    }
}

/// One row's result, as [`score_chunk_into`] writes it in the CSV, for callers that build
/// columns rather than text (the Python bindings' Arrow batches).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RowResult<'a> {
    /// A scored row.
    Scored {
        /// The PD; the CSV has the shortest digits that read back as this `f32`.
        pd: f32,
        /// The points before rounding; the CSV has them with one decimal
        /// ([`super::one_decimal_value`] is the number it prints).
        points: f64,
        /// The band's id, `?` when no band holds the PD.
        band: &'a str,
        /// The reasons' feature names, worst first; empty where there are fewer (or none were
        /// asked for).
        reasons: [&'a str; REASON_COUNT],
    },
    /// A refused row, with the text of its `error` column (it starts with `line N`).
    Refused {
        /// The error.
        message: &'a str,
    },
}

/// [`score_chunk_into`] without the CSV text: validates, scores and explains `chunk` the same
/// way and hands each record's [`RowResult`] to `each`, in input order. No summary tallies, and
/// no contributions even if `options` asks for them.
pub fn score_chunk_rows(
    scorer: &Scorer,
    columns: &Columns,
    chunk: &Chunk,
    options: &BatchOptions,
    scratch: &mut Scratch,
    mut each: impl FnMut(RowResult<'_>),
) -> Result<()> {
    evaluate(scorer, columns, chunk, options, scratch)?;
    let resolver = Resolver::new(scorer.schema(), &scratch.predictions);
    for (r, outcome) in chunk.records.iter().zip(scratch.outcomes.iter()) {
        match resolver.row(r, outcome) {
            Row::Scored {
                index,
                pd,
                points,
                band,
            } => each(RowResult::Scored {
                pd: pd as f32,
                points,
                band: resolver.band_id(band),
                reasons: std::array::from_fn(|slot| resolver.reason(&scratch.reasons, index, slot)),
            }),
            Row::Refused { message } => each(RowResult::Refused { message: &message }),
        }
    }
    Ok(())
}

/// [`score_chunk`] appending the output rows to `out`, with buffers reused across chunks.
pub fn score_chunk_into(
    scorer: &Scorer,
    columns: &Columns,
    chunk: &Chunk,
    options: &BatchOptions,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<Tally> {
    evaluate(scorer, columns, chunk, options, scratch)?;
    let schema = scorer.schema();
    let k = schema.features.len();
    let width = columns.header.len();
    let Scratch {
        matrix,
        outcomes,
        predictions,
        pds,
        reasons,
        contributions,
        ..
    } = scratch;
    let mut drift = Drift::new(schema);
    pds.clear();
    pds.extend(predictions.iter().map(|p| p.pd));
    drift.add_rows(matrix, pds);
    let mut tally = Tally {
        drift: Some(drift),
        bands: vec![0; schema.bands.len()],
        histogram: vec![0; HISTOGRAM_BINS],
        ..Tally::default()
    };
    // Bands are counted under the first band with the same id (as `points_and_band` names them).
    let band_slot = |id: &str| schema.bands.iter().position(|b| b.id == id);
    let slots: Vec<Option<usize>> = schema.bands.iter().map(|b| band_slot(&b.id)).collect();
    let unknown_slot = band_slot("?");
    let resolver = Resolver::new(schema, predictions);
    out.reserve(chunk.data.len() + chunk.len() * 64);
    for (r, outcome) in chunk.records.iter().zip(outcomes.iter()) {
        tally.rows += 1;
        write_input_cells(out, chunk, r, width);
        match resolver.row(r, outcome) {
            Row::Scored {
                index,
                pd,
                points,
                band,
            } => {
                tally.scored += 1;
                let slot = match band {
                    Some(b) => slots.get(b).copied().flatten(),
                    None => unknown_slot,
                };
                if let Some(c) = slot.and_then(|b| tally.bands.get_mut(b)) {
                    *c += 1;
                }
                if let Some(c) = tally
                    .histogram
                    .get_mut(histogram_bin(&schema.scaling, points))
                {
                    *c += 1;
                }
                write_f32(out, pd as f32);
                out.push(b',');
                write_one_decimal(out, points);
                out.push(b',');
                write_field(out, resolver.band_id(band).as_bytes());
                out.push(b',');
                for slot in 0..REASON_COUNT {
                    write_field(out, resolver.reason(reasons, index, slot).as_bytes());
                    out.push(b',');
                }
                if options.contributions {
                    // After the (empty) error column, at full precision.
                    let values = contributions.get(index * k..(index + 1) * k).unwrap_or(&[]);
                    for &v in values {
                        out.push(b',');
                        write_f64(out, v);
                    }
                }
            }
            Row::Refused { message } => {
                tally.refused += 1;
                if tally.refused_lines.len() < MAX_LISTED {
                    tally.refused_lines.push(r.line);
                }
                out.extend_from_slice(&[b','; 3 + REASON_COUNT]);
                write_field(out, message.as_bytes());
                if options.contributions {
                    out.extend(std::iter::repeat_n(b',', k));
                }
                if tally.examples.len() < MAX_EXAMPLES {
                    tally.examples.push(message.into_owned());
                }
            }
        }
        out.push(b'\n');
    }
    Ok(tally)
}

/// An error unless the model gave `want` values: a wrong count would silently misplace scores or
/// drop reasons.
fn same_count(what: &str, got: usize, want: usize) -> Result<()> {
    if got == want {
        return Ok(());
    }
    Err(crate::error::Error::new(
        crate::error::ErrorKind::Inference,
        format!(
            "the model returned {got} {what} where {want} were asked for; the chunk cannot be \
             scored (please report this model)"
        ),
    ))
}

fn histogram_bin(scaling: &crate::schema::Scaling, points: f64) -> usize {
    let span = scaling.max_points - scaling.min_points;
    let x = ((points - scaling.min_points) / span * HISTOGRAM_BINS as f64).floor();
    if x.is_nan() || x < 0.0 {
        0
    } else {
        (x as usize).min(HISTOGRAM_BINS - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_model_output_is_an_error_naming_both_counts() {
        assert!(same_count("probabilities", 3, 3).is_ok());
        let e = same_count("probabilities", 5, 6).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Inference);
        assert!(
            e.message()
                .contains("5 probabilities where 6 were asked for"),
            "{e}"
        );
    }
}
