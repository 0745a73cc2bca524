//! The summary of a batch, as data: every row accounted for, bands, the points histogram and
//! drift. The command line writes it as text; the page shows it in its own language.

use serde::Serialize;

use super::{BatchOptions, HISTOGRAM_BINS, MAX_EXAMPLES, MAX_LISTED, Parser, Tally};
use crate::Scorer;
use crate::drift::{Drift, DriftReport};

/// Rows per risk band.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BandCount {
    /// Band id.
    pub id: String,
    /// Band name (en, zh).
    pub label: crate::Localized,
    /// Display colour from the schema.
    pub color: Option<String>,
    /// Rows scored into the band.
    pub count: u64,
}

/// Scored rows per bin of points.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Histogram {
    /// Lower edge of the first bin (the schema's `min_points`).
    pub min: f64,
    /// Upper edge of the last bin (the schema's `max_points`).
    pub max: f64,
    /// Rows per bin; bin `i` covers `min + i·w ≤ points < min + (i+1)·w`, the last includes `max`.
    pub counts: Vec<u64>,
}

/// Accounts for every row of a batch: `rows_in = scored + refused`; blank lines apart.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// Data rows read (the header and blank lines not included).
    pub rows_in: u64,
    /// Rows with a score.
    pub scored: u64,
    /// Rows refused (their error is in the `error` column).
    pub refused: u64,
    /// Line numbers of the first refused rows (at most [`MAX_LISTED`]).
    pub refused_lines: Vec<u64>,
    /// True when more rows were refused than listed.
    pub refused_lines_truncated: bool,
    /// The first error messages (at most [`MAX_EXAMPLES`]).
    pub examples: Vec<String>,
    /// Blank lines skipped (not rows).
    pub blank_lines: u64,
    /// Line numbers of the first blank lines (at most [`MAX_LISTED`]).
    pub blank_line_numbers: Vec<u64>,
    /// Lines in the file.
    pub lines: u64,
    /// Input columns that are not features (copied through).
    pub ignored_columns: Vec<String>,
    /// The byte between the input's columns (`,` `;` tab `|`), once the header was read.
    pub delimiter: Option<String>,
    /// Rows per band, in the schema's order.
    pub bands: Vec<BandCount>,
    /// Points histogram.
    pub histogram: Histogram,
    /// Whether reasons were found: `shapley` or `none`.
    pub reasons: String,
    /// Which method gave the reasons (and contributions), as [`crate::explain::Method::label`]
    /// names it: `exact Shapley`, `exact TreeSHAP` or `sampled Shapley (128 permutations)`;
    /// `None` without reasons or contributions.
    pub reasons_method: Option<String>,
    /// Population stability of the scored rows against the training data (see [`crate::drift`]).
    pub drift: DriftReport,
    #[serde(skip)]
    drift_counts: DriftCounts,
}

/// The drift accumulator inside a summary; two are equal when their reports are.
#[derive(Clone, Debug)]
struct DriftCounts(Drift);

impl PartialEq for DriftCounts {
    fn eq(&self, other: &Self) -> bool {
        self.0.report() == other.0.report()
    }
}

impl Summary {
    /// An empty summary for `scorer`'s model.
    pub fn new(scorer: &Scorer, options: &BatchOptions) -> Summary {
        let schema = scorer.schema();
        let explains = options.reasons || options.contributions;
        let drift = Drift::new(schema);
        Summary {
            drift: drift.report(),
            drift_counts: DriftCounts(drift),
            rows_in: 0,
            scored: 0,
            refused: 0,
            refused_lines: Vec::new(),
            refused_lines_truncated: false,
            examples: Vec::new(),
            blank_lines: 0,
            blank_line_numbers: Vec::new(),
            lines: 0,
            ignored_columns: Vec::new(),
            delimiter: None,
            bands: schema
                .bands
                .iter()
                .map(|b| BandCount {
                    id: b.id.clone(),
                    label: b.label.clone(),
                    color: b.color.clone(),
                    count: 0,
                })
                .collect(),
            histogram: Histogram {
                min: schema.scaling.min_points,
                max: schema.scaling.max_points,
                counts: vec![0; HISTOGRAM_BINS],
            },
            reasons: if options.reasons {
                "shapley".into()
            } else {
                "none".into()
            },
            reasons_method: explains
                .then(|| crate::explain::method(scorer.model()).label().to_string()),
        }
    }

    /// Adds a scored chunk's counts (chunks must be added in input order for the line lists).
    pub fn add(&mut self, tally: &Tally) {
        self.rows_in += tally.rows;
        self.scored += tally.scored;
        self.refused += tally.refused;
        let room = MAX_LISTED.saturating_sub(self.refused_lines.len());
        self.refused_lines
            .extend(tally.refused_lines.iter().take(room));
        self.refused_lines_truncated = self.refused > self.refused_lines.len() as u64;
        let room = MAX_EXAMPLES.saturating_sub(self.examples.len());
        self.examples
            .extend(tally.examples.iter().take(room).cloned());
        for (b, c) in self.bands.iter_mut().zip(&tally.bands) {
            b.count += c;
        }
        for (h, c) in self.histogram.counts.iter_mut().zip(&tally.histogram) {
            *h += c;
        }
        if let Some(d) = &tally.drift {
            self.drift_counts.0.merge(d);
        }
    }

    /// Takes the parser's counts of lines and blank lines.
    pub fn update_from(&mut self, parser: &Parser) {
        self.blank_lines = parser.blank_lines();
        self.blank_line_numbers = parser.blank_line_numbers().to_vec();
        self.lines = parser.lines();
        self.delimiter = parser.delimiter().map(|d| char::from(d).to_string());
        if let Some(c) = parser.columns() {
            self.ignored_columns.clone_from(&c.ignored);
        }
        self.drift = self.drift_counts.0.report();
    }
}
