//! The recourse fields of a feature: which way recourse may move it (`direction`) and the
//! checks on `actionable`, `direction`, `recourse_step`, `recourse_cost` and `recourse_targets`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{Feature, FeatureKind, schema_error};
use crate::error::Result;

/// Which way recourse may move a feature: for a categorical one, along its `categories` as
/// listed.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only to larger values (later categories).
    Increase,
    /// Only to smaller values (earlier categories).
    Decrease,
    /// Either way.
    Any,
}

impl Feature {
    /// The recourse fields: only on an actionable feature, with a direction, positive steps
    /// and costs, a range to stay within, known target codes.
    pub(super) fn check_recourse(&self) -> Result<()> {
        let name = &self.name;
        if !self.actionable {
            let set = [
                ("direction", self.direction.is_some()),
                ("recourse_step", self.recourse_step.is_some()),
                ("recourse_cost", self.recourse_cost.is_some()),
                ("recourse_targets", self.recourse_targets.is_some()),
            ];
            if let Some((field, _)) = set.iter().find(|(_, present)| *present) {
                return Err(schema_error(format!(
                    "feature `{name}` has `{field}` but is not `actionable`; add \"actionable\": true \
                     if recourse may suggest changing it, or remove `{field}`"
                )));
            }
            return Ok(());
        }
        if self.direction.is_none() {
            return Err(schema_error(format!(
                "feature `{name}` is `actionable` but has no `direction`; add \"direction\": \
                 \"increase\", \"decrease\" or \"any\""
            )));
        }
        for (field, value) in [
            ("recourse_step", self.recourse_step),
            ("recourse_cost", self.recourse_cost),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v > 0.0)
            {
                return Err(schema_error(format!(
                    "feature `{name}`: `{field}` is {v}; it must be a finite number above 0"
                )));
            }
        }
        match &self.kind {
            FeatureKind::Numeric { min, max, .. } => {
                if min.is_none() || max.is_none() {
                    return Err(schema_error(format!(
                        "feature `{name}` is `actionable` but has no range; give it `min` and \
                         `max`, the values recourse may suggest stay within them"
                    )));
                }
                if self.recourse_targets.is_some() {
                    return Err(schema_error(format!(
                        "feature `{name}` is numeric and cannot have `recourse_targets` (codes of \
                         categories); remove it, or use `recourse_step` and the range"
                    )));
                }
            }
            FeatureKind::Categorical { categories } => {
                if self.recourse_step.is_some() {
                    return Err(schema_error(format!(
                        "feature `{name}` is categorical and cannot have `recourse_step`; remove \
                         it (`recourse_targets` lists the categories recourse may suggest)"
                    )));
                }
                let mut seen = HashSet::new();
                for &code in self.recourse_targets.iter().flatten() {
                    if !categories.iter().any(|c| c.code == code) {
                        return Err(schema_error(format!(
                            "feature `{name}`: `recourse_targets` names code {code}, which is not \
                             one of its categories; list only codes of `categories`"
                        )));
                    }
                    if !seen.insert(code) {
                        return Err(schema_error(format!(
                            "feature `{name}`: `recourse_targets` lists code {code} twice"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}
