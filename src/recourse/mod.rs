//! Recourse: the smallest sets of changes to an applicant's actionable characteristics that
//! would bring the score into a target band (by default the approval cut-off).
//!
//! Only features the schema marks `actionable` change, each only in its `direction`, within its
//! range or to its `recourse_targets`. Candidate values come from where the model's output can
//! change ([`Model::split_points`]: the chain's comparison constants, the trees' thresholds): on
//! both sides of every such point, on the feature's `recourse_step` grid (or as close as float32
//! allows). Between two points the output is constant, so the nearest value of every piece is a
//! candidate and the search over them is exact. A model whose output may change anywhere gets a
//! grid over the range instead (and the schema's `cuts`), exact on that grid.
//!
//! Every set of up to [`MAX_CHANGES`] features is tried with every combination of its candidate
//! values, one batched model run per set; supersets of a set already found to work are skipped
//! (they are not minimal). Options rank by the number of changed features, then by the movement
//! (per feature: the distance over its range, or categories moved over their number − 1, times
//! `recourse_cost`), then by feature order.

mod candidates;
mod sets;

use serde::Serialize;

use crate::engine::Model;
use crate::error::{Error, ErrorKind, Result};
use crate::schema::{Feature, Localized, Schema};
use crate::score::{band_index_for, band_pd};
use crate::{BandResult, Scorer};
use candidates::candidates_for;
use sets::find_sets;

/// Most characteristics one option changes; the search is exhaustive up to this many.
pub const MAX_CHANGES: usize = 3;
/// Most options returned.
pub const MAX_OPTIONS: usize = 3;
/// Most rows one feature set may be scored with (its candidates' product); a larger set ends the
/// exhaustive search at the size before it (`searched_up_to`).
pub const MAX_ROWS_PER_SET: usize = 1 << 20;
/// Most rows one search scores in all.
pub const MAX_ROWS: usize = 1 << 23;
/// Grid points over the range of a numeric feature without a step, for a model whose output may
/// change anywhere.
pub const DEFAULT_GRID_INTERVALS: f64 = 100.0;

/// What would change the outcome for one applicant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecourseResult {
    /// The band the options reach (or better).
    pub target_band: String,
    /// The applicant's band now.
    pub current_band: String,
    /// The applicant is already in the target band or a better one: no options.
    pub already_met: bool,
    /// Every set of up to this many changed characteristics was tried ([`MAX_CHANGES`] unless
    /// a set had too many candidate combinations).
    pub searched_up_to: usize,
    /// No option exists with up to [`MAX_CHANGES`] changes: a proven statement, within the
    /// schema's actionable characteristics, directions, ranges and steps.
    pub proven_none: bool,
    /// The characteristics the search could change (the schema's actionable ones).
    pub considered: Vec<String>,
    /// Up to [`MAX_OPTIONS`] options, best first; none is a superset of another.
    pub options: Vec<RecourseOption>,
}

/// One way to reach the target band.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecourseOption {
    /// The changed characteristics, in schema order.
    pub changes: Vec<Change>,
    /// The ranking's total movement (see the module's documentation).
    pub movement: f64,
    /// Probability of default with the changes, as `Scorer::assess` gives it.
    pub pd: f64,
    /// Points with the changes.
    pub points: f64,
    /// Band with the changes.
    pub band: BandResult,
}

/// One characteristic's change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Feature name.
    pub feature: String,
    /// Feature label.
    pub label: Localized,
    /// The applicant's value (a code for a categorical feature).
    pub from: f64,
    /// The suggested value.
    pub to: f64,
    /// The label of the `from` category (categorical features only).
    pub from_label: Option<Localized>,
    /// The label of the `to` category (categorical features only).
    pub to_label: Option<Localized>,
}

/// The index of the default target band: the worst band still approved, i.e. the last whose
/// `max_pd` is at or below the model card's `fair_lending.approval_max_pd` (compared as bands
/// compare PDs). `None` when the card names no cut-off or no band lies within it.
pub fn default_target(schema: &Schema) -> Option<usize> {
    let cut_off = schema
        .model_card
        .get("fair_lending")?
        .get("approval_max_pd")?
        .as_f64()?;
    if !(cut_off > 0.0 && cut_off <= 1.0) {
        return None;
    }
    schema
        .bands
        .iter()
        .rposition(|b| band_pd(b.max_pd) <= band_pd(cut_off))
}

/// The index of band `id`, or the default target without one.
pub fn target_index(schema: &Schema, id: Option<&str>) -> Result<usize> {
    let ids = || {
        schema
            .bands
            .iter()
            .map(|b| b.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match id {
        Some(id) => schema.bands.iter().position(|b| b.id == id).ok_or_else(|| {
            Error::new(
                ErrorKind::Input,
                format!(
                    "the model has no band `{id}`; name one of its bands: {}",
                    ids()
                ),
            )
        }),
        None => default_target(schema).ok_or_else(|| {
            Error::new(
                ErrorKind::Input,
                format!(
                    "the model names no approval cut-off (`model_card.fair_lending.approval_max_pd` \
                     at a band's max_pd); name the target band, one of: {}",
                    ids()
                ),
            )
        }),
    }
}

/// Finds up to [`MAX_OPTIONS`] minimal sets of changes to the validated `row` that bring it into
/// band `target` (an id; `None`: [`default_target`]) or better.
pub fn search(scorer: &Scorer, row: &[f32], target: Option<&str>) -> Result<RecourseResult> {
    let model = scorer.model();
    let schema = scorer.schema();
    let k = model.k();
    if row.len() != k {
        return Err(Error::new(
            ErrorKind::Input,
            format!("an applicant has {k} values; got {}", row.len()),
        ));
    }
    let target = target_index(schema, target)?;
    let target_band = schema
        .bands
        .get(target)
        .map(|b| b.id.clone())
        .unwrap_or_default();
    let now = one_prediction(model, row)?;
    let (_, current) = scorer.points_and_band(&now);
    let mut result = RecourseResult {
        target_band,
        current_band: current.id,
        already_met: false,
        searched_up_to: MAX_CHANGES,
        proven_none: false,
        considered: schema
            .features
            .iter()
            .filter(|f| f.actionable)
            .map(|f| f.name.clone())
            .collect(),
        options: Vec::new(),
    };
    if band_index_for(&schema.bands, now.pd).is_some_and(|b| b <= target) {
        result.already_met = true;
        return Ok(result);
    }
    let splits = model.split_points();
    let mut candidates = Vec::new();
    for (i, f) in schema
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| f.actionable)
    {
        let x = *row.get(i).ok_or_else(|| short_row(i))?;
        let points = splits.as_ref().and_then(|s| s.get(i)).map(Vec::as_slice);
        let c = candidates_for(i, f, x, points)?;
        if !c.values.is_empty() {
            candidates.push(c);
        }
    }
    let (found, searched_up_to) = find_sets(model, &schema.bands, target, row, &candidates)?;
    result.searched_up_to = searched_up_to;
    for f in found.into_iter().take(MAX_OPTIONS) {
        let mut changed = row.to_vec();
        let mut changes = Vec::new();
        for (&i, &v) in f.set.iter().zip(&f.values) {
            let feature = schema.features.get(i).ok_or_else(|| short_row(i))?;
            let slot = changed.get_mut(i).ok_or_else(|| short_row(i))?;
            changes.push(change(feature, *slot, v));
            *slot = v;
        }
        let p = one_prediction(model, &changed)?;
        // Scored alone, as `assess` scores it (the batch run found it): only an engine that
        // rounds differently by batch size could disagree, and then `assess` has the last word.
        if band_index_for(&schema.bands, p.pd).is_none_or(|b| b > target) {
            continue;
        }
        let (points, band) = scorer.points_and_band(&p);
        result.options.push(RecourseOption {
            changes,
            movement: f.movement,
            pd: p.pd,
            points,
            band,
        });
    }
    result.proven_none = result.options.is_empty() && result.searched_up_to == MAX_CHANGES;
    Ok(result)
}

fn short_row(i: usize) -> Error {
    Error::new(
        ErrorKind::Inference,
        format!("feature {i} is missing from the applicant's row (please report this)"),
    )
}

fn one_prediction(model: &Model, row: &[f32]) -> Result<crate::Prediction> {
    model
        .predict(row)?
        .first()
        .copied()
        .ok_or_else(|| Error::new(ErrorKind::Inference, "the model returned no score"))
}

fn change(feature: &Feature, from: f32, to: f32) -> Change {
    let label = |v: f32| feature.category(v as i64).map(|c| c.label.clone());
    Change {
        feature: feature.name.clone(),
        label: feature.label.clone(),
        from: f64::from(from),
        to: f64::from(to),
        from_label: label(from),
        to_label: label(to),
    }
}
