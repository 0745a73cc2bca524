//! Shallow trees that all compare one way, laid out as perfect binary trees: every tree padded
//! to the same number of levels (a leaf above the last level is repeated under branches whose
//! both sides reach it), so a row walks a tree by index arithmetic alone — the children of
//! split `h` are `2h + 1` (true) and `2h + 2` (false), no leaf test, no child pointers — and
//! every row of a block takes the same number of steps. The leaves reached, and so the sums,
//! are exactly those of the node walk.

use super::{Aggregate, BLOCK, Ensemble, Mode};

/// Most branch levels padded into a perfect tree (`2^10 − 1` splits per tree).
pub const MAX_PERFECT_LEVELS: usize = 10;
/// Padding may make the splits and leaves at most this many times the nodes they replace.
const MAX_GROWTH: usize = 4;
/// `Split::feature`'s bit for "a missing value takes the true branch".
const MISSING_TRUE: u32 = 1 << 31;

/// One padded branch: 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Split {
    pub threshold: f32,
    /// The feature, with [`MISSING_TRUE`] set when NaN takes the true branch.
    pub feature: u32,
}

/// An ensemble's trees as perfect binary trees of `levels` branch levels.
#[derive(Clone, Debug, PartialEq)]
pub struct Perfect {
    pub levels: usize,
    /// `2^levels − 1` splits per tree, in heap order, tree after tree.
    pub splits: Vec<Split>,
    /// `2^levels` leaves per tree, left to right: each leaf's one weight and its target
    /// (only ensembles whose leaves hold one weight each, summed or averaged, are padded).
    pub weights: Vec<f64>,
    pub targets: Vec<u32>,
}

/// A padding split: both of its sides reach the same leaf; a NaN threshold sends every value
/// the same (false) way, so a padding split never parts an applicant from the baseline.
const PAD: Split = Split {
    threshold: f32::NAN,
    feature: 0,
};
/// Trees one row walks together (their loads and comparisons overlap).
const LANES: usize = 8;
/// Blocks of fewer rows walk [`LANES`] trees at a time, row by row, instead.
const FEW_ROWS: usize = 4;

impl Perfect {
    /// The padded layout of `e`, when its branches all compare one way (LEQ, LT, GTE or GT), its
    /// leaves hold one weight each, its trees are summed or averaged, have between 1 and
    /// [`MAX_PERFECT_LEVELS`] branch levels, and padding at most multiplies the nodes by
    /// [`MAX_GROWTH`]. `None` otherwise (the node walk then runs).
    pub fn build(e: &Ensemble) -> Option<Perfect> {
        e.uniform?;
        if !matches!(e.aggregate, Aggregate::Sum | Aggregate::Average) {
            return None;
        }
        let levels = e.depth.checked_sub(1)?;
        if levels == 0 || levels > MAX_PERFECT_LEVELS {
            return None;
        }
        let inner = (1usize << levels) - 1;
        let trees = e.roots.len();
        if trees.checked_mul(2 * inner + 1)? > MAX_GROWTH.saturating_mul(e.nodes.len()) {
            return None;
        }
        let mut p = Perfect {
            levels,
            splits: Vec::with_capacity(trees * inner),
            weights: Vec::with_capacity(trees * (inner + 1)),
            targets: Vec::with_capacity(trees * (inner + 1)),
        };
        let mut splits = vec![PAD; inner];
        let mut leaves = vec![(0.0, 0u32); inner + 1];
        // (node, heap position, level)
        let mut stack: Vec<(u32, usize, usize)> = Vec::with_capacity(2 * levels + 2);
        for &root in &e.roots {
            stack.push((root, 0, 0));
            while let Some((i, h, level)) = stack.pop() {
                let node = e.nodes.get(i as usize)?;
                if level == levels {
                    if node.mode != Mode::Leaf || node.b != 1 {
                        return None;
                    }
                    let j = node.a as usize;
                    *leaves.get_mut(h.checked_sub(inner)?)? =
                        (*e.leaf_weight.get(j)?, *e.leaf_target.get(j)?);
                    continue;
                }
                let (yes, no) = if node.mode == Mode::Leaf {
                    *splits.get_mut(h)? = PAD;
                    (i, i)
                } else {
                    *splits.get_mut(h)? = Split {
                        threshold: node.threshold,
                        feature: u32::from(node.feature)
                            | if node.missing_true { MISSING_TRUE } else { 0 },
                    };
                    (node.a, node.b)
                };
                stack.push((yes, 2 * h + 1, level + 1));
                stack.push((no, 2 * h + 2, level + 1));
            }
            p.splits.extend_from_slice(&splits);
            p.weights.extend(leaves.iter().map(|l| l.0));
            p.targets.extend(leaves.iter().map(|l| l.1));
        }
        Some(p)
    }
}

impl Perfect {
    /// One row through every tree, [`LANES`] trees at a time: `visit(tree, weight, target,
    /// apart)` for each tree in order, with the weight and target of the leaf `row` reaches
    /// and, when `z_true` gives the baseline's side of every split, whether `row`'s path leaves
    /// the baseline's (if not, both reach the same leaf).
    #[inline]
    pub fn walk_row<const M: u8>(
        &self,
        row: &[f32],
        z_true: Option<&[bool]>,
        mut visit: impl FnMut(usize, f64, u32, bool) -> Option<()>,
    ) -> Option<()> {
        let inner = (1usize << self.levels) - 1;
        let groups = self
            .splits
            .chunks(inner * LANES)
            .zip(self.weights.chunks((inner + 1) * LANES))
            .zip(self.targets.chunks((inner + 1) * LANES));
        let mut first = 0;
        for ((splits, weights), targets) in groups {
            let lanes = splits.len() / inner;
            let mut heap = [0usize; LANES];
            let mut apart = [false; LANES];
            for _ in 0..self.levels {
                for (l, (h, a)) in heap.iter_mut().zip(&mut apart).enumerate().take(lanes) {
                    let at = l * inner + *h;
                    let s = *splits.get(at)?;
                    let go = goes_true::<M>(s, *row.get((s.feature & !MISSING_TRUE) as usize)?);
                    if let Some(z) = z_true {
                        *a |= go != *z.get(first * inner + at)?;
                    }
                    *h = 2 * *h + 2 - usize::from(go);
                }
            }
            for (l, (&h, &a)) in heap.iter().zip(&apart).enumerate().take(lanes) {
                let leaf = l * (inner + 1) + h.checked_sub(inner)?;
                visit(first + l, *weights.get(leaf)?, *targets.get(leaf)?, a)?;
            }
            first += lanes;
        }
        Some(())
    }

    /// The baseline's side of every split (padding splits: false, as for every value).
    pub fn sides(&self, mode: Mode, z: &[f32]) -> Option<Vec<bool>> {
        self.splits
            .iter()
            .map(|&s| {
                let x = *z.get((s.feature & !MISSING_TRUE) as usize)?;
                Some(match mode {
                    Mode::Leq => goes_true::<0>(s, x),
                    Mode::Lt => goes_true::<1>(s, x),
                    Mode::Gte => goes_true::<2>(s, x),
                    _ => goes_true::<3>(s, x),
                })
            })
            .collect()
    }
}

/// Whether `x` takes split `s`'s true branch under comparison `M` (0 LEQ, 1 LT, 2 GTE, 3 GT).
#[inline(always)]
fn goes_true<const M: u8>(s: Split, x: f32) -> bool {
    let t = s.threshold;
    let missing = x.is_nan() & (s.feature >= MISSING_TRUE);
    missing
        | match M {
            0 => x <= t,
            1 => x < t,
            2 => x >= t,
            _ => x > t,
        }
}

impl Ensemble {
    /// [`Ensemble::accumulate_block`] on the padded layout: tree after tree, the block's rows
    /// step down one level together.
    pub(super) fn walk_perfect<const M: u8>(
        &self,
        p: &Perfect,
        rows: &[f32],
        k: usize,
        acc: &mut [f64],
        has: &mut [bool],
    ) -> Option<()> {
        if k == 0 {
            return None;
        }
        let n = self.start_block(rows, k, acc, has)?;
        let t = self.targets;
        if n < FEW_ROWS {
            for (r, row) in rows.chunks_exact(k).enumerate() {
                p.walk_row::<M>(row, None, |_, w, target, _| {
                    let slot = r * t + target as usize;
                    *acc.get_mut(slot)? += w;
                    *has.get_mut(slot)? = true;
                    Some(())
                })?;
            }
            return Some(());
        }
        let inner = (1usize << p.levels) - 1;
        let mut heap = [0usize; BLOCK];
        let heap = heap.get_mut(..n)?;
        let trees = p
            .splits
            .chunks_exact(inner)
            .zip(p.weights.chunks_exact(inner + 1))
            .zip(p.targets.chunks_exact(inner + 1));
        for ((splits, weights), targets) in trees {
            heap.iter_mut().for_each(|h| *h = 0);
            for _ in 0..p.levels {
                for (h, row) in heap.iter_mut().zip(rows.chunks_exact(k)) {
                    let s = *splits.get(*h)?;
                    let x = *row.get((s.feature & !MISSING_TRUE) as usize)?;
                    *h = 2 * *h + 2 - usize::from(goes_true::<M>(s, x));
                }
            }
            for (r, &h) in heap.iter().enumerate() {
                let leaf = h.checked_sub(inner)?;
                let target = *targets.get(leaf)? as usize;
                let slot = r * t + target;
                *acc.get_mut(slot)? += *weights.get(leaf)?;
                *has.get_mut(slot)? = true;
            }
        }
        Some(())
    }
}
