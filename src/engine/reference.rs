//! Reference scores: applicant rows and the probabilities a reference runtime gave them, recorded
//! in the model's metadata. Every engine must reproduce them; they are what lets the lite build
//! trust its direct evaluator without tract to compare with. With tract also the probe rows (which
//! a chain must score as tract does before it is used) and the writer that records tract's scores
//! of them in a model that has none (`credit-scorer reference-scores`).

use super::{Model, Prediction, pb};
use crate::error::{Error, ErrorKind, Result};

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

// With tract: the probe rows and the writer.

/// Random rows, besides the baseline and the range ends, that a chain must score as tract does.
#[cfg(feature = "tract")]
const PROBE_RANDOM_ROWS: usize = 48;

/// Rows that exercise the whole schema: the baseline, each feature at each end of its range or at
/// each of its codes, and random rows inside the ranges (fixed seed).
#[cfg(feature = "tract")]
pub(super) fn probe_rows(schema: &crate::schema::Schema, k: usize) -> Vec<f32> {
    use crate::schema::FeatureKind;
    let baseline = schema.baseline();
    let mut rows = baseline.clone();
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
    for (j, feature) in schema.features.iter().enumerate() {
        let values: Vec<f64> = match &feature.kind {
            FeatureKind::Categorical { categories } => {
                categories.iter().map(|c| c.code as f64).collect()
            }
            kind => {
                let (lo, hi) = range(kind, feature.baseline);
                vec![lo, hi]
            }
        };
        for v in values {
            let mut row = baseline.clone();
            if let Some(slot) = row.get_mut(j) {
                *slot = v as f32;
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
    /// The model file with the reference scores appended: the input bytes unchanged, then one
    /// more `metadata_props` entry.
    pub bytes: Vec<u8>,
    /// How many rows were scored and recorded.
    pub rows: usize,
    /// Whether a direct evaluator (the chain or `trees`) runs the model (it agreed with tract on
    /// these rows), so the page's lite engine will load it.
    pub lite: bool,
}

/// Records reference scores in a model that has none: the probe rows (the baseline, each feature
/// at its range ends or codes, fixed-seed random rows) scored by tract's plan. With them the
/// page's lite engine runs the model when the direct evaluator reproduces tract's scores, the
/// same check the full engine makes at load.
#[cfg(feature = "tract")]
pub fn with_reference_scores(bytes: &[u8]) -> Result<WithReferenceScores> {
    use super::{Engine, LoadOptions, checks};
    use prost::Message;
    let by_tract = Model::from_bytes_with(
        bytes,
        &LoadOptions {
            direct: false,
            ..LoadOptions::default()
        },
    )?;
    if checks::decode(bytes)?
        .metadata_props
        .iter()
        .any(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
    {
        return Err(Error::new(
            ErrorKind::Input,
            format!(
                "the model already carries reference scores (`{REFERENCE_SCORES_METADATA_KEY}`), and they match this engine; nothing to add"
            ),
        ));
    }
    let rows = probe_rows(&by_tract.schema, by_tract.k);
    let scored = by_tract.predict(&rows)?;
    let value = serde_json::json!({
        "runtime": "tract 0.23.9 (credit-scorer reference-scores)",
        "rows": rows.chunks(by_tract.k.max(1)).collect::<Vec<_>>(),
        // The model's own precision: an f32 prints exactly in its shortest form.
        "pd": scored.iter().map(|p| p.pd as f32).collect::<Vec<_>>(),
    });
    let entry = pb::StringStringEntryProto {
        key: REFERENCE_SCORES_METADATA_KEY.into(),
        value: value.to_string(),
    }
    .encode_to_vec();
    // A repeated field may be appended to an encoded message: the file stays byte for byte what
    // it was (no re-encoding, no field this copy of onnx.proto does not know is lost).
    const METADATA_PROPS_TAG: u8 = (14 << 3) | 2; // field 14, length-delimited
    let mut out = bytes.to_vec();
    out.push(METADATA_PROPS_TAG);
    prost::encoding::encode_varint(entry.len() as u64, &mut out);
    out.extend_from_slice(&entry);
    let model = Model::from_bytes(&out)?;
    Ok(WithReferenceScores {
        bytes: out,
        rows: scored.len(),
        lite: matches!(model.engine(), Engine::Direct | Engine::Trees),
    })
}
