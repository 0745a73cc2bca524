//! The engine: loads an ONNX model from bytes, defensively, and scores rows with a direct
//! evaluator (the chain or the trees) or tract. A model goes through, in order:
//!
//! 1. `checks`: everything an untrusted file could do wrong, judged on its protobuf before any
//!    engine sees it (size, decode, opsets, operators, tensors, allocations, the input and output
//!    contract, `ai.onnx.ml` structure).
//! 2. [`trees`]: the `ai.onnx.ml` evaluator compiles the graph as exported, if its path to the
//!    probability goes through tree ensembles or the operators around them.
//! 3. `normalize`: two rewrites of what valid ONNX allows and tract refuses.
//! 4. `chain`: the direct evaluator compiles the graph, if it is one chain of row-wise operators.
//! 5. The engine choice (`Model::choose_engine`, in `tract` and in `lite`), with the reference
//!    scores the model carries (`reference`). Trees that reproduce them run the model. With tract
//!    (full build only) its optimized plan must reproduce them otherwise, and the chain (or trees,
//!    for a model without reference scores) is used only if it scores the probe rows (and the
//!    reference rows) as the plan does. Without tract (the page's small "lite" engine) a model
//!    loads only if it is a chain or trees that reproduce its reference scores; anything else is
//!    refused with [`ErrorKind::NeedsFullEngine`] and the page loads the full build.
//! 6. One run on the baseline applicant, which must give a probability.
//!
//! [`pb`] holds the ONNX protobuf types, the same in both builds. `prepare` serves the command
//! line's model tools: a starter schema's [`outline`] of the graph, a schema written into a model
//! ([`with_schema`]), the metadata edits they and the reference-score writer make.

mod chain;
mod checks;
#[cfg(not(feature = "tract"))]
mod lite;
mod normalize;
pub mod pb;
mod prepare;
mod reference;
#[cfg(feature = "tract")]
mod tract;
pub mod trees;

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};
use crate::schema::Schema;
use crate::score::logit_of;
use chain::RowChain;
#[cfg(not(feature = "tract"))]
use lite::Plan;
use reference::ReferenceScores;
#[cfg(feature = "tract")]
use tract::Plan;

pub use chain::NetworkScratch;
pub use checks::MAX_FEATURES;
pub use prepare::{Outline, WithSchema, outline, with_schema};
pub use reference::{REFERENCE_PD_TOLERANCE, REFERENCE_SCORES_METADATA_KEY};
#[cfg(feature = "tract")]
pub use reference::{WithReferenceScores, with_reference_scores};

/// Limits applied while loading a model.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Largest accepted file, in bytes.
    pub max_bytes: usize,
    /// Largest tensor a model may hold or declare, in elements.
    pub max_elements: u64,
    /// Evaluate a model that is one chain of row-wise operators (see `chain`) or an `ai.onnx.ml`
    /// pipeline (see [`trees`]) directly instead of through tract's plan; off only to compare
    /// the engines.
    pub direct: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_bytes: 64 << 20,
            max_elements: 16 << 20,
            direct: true,
        }
    }
}

/// Which engine runs a loaded model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The model is one chain of row-wise operators, evaluated directly (checked when it was
    /// loaded against tract, or in the lite build against the model's reference scores).
    Direct,
    /// tract's optimized plan.
    Tract,
    /// An `ai.onnx.ml` pipeline (tree ensembles and the operators around them) evaluated by
    /// [`trees`], checked when it loaded against the model's reference scores (or, in the full
    /// build and without them, against tract).
    Trees,
}

/// A loaded, checked and optimized model with its schema.
#[derive(Debug, Clone)]
pub struct Model {
    /// tract's plan; `None` for a model `trees` runs, and always in the lite build (which has no
    /// plan).
    plan: Option<Plan>,
    /// The direct evaluator, when it runs this model.
    chain: Option<Arc<RowChain>>,
    /// The `ai.onnx.ml` evaluator, when it runs this model.
    trees: Option<Arc<trees::Pipeline>>,
    k: usize,
    schema: Schema,
    sha256: String,
    input_name: String,
}

/// What the direct evaluators compiled of a model, for the engine choice to pick from.
struct Compiled {
    /// The chain evaluator's compilation (`chain`).
    chain: Option<RowChain>,
    /// The `ai.onnx.ml` evaluator's compilation ([`trees`]).
    trees: Option<trees::Pipeline>,
}

/// One scored row: probability of default and its log-odds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Probability of default, in [0, 1].
    pub pd: f64,
    /// Natural log-odds of default, ln(pd / (1 − pd)).
    pub logit: f64,
}

impl Prediction {
    /// From what a run gives: the f32 probability and, when the model has it, the log-odds.
    fn from_run(pd: f32, logit: Option<f32>) -> Prediction {
        let pd = f64::from(pd);
        Prediction {
            pd,
            logit: logit.map_or_else(|| logit_of(pd), f64::from),
        }
    }
}

/// A direct evaluator that could not score a row it was given.
fn lost_row() -> Error {
    Error::new(
        ErrorKind::Inference,
        "the direct evaluator lost track of a row; please report this model",
    )
}

/// A model with `ai.onnx.ml` operators only `trees` runs, or loaded without tract, has no
/// reference scores (`kind`: what that means in this build).
fn trees_need_reference_scores(kind: ErrorKind) -> Error {
    Error::new(
        kind,
        format!(
            "the model's tree ensemble or ai.onnx.ml pipeline runs on the direct evaluator only when the model carries reference scores (`{REFERENCE_SCORES_METADATA_KEY}`) it reproduces; add them with onnxruntime as docs/SCHEMA.md shows"
        ),
    )
}

/// `trees` does not reproduce the model's reference scores, and no other engine may run it
/// (`kind`: what that means in this build).
fn trees_do_not_reproduce(kind: ErrorKind, mismatch: &str) -> Error {
    Error::new(
        kind,
        format!(
            "the direct evaluator does not reproduce the model's reference scores ({mismatch}); the file was changed after export, or uses a convention this scorer does not know — export it again"
        ),
    )
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Model {
    /// Loads a model from the bytes of an `.onnx` file with the default limits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        Model::from_bytes_with(bytes, &LoadOptions::default())
    }

    /// Loads a model from the bytes of an `.onnx` file.
    pub fn from_bytes_with(bytes: &[u8], options: &LoadOptions) -> Result<Model> {
        let checks::Checked {
            mut proto,
            input,
            schema,
            pd_name,
            logit_name,
        } = checks::check(bytes, options)?;
        // `trees`: compiled from the graph as exported, before the normalization below, which
        // would change onnxruntime's binary-classifier semantics.
        let trees = match (options.direct, proto.graph.as_ref()) {
            (true, Some(graph)) => trees::compile(
                graph,
                &input.name,
                input.k,
                &pd_name,
                schema.output.default_class.as_ref(),
            )?
            .map(|t| t.with_baseline(&schema.baseline())),
            _ => None,
        };
        normalize::for_engines(&mut proto);

        let k = input.k;
        let reference = ReferenceScores::from_metadata(&proto, k)?;
        let chain = options
            .direct
            .then(|| {
                chain::compile(
                    proto.graph.as_ref()?,
                    &input.name,
                    k,
                    &pd_name,
                    logit_name.as_deref(),
                )
            })
            .flatten();
        let model = Model {
            plan: None,
            chain: None,
            trees: None,
            k,
            schema,
            sha256: sha256_hex(bytes),
            input_name: input.name,
        };
        let model = model.choose_engine(
            &proto,
            (&pd_name, logit_name.as_deref()),
            Compiled { chain, trees },
            reference.as_ref(),
        )?;
        // One run on the baseline applicant proves the engine works and gives probabilities.
        let check = model.predict(&model.schema.baseline())?;
        if check
            .iter()
            .any(|p| !p.pd.is_finite() || !(0.0..=1.0).contains(&p.pd))
        {
            return Err(Error::new(
                ErrorKind::ModelInvalid,
                format!(
                    "output `{pd_name}` is not a probability (got values outside 0–1); export the classifier's probabilities, not its scores"
                ),
            ));
        }
        Ok(model)
    }

    /// The engine that scores this model.
    pub fn engine(&self) -> Engine {
        if self.trees.is_some() {
            Engine::Trees
        } else if self.chain.is_some() {
            Engine::Direct
        } else {
            Engine::Tract
        }
    }

    /// Exact interventional TreeSHAP values of `applicant` against `baseline` on the log-odds,
    /// with both log-odds, when `trees` runs the model and its log-odds are a sum over trees
    /// (see [`trees::Pipeline::contributions`]); `None` otherwise.
    pub fn tree_contributions(
        &self,
        applicant: &[f32],
        baseline: &[f32],
    ) -> Option<(Vec<f64>, f64, f64)> {
        self.trees.as_ref()?.contributions(applicant, baseline)
    }

    /// Exact interventional Shapley values on the log-odds when the direct evaluator runs the
    /// model and its log-odds are linear in the input (a logistic regression, alone or after a
    /// `Scaler`): `(contributions, logit(baseline), logit(applicant))`; `None` otherwise.
    pub fn linear_contributions(
        &self,
        applicant: &[f32],
        baseline: &[f32],
    ) -> Option<(Vec<f64>, f64, f64)> {
        self.trees
            .as_ref()?
            .linear_contributions(applicant, baseline)
    }

    /// Whether [`Model::linear_contributions`] gives this model's Shapley values.
    pub fn has_linear_contributions(&self) -> bool {
        self.trees
            .as_ref()
            .is_some_and(|t| t.has_linear_contributions())
    }

    /// Whether [`Model::tree_contributions`] gives this model's TreeSHAP values.
    pub fn has_tree_contributions(&self) -> bool {
        self.trees.as_ref().is_some_and(|t| t.has_contributions())
    }

    /// Whether [`Model::network_contributions_into`] gives this model's Shapley values: the
    /// direct evaluator runs it and it is one hidden layer (`engine/chain/shapley.rs`).
    pub fn has_network_contributions(&self) -> bool {
        self.chain.as_ref().is_some_and(|c| c.has_shapley())
    }

    /// Exact interventional Shapley values of `applicant` against `baseline` on the log-odds,
    /// into `phi`, with the baseline's and the applicant's log-odds, for a model the direct
    /// evaluator runs as one hidden layer (computed per hidden unit, not by running the model
    /// on every coalition); `None` otherwise. `work` is reused from call to call.
    pub fn network_contributions_into(
        &self,
        applicant: &[f32],
        baseline: &[f32],
        work: &mut NetworkScratch,
        phi: &mut Vec<f64>,
    ) -> Option<(f64, f64)> {
        if applicant.len() != self.k || baseline.len() != self.k {
            return None;
        }
        self.chain.as_ref()?.shapley(applicant, baseline, work, phi)
    }

    /// Per input column, the values at which the model's output can change, when the engine
    /// that runs it shows the output to be a step function of each column (a chain that reads
    /// its input only through comparisons, or tree ensembles reading the input): between two
    /// consecutive points (and beyond the ends) a column can move without changing the score.
    /// `None` when the output may change anywhere (or tract runs the model).
    /// Each column's points are sorted, without repeats.
    pub fn split_points(&self) -> Option<Vec<Vec<f32>>> {
        let mut points = match &self.trees {
            Some(trees) => trees.split_points(),
            None => self.chain.as_ref()?.split_points(),
        }?;
        for column in &mut points {
            column.sort_by(f32::total_cmp);
            column.dedup();
        }
        Some(points)
    }

    /// Number of inputs per applicant.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The schema the model carries (or the generic one derived for it).
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Hex SHA-256 of the model file.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Name of the graph's input.
    pub fn input_name(&self) -> &str {
        &self.input_name
    }

    /// Scores `rows.len() / k` applicants laid out row after row.
    pub fn predict(&self, rows: &[f32]) -> Result<Vec<Prediction>> {
        let mut out = Vec::new();
        self.predict_into(rows, &mut out)?;
        Ok(out)
    }

    /// Like [`Model::predict`], appending to `out` so batch callers can reuse one buffer.
    pub fn predict_into(&self, rows: &[f32], out: &mut Vec<Prediction>) -> Result<()> {
        out.reserve(rows.len() / self.k.max(1));
        if let Some(trees) = &self.trees {
            // The exact (f64) log-odds of a tree sum, so that reasons add up exactly.
            if !rows.len().is_multiple_of(self.k) {
                return self.run_rows(rows, |_, _| {});
            }
            return trees
                .run(rows, |pd, logit| {
                    out.push(Prediction {
                        pd: f64::from(pd),
                        logit: logit.unwrap_or_else(|| logit_of(f64::from(pd))),
                    })
                })
                .ok_or_else(lost_row);
        }
        self.run_rows(rows, |pd, logit| out.push(Prediction::from_run(pd, logit)))
    }

    /// Probabilities of default only, as the model returns them (f32), appended to `out`: no
    /// log-odds computed, no intermediate `Prediction`s (the page's `scoreBatch`).
    pub fn predict_pd_into(&self, rows: &[f32], out: &mut Vec<f32>) -> Result<()> {
        out.reserve(rows.len() / self.k.max(1));
        self.run_rows(rows, |pd, _| out.push(pd))
    }

    /// Runs the model's engine over `rows` and hands each row's probability (and log-odds, when
    /// the model has that output) to `emit`, in row order.
    fn run_rows(&self, rows: &[f32], emit: impl FnMut(f32, Option<f32>)) -> Result<()> {
        if !rows.len().is_multiple_of(self.k) {
            return Err(Error::new(
                ErrorKind::Input,
                format!(
                    "got {} values, not a whole number of rows of {} features",
                    rows.len(),
                    self.k
                ),
            ));
        }
        if let Some(chain) = &self.chain {
            return chain.run(rows, emit).ok_or_else(lost_row);
        }
        if let Some(trees) = &self.trees {
            let mut emit = emit;
            return trees
                .run(rows, |pd, logit| emit(pd, logit.map(|l| l as f32)))
                .ok_or_else(lost_row);
        }
        self.plan
            .as_ref()
            .ok_or_else(lost_row)?
            .run(rows, self.k, emit)
    }
}
