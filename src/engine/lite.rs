//! The lite build (no tract): the type of tract's plan, which it never has, and the engine choice
//! without tract to compare against.

use std::sync::Arc;

use super::reference::{REFERENCE_SCORES_METADATA_KEY, ReferenceScores, not_covered};
use super::{Compiled, Model, pb, trees_do_not_reproduce, trees_need_reference_scores};
use crate::error::{Error, ErrorKind, Result};

/// No plan can exist: every model the lite build loads runs on the chain or the trees.
#[derive(Debug, Clone)]
pub(super) enum Plan {}

impl Plan {
    /// Never called: there is no plan to run.
    pub(super) fn run(
        &self,
        _rows: &[f32],
        _k: usize,
        _emit: impl FnMut(f32, Option<f32>),
    ) -> Result<()> {
        match *self {}
    }
}

impl Model {
    /// The engine choice without tract: the model must be trees or a chain that reproduce the
    /// reference scores it carries, and those must cover the model
    /// ([`ReferenceScores::uncovered`]).
    pub(super) fn choose_engine(
        mut self,
        proto: &pb::ModelProto,
        _outputs: (&str, Option<&str>),
        Compiled { chain, trees }: Compiled,
        reference: Option<&ReferenceScores>,
    ) -> Result<Model> {
        // `credit-scorer reference-scores` needs tract to run the model.
        let tract_runs_it = !proto.graph.as_ref().is_some_and(|g| {
            g.node
                .iter()
                .any(|n| super::trees::BEYOND_TRACT.contains(&n.op_type.as_str()))
        });
        if let Some(trees) = trees {
            let reference =
                reference.ok_or_else(|| trees_need_reference_scores(ErrorKind::NeedsFullEngine))?;
            if let Some(gap) = reference.uncovered(&self.schema) {
                return Err(not_covered(ErrorKind::NeedsFullEngine, &gap, tract_runs_it));
            }
            self.trees = Some(Arc::new(trees));
            if let Some(mismatch) = reference.mismatch(&self)? {
                return Err(trees_do_not_reproduce(
                    ErrorKind::NeedsFullEngine,
                    &mismatch,
                ));
            }
            return Ok(self);
        }
        let needs_full = |why: &str| {
            Error::new(
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
        if let Some(gap) = reference.uncovered(&self.schema) {
            return Err(not_covered(ErrorKind::NeedsFullEngine, &gap, tract_runs_it));
        }
        self.chain = Some(Arc::new(chain));
        if let Some(mismatch) = reference.mismatch(&self)? {
            return Err(needs_full(&format!(
                "the direct evaluator does not reproduce the model's reference scores ({mismatch})"
            )));
        }
        Ok(self)
    }
}
