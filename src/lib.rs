//! credit-scorer: scores loan applicants with an ONNX credit-risk model.
//!
//! The core (this crate minus `wasm`) is plain Rust: [`engine`] loads and runs a model defensively,
//! [`schema`] reads what the model says about its inputs, [`validate`] turns raw values into a row,
//! [`score`] maps probabilities to points and bands, [`explain`] finds the reasons behind a score.
//! [`Scorer`] ties them together. The `wasm` module is a thin binding for the browser.

// No unsafe code anywhere: the SIMD kernel uses safe `core::arch::wasm32` functions, and
// wasm-bindgen's generated glue is outside the lint's reach.
#![forbid(unsafe_code)]
// No path that input reaches may panic: in wasm a panic kills the instance.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod batch;
pub mod drift;
pub mod engine;
pub mod error;
pub mod explain;
pub mod recourse;
pub mod rng;
pub mod schema;
pub mod score;
pub mod validate;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

use serde::Serialize;

/// The engine under its earlier name, which the CLI, the tests and the fuzz targets use.
pub use engine as model;
pub use engine::{Engine, LoadOptions, Model, Prediction};
pub use error::{Error, ErrorKind, Result};
pub use schema::{Localized, Schema};
pub use validate::{FieldError, RawValue};

/// How many adverse reasons a result lists (US adverse-action notices name up to four).
pub const REASON_COUNT: usize = 4;

/// A model ready to score and explain applicants.
#[derive(Debug, Clone)]
pub struct Scorer {
    model: Model,
    baseline: Vec<f32>,
}

/// One feature's share of the score, in points (negative: it cost the applicant points).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contribution {
    /// Feature name.
    pub feature: String,
    /// Feature label (en, zh).
    pub label: Localized,
    /// Points this feature adds (positive) or costs (negative) against the baseline applicant.
    pub contribution: f64,
    /// Reason text (en, zh).
    pub text: Localized,
}

/// The band an applicant falls in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BandResult {
    /// Short id.
    pub id: String,
    /// Display name (en, zh).
    pub label: Localized,
    /// Display colour.
    pub color: Option<String>,
}

/// Everything the page shows for one applicant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    /// Probability of default.
    pub pd: f64,
    /// Scorecard points (higher is safer), clamped to the schema's range.
    pub points: f64,
    /// Risk band.
    pub band: BandResult,
    /// Up to four features that cost the most points, worst first.
    pub reasons: Vec<Contribution>,
    /// Every feature's contribution, in schema order.
    pub contributions: Vec<Contribution>,
    /// Points of the baseline applicant (unclamped); contributions sum to `points_unclamped − baseline_points`.
    pub baseline_points: f64,
    /// Points before clamping to the schema's range.
    pub points_unclamped: f64,
    /// True when the contributions were estimated by sampling (more than 12 features).
    pub approximate: bool,
}

impl Scorer {
    /// Loads a model from the bytes of an `.onnx` file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Scorer> {
        Scorer::from_bytes_with(bytes, &LoadOptions::default())
    }

    /// Loads a model with explicit limits.
    pub fn from_bytes_with(bytes: &[u8], options: &LoadOptions) -> Result<Scorer> {
        let model = Model::from_bytes_with(bytes, options)?;
        let baseline = model.schema().baseline();
        Ok(Scorer { model, baseline })
    }

    /// The loaded model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model's schema.
    pub fn schema(&self) -> &Schema {
        self.model.schema()
    }

    /// Scores rows of validated values (probabilities only, for batches).
    pub fn predict(&self, rows: &[f32]) -> Result<Vec<Prediction>> {
        self.model.predict(rows)
    }

    /// Like [`Scorer::predict`], appending to `out` (batches reuse one buffer).
    pub fn predict_into(&self, rows: &[f32], out: &mut Vec<Prediction>) -> Result<()> {
        self.model.predict_into(rows, out)
    }

    /// Points and band for one prediction.
    pub fn points_and_band(&self, p: &Prediction) -> (f64, BandResult) {
        let schema = self.schema();
        let points = score::points_from_logit(&schema.scaling, p.logit);
        let band = score::band_for(&schema.bands, p.pd).map_or_else(
            || BandResult {
                id: "?".into(),
                label: Localized::new(),
                color: None,
            },
            |b| BandResult {
                id: b.id.clone(),
                label: b.label.clone(),
                color: b.color.clone(),
            },
        );
        (points, band)
    }

    /// Each feature's contribution in points (schema order) of a validated row into `points`:
    /// the Shapley values of [`explain::shapley_into`] on the log-odds, in points (negative:
    /// the feature cost the applicant points against the baseline applicant). `assess` and the
    /// batch both take their contributions and reasons from here.
    pub fn contributions_into(
        &self,
        row: &[f32],
        work: &mut explain::Workspace,
        points: &mut Vec<f64>,
    ) -> Result<explain::Logits> {
        let logits = explain::shapley_into(&self.model, row, &self.baseline, work, points)?;
        let factor = self.schema().scaling.factor();
        // `+ 0.0`: a feature with no share is 0, not −0, in every output.
        points
            .iter_mut()
            .for_each(|phi| *phi = -factor * *phi + 0.0);
        Ok(logits)
    }

    /// Scores and explains one validated row.
    pub fn assess(&self, row: &[f32]) -> Result<Assessment> {
        let mut points_of = Vec::new();
        let attribution =
            self.contributions_into(row, &mut explain::Workspace::default(), &mut points_of)?;
        let prediction = self
            .model
            .predict(row)?
            .first()
            .copied()
            .ok_or_else(|| Error::new(ErrorKind::Inference, "the model returned no score"))?;
        let schema = self.schema();
        let (points, band) = self.points_and_band(&prediction);
        let contributions: Vec<Contribution> = schema
            .features
            .iter()
            .zip(&points_of)
            .map(|(f, &contribution)| Contribution {
                feature: f.name.clone(),
                label: f.label.clone(),
                contribution,
                text: f.reason.clone(),
            })
            .collect();
        let mut ranked = Vec::with_capacity(REASON_COUNT);
        explain::rank_reasons(&points_of, REASON_COUNT, &mut ranked);
        let reasons: Vec<Contribution> = ranked
            .iter()
            .filter_map(|&(i, _)| contributions.get(i).cloned())
            .collect();
        Ok(Assessment {
            pd: prediction.pd,
            points,
            band,
            reasons,
            contributions,
            baseline_points: score::unclamped_points(&schema.scaling, attribution.baseline_logit),
            points_unclamped: score::unclamped_points(&schema.scaling, attribution.applicant_logit),
            approximate: attribution.approximate,
        })
    }

    /// Validates raw values and, when they are all valid, scores and explains them.
    pub fn assess_fields<'a>(
        &self,
        fields: impl IntoIterator<Item = (&'a str, RawValue<'a>)>,
    ) -> Result<Result<Assessment, Vec<FieldError>>> {
        match validate::validate_fields(self.schema(), fields) {
            Ok(row) => self.assess(&row).map(Ok),
            Err(errors) => Ok(Err(errors)),
        }
    }
}
