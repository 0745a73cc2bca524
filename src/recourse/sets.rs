//! The exhaustive search over feature sets: every set of up to [`MAX_CHANGES`] candidate features
//! with every combination of its candidate values, in batched model runs, minimal sets only.

use super::candidates::Candidates;
use super::{MAX_CHANGES, MAX_OPTIONS, MAX_ROWS, MAX_ROWS_PER_SET};
use crate::engine::Model;
use crate::error::{Error, ErrorKind, Result};
use crate::score::band_index_for;

/// A feature set that reaches the target, with its best combination.
pub(super) struct Found {
    pub(super) set: Vec<usize>,
    /// Per member of `set` (by position), the chosen value.
    pub(super) values: Vec<f32>,
    pub(super) movement: f64,
}

/// Rows scored per model call: one set's combinations go through in batches of this many, so
/// memory stays small whatever the set's size.
const BATCH_ROWS: usize = 4096;

/// Tries every set of up to [`MAX_CHANGES`] candidate features (not a superset of one that
/// works) with all its combinations; returns the sets that reach band `target`, ranked, and
/// the size up to which the search was exhaustive.
pub(super) fn find_sets(
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
