//! Loading an ONNX model from bytes, defensively, and running it with tract or the direct
//! evaluator (`row_chain`).
//!
//! tract alone trusts its input too much for files that come from a user (see `shared/FACTS.md`):
//! it panics on some malformed tensors, allocates whatever a constant op declares, and happily
//! runs models that are not binary classifiers. So the protobuf is inspected first, and only a
//! model that passes every check reaches tract.
//!
//! Without the `tract` feature (the page's small "lite" engine) a model loads only if it is one
//! chain of row-wise operators and carries reference scores that the chain reproduces; anything
//! else is refused with [`ErrorKind::NeedsFullEngine`] and the page loads the full build.

use std::collections::{HashMap, HashSet};
#[cfg(feature = "tract")]
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use sha2::{Digest, Sha256};
/// The ONNX protobuf types the loader inspects (re-exported for tools and tests that write models).
#[cfg(feature = "tract")]
pub use tract_onnx::pb;
#[cfg(feature = "tract")]
use tract_onnx::prelude::*;

/// The ONNX protobuf types the loader inspects: the same prost-generated types as tract-onnx's.
#[cfg(not(feature = "tract"))]
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!("onnx_pb.rs");
}

use pb::tensor_proto::{DataLocation, DataType};

use crate::error::{Error, ErrorKind, Result};
use crate::row_chain::{self, RowChain};
#[cfg(feature = "tract")]
use crate::schema::FeatureKind;
use crate::schema::{SCHEMA_METADATA_KEY, Schema};

/// Most inputs a model may take.
pub const MAX_FEATURES: usize = 256;
/// Rows per tract run: larger calls are split into runs of this size.
#[cfg(feature = "tract")]
const RUN_ROWS: usize = 1024;
/// Newest default-domain opset accepted; newer ones may change operator meaning.
const MAX_OPSET: i64 = 22;
/// Newest `ai.onnx.ml` opset accepted.
const MAX_ML_OPSET: i64 = 5;
/// The `ai.onnx.ml` operators tract runs.
const SUPPORTED_ML_OPS: &[&str] = &[
    "TreeEnsembleClassifier",
    "LinearClassifier",
    "LinearRegressor",
    "Normalizer",
    "CategoryMapper",
];
/// Operators whose output size comes from an input's values.
const SIZED_BY_VALUES: &[(&str, usize)] = &[("ConstantOfShape", 0), ("Expand", 1), ("Tile", 1)];

/// Limits applied while loading a model.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Largest accepted file, in bytes.
    pub max_bytes: usize,
    /// Largest tensor a model may hold or declare, in elements.
    pub max_elements: u64,
    /// Evaluate a model that is one chain of row-wise operators directly instead of through
    /// tract's plan (see `row_chain`); off only to compare the two engines.
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

#[cfg(feature = "tract")]
type Plan = Arc<TypedRunnableModel>;

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
struct ReferenceScores {
    /// Who computed `pd`, for messages.
    runtime: String,
    rows: Vec<Vec<f32>>,
    pd: Vec<f64>,
}

impl ReferenceScores {
    /// The model's reference scores, if it carries any; malformed ones are a schema error.
    fn from_metadata(proto: &pb::ModelProto, k: usize) -> Result<Option<ReferenceScores>> {
        let Some(entry) = proto
            .metadata_props
            .iter()
            .find(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
        else {
            return Ok(None);
        };
        let bad = |what: String| {
            err(
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
    fn flat_rows(&self) -> Vec<f32> {
        self.rows.iter().flatten().copied().collect()
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

/// Which engine runs a loaded model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The model is one chain of row-wise operators, evaluated directly (checked when it was
    /// loaded against tract, or in the lite build against the model's reference scores).
    Direct,
    /// tract's optimized plan.
    Tract,
    /// An `ai.onnx.ml` pipeline (tree ensembles and the operators around them) evaluated by
    /// `trees`, checked when it loaded against the model's reference scores.
    Trees,
}

/// A loaded, checked and optimized model with its schema.
#[derive(Debug, Clone)]
pub struct Model {
    /// tract's plan; `None` only for a model `trees` runs.
    #[cfg(feature = "tract")]
    plan: Option<Plan>,
    chain: Option<Arc<RowChain>>,
    trees: Option<Arc<crate::trees::Pipeline>>,
    k: usize,
    pd_column: usize,
    /// Whether the plan returns the log-odds as a second output.
    #[cfg(feature = "tract")]
    has_logit: bool,
    schema: Schema,
    sha256: String,
    input_name: String,
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
    err(
        ErrorKind::Inference,
        "the direct evaluator lost track of a row; please report this model",
    )
}

/// A leave-one-out request that does not fit the rows it is given.
fn missing_variant() -> Error {
    err(
        ErrorKind::Input,
        "a leave-one-out variant names a row or feature that is not there",
    )
}

fn err(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message)
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
        if bytes.is_empty() {
            return Err(err(
                ErrorKind::ModelFormat,
                "the model file is empty; choose an .onnx model file",
            ));
        }
        if bytes.len() > options.max_bytes {
            return Err(err(
                ErrorKind::ModelTooLarge,
                format!(
                    "the model file is {} MiB, above the limit of {} MiB; a credit model is usually far smaller — check the file",
                    bytes.len() >> 20,
                    options.max_bytes >> 20
                ),
            ));
        }
        let mut proto = decode(bytes)?;
        let graph = proto.graph.as_ref().ok_or_else(|| {
            err(
                ErrorKind::ModelFormat,
                "the ONNX file holds no graph; export the model again",
            )
        })?;
        check_opsets(&proto)?;
        let input = check_input(graph)?;
        check_graph(graph, options, &input)?;
        let schema = match proto
            .metadata_props
            .iter()
            .find(|p| p.key == SCHEMA_METADATA_KEY)
        {
            Some(entry) => Schema::from_json(&entry.value, input.k)?,
            None => Schema::generic(input.k),
        };
        let (pd_name, logit_name) = choose_outputs(graph, &schema)?;
        // `trees` (ai.onnx.ml pipelines): compiled from the graph as exported, before the
        // normalization below, which would change onnxruntime's binary-classifier semantics.
        let trees = match options.direct {
            true => crate::trees::compile(
                graph,
                &input.name,
                input.k,
                &pd_name,
                schema.output.default_class.as_ref(),
            )?,
            false => None,
        };
        normalize_binary_tree_ensembles(&mut proto);
        uniquify_node_names(&mut proto);

        let k = input.k;
        let reference = ReferenceScores::from_metadata(&proto, k)?;
        let chain = options
            .direct
            .then(|| {
                row_chain::compile(
                    graph_of(&proto)?,
                    &input.name,
                    k,
                    &pd_name,
                    logit_name.as_deref(),
                )
            })
            .flatten();
        let model = Model {
            #[cfg(feature = "tract")]
            plan: None,
            chain: None,
            trees: None,
            k,
            pd_column: 0,
            #[cfg(feature = "tract")]
            has_logit: logit_name.is_some(),
            schema,
            sha256: sha256_hex(bytes),
            input_name: input.name,
        };
        let model = match model.try_trees(trees, reference.as_ref(), graph_of(&proto))? {
            Ok(model) => model,
            Err((model, pending)) => {
                #[cfg(feature = "tract")]
                let model = Model {
                    plan: Some(guard_panics(|| {
                        build_plan(&proto, k, &[Some(pd_name.clone()), logit_name.clone()])
                    })?),
                    ..model
                };
                let model = model.choose_engine(&pd_name, chain, reference.as_ref())?;
                #[cfg(feature = "tract")]
                let model = model.with_trees_if_agreeing(pending);
                #[cfg(not(feature = "tract"))]
                drop(pending);
                model
            }
        };
        // One run on the baseline applicant proves the engine works and gives probabilities.
        let check = model.predict(&model.schema.baseline())?;
        if check
            .iter()
            .any(|p| !p.pd.is_finite() || !(0.0..=1.0).contains(&p.pd))
        {
            return Err(err(
                ErrorKind::ModelInvalid,
                format!(
                    "output `{pd_name}` is not a probability (got values outside 0–1); export the classifier's probabilities, not its scores"
                ),
            ));
        }
        Ok(model)
    }

    /// The `trees` pipeline runs the model when it reproduces the model's reference scores
    /// (`Ok`); otherwise the model goes on to the chain or tract (`Err`, with the pipeline when
    /// the model has no reference scores: the full build keeps it if it agrees with tract on the
    /// probe rows), except that a model using operators tract does not run is refused here with
    /// what to do.
    #[allow(clippy::type_complexity)]
    fn try_trees(
        mut self,
        trees: Option<crate::trees::Pipeline>,
        reference: Option<&ReferenceScores>,
        graph: Option<&pb::GraphProto>,
    ) -> Result<std::result::Result<Model, (Model, Option<crate::trees::Pipeline>)>> {
        let Some(trees) = trees else {
            return Ok(Err((self, None)));
        };
        let beyond_tract = graph.is_some_and(|g| {
            g.node
                .iter()
                .any(|n| crate::trees::BEYOND_TRACT.contains(&n.op_type.as_str()))
        });
        let Some(reference) = reference else {
            if beyond_tract || cfg!(not(feature = "tract")) {
                return Err(err(
                    if cfg!(feature = "tract") {
                        ErrorKind::ModelUnsupported
                    } else {
                        ErrorKind::NeedsFullEngine
                    },
                    format!(
                        "the model's tree ensemble or ai.onnx.ml pipeline runs on the direct evaluator only when the model carries reference scores (`{REFERENCE_SCORES_METADATA_KEY}`) it reproduces; add them with onnxruntime as docs/SCHEMA.md shows"
                    ),
                ));
            }
            return Ok(Err((self, Some(trees))));
        };
        self.pd_column = trees.pd_column();
        self.trees = Some(Arc::new(trees));
        match self.reference_mismatch(reference)? {
            None => Ok(Ok(self)),
            Some(mismatch) if beyond_tract || cfg!(not(feature = "tract")) => Err(err(
                if cfg!(feature = "tract") {
                    ErrorKind::ModelInvalid
                } else {
                    ErrorKind::NeedsFullEngine
                },
                format!(
                    "the direct evaluator does not reproduce the model's reference scores ({mismatch}); the file was changed after export, or uses a convention this scorer does not know — export it again"
                ),
            )),
            Some(_) => {
                self.trees = None;
                self.pd_column = 0;
                Ok(Err((self, None)))
            }
        }
    }

    /// Full build, a model without reference scores that tract runs: the `trees` pipeline takes
    /// over only if it scores the probe rows as tract's plan does (as the chain must).
    #[cfg(feature = "tract")]
    fn with_trees_if_agreeing(mut self, trees: Option<crate::trees::Pipeline>) -> Model {
        let Some(trees) = trees.filter(|_| self.chain.is_none()) else {
            return self;
        };
        let rows = probe_rows(&self.schema, self.k);
        let Ok(by_tract) = self.predict(&rows) else {
            return self;
        };
        let mut by_trees = Vec::with_capacity(by_tract.len());
        let ran = trees.run(&rows, |pd, _| by_trees.push(f64::from(pd)));
        if ran.is_some()
            && by_trees.len() == by_tract.len()
            && by_trees
                .iter()
                .zip(&by_tract)
                .all(|(a, t)| (a - t.pd).abs() <= PROBE_PD_TOLERANCE)
        {
            self.trees = Some(Arc::new(trees));
        }
        self
    }

    /// With tract: its plan must reproduce the reference scores (when the model has them), and
    /// `chain` is kept only if it scores the probe rows and the reference rows as the plan does.
    #[cfg(feature = "tract")]
    fn choose_engine(
        mut self,
        pd_name: &str,
        chain: Option<RowChain>,
        reference: Option<&ReferenceScores>,
    ) -> Result<Model> {
        let plan = self.plan.as_ref().ok_or_else(|| {
            err(
                ErrorKind::Inference,
                "the model has no plan; please report this model",
            )
        })?;
        let pd_fact = plan.model().output_fact(0).map_err(|e| inference(&e))?;
        self.pd_column = check_pd_fact(pd_name, pd_fact)?;
        let mut rows = probe_rows(&self.schema, self.k);
        if let Some(reference) = reference {
            if let Some(mismatch) = self.reference_mismatch(reference)? {
                return Err(err(
                    ErrorKind::ModelInvalid,
                    format!(
                        "the model does not reproduce the reference scores recorded in it ({mismatch}); the file was changed after export — export it again"
                    ),
                ));
            }
            rows.extend(reference.flat_rows());
        }
        if let Some(chain) = chain.filter(|c| c.pd_column() == self.pd_column) {
            self.chain = self.agrees_with_tract(chain, &rows).map(Arc::new);
        }
        Ok(self)
    }

    /// Without tract: the model must be a chain that reproduces the reference scores it carries.
    #[cfg(not(feature = "tract"))]
    fn choose_engine(
        mut self,
        _pd_name: &str,
        chain: Option<RowChain>,
        reference: Option<&ReferenceScores>,
    ) -> Result<Model> {
        let needs_full = |why: &str| {
            err(
                ErrorKind::NeedsFullEngine,
                format!(
                    "{why}, which only the full engine can check; load the model with the build that includes tract (the page switches to it by itself)"
                ),
            )
        };
        let chain = chain.ok_or_else(|| {
            needs_full("the model is not one chain of row-wise operators the direct evaluator runs")
        })?;
        let reference = reference.ok_or_else(|| {
            needs_full(&format!(
                "the model carries no reference scores (`{REFERENCE_SCORES_METADATA_KEY}`)"
            ))
        })?;
        self.pd_column = chain.pd_column();
        self.chain = Some(Arc::new(chain));
        if let Some(mismatch) = self.reference_mismatch(reference)? {
            return Err(needs_full(&format!(
                "the direct evaluator does not reproduce the model's reference scores ({mismatch})"
            )));
        }
        Ok(self)
    }

    /// The first reference score this model's engine does not reproduce, as a message.
    fn reference_mismatch(&self, reference: &ReferenceScores) -> Result<Option<String>> {
        let scored = self.predict(&reference.flat_rows())?;
        Ok(reference.first_mismatch(&scored))
    }

    /// Keeps `chain` only if it scores `rows` as tract's plan does.
    #[cfg(feature = "tract")]
    fn agrees_with_tract(&self, chain: RowChain, rows: &[f32]) -> Option<RowChain> {
        let by_tract = self.predict(rows).ok()?;
        let mut by_chain = Vec::with_capacity(by_tract.len());
        let ran = chain.run(rows, |pd, logit| by_chain.push((pd, logit)));
        let agrees = ran.is_some()
            && by_chain.len() == by_tract.len()
            && by_chain.iter().zip(&by_tract).all(|(&(pd, logit), t)| {
                (f64::from(pd) - t.pd).abs() <= PROBE_PD_TOLERANCE
                    && match logit {
                        Some(l) => {
                            (f64::from(l) - t.logit).abs()
                                <= PROBE_PD_TOLERANCE * t.logit.abs().max(1.0) * 10.0
                        }
                        None => !self.has_logit,
                    }
            });
        agrees.then_some(chain)
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
    /// (see `trees::Pipeline::contributions`); `None` otherwise.
    pub fn tree_contributions(
        &self,
        applicant: &[f32],
        baseline: &[f32],
    ) -> Option<(Vec<f64>, f64, f64)> {
        self.trees.as_ref()?.contributions(applicant, baseline)
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

    /// [`Model::predict_into`] and [`Model::leave_one_out_logits_into`] together: a direct model
    /// reads each row's own score from the run its variants start from.
    pub fn predict_with_leave_one_out_into(
        &self,
        rows: &[f32],
        baseline: &[f32],
        which: &[(usize, usize)],
        variants: &mut Vec<f32>,
        predictions: &mut Vec<Prediction>,
        out: &mut Vec<f64>,
    ) -> Result<()> {
        let Some(chain) = &self.chain else {
            self.predict_into(rows, predictions)?;
            return self.leave_one_out_logits_into(rows, baseline, which, variants, out);
        };
        if baseline.len() != self.k || !rows.len().is_multiple_of(self.k) {
            return self.leave_one_out_logits_into(rows, baseline, which, variants, out);
        }
        predictions.reserve(rows.len() / self.k.max(1));
        out.reserve(which.len());
        let own = |pd, logit| predictions.push(Prediction::from_run(pd, logit));
        chain
            .leave_one_out(rows, baseline, which, true, own, |logit| out.push(logit))
            .ok_or_else(missing_variant)
    }

    /// Log-odds of leave-one-out variants, appended to `out`: for each `(r, i)` of `which`
    /// (grouped by row, in row order), row `r` of `rows` with feature `i` at `baseline[i]`.
    /// `variants` is scratch space. A direct model reuses each row's run for its variants.
    pub fn leave_one_out_logits_into(
        &self,
        rows: &[f32],
        baseline: &[f32],
        which: &[(usize, usize)],
        variants: &mut Vec<f32>,
        out: &mut Vec<f64>,
    ) -> Result<()> {
        let k = self.k;
        if baseline.len() != k || !rows.len().is_multiple_of(k) {
            return Err(err(
                ErrorKind::Input,
                format!(
                    "got {} values and a baseline of {}, not whole rows of {k} features",
                    rows.len(),
                    baseline.len()
                ),
            ));
        }
        out.reserve(which.len());
        if let Some(chain) = &self.chain {
            return chain
                .leave_one_out(
                    rows,
                    baseline,
                    which,
                    false,
                    |_, _| {},
                    |logit| out.push(logit),
                )
                .ok_or_else(missing_variant);
        }
        variants.clear();
        for &(r, i) in which {
            let row = rows
                .get(r * k..(r + 1) * k)
                .zip(baseline.get(i))
                .ok_or_else(missing_variant)?;
            let at = variants.len() + i;
            variants.extend_from_slice(row.0);
            if let Some(v) = variants.get_mut(at) {
                *v = *row.1;
            }
        }
        self.run_rows(variants, |pd, logit| {
            out.push(Prediction::from_run(pd, logit).logit);
        })
    }

    /// Runs the plan over `rows` and hands each row's probability (and log-odds, when the model
    /// has that output) to `emit`, in row order.
    fn run_rows(&self, rows: &[f32], emit: impl FnMut(f32, Option<f32>)) -> Result<()> {
        if !rows.len().is_multiple_of(self.k) {
            return Err(err(
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
        self.run_plan(rows, emit)
    }

    /// Without tract every loaded model has a chain; this is never reached.
    #[cfg(not(feature = "tract"))]
    fn run_plan(&self, _rows: &[f32], _emit: impl FnMut(f32, Option<f32>)) -> Result<()> {
        Err(err(
            ErrorKind::NeedsFullEngine,
            "this model needs the full engine; load it with the build that includes tract",
        ))
    }

    /// [`Model::run_rows`] through tract's plan.
    #[cfg(feature = "tract")]
    fn run_plan(&self, rows: &[f32], mut emit: impl FnMut(f32, Option<f32>)) -> Result<()> {
        // One state for the whole call, and runs of at most RUN_ROWS rows: measured faster than
        // one huge run (intermediate tensors stay in cache) and it caps wasm memory growth.
        let plan = self.plan.as_ref().ok_or_else(lost_row)?;
        let mut state = plan.spawn().map_err(|e| inference(&e))?;
        for chunk in rows.chunks(RUN_ROWS * self.k) {
            let n = chunk.len() / self.k;
            let input = Tensor::from_shape(&[n, self.k], chunk).map_err(|e| inference(&e))?;
            // Natively a panic inside tract becomes an error (in wasm it traps; the page restarts).
            let outputs = catch_unwind(AssertUnwindSafe(|| state.run(tvec!(input.into_tvalue()))))
                .map_err(|_| {
                    err(
                        ErrorKind::Inference,
                        "the inference engine crashed on this model; the file is malformed — export it again",
                    )
                })?
                .map_err(|e| inference(&e))?;
            let pd_view = outputs
                .first()
                .ok_or_else(|| err(ErrorKind::Inference, "the model produced no output"))?
                .to_plain_array_view::<f32>()
                .map_err(|e| inference(&e))?;
            let columns = pd_view.shape().get(1).copied().unwrap_or(1).max(1);
            let pds = pd_view.iter().skip(self.pd_column).step_by(columns);
            let mut emitted = 0;
            match outputs.get(1).filter(|_| self.has_logit) {
                Some(logits) => {
                    let logits = logits
                        .to_plain_array_view::<f32>()
                        .map_err(|e| inference(&e))?;
                    for (&pd, &logit) in pds.zip(logits.iter()) {
                        emit(pd, Some(logit));
                        emitted += 1;
                    }
                }
                None => {
                    for &pd in pds {
                        emit(pd, None);
                        emitted += 1;
                    }
                }
            }
            if emitted != n {
                return Err(err(
                    ErrorKind::Inference,
                    format!("the model returned {emitted} probabilities for {n} rows"),
                ));
            }
        }
        Ok(())
    }
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
    use prost::Message;
    let by_tract = Model::from_bytes_with(
        bytes,
        &LoadOptions {
            direct: false,
            ..LoadOptions::default()
        },
    )?;
    if decode(bytes)?
        .metadata_props
        .iter()
        .any(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
    {
        return Err(err(
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

/// How far the direct evaluator's probabilities may be from tract's on the probe rows (they
/// differ only in summation order and in the exp approximation).
#[cfg(feature = "tract")]
const PROBE_PD_TOLERANCE: f64 = 1e-5;
/// Random rows, besides the baseline and the range ends, that a chain must score as tract does.
#[cfg(feature = "tract")]
const PROBE_RANDOM_ROWS: usize = 48;

fn graph_of(proto: &pb::ModelProto) -> Option<&pb::GraphProto> {
    proto.graph.as_ref()
}

/// Rows that exercise the whole schema: the baseline, each feature at each end of its range or at
/// each of its codes, and random rows inside the ranges (fixed seed).
#[cfg(feature = "tract")]
fn probe_rows(schema: &Schema, k: usize) -> Vec<f32> {
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
    let mut rng = crate::explain::SplitMix64(0x0DD_BA11);
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

/// ln(p / (1 − p)), finite for p in [0, 1] by clamping to float precision.
pub fn logit_of(pd: f64) -> f64 {
    let p = pd.clamp(1e-15, 1.0 - 1e-15);
    (p / (1.0 - p)).ln()
}

#[cfg(feature = "tract")]
fn inference(e: &TractError) -> Error {
    err(
        ErrorKind::Inference,
        format!("the inference engine failed: {e:#}"),
    )
}

fn decode(bytes: &[u8]) -> Result<pb::ModelProto> {
    // prost directly: `tract_onnx::onnx()` would register every operator just to decode.
    use prost::Message;
    pb::ModelProto::decode(bytes).map_err(|e| {
        err(
            ErrorKind::ModelFormat,
            format!(
                "this file is not an ONNX model ({e}); check that you chose the .onnx file and that it was copied completely"
            ),
        )
    })
}

/// Runs tract, turning a panic inside it into an error (natively; in wasm a panic traps and the
/// page restarts its worker).
#[cfg(feature = "tract")]
fn guard_panics<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(err(
            ErrorKind::ModelUnsupported,
            "the inference engine crashed while preparing this model; the file is malformed or uses a construct it cannot run",
        ))
    })
}

#[cfg(feature = "tract")]
fn build_plan(proto: &pb::ModelProto, k: usize, outputs: &[Option<String>]) -> Result<Plan> {
    let outputs: Vec<&str> = outputs.iter().flatten().map(String::as_str).collect();
    let unsupported = |stage: &str, e: TractError| {
        err(
            ErrorKind::ModelUnsupported,
            format!(
                "the model could not be {stage}: {e:#}. Export it with standard ONNX operators (opset 9–{MAX_OPSET})"
            ),
        )
    };
    let onnx = tract_onnx::onnx();
    let mut model = onnx
        .model_for_proto_model(proto)
        .map_err(|e| unsupported("read", e))?;
    let batch = model.sym("N");
    model
        .set_input_fact(0, f32::fact([batch.to_dim(), k.to_dim()]).into())
        .map_err(|e| unsupported("read", e))?;
    model
        .select_outputs_by_name(&outputs)
        .map_err(|e| unsupported("read", e))?;
    let typed = model
        .into_optimized()
        .map_err(|e| unsupported("prepared", e))?;
    typed
        .into_runnable()
        .map_err(|e| unsupported("prepared", e))
}

#[cfg(feature = "tract")]
fn check_pd_fact(name: &str, fact: &TypedFact) -> Result<usize> {
    let contract = |what: String| {
        err(
            ErrorKind::ModelContract,
            format!(
                "output `{name}` {what}; the scorer needs the probability of default as [N,1], or [N,2] class probabilities of a binary classifier"
            ),
        )
    };
    if fact.datum_type != f32::datum_type() {
        return Err(contract(format!("is {:?}, not float32", fact.datum_type)));
    }
    let dims: Vec<Option<i64>> = fact.shape.iter().map(|d| d.to_i64().ok()).collect();
    match dims.as_slice() {
        [_, Some(1)] => Ok(0),
        [_, Some(2)] => Ok(1),
        [_, Some(c)] => Err(contract(format!("has {c} columns (a {c}-class model)"))),
        _ => Err(contract(format!("has shape {:?}", fact.shape))),
    }
}

fn check_opsets(proto: &pb::ModelProto) -> Result<()> {
    for import in &proto.opset_import {
        match import.domain.as_str() {
            "" | "ai.onnx" if import.version > MAX_OPSET => {
                return Err(err(
                    ErrorKind::ModelUnsupported,
                    format!(
                        "the model uses ONNX opset {}, newer than this scorer knows ({MAX_OPSET}); export it with target_opset {MAX_OPSET} or lower",
                        import.version
                    ),
                ));
            }
            "ai.onnx.ml" if import.version > MAX_ML_OPSET => {
                return Err(err(
                    ErrorKind::ModelUnsupported,
                    format!(
                        "the model uses ai.onnx.ml opset {}, newer than this scorer knows ({MAX_ML_OPSET}); export it with an older ai.onnx.ml opset",
                        import.version
                    ),
                ));
            }
            "" | "ai.onnx" | "ai.onnx.ml" => {}
            other => {
                return Err(err(
                    ErrorKind::ModelUnsupported,
                    format!(
                        "the model uses operators from the custom domain `{other}`; export it with standard ONNX operators only"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Element count of a tensor shape, refusing negative or overflowing dimensions.
fn element_count(dims: &[i64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &d| {
        u64::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    })
}

fn check_graph(graph: &pb::GraphProto, options: &LoadOptions, input: &InputInfo) -> Result<()> {
    let input_width = (input.name.as_str(), input.k);
    if !graph.sparse_initializer.is_empty() {
        return Err(err(
            ErrorKind::ModelUnsupported,
            "the model uses sparse initializers; export it with dense weights",
        ));
    }
    let mut constants: HashMap<&str, &pb::TensorProto> = HashMap::new();
    for t in &graph.initializer {
        check_tensor(t, options)?;
        constants.insert(t.name.as_str(), t);
    }
    let mut known: HashSet<&str> = graph.input.iter().map(|i| i.name.as_str()).collect();
    known.extend(constants.keys().copied());
    let mut producers: HashMap<&str, &pb::NodeProto> = HashMap::new();
    for node in &graph.node {
        let node_name = if node.name.is_empty() {
            node.op_type.as_str()
        } else {
            node.name.as_str()
        };
        check_operator(node, node_name)?;
        for input in node.input.iter().filter(|i| !i.is_empty()) {
            if !known.contains(input.as_str()) {
                return Err(err(
                    ErrorKind::ModelFormat,
                    format!(
                        "node `{node_name}` reads `{input}` before anything computes it (the graph has a cycle, a missing tensor, or is not in topological order); export the model again"
                    ),
                ));
            }
        }
        for attr in &node.attribute {
            if let Some(t) = &attr.t {
                check_tensor(t, options)?;
            }
            for t in &attr.tensors {
                check_tensor(t, options)?;
            }
        }
        if node.op_type == "Constant"
            && let (Some(out), Some(t)) = (
                node.output.first(),
                node.attribute.iter().find_map(|a| a.t.as_ref()),
            )
        {
            constants.insert(out.as_str(), t);
        }
        check_allocation(node, node_name, &constants, &producers, options)?;
        check_linear_model(node, node_name, input_width)?;
        check_gather(node, node_name, input_width, &constants)?;
        check_tree_ensemble(node, node_name, input_width)?;
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            known.insert(out.as_str());
            producers.insert(out.as_str(), node);
        }
    }
    for out in &graph.output {
        if !known.contains(out.name.as_str()) {
            return Err(err(
                ErrorKind::ModelFormat,
                format!(
                    "the model's output `{}` is not computed by any node; export the model again",
                    out.name
                ),
            ));
        }
    }
    Ok(())
}

/// An `ai.onnx.ml` linear model reading the graph input must hold one coefficient per input and
/// model; tract does not check it and its matrix product then miscomputes (found by fuzzing).
fn check_linear_model(
    node: &pb::NodeProto,
    node_name: &str,
    (input, k): (&str, usize),
) -> Result<()> {
    if !matches!(
        node.op_type.as_str(),
        "LinearClassifier" | "LinearRegressor"
    ) || node.input.first().map(String::as_str) != Some(input)
    {
        return Ok(());
    }
    let attr = |name: &str| node.attribute.iter().find(|a| a.name == name);
    let coefficients = attr("coefficients").map_or(0, |a| a.floats.len());
    let models = match (node.op_type.as_str(), attr("intercepts")) {
        (_, Some(intercepts)) => intercepts.floats.len(),
        ("LinearRegressor", None) => {
            attr("targets").map_or(1, |a| usize::try_from(a.i).unwrap_or(0))
        }
        (_, None) => {
            let classes = attr("classlabels_ints")
                .map(|a| a.ints.len())
                .or_else(|| attr("classlabels_strings").map(|a| a.strings.len()))
                .unwrap_or(0);
            let multi_class = attr("multi_class").map_or(0, |a| a.i);
            if classes == 2 && multi_class == 0 {
                1
            } else {
                classes
            }
        }
    };
    if models == 0 || coefficients != models * k {
        return Err(err(
            ErrorKind::ModelInvalid,
            format!(
                "node `{node_name}` ({}) has {coefficients} coefficients for {models} model(s) over {k} inputs; it needs {}. The file is corrupt — export it again",
                node.op_type,
                models.max(1) * k
            ),
        ));
    }
    Ok(())
}

/// An `ai.onnx.ml` tree ensemble must be a set of well-formed trees: tract reads its nodes with
/// unchecked indexing and walks them without a step limit, so a dangling child, a cycle, a leaf
/// weight for a class that does not exist or a feature past the input hang or corrupt the run
/// (found by fuzzing: a class id of 65 in a two-class model looped forever).
fn check_tree_ensemble(
    node: &pb::NodeProto,
    node_name: &str,
    (input, k): (&str, usize),
) -> Result<()> {
    let reads_input = node.input.first().map(String::as_str) == Some(input);
    crate::trees::check_tree_ensemble(node, reads_input.then_some(k))?;
    let (weights_prefix, outputs) = match node.op_type.as_str() {
        "TreeEnsembleClassifier" => ("class", {
            let labels = node
                .attribute
                .iter()
                .find(|a| a.name == "classlabels_int64s" || a.name == "classlabels_strings");
            labels.map_or(0, |a| a.ints.len().max(a.strings.len()))
        }),
        "TreeEnsembleRegressor" => ("target", {
            node.attribute
                .iter()
                .find(|a| a.name == "n_targets")
                .map_or(1, |a| usize::try_from(a.i).unwrap_or(0))
        }),
        _ => return Ok(()),
    };
    let invalid = |what: String| {
        err(
            ErrorKind::ModelInvalid,
            format!(
                "node `{node_name}` ({}) {what}; the file is corrupt — export it again",
                node.op_type
            ),
        )
    };
    let attr = |name: &str| node.attribute.iter().find(|a| a.name == name);
    let ints = |name: &str| attr(name).map_or(&[][..], |a| a.ints.as_slice());
    let tree_ids = ints("nodes_treeids");
    let node_ids = ints("nodes_nodeids");
    let feature_ids = ints("nodes_featureids");
    let true_ids = ints("nodes_truenodeids");
    let false_ids = ints("nodes_falsenodeids");
    let modes = attr("nodes_modes").map_or(&[][..], |a| a.strings.as_slice());
    let values = attr("nodes_values").map_or(&[][..], |a| a.floats.as_slice());
    let n = node_ids.len();
    if n == 0
        || [
            tree_ids.len(),
            feature_ids.len(),
            true_ids.len(),
            false_ids.len(),
            modes.len(),
        ]
        .iter()
        .any(|&len| len != n)
        || (values.len() != n && attr("nodes_values_as_tensor").is_none())
    {
        return Err(invalid(format!(
            "describes its {n} nodes with lists of different lengths"
        )));
    }
    let mut index: HashMap<(i64, i64), usize> = HashMap::with_capacity(n);
    for (i, (&tree, &id)) in tree_ids.iter().zip(node_ids).enumerate() {
        if index.insert((tree, id), i).is_some() {
            return Err(invalid(format!("has node {id} twice in tree {tree}")));
        }
    }
    // Children of every branch, and how many parents each node has (for the cycle check).
    let mut parents = vec![0usize; n];
    let mut children = vec![Vec::new(); n];
    for i in 0..n {
        let (Some(&tree), Some(mode)) = (tree_ids.get(i), modes.get(i)) else {
            continue;
        };
        if mode.as_slice() == b"LEAF" {
            continue;
        }
        if !matches!(
            mode.as_slice(),
            b"BRANCH_LEQ"
                | b"BRANCH_LT"
                | b"BRANCH_GTE"
                | b"BRANCH_GT"
                | b"BRANCH_EQ"
                | b"BRANCH_NEQ"
        ) {
            return Err(invalid(format!(
                "has a node of unknown mode `{}`",
                String::from_utf8_lossy(mode)
            )));
        }
        if values.get(i).is_some_and(|v| !v.is_finite()) {
            return Err(invalid(
                "compares with a threshold that is not a number".into(),
            ));
        }
        let feature = feature_ids.get(i).copied().unwrap_or(-1);
        if node.input.first().map(String::as_str) == Some(input)
            && usize::try_from(feature).map_or(true, |f| f >= k)
        {
            return Err(invalid(format!(
                "tests feature {feature} of an input with {k} features"
            )));
        }
        for child in [true_ids.get(i), false_ids.get(i)].into_iter().flatten() {
            let Some(&c) = index.get(&(tree, *child)) else {
                return Err(invalid(format!(
                    "points to node {child}, which tree {tree} does not have"
                )));
            };
            if let (Some(p), Some(list)) = (parents.get_mut(c), children.get_mut(i)) {
                *p += 1;
                list.push(c);
            }
        }
    }
    // Kahn's algorithm: every node is reached from a root only if there is no cycle.
    let mut ready: Vec<usize> = (0..n).filter(|&i| parents.get(i) == Some(&0)).collect();
    let mut seen = 0;
    while let Some(i) = ready.pop() {
        seen += 1;
        for &c in children.get(i).map_or(&[][..], Vec::as_slice) {
            if let Some(p) = parents.get_mut(c) {
                *p -= 1;
                if *p == 0 {
                    ready.push(c);
                }
            }
        }
    }
    if seen != n {
        return Err(invalid("has a tree whose branches loop back".into()));
    }
    let leaf_trees = ints(&format!("{weights_prefix}_treeids"));
    let leaf_nodes = ints(&format!("{weights_prefix}_nodeids"));
    let leaf_outputs = ints(&format!("{weights_prefix}_ids"));
    let leaf_weights = attr(&format!("{weights_prefix}_weights")).map_or(0, |a| a.floats.len());
    if [leaf_nodes.len(), leaf_outputs.len()]
        .iter()
        .any(|&len| len != leaf_trees.len())
        || (leaf_weights != leaf_trees.len()
            && attr(&format!("{weights_prefix}_weights_as_tensor")).is_none())
    {
        return Err(invalid(
            "describes its leaf weights with lists of different lengths".into(),
        ));
    }
    for ((&tree, &id), &output) in leaf_trees.iter().zip(leaf_nodes).zip(leaf_outputs) {
        if !index.contains_key(&(tree, id)) {
            return Err(invalid(format!(
                "weights node {id}, which tree {tree} does not have"
            )));
        }
        if usize::try_from(output).map_or(true, |o| o >= outputs.max(1)) {
            return Err(invalid(format!(
                "weights output {output} of a model with {outputs} outputs"
            )));
        }
    }
    Ok(())
}

/// A `Gather` with constant indices must stay inside the axis it reads, when that axis's length is
/// known here (a constant table, or the input's feature axis): tract indexes without checking and
/// panics (found by fuzzing).
fn check_gather(
    node: &pb::NodeProto,
    node_name: &str,
    (input, k): (&str, usize),
    constants: &HashMap<&str, &pb::TensorProto>,
) -> Result<()> {
    if node.op_type != "Gather" {
        return Ok(());
    }
    let (Some(data), Some(indices)) = (node.input.first(), node.input.get(1)) else {
        return Ok(());
    };
    let axis = node
        .attribute
        .iter()
        .find(|a| a.name == "axis")
        .map_or(0, |a| a.i);
    // Rows of the batch are applicants: picking among them would make one applicant's score
    // depend on the others (and tract slices out of bounds for an index past the batch).
    if data == input && (axis == 0 || axis == -2) {
        return Err(err(
            ErrorKind::ModelContract,
            format!(
                "node `{node_name}` (Gather) picks rows of the batch (axis 0), so one applicant's score would depend on the others; gather the input's columns (axis 1)"
            ),
        ));
    }
    let Some(indices) = constants
        .get(indices.as_str())
        .and_then(|t| tensor_values(t))
    else {
        return Ok(());
    };
    let axis_len: Option<i64> = match constants.get(data.as_str()) {
        Some(table) => {
            let rank = table.dims.len() as i64;
            let axis = if axis < 0 { axis + rank } else { axis };
            usize::try_from(axis)
                .ok()
                .and_then(|a| table.dims.get(a))
                .copied()
        }
        None if data == input && (axis == 1 || axis == -1) => Some(k as i64),
        None => None,
    };
    let Some(len) = axis_len else { return Ok(()) };
    if let Some(bad) = indices
        .iter()
        .find(|&&i| i.fract() != 0.0 || i < -(len as f64) || i >= len as f64)
    {
        return Err(err(
            ErrorKind::ModelInvalid,
            format!(
                "node `{node_name}` (Gather) reads index {bad} of an axis of length {len}; the file is corrupt — export it again"
            ),
        ));
    }
    Ok(())
}

fn check_operator(node: &pb::NodeProto, node_name: &str) -> Result<()> {
    match node.domain.as_str() {
        "ai.onnx.ml"
            if !SUPPORTED_ML_OPS.contains(&node.op_type.as_str())
                && !crate::trees::ML_OPS.contains(&node.op_type.as_str()) =>
        {
            Err(err(
                ErrorKind::ModelUnsupported,
                format!(
                    "node `{node_name}` uses `{}` from ai.onnx.ml, which this scorer does not run. Re-export without it: do scaling or encoding with standard ONNX operators (or before the model)",
                    node.op_type
                ),
            ))
        }
        "" | "ai.onnx" if matches!(node.op_type.as_str(), "Loop" | "Scan" | "If") => Err(err(
            ErrorKind::ModelUnsupported,
            format!(
                "node `{node_name}` uses control flow (`{}`); a scoring model should be a plain feed-forward graph",
                node.op_type
            ),
        )),
        _ => Ok(()),
    }
}

fn check_tensor(t: &pb::TensorProto, options: &LoadOptions) -> Result<()> {
    let name = if t.name.is_empty() {
        "(unnamed)"
    } else {
        t.name.as_str()
    };
    if t.data_location == Some(DataLocation::External as i32) || !t.external_data.is_empty() {
        return Err(err(
            ErrorKind::ModelUnsupported,
            format!(
                "tensor `{name}` is stored in an external data file, which a page cannot open; save the model with all weights inside the .onnx file"
            ),
        ));
    }
    let count = element_count(&t.dims).ok_or_else(|| {
        err(
            ErrorKind::ModelFormat,
            format!("tensor `{name}` has an invalid shape {:?}", t.dims),
        )
    })?;
    if count > options.max_elements {
        return Err(err(
            ErrorKind::ModelTooLarge,
            format!(
                "tensor `{name}` holds {count} values, above the limit of {}",
                options.max_elements
            ),
        ));
    }
    let data_type = DataType::try_from(t.data_type).unwrap_or(DataType::Undefined);
    let width: Option<u64> = match data_type {
        DataType::Float | DataType::Int32 | DataType::Uint32 => Some(4),
        DataType::Double | DataType::Int64 | DataType::Uint64 => Some(8),
        DataType::Float16 | DataType::Bfloat16 | DataType::Int16 | DataType::Uint16 => Some(2),
        DataType::Int8 | DataType::Uint8 | DataType::Bool => Some(1),
        DataType::String => {
            return Err(err(
                ErrorKind::ModelUnsupported,
                format!("tensor `{name}` holds strings; a scoring model's weights must be numbers"),
            ));
        }
        _ => {
            return Err(err(
                ErrorKind::ModelUnsupported,
                format!(
                    "tensor `{name}` has data type {}, which this scorer does not run",
                    t.data_type
                ),
            ));
        }
    };
    if !t.raw_data.is_empty()
        && let Some(width) = width
        && Some(t.raw_data.len() as u64) != count.checked_mul(width)
    {
        return Err(err(
            ErrorKind::ModelFormat,
            format!(
                "tensor `{name}` declares {count} values but stores {} bytes; the file is corrupt",
                t.raw_data.len()
            ),
        ));
    }
    let finite = match data_type {
        DataType::Float => {
            t.float_data.iter().all(|v| v.is_finite())
                && t.raw_data.chunks_exact(4).all(|c| {
                    <[u8; 4]>::try_from(c)
                        .map(f32::from_le_bytes)
                        .is_ok_and(f32::is_finite)
                })
        }
        DataType::Double => {
            t.double_data.iter().all(|v| v.is_finite())
                && t.raw_data.chunks_exact(8).all(|c| {
                    <[u8; 8]>::try_from(c)
                        .map(f64::from_le_bytes)
                        .is_ok_and(f64::is_finite)
                })
        }
        // Half floats: all-ones exponent means infinity or NaN.
        DataType::Float16 => t
            .raw_data
            .chunks_exact(2)
            .all(|c| matches!(c, [_, hi] if hi & 0x7c != 0x7c)),
        _ => true,
    };
    if !finite {
        return Err(err(
            ErrorKind::ModelInvalid,
            format!(
                "tensor `{name}` holds NaN or infinite weights; the model is broken — retrain or re-export it"
            ),
        ));
    }
    Ok(())
}

/// Refuses ops that would allocate more than the limit, judged before anything runs.
fn check_allocation(
    node: &pb::NodeProto,
    node_name: &str,
    constants: &HashMap<&str, &pb::TensorProto>,
    producers: &HashMap<&str, &pb::NodeProto>,
    options: &LoadOptions,
) -> Result<()> {
    let too_large = |count: String| {
        err(
            ErrorKind::ModelTooLarge,
            format!(
                "node `{node_name}` ({}) would allocate {count} values, above the limit of {}; the model is malformed or hostile",
                node.op_type, options.max_elements
            ),
        )
    };
    let op = node.op_type.as_str();
    let sized_by = SIZED_BY_VALUES
        .iter()
        .find(|(name, _)| *name == op)
        .map(|(_, ix)| *ix);
    let size_inputs: Vec<usize> = match (op, sized_by) {
        ("Range", _) => vec![0, 1, 2],
        (_, Some(ix)) => vec![ix],
        _ => return Ok(()),
    };
    let mut values = Vec::new();
    for ix in size_inputs {
        let Some(input) = node.input.get(ix) else {
            return Err(err(
                ErrorKind::ModelFormat,
                format!("node `{node_name}` ({op}) lacks input {ix}"),
            ));
        };
        match constants.get(input.as_str()) {
            Some(t) => values.push(tensor_values(t).ok_or_else(|| {
                err(
                    ErrorKind::ModelFormat,
                    format!("node `{node_name}` ({op}) has an unreadable size input"),
                )
            })?),
            // A size read off an existing tensor is bounded by that tensor.
            None if producers
                .get(input.as_str())
                .is_some_and(|p| p.op_type == "Shape") =>
            {
                return Ok(());
            }
            None => {
                return Err(err(
                    ErrorKind::ModelUnsupported,
                    format!(
                        "node `{node_name}` ({op}) takes its size from values computed while scoring; this scorer only runs models whose allocations are known when they load"
                    ),
                ));
            }
        }
    }
    let count: f64 = match (op, values.as_slice()) {
        ("Range", [start, limit, delta]) => match (start.first(), limit.first(), delta.first()) {
            (Some(s), Some(l), Some(d)) if *d != 0.0 => ((l - s) / d).ceil().max(0.0),
            _ => {
                return Err(err(
                    ErrorKind::ModelFormat,
                    format!("node `{node_name}` (Range) has an invalid step"),
                ));
            }
        },
        (_, [shape]) if shape.iter().any(|v| *v < 0.0) => {
            return Err(err(
                ErrorKind::ModelInvalid,
                format!(
                    "node `{node_name}` ({op}) asks for a negative size; the file is corrupt — export it again"
                ),
            ));
        }
        (_, [shape]) => shape.iter().product(),
        _ => 0.0,
    };
    if !count.is_finite() || count > options.max_elements as f64 {
        return Err(too_large(format!("{count:e}")));
    }
    Ok(())
}

/// The values of a small integer or float constant, as f64.
pub(crate) fn tensor_values(t: &pb::TensorProto) -> Option<Vec<f64>> {
    let data_type = DataType::try_from(t.data_type).ok()?;
    let raw = &t.raw_data;
    let values: Vec<f64> = match data_type {
        DataType::Int64 if raw.is_empty() => t.int64_data.iter().map(|&v| v as f64).collect(),
        DataType::Int64 => raw
            .chunks_exact(8)
            .filter_map(|c| c.try_into().ok())
            .map(|b| i64::from_le_bytes(b) as f64)
            .collect(),
        DataType::Int32 if raw.is_empty() => t.int32_data.iter().map(|&v| f64::from(v)).collect(),
        DataType::Int32 => raw
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok())
            .map(|b| f64::from(i32::from_le_bytes(b)))
            .collect(),
        DataType::Float if raw.is_empty() => t.float_data.iter().map(|&v| f64::from(v)).collect(),
        DataType::Float => raw
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok())
            .map(|b| f64::from(f32::from_le_bytes(b)))
            .collect(),
        DataType::Double if raw.is_empty() => t.double_data.clone(),
        DataType::Double => raw
            .chunks_exact(8)
            .filter_map(|c| c.try_into().ok())
            .map(f64::from_le_bytes)
            .collect(),
        _ => return None,
    };
    Some(values)
}

/// The single real input of the graph.
struct InputInfo {
    name: String,
    k: usize,
}

fn check_input(graph: &pb::GraphProto) -> Result<InputInfo> {
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<&pb::ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !initializers.contains(i.name.as_str()))
        .collect();
    let contract = |m: String| err(ErrorKind::ModelContract, m);
    let input = match inputs.as_slice() {
        [one] => *one,
        [] => {
            return Err(contract(
                "the model has no input; it must take one float32 input [batch, k]".into(),
            ));
        }
        many => {
            let names: Vec<&str> = many.iter().map(|i| i.name.as_str()).collect();
            return Err(contract(format!(
                "the model has {} inputs ({}); it must take one float32 input [batch, k] with the features as columns",
                many.len(),
                names.join(", ")
            )));
        }
    };
    let name = input.name.clone();
    let Some(pb::type_proto::Value::TensorType(tensor)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(contract(format!(
            "input `{name}` is not a tensor; it must be float32 [batch, k]"
        )));
    };
    if tensor.elem_type != DataType::Float as i32 {
        let type_name = DataType::try_from(tensor.elem_type).map_or("unknown", |t| t.as_str_name());
        return Err(contract(format!(
            "input `{name}` is {type_name}, but the scorer feeds float32; export the model with a float32 input [batch, k]"
        )));
    }
    let dims: Vec<Option<i64>> = tensor
        .shape
        .as_ref()
        .map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) => Some(v),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let k = match dims.as_slice() {
        [_, Some(k)] => *k,
        [_, None] => {
            return Err(contract(format!(
                "input `{name}` does not declare how many features it takes; declare its shape as [batch, k] with a fixed k"
            )));
        }
        other => {
            return Err(contract(format!(
                "input `{name}` has rank {}, but the scorer feeds a matrix [batch, k] (one row per applicant)",
                other.len()
            )));
        }
    };
    if k < 1 || k > MAX_FEATURES as i64 {
        return Err(contract(format!(
            "input `{name}` takes {k} features; the scorer accepts 1 to {MAX_FEATURES}"
        )));
    }
    Ok(InputInfo {
        name,
        k: k as usize,
    })
}

/// Picks the probability output and, when present, the log-odds output.
fn choose_outputs(graph: &pb::GraphProto, schema: &Schema) -> Result<(String, Option<String>)> {
    let names: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    let has = |n: &str| names.contains(&n);
    let pd = match &schema.output.pd {
        Some(n) if has(n) => n.clone(),
        Some(n) => {
            return Err(err(
                ErrorKind::Schema,
                format!(
                    "the schema names output `{n}` as the probability, but the model's outputs are {}",
                    names.join(", ")
                ),
            ));
        }
        None => {
            let float_outputs: Vec<&pb::ValueInfoProto> = graph
                .output
                .iter()
                .filter(|o| {
                    matches!(o.r#type.as_ref().and_then(|t| t.value.as_ref()),
                        Some(pb::type_proto::Value::TensorType(t)) if t.elem_type == DataType::Float as i32)
                })
                .collect();
            let preferred = ["pd", "probabilities", "probability", "output_probability"];
            match preferred.iter().find(|p| has(p)) {
                Some(p) => (*p).to_string(),
                None => match float_outputs.as_slice() {
                    [one] => one.name.clone(),
                    _ => {
                        return Err(err(
                            ErrorKind::ModelContract,
                            format!(
                                "cannot tell which output is the probability of default among {}; name it `pd` or describe it in the schema's `output.pd`",
                                if names.is_empty() {
                                    "no outputs".to_string()
                                } else {
                                    names.join(", ")
                                }
                            ),
                        ));
                    }
                },
            }
        }
    };
    let logit = match &schema.output.logit {
        Some(n) if has(n) => Some(n.clone()),
        Some(n) => {
            return Err(err(
                ErrorKind::Schema,
                format!(
                    "the schema names output `{n}` as the log-odds, but the model has no such output"
                ),
            ));
        }
        None => has("logit").then(|| "logit".to_string()),
    };
    Ok((pd, logit))
}

/// ONNX keeps node names apart from tensor names and does not require them unique, but tract
/// names its graph nodes after them (or after a node's first output), next to the inputs and
/// initializers, and refuses a model where two coincide. Node names are labels only, so a
/// clashing one gets a numbered suffix.
fn uniquify_node_names(proto: &mut pb::ModelProto) {
    let Some(graph) = proto.graph.as_mut() else {
        return;
    };
    let mut taken: std::collections::HashSet<String> = graph
        .input
        .iter()
        .map(|i| i.name.clone())
        .chain(graph.initializer.iter().map(|t| t.name.clone()))
        .collect();
    for node in graph.node.iter_mut() {
        let name = if !node.name.is_empty() {
            node.name.clone()
        } else if let Some(first) = node.output.first().filter(|o| !o.is_empty()) {
            first.clone()
        } else {
            // tract numbers unnamed nodes itself.
            continue;
        };
        let mut unique = name.clone();
        let mut n = 1u32;
        while taken.contains(&unique) {
            unique = format!("{name}#{n}");
            n += 1;
        }
        if unique != name {
            node.name = unique.clone();
        }
        taken.insert(unique);
    }
}

/// skl2onnx writes a binary tree ensemble with one base value although it declares two classes,
/// which tract refuses; the single value belongs to the score column tract accumulates (column 0).
fn normalize_binary_tree_ensembles(proto: &mut pb::ModelProto) {
    let Some(graph) = proto.graph.as_mut() else {
        return;
    };
    for node in graph
        .node
        .iter_mut()
        .filter(|n| n.op_type == "TreeEnsembleClassifier")
    {
        let classes = node
            .attribute
            .iter()
            .find(|a| a.name == "classlabels_int64s" || a.name == "classlabels_strings")
            .map(|a| a.ints.len().max(a.strings.len()));
        if classes != Some(2) {
            continue;
        }
        if let Some(base) = node.attribute.iter_mut().find(|a| a.name == "base_values")
            && base.floats.len() == 1
        {
            base.floats.push(0.0);
        }
    }
}
