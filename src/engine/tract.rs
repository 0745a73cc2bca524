//! tract, the general engine (cargo feature `tract`, the full build): the model's optimized plan,
//! built once with a symbolic batch axis and reused for every call, and the engine choice with
//! tract to compare against.
//!
//! The choice, in order: trees that reproduce the model's reference scores run it (no plan is
//! built) when those cover the model; trees that do not, or trees without reference scores that
//! cover the model, are refused for a model with operators tract does not run
//! ([`trees::BEYOND_TRACT`]); otherwise tract's plan must reproduce
//! the reference scores, the chain is kept if it scores the probe and reference rows as the plan
//! does, and else trees compiled for a model without reference scores are kept if they score the
//! probe rows as the plan does.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tract_onnx::prelude::*;

use super::chain::RowChain;
use super::checks::MAX_OPSET;
use super::reference::{ReferenceScores, not_covered, probe_rows};
use super::{
    Compiled, Model, Prediction, pb, trees, trees_do_not_reproduce, trees_need_reference_scores,
};
use crate::error::{Error, ErrorKind, Result};

/// Rows per tract run: larger calls are split into runs of this size, the largest batch tract
/// ever sees (what the tensor sizes are bounded for).
const RUN_ROWS: usize = 1024;
/// Largest tensor a model may make (intermediate, output or constant), in bytes, for a run of
/// [`RUN_ROWS`] rows.
pub const MAX_TENSOR_BYTES: u64 = 64 << 20;
/// Largest sum of all of a run's tensors (every node's output, constants included), in bytes,
/// for a run of [`RUN_ROWS`] rows: a bound on what one run holds at once.
pub const MAX_RUN_BYTES: u64 = 256 << 20;
/// How far a direct evaluator's probabilities may be from tract's on the probe rows (they
/// differ only in summation order and in the exp approximation).
const PROBE_PD_TOLERANCE: f64 = 1e-5;

/// tract's optimized plan of a model, with a symbolic batch axis: built once, reused for every
/// call (re-optimizing costs tens of milliseconds, see `shared/FACTS.md`).
#[derive(Debug, Clone)]
pub(super) struct Plan {
    runnable: Arc<TypedRunnableModel>,
    /// Which column of the probability output is the probability of default.
    pd_column: usize,
    /// Whether the plan returns the log-odds as a second output.
    has_logit: bool,
}

impl Plan {
    /// Reads and optimizes a checked model, then checks that the probability output is `[N]`,
    /// `[N,1]` or the `[N,2]` of a binary classifier.
    pub(super) fn build(
        proto: &pb::ModelProto,
        k: usize,
        pd_name: &str,
        logit_name: Option<&str>,
    ) -> Result<Plan> {
        let runnable = guard_panics(|| build_plan(proto, k, &[Some(pd_name), logit_name]))?;
        let pd_fact = runnable.model().output_fact(0).map_err(|e| inference(&e))?;
        let pd_column = check_pd_fact(pd_name, pd_fact)?;
        Ok(Plan {
            runnable,
            pd_column,
            has_logit: logit_name.is_some(),
        })
    }

    /// Runs the plan over `rows` (whole rows of `k` values) and hands each row's probability
    /// (and log-odds, when the model has that output) to `emit`, in row order.
    pub(super) fn run(
        &self,
        rows: &[f32],
        k: usize,
        mut emit: impl FnMut(f32, Option<f32>),
    ) -> Result<()> {
        // One state for the whole call, and runs of at most RUN_ROWS rows: measured faster than
        // one huge run (intermediate tensors stay in cache) and it caps wasm memory growth.
        let mut state = self.runnable.spawn().map_err(|e| inference(&e))?;
        for chunk in rows.chunks(RUN_ROWS * k) {
            let n = chunk.len() / k;
            let input = Tensor::from_shape(&[n, k], chunk).map_err(|e| inference(&e))?;
            // Natively a panic inside tract becomes an error (in wasm it traps; the page restarts).
            let outputs = catch_unwind(AssertUnwindSafe(|| state.run(tvec!(input.into_tvalue()))))
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Inference,
                        "the inference engine crashed on this model; the file is malformed — export it again",
                    )
                })?
                .map_err(|e| inference(&e))?;
            let pd_view = outputs
                .first()
                .ok_or_else(|| Error::new(ErrorKind::Inference, "the model produced no output"))?
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
                return Err(Error::new(
                    ErrorKind::Inference,
                    format!("the model returned {emitted} probabilities for {n} rows"),
                ));
            }
        }
        Ok(())
    }

    /// Whether `chain` scores `rows` as this plan does.
    fn agrees_with(&self, chain: &RowChain, k: usize, rows: &[f32]) -> bool {
        let mut by_tract = Vec::with_capacity(rows.len() / k.max(1));
        let ran = self.run(rows, k, |pd, logit| {
            by_tract.push(Prediction::from_run(pd, logit));
        });
        if ran.is_err() {
            return false;
        }
        let mut by_chain = Vec::with_capacity(by_tract.len());
        let ran = chain.run(rows, |pd, logit| by_chain.push((pd, logit)));
        ran.is_some()
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
            })
    }

    /// Whether `trees` scores `rows` as this plan does.
    fn agrees_with_trees(&self, trees: &trees::Pipeline, k: usize, rows: &[f32]) -> bool {
        let mut by_tract = Vec::with_capacity(rows.len() / k.max(1));
        if self
            .run(rows, k, |pd, _| by_tract.push(f64::from(pd)))
            .is_err()
        {
            return false;
        }
        let mut by_trees = Vec::with_capacity(by_tract.len());
        let ran = trees.run(rows, |pd, _| by_trees.push(f64::from(pd)));
        ran.is_some()
            && by_trees.len() == by_tract.len()
            && by_trees
                .iter()
                .zip(&by_tract)
                .all(|(a, t)| (a - t).abs() <= PROBE_PD_TOLERANCE)
    }
}

impl Model {
    /// The engine choice with tract (see the module's doc): `trees` when it reproduces the
    /// model's reference scores; otherwise tract's plan must reproduce them (when the model has
    /// them), and `chain` (or, for a model without reference scores, `trees`) is kept only if it
    /// scores the probe rows and the reference rows as the plan does.
    pub(super) fn choose_engine(
        mut self,
        proto: &pb::ModelProto,
        (pd_name, logit_name): (&str, Option<&str>),
        Compiled { chain, trees }: Compiled,
        reference: Option<&ReferenceScores>,
    ) -> Result<Model> {
        let beyond_tract = proto.graph.as_ref().is_some_and(|g| {
            g.node
                .iter()
                .any(|n| trees::BEYOND_TRACT.contains(&n.op_type.as_str()))
        });
        // Trees kept for the comparison with tract: a model without reference scores.
        let mut pending = None;
        match (trees, reference) {
            (None, _) => {}
            (Some(_), None) if beyond_tract => {
                return Err(trees_need_reference_scores(ErrorKind::ModelUnsupported));
            }
            (Some(trees), None) => pending = Some(trees),
            // Reference scores that do not cover the model vouch for nothing alone: tract checks
            // the trees on the probe rows, or a model tract cannot run is refused.
            (Some(trees), Some(reference)) => match reference.uncovered(&self.schema) {
                Some(gap) if beyond_tract => {
                    return Err(not_covered(ErrorKind::ModelUnsupported, &gap, false));
                }
                Some(_) => pending = Some(trees),
                None => {
                    self.trees = Some(Arc::new(trees));
                    match reference.mismatch(&self)? {
                        None => return Ok(self),
                        Some(mismatch) if beyond_tract => {
                            return Err(trees_do_not_reproduce(ErrorKind::ModelInvalid, &mismatch));
                        }
                        Some(_) => self.trees = None,
                    }
                }
            },
        }
        let plan = Plan::build(proto, self.k, pd_name, logit_name)?;
        self.plan = Some(plan.clone());
        let mut rows = probe_rows(&self.schema, self.k);
        if let Some(reference) = reference {
            if let Some(mismatch) = reference.mismatch(&self)? {
                return Err(Error::new(
                    ErrorKind::ModelInvalid,
                    format!(
                        "the model does not reproduce the reference scores recorded in it ({mismatch}); the file was changed after export — export it again"
                    ),
                ));
            }
            rows.extend(reference.flat_rows());
        }
        self.chain = chain
            .filter(|c| c.pd_column() == plan.pd_column && plan.agrees_with(c, self.k, &rows))
            .map(Arc::new);
        if self.chain.is_none() {
            self.trees = pending
                .filter(|t| plan.agrees_with_trees(t, self.k, &rows))
                .map(Arc::new);
        }
        Ok(self)
    }
}

fn inference(e: &TractError) -> Error {
    Error::new(
        ErrorKind::Inference,
        format!("the inference engine failed: {e:#}"),
    )
}

/// Runs tract, turning a panic inside it into an error (natively; in wasm a panic traps and the
/// page restarts its worker).
fn guard_panics<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::ModelUnsupported,
            "the inference engine crashed while preparing this model; the file is malformed or uses a construct it cannot run",
        ))
    })
}

fn build_plan(
    proto: &pb::ModelProto,
    k: usize,
    outputs: &[Option<&str>],
) -> Result<Arc<TypedRunnableModel>> {
    let outputs: Vec<&str> = outputs.iter().flatten().copied().collect();
    let unsupported = |stage: &str, e: TractError| {
        Error::new(
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
    let typed = model.into_typed().map_err(|e| unsupported("prepared", e))?;
    // Before optimizing (which folds constants) or running: bound what a run would allocate.
    check_tensor_sizes(&typed, &batch)?;
    let typed = typed
        .into_optimized()
        .map_err(|e| unsupported("prepared", e))?;
    typed
        .into_runnable()
        .map_err(|e| unsupported("prepared", e))
}

/// Refuses a model whose tensors, as tract's shape inference types them for a run of
/// [`RUN_ROWS`] rows, would exceed [`MAX_TENSOR_BYTES`] one by one or [`MAX_RUN_BYTES`] together,
/// whatever the operator (`Pad`, `Concat`, `Resize`, a wide `MatMul`, …); a size shape inference
/// cannot tell is refused too.
fn check_tensor_sizes(model: &TypedModel, batch: &Symbol) -> Result<()> {
    let values = SymbolValues::default().with(batch, RUN_ROWS as i64);
    let mut total: u64 = 0;
    for node in model.nodes() {
        for output in &node.outputs {
            let fact = &output.fact;
            let what = || format!("node `{}` ({})", node.name, node.op.name());
            let mut elements: u64 = 1;
            for dim in fact.shape.iter() {
                let d = dim
                    .eval_to_i64(&values)
                    .ok()
                    .and_then(|d| u64::try_from(d).ok())
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::ModelUnsupported,
                            format!(
                                "{} makes a tensor of shape {:?}, whose size is not known when the model loads; this scorer only runs models whose memory is bounded before they run",
                                what(),
                                fact.shape
                            ),
                        )
                    })?;
                elements = elements.saturating_mul(d);
            }
            let bytes = elements.saturating_mul(fact.datum_type.size_of() as u64);
            if bytes > MAX_TENSOR_BYTES {
                return Err(Error::new(
                    ErrorKind::ModelTooLarge,
                    format!(
                        "{} makes a tensor of {elements} values ({bytes} bytes) for a batch of {RUN_ROWS} applicants, above the limit of {} MiB per tensor; the model is malformed or hostile",
                        what(),
                        MAX_TENSOR_BYTES >> 20
                    ),
                ));
            }
            total = total.saturating_add(bytes);
        }
    }
    if total > MAX_RUN_BYTES {
        return Err(Error::new(
            ErrorKind::ModelTooLarge,
            format!(
                "the model's tensors add up to {total} bytes for a batch of {RUN_ROWS} applicants, above the limit of {} MiB; the model is malformed or hostile",
                MAX_RUN_BYTES >> 20
            ),
        ));
    }
    Ok(())
}

fn check_pd_fact(name: &str, fact: &TypedFact) -> Result<usize> {
    let contract = |what: String| {
        Error::new(
            ErrorKind::ModelContract,
            format!(
                "output `{name}` {what}; the scorer needs the probability of default as [N] or [N,1], or [N,2] class probabilities of a binary classifier"
            ),
        )
    };
    if fact.datum_type != f32::datum_type() {
        return Err(contract(format!("is {:?}, not float32", fact.datum_type)));
    }
    let dims: Vec<Option<i64>> = fact.shape.iter().map(|d| d.to_i64().ok()).collect();
    match dims.as_slice() {
        // Rank 1 (`[N]`, e.g. a squeezed `[N,1]`): one probability per row, like `[N,1]`.
        [_] | [_, Some(1)] => Ok(0),
        [_, Some(2)] => Ok(1),
        [_, Some(c)] => Err(contract(format!("has {c} columns (a {c}-class model)"))),
        _ => Err(contract(format!("has shape {:?}", fact.shape))),
    }
}
