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

use serde::Serialize;

use crate::engine::Model;
use crate::error::{Error, ErrorKind, Result};
use crate::schema::{Direction, Feature, FeatureKind, Localized, Schema};
use crate::score::{band_index_for, band_pd};
use crate::{BandResult, Scorer};

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

/// One actionable feature's candidate values, nearest to the applicant's first.
struct Candidates {
    feature: usize,
    values: Vec<f32>,
    /// Each value's movement (already times the cost).
    movement: Vec<f64>,
}

/// A feature set that reaches the target, with its best combination.
struct Found {
    set: Vec<usize>,
    /// Per member of `set` (by position), the chosen value.
    values: Vec<f32>,
    movement: f64,
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

/// Whether `direction` allows moving from `from` to `to` (different values).
fn allowed(direction: Direction, from: f64, to: f64) -> bool {
    match direction {
        Direction::Increase => to > from,
        Direction::Decrease => to < from,
        Direction::Any => to != from,
    }
}

/// The candidate values of actionable feature `i` for an applicant at `x`, given the model's
/// split points on its column (`None`: the output may change anywhere).
fn candidates_for(i: usize, f: &Feature, x: f32, points: Option<&[f32]>) -> Result<Candidates> {
    let direction = f.direction.unwrap_or(Direction::Any);
    let cost = f.recourse_cost.unwrap_or(1.0);
    let mut pairs: Vec<(f32, f64)> = Vec::new();
    match &f.kind {
        FeatureKind::Categorical { categories } => {
            let n = categories.len();
            let from = categories
                .iter()
                .position(|c| c.code as f32 == x)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Input,
                        format!("`{}`: {x} is not one of its category codes", f.name),
                    )
                })?;
            for (to, c) in categories.iter().enumerate() {
                let target_ok = f
                    .recourse_targets
                    .as_ref()
                    .is_none_or(|t| t.contains(&c.code));
                if target_ok && allowed(direction, from as f64, to as f64) {
                    let moved = (to as f64 - from as f64).abs() / (n.max(2) - 1) as f64;
                    pairs.push((c.code as f32, moved * cost));
                }
            }
        }
        FeatureKind::Numeric { min, max, step, .. } => {
            let (Some(lo), Some(hi)) = (*min, *max) else {
                // The schema's checks refuse an actionable numeric feature without a range.
                return Ok(Candidates {
                    feature: i,
                    values: Vec::new(),
                    movement: Vec::new(),
                });
            };
            let grid = Grid {
                lo,
                hi,
                step: f.recourse_step.or(*step),
            };
            let mut values = Vec::new();
            match points {
                Some(points) => {
                    for &t in points {
                        values.extend(grid.around(t));
                    }
                }
                None => {
                    values.extend(grid.all());
                    for &t in f.cuts.iter().flatten() {
                        values.extend(grid.around(t as f32));
                    }
                }
            }
            let range = hi - lo;
            let from = f64::from(x);
            for v in values {
                let to = f64::from(v);
                if to >= lo && to <= hi && range > 0.0 && allowed(direction, from, to) {
                    pairs.push((v, (to - from).abs() / range * cost));
                }
            }
        }
    }
    // Nearest first, then by value; one entry per value the model sees.
    pairs.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
    // Equal values have equal movements, so they are adjacent now.
    pairs.dedup_by(|a, b| a.0 == b.0);
    Ok(Candidates {
        feature: i,
        values: pairs.iter().map(|p| p.0).collect(),
        movement: pairs.iter().map(|p| p.1).collect(),
    })
}

/// The values a numeric feature may take: `lo + n · step` within `[lo, hi]`, or any float32 in
/// it without a step.
struct Grid {
    lo: f64,
    hi: f64,
    step: Option<f64>,
}

impl Grid {
    /// The grid value `lo + n · step`.
    fn at(&self, step: f64, n: f64) -> f64 {
        self.lo + n * step
    }

    /// On both sides of a split point `t`: the largest values below and at or below it, the
    /// smallest at or above and above it (as float32, the way the model compares), so whichever
    /// side of `t` its comparison puts `t` on, both sides' nearest values are there.
    fn around(&self, t: f32) -> Vec<f32> {
        let Some(step) = self.step else {
            return vec![t.next_down(), t, t.next_up()];
        };
        let tt = f64::from(t);
        let base = ((tt - self.lo) / step).floor();
        // Grid values near t, from a few steps below to a few above: float rounding of
        // `(t - lo) / step` is at most one step off.
        let near: Vec<f32> = (-2..=3)
            .map(|d| self.at(step, base + f64::from(d)) as f32)
            .collect();
        let below = near.iter().rev().find(|&&v| v < t);
        let at_or_below = near.iter().rev().find(|&&v| v <= t);
        let at_or_above = near.iter().find(|&&v| v >= t);
        let above = near.iter().find(|&&v| v > t);
        [below, at_or_below, at_or_above, above]
            .into_iter()
            .flatten()
            .copied()
            .collect()
    }

    /// Every grid value in the range (without a step: [`DEFAULT_GRID_INTERVALS`] intervals).
    fn all(&self) -> Vec<f32> {
        let step = self
            .step
            .unwrap_or((self.hi - self.lo) / DEFAULT_GRID_INTERVALS);
        if step.is_nan() || step <= 0.0 {
            return vec![self.lo as f32];
        }
        let n = ((self.hi - self.lo) / step)
            .floor()
            .min(MAX_ROWS_PER_SET as f64) as usize;
        (0..=n).map(|i| self.at(step, i as f64) as f32).collect()
    }
}

/// Rows scored per model call: one set's combinations go through in batches of this many, so
/// memory stays small whatever the set's size.
const BATCH_ROWS: usize = 4096;

/// Tries every set of up to [`MAX_CHANGES`] candidate features (not a superset of one that
/// works) with all its combinations; returns the sets that reach band `target`, ranked, and
/// the size up to which the search was exhaustive.
fn find_sets(
    model: &Model,
    bands: &[crate::schema::Band],
    target: usize,
    row: &[f32],
    candidates: &[Candidates],
) -> Result<(Vec<Found>, usize)> {
    let mut found: Vec<Found> = Vec::new();
    let mut rows_used = 0usize;
    let mut scratch = (Vec::new(), Vec::new());
    for size in 1..=MAX_CHANGES.min(candidates.len()) {
        // Options of fewer changes rank first: with enough of them, no larger set can be shown.
        if found.len() >= MAX_OPTIONS {
            break;
        }
        let mut at_this_size = Vec::new();
        let mut members: Vec<usize> = (0..size).collect();
        loop {
            let chosen: Vec<&Candidates> =
                members.iter().filter_map(|&m| candidates.get(m)).collect();
            let set: Vec<usize> = chosen.iter().map(|c| c.feature).collect();
            if !found.iter().any(|f| f.set.iter().all(|i| set.contains(i))) {
                let combos = chosen
                    .iter()
                    .try_fold(1usize, |n, c| n.checked_mul(c.values.len()));
                let Some(combos) = combos
                    .filter(|&n| n <= MAX_ROWS_PER_SET && rows_used.saturating_add(n) <= MAX_ROWS)
                else {
                    // Not exhaustive at this size: keep what it found so far and stop here.
                    found.append(&mut at_this_size);
                    rank(&mut found);
                    return Ok((found, size - 1));
                };
                rows_used += combos;
                if let Some(best) =
                    best_combination(model, bands, target, row, &chosen, combos, &mut scratch)?
                {
                    at_this_size.push(Found {
                        set,
                        values: best.1,
                        movement: best.0,
                    });
                }
            }
            if !next_subset(&mut members, candidates.len()) {
                break;
            }
        }
        found.append(&mut at_this_size);
        rank(&mut found);
    }
    Ok((found, MAX_CHANGES))
}

/// The chosen features' values in combination `combo` (mixed radix, first feature fastest),
/// with their total movement.
fn combination(chosen: &[&Candidates], combo: usize) -> (Vec<f32>, f64) {
    let mut values = Vec::with_capacity(chosen.len());
    let mut movement = 0.0;
    let mut rest = combo;
    for c in chosen {
        let n = c.values.len().max(1);
        values.push(c.values.get(rest % n).copied().unwrap_or(f32::NAN));
        movement += c.movement.get(rest % n).copied().unwrap_or(f64::INFINITY);
        rest /= n;
    }
    (values, movement)
}

/// Scores every combination of the chosen features' candidates (in batches of
/// [`BATCH_ROWS`]) and returns the one with the least movement that reaches band `target`
/// (the first in combination order on a tie).
fn best_combination(
    model: &Model,
    bands: &[crate::schema::Band],
    target: usize,
    row: &[f32],
    chosen: &[&Candidates],
    combos: usize,
    (rows, pds): &mut (Vec<f32>, Vec<f32>),
) -> Result<Option<(f64, Vec<f32>)>> {
    let mut best: Option<(f64, Vec<f32>)> = None;
    let mut first = 0;
    while first < combos {
        let last = combos.min(first + BATCH_ROWS);
        rows.clear();
        for combo in first..last {
            let start = rows.len();
            rows.extend_from_slice(row);
            let (values, _) = combination(chosen, combo);
            for (c, v) in chosen.iter().zip(values) {
                if let Some(slot) = rows.get_mut(start + c.feature) {
                    *slot = v;
                }
            }
        }
        pds.clear();
        model.predict_pd_into(rows, pds)?;
        if pds.len() != last - first {
            return Err(Error::new(
                ErrorKind::Inference,
                format!(
                    "the model returned {} scores for {} rows (please report this model)",
                    pds.len(),
                    last - first
                ),
            ));
        }
        for (combo, &pd) in (first..last).zip(pds.iter()) {
            if band_index_for(bands, f64::from(pd)).is_none_or(|b| b > target) {
                continue;
            }
            let (values, movement) = combination(chosen, combo);
            if best.as_ref().is_none_or(|(m, _)| movement < *m) {
                best = Some((movement, values));
            }
        }
        first = last;
    }
    Ok(best)
}

/// Fewest changes first, then least movement, then by the features' schema order.
fn rank(found: &mut [Found]) {
    found.sort_by(|a, b| {
        a.set
            .len()
            .cmp(&b.set.len())
            .then(a.movement.total_cmp(&b.movement))
            .then(a.set.cmp(&b.set))
    });
}

/// Advances `members` (increasing indices below `n`) to the next subset of its size in
/// lexicographic order; false after the last.
fn next_subset(members: &mut [usize], n: usize) -> bool {
    let size = members.len();
    for i in (0..size).rev() {
        // Position i can still grow when it stays below n − (size − i).
        let Some(&value) = members.get(i) else {
            return false;
        };
        if value + (size - i) < n {
            for (offset, slot) in members.iter_mut().skip(i).enumerate() {
                *slot = value + 1 + offset;
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points_get_the_nearest_grid_values_on_both_sides() {
        let grid = Grid {
            lo: 4.0,
            hi: 72.0,
            step: Some(1.0),
        };
        // A threshold on the grid: itself, and the grid values next to it.
        assert_eq!(grid.around(12.0), vec![11.0, 12.0, 12.0, 13.0]);
        // Between grid values: the two around it.
        assert_eq!(grid.around(12.5), vec![12.0, 12.0, 13.0, 13.0]);
        let coarse = Grid {
            lo: 250.0,
            hi: 18424.0,
            step: Some(500.0),
        };
        assert_eq!(coarse.around(1000.0), vec![750.0, 750.0, 1250.0, 1250.0]);
        // No step: the float32 neighbours.
        let free = Grid {
            lo: 0.0,
            hi: 1.0,
            step: None,
        };
        let t = 0.3f32;
        assert_eq!(free.around(t), vec![t.next_down(), t, t.next_up()]);
    }

    fn combinations(n: usize, size: usize) -> Vec<Vec<usize>> {
        let mut members: Vec<usize> = (0..size).collect();
        let mut out = Vec::new();
        if size > n {
            return out;
        }
        loop {
            out.push(members.clone());
            if !next_subset(&mut members, n) {
                return out;
            }
        }
    }

    #[test]
    fn combinations_are_every_subset_once() {
        assert_eq!(
            combinations(4, 2),
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
        assert_eq!(combinations(5, 3).len(), 10);
        assert!(combinations(2, 3).is_empty());
    }
}
