//! tract, the general engine (cargo feature `tract`, the full build): the model's optimized plan,
//! built once with a symbolic batch axis and reused for every call, and the engine choice with
//! tract to compare against.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tract_onnx::prelude::*;

use super::chain::RowChain;
use super::checks::MAX_OPSET;
use super::reference::{ReferenceScores, probe_rows};
use super::{Model, Prediction, pb};
use crate::error::{Error, ErrorKind, Result};

/// Rows per tract run: larger calls are split into runs of this size.
const RUN_ROWS: usize = 1024;
/// How far the direct evaluator's probabilities may be from tract's on the probe rows (they
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
    /// Reads and optimizes a checked model, then checks that the probability output is `[N,1]`
    /// or the `[N,2]` of a binary classifier.
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
}

impl Model {
    /// The engine choice with tract: its plan must reproduce the reference scores (when the model
    /// has them), and `chain` is kept only if it scores the probe rows and the reference rows as
    /// the plan does.
    pub(super) fn choose_engine(
        mut self,
        chain: Option<RowChain>,
        reference: Option<&ReferenceScores>,
    ) -> Result<Model> {
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
            .filter(|c| {
                c.pd_column() == self.plan.pd_column && self.plan.agrees_with(c, self.k, &rows)
            })
            .map(Arc::new);
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
    let typed = model
        .into_optimized()
        .map_err(|e| unsupported("prepared", e))?;
    typed
        .into_runnable()
        .map_err(|e| unsupported("prepared", e))
}

fn check_pd_fact(name: &str, fact: &TypedFact) -> Result<usize> {
    let contract = |what: String| {
        Error::new(
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
