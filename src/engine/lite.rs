//! The lite build (no tract): a stand-in for tract's plan, which it does not have, and the engine
//! choice without tract to compare against.

use std::sync::Arc;

use super::chain::RowChain;
use super::reference::{REFERENCE_SCORES_METADATA_KEY, ReferenceScores};
use super::{Model, pb};
use crate::error::{Error, ErrorKind, Result};

/// No plan: every model the lite build loads runs as a chain.
#[derive(Debug, Clone)]
pub(super) struct Plan;

impl Plan {
    /// Nothing to build without tract.
    pub(super) fn build(
        _proto: &pb::ModelProto,
        _k: usize,
        _pd_name: &str,
        _logit_name: Option<&str>,
    ) -> Result<Plan> {
        Ok(Plan)
    }

    /// Without tract every loaded model has a chain; this is never reached.
    pub(super) fn run(
        &self,
        _rows: &[f32],
        _k: usize,
        _emit: impl FnMut(f32, Option<f32>),
    ) -> Result<()> {
        Err(Error::new(
            ErrorKind::NeedsFullEngine,
            "this model needs the full engine; load it with the build that includes tract",
        ))
    }
}

impl Model {
    /// The engine choice without tract: the model must be a chain that reproduces the reference
    /// scores it carries.
    pub(super) fn choose_engine(
        mut self,
        chain: Option<RowChain>,
        reference: Option<&ReferenceScores>,
    ) -> Result<Model> {
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
        self.chain = Some(Arc::new(chain));
        if let Some(mismatch) = reference.mismatch(&self)? {
            return Err(needs_full(&format!(
                "the direct evaluator does not reproduce the model's reference scores ({mismatch})"
            )));
        }
        Ok(self)
    }
}
