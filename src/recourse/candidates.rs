//! The candidate values of one actionable feature: where the model's output can change, on the
//! feature's grid, in the directions and to the targets the schema allows, nearest first.

use super::{DEFAULT_GRID_INTERVALS, MAX_ROWS_PER_SET};
use crate::error::{Error, ErrorKind, Result};
use crate::schema::{Direction, Feature, FeatureKind};

/// One actionable feature's candidate values, nearest to the applicant's first.
pub(super) struct Candidates {
    pub(super) feature: usize,
    pub(super) values: Vec<f32>,
    /// Each value's movement (already times the cost).
    pub(super) movement: Vec<f64>,
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
pub(super) fn candidates_for(
    i: usize,
    f: &Feature,
    x: f32,
    points: Option<&[f32]>,
) -> Result<Candidates> {
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
}
