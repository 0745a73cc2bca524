//! Reference scores: applicant rows and the probabilities a reference runtime gave them, recorded
//! in the model's metadata. Every engine must reproduce them; they are what lets the lite build
//! trust its direct evaluator without tract to compare with. With tract also the probe rows (which
//! a chain must score as tract does before it is used) and the writer that records tract's scores
//! of them in a model that has none that cover it (`credit-scorer reference-scores`).

use super::{Model, Prediction, pb};
use crate::error::{Error, ErrorKind, Result};
use crate::schema::{FeatureKind, Schema};

/// Metadata key of the reference scores: applicant rows and the probabilities a reference runtime
/// (the training pipeline's onnxruntime) gave them, as JSON
/// `{"runtime": "…", "rows": [[x₁…x_k], …], "pd": [p, …]}`. Every engine must reproduce them (to
/// [`REFERENCE_PD_TOLERANCE`]); they are what lets the lite build trust its direct evaluator
/// without tract to compare with.
pub const REFERENCE_SCORES_METADATA_KEY: &str = "credit_scorer.reference_scores";

/// How far an engine's probability may be from a recorded reference score.
pub const REFERENCE_PD_TOLERANCE: f64 = 1e-5;

/// Most reference rows a model may carry.
const MAX_REFERENCE_ROWS: usize = 4096;

/// Rows and the probabilities a reference runtime gave them (see
/// [`REFERENCE_SCORES_METADATA_KEY`]).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReferenceScores {
    /// Who computed `pd`, for messages.
    runtime: String,
    rows: Vec<Vec<f32>>,
    pd: Vec<f64>,
}

impl ReferenceScores {
    /// The model's reference scores, if it carries any; malformed ones are a schema error.
    pub(super) fn from_metadata(
        proto: &pb::ModelProto,
        k: usize,
    ) -> Result<Option<ReferenceScores>> {
        let Some(entry) = proto
            .metadata_props
            .iter()
            .find(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
        else {
            return Ok(None);
        };
        let bad = |what: String| {
            Error::new(
                ErrorKind::Schema,
                format!(
                    "the model's `{REFERENCE_SCORES_METADATA_KEY}` metadata {what}; export the model again (or remove that entry)"
                ),
            )
        };
        let scores: ReferenceScores = serde_json::from_str(&entry.value)
            .map_err(|e| bad(format!("is not valid reference scores: {e}")))?;
        if scores.rows.is_empty() || scores.rows.len() > MAX_REFERENCE_ROWS {
            return Err(bad(format!(
                "holds {} rows (1–{MAX_REFERENCE_ROWS} expected)",
                scores.rows.len()
            )));
        }
        if scores.rows.len() != scores.pd.len() {
            return Err(bad(format!(
                "holds {} rows but {} probabilities",
                scores.rows.len(),
                scores.pd.len()
            )));
        }
        if let Some(i) = scores.rows.iter().position(|r| r.len() != k) {
            return Err(bad(format!("has a row {i} that is not {k} values long")));
        }
        if let Some(i) = scores.pd.iter().position(|p| !(0.0..=1.0).contains(p)) {
            return Err(bad(format!("has a probability {i} outside 0–1")));
        }
        Ok(Some(scores))
    }

    /// The rows laid out one after the other.
    pub(super) fn flat_rows(&self) -> Vec<f32> {
        self.rows.iter().flatten().copied().collect()
    }

    /// The first reference score `model`'s engine does not reproduce, as a message.
    pub(super) fn mismatch(&self, model: &Model) -> Result<Option<String>> {
        let scored = model.predict(&self.flat_rows())?;
        Ok(self.first_mismatch(&scored))
    }

    /// The first row `scored` does not reproduce, as a message, or `None` when all agree.
    fn first_mismatch(&self, scored: &[Prediction]) -> Option<String> {
        if scored.len() != self.pd.len() {
            return Some(format!(
                "{} scores for {} reference rows",
                scored.len(),
                self.pd.len()
            ));
        }
        scored
            .iter()
            .zip(&self.pd)
            .position(|(s, &r)| s.pd.is_nan() || (s.pd - r).abs() > REFERENCE_PD_TOLERANCE)
            .and_then(|i| {
                let (s, r) = (scored.get(i)?, self.pd.get(i)?);
                Some(format!(
                    "reference row {i} scores {:.7} here but {r:.7} by {}",
                    s.pd, self.runtime
                ))
            })
    }
}

/// One row the reference scores must hold for the lite engine to trust its evaluator: the baseline
/// with one feature changed to a value (see docs/SCHEMA.md, "Coverage").
#[derive(Clone, Copy, Debug)]
enum Needed {
    /// Exactly this value: a range end or a code (`what` names it in messages).
    At(f32, &'static str),
    /// Any value below the baseline: a numeric feature without a minimum.
    Below,
    /// Any value above the baseline: a numeric feature without a maximum.
    Above,
}

/// The values a feature must take in the reference rows: both ends of a numeric range (a missing
/// end: any value beyond the baseline on that side), every code of a categorical.
fn needed(kind: &FeatureKind) -> Vec<Needed> {
    match kind {
        FeatureKind::Numeric { min, max, .. } => vec![
            min.map_or(Needed::Below, |v| Needed::At(v as f32, "minimum")),
            max.map_or(Needed::Above, |v| Needed::At(v as f32, "maximum")),
        ],
        FeatureKind::Categorical { categories } => categories
            .iter()
            .map(|c| Needed::At(c.code as f32, "code"))
            .collect(),
    }
}

impl ReferenceScores {
    /// What the rows lack to cover the model of `schema`, as a message; `None` when they cover
    /// it. Covered: one row is the baseline, and for every feature and every value [`needed`]
    /// names, a row is the baseline with that feature (only) at that value.
    pub(super) fn uncovered(&self, schema: &Schema) -> Option<String> {
        let baseline = schema.baseline();
        let mut has_baseline = false;
        // Per feature, the values of rows that differ from the baseline in that feature only.
        let mut seen: Vec<Vec<f32>> = vec![Vec::new(); baseline.len()];
        for row in &self.rows {
            let mut changed = row
                .iter()
                .zip(&baseline)
                .enumerate()
                .filter(|(_, (v, b))| v != b);
            match (changed.next(), changed.next()) {
                (None, _) => has_baseline = true,
                (Some((j, (&v, _))), None) => {
                    if let Some(values) = seen.get_mut(j) {
                        values.push(v);
                    }
                }
                _ => {}
            }
        }
        let mut missing = Vec::new();
        if !has_baseline {
            missing.push("the baseline applicant".to_string());
        }
        for ((feature, &base), values) in schema.features.iter().zip(&baseline).zip(&seen) {
            for need in needed(&feature.kind) {
                let (covered, what) = match need {
                    Needed::At(v, what) => (
                        v == base || values.contains(&v),
                        format!("at its {what} {v}"),
                    ),
                    Needed::Below => (
                        values.iter().any(|&v| v < base),
                        "below its baseline (it has no minimum)".to_string(),
                    ),
                    Needed::Above => (
                        values.iter().any(|&v| v > base),
                        "above its baseline (it has no maximum)".to_string(),
                    ),
                };
                if !covered {
                    missing.push(format!(
                        "`{}` {what}, the other features at the baseline",
                        feature.name
                    ));
                }
            }
        }
        let first = missing.first()?;
        Some(format!(
            "{} of the rows they need {} missing, first: {first}",
            missing.len(),
            if missing.len() == 1 { "is" } else { "are" }
        ))
    }
}

/// The message for reference scores that do not cover the model (`gap`: what
/// [`ReferenceScores::uncovered`] found), saying how to add them.
pub(super) fn not_covered(kind: ErrorKind, gap: &str, tract_runs_it: bool) -> Error {
    let how = if tract_runs_it {
        "record them with `credit-scorer reference-scores --model MODEL.onnx -o MODEL-lite.onnx` (it replaces rows that do not cover the model), or add onnxruntime's scores of them as docs/SCHEMA.md shows"
    } else {
        "add onnxruntime's scores of them as docs/SCHEMA.md shows (training/bank_models.py's `coverage_rows`)"
    };
    Error::new(
        kind,
        format!(
            "the model's reference scores (`{REFERENCE_SCORES_METADATA_KEY}`) do not cover it ({gap}); a direct evaluator is trusted only on reference rows that hold the baseline applicant and, for each feature, the baseline with only that feature changed to both ends of its range or to each of its codes: {how}"
        ),
    )
}

// With tract: the probe rows and the writer.

/// Random rows, besides the baseline and the range ends, that a chain must score as tract does.
#[cfg(feature = "tract")]
const PROBE_RANDOM_ROWS: usize = 48;

/// Rows that exercise the whole schema: the baseline, each feature at each end of its range or at
/// each of its codes, and random rows inside the ranges (fixed seed).
#[cfg(feature = "tract")]
pub(super) fn probe_rows(schema: &Schema, k: usize) -> Vec<f32> {
    let baseline = schema.baseline();
    let mut rows = baseline.clone();
    // An end a numeric feature lacks: 10 beyond the baseline (or the other end).
    let range = |kind: &FeatureKind, baseline: f64| -> (f64, f64) {
        match kind {
            FeatureKind::Numeric { min, max, .. } => {
                let lo = min.unwrap_or(baseline - 10.0);
                (lo, max.unwrap_or(lo.max(baseline) + 10.0))
            }
            FeatureKind::Categorical { categories } => {
                let codes = categories.iter().map(|c| c.code as f64);
                (
                    codes.clone().fold(f64::INFINITY, f64::min),
                    codes.fold(f64::NEG_INFINITY, f64::max),
                )
            }
        }
    };
    // The rows that cover the model (`ReferenceScores::uncovered`).
    for (j, feature) in schema.features.iter().enumerate() {
        let (lo, hi) = range(&feature.kind, feature.baseline);
        for need in needed(&feature.kind) {
            let v = match need {
                Needed::At(v, _) => v,
                Needed::Below => lo as f32,
                Needed::Above => hi as f32,
            };
            let mut row = baseline.clone();
            if let Some(slot) = row.get_mut(j) {
                *slot = v;
            }
            rows.extend_from_slice(&row);
        }
    }
    let mut rng = crate::rng::SplitMix64(0x0DD_BA11);
    for _ in 0..PROBE_RANDOM_ROWS {
        for feature in schema.features.iter().take(k) {
            let value = match &feature.kind {
                FeatureKind::Categorical { categories } if !categories.is_empty() => {
                    let i = (rng.next_u64() % categories.len() as u64) as usize;
                    categories
                        .get(i)
                        .map_or(feature.baseline, |c| c.code as f64)
                }
                kind => {
                    let (lo, hi) = range(kind, feature.baseline);
                    lo + rng.unit() * (hi - lo)
                }
            };
            rows.push(value as f32);
        }
    }
    rows
}

/// What [`with_reference_scores`] made.
#[cfg(feature = "tract")]
#[derive(Debug)]
pub struct WithReferenceScores {
    /// The model file with the reference scores appended: the input bytes unchanged (but for an
    /// entry of reference scores that did not cover the model, taken out), then one more
    /// `metadata_props` entry.
    pub bytes: Vec<u8>,
    /// How many rows were scored and recorded.
    pub rows: usize,
    /// Whether a direct evaluator (the chain or `trees`) runs the model (it agreed with tract on
    /// these rows), so the page's lite engine will load it.
    pub lite: bool,
}

/// Records reference scores in a model that has none, or none that cover it (those are
/// replaced; tract must reproduce them first): the probe rows (the baseline, each feature
/// at its range ends or codes, fixed-seed random rows) scored by tract's plan. With them the
/// page's lite engine runs the model when the direct evaluator reproduces tract's scores, the
/// same check the full engine makes at load.
#[cfg(feature = "tract")]
pub fn with_reference_scores(bytes: &[u8]) -> Result<WithReferenceScores> {
    use super::{Engine, LoadOptions, checks};
    let by_tract = Model::from_bytes_with(
        bytes,
        &LoadOptions {
            direct: false,
            ..LoadOptions::default()
        },
    )?;
    // Reference scores that cover the model leave nothing to add; ones that do not (tract
    // reproduced them while loading) are replaced.
    let proto = checks::decode(bytes)?;
    let bytes = match ReferenceScores::from_metadata(&proto, by_tract.k)? {
        Some(recorded) if recorded.uncovered(&by_tract.schema).is_none() => {
            return Err(Error::new(
                ErrorKind::Input,
                format!(
                    "the model already carries reference scores (`{REFERENCE_SCORES_METADATA_KEY}`) that cover it, and they match this engine; nothing to add"
                ),
            ));
        }
        Some(_) => super::prepare::without_metadata_entry(bytes, REFERENCE_SCORES_METADATA_KEY)?,
        None => bytes.to_vec(),
    };
    let rows = probe_rows(&by_tract.schema, by_tract.k);
    let scored = by_tract.predict(&rows)?;
    let value = serde_json::json!({
        "runtime": "tract 0.23.9 (credit-scorer reference-scores)",
        "rows": rows.chunks(by_tract.k.max(1)).collect::<Vec<_>>(),
        // The model's own precision: an f32 prints exactly in its shortest form.
        "pd": scored.iter().map(|p| p.pd as f32).collect::<Vec<_>>(),
    });
    let out = super::prepare::with_metadata_entry(
        bytes,
        REFERENCE_SCORES_METADATA_KEY,
        &value.to_string(),
    );
    let model = Model::from_bytes(&out)?;
    Ok(WithReferenceScores {
        bytes: out,
        rows: scored.len(),
        lite: matches!(model.engine(), Engine::Direct | Engine::Trees),
    })
}
