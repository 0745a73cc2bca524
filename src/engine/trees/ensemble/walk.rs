//! Walking rows through an ensemble's trees (one row, or blocks of rows when every branch
//! compares the same way), and the trees' aggregates to the ensemble's output scores.

use super::{Aggregate, BLOCK, Ensemble, Kind, MAX_TREE_DEPTH, Mode, Node};
use crate::engine::trees::post::binary_scores;

impl Node {
    /// Whether `x` takes the true branch (NaN takes it only when the node tracks missing values
    /// there; otherwise NaN compares as IEEE says, as onnxruntime does).
    #[inline]
    pub fn goes_true(&self, x: f32, e: &Ensemble) -> bool {
        if x.is_nan() && self.missing_true {
            return true;
        }
        let t = self.threshold;
        match self.mode {
            Mode::Leq => x <= t,
            Mode::Lt => x < t,
            Mode::Gte => x >= t,
            Mode::Gt => x > t,
            Mode::Eq => x == t,
            Mode::Neq => x != t,
            Mode::Member => e
                .sets
                .get(t.to_bits() as usize)
                .and_then(|&(from, to)| e.members.get(from as usize..to as usize))
                .is_some_and(|s| s.contains(&x)),
            Mode::Leaf => false,
        }
    }
}

/// [`Node::goes_true`] with the comparison fixed at compile time for an ensemble whose branches
/// all make the same one (`M`: 0 LEQ, 1 LT, 2 GTE, 3 GT; anything else: the node's own mode).
#[inline(always)]
pub fn goes_true_as<const M: u8>(node: &Node, x: f32, e: &Ensemble) -> bool {
    let t = node.threshold;
    match M {
        0 => (x <= t) | (x.is_nan() & node.missing_true),
        1 => (x < t) | (x.is_nan() & node.missing_true),
        2 => (x >= t) | (x.is_nan() & node.missing_true),
        3 => (x > t) | (x.is_nan() & node.missing_true),
        _ => node.goes_true(x, e),
    }
}

impl Ensemble {
    /// The leaf `row` reaches in tree `root`: its first weight and count.
    #[inline]
    pub fn leaf(&self, root: u32, row: &[f32]) -> Option<(usize, usize)> {
        let mut i = root as usize;
        // Checked depth: never loops, even if the arrays were changed after `check`.
        for _ in 0..=MAX_TREE_DEPTH {
            let node = self.nodes.get(i)?;
            if node.mode == Mode::Leaf {
                return Some((node.a as usize, node.b as usize));
            }
            let x = *row.get(node.feature as usize)?;
            i = if node.goes_true(x, self) {
                node.a
            } else {
                node.b
            } as usize;
        }
        None
    }

    /// [`Ensemble::accumulate`] for `acc.len() / targets` (at most [`BLOCK`]) rows of `k` values
    /// at once, for an ensemble whose branches all compare the same way (`uniform`): the rows
    /// walk each tree level by level together, so their memory loads and comparisons overlap
    /// and the child is picked without a branch. `None` if the ensemble is not uniform.
    pub fn accumulate_block(
        &self,
        rows: &[f32],
        k: usize,
        acc: &mut [f64],
        has: &mut [bool],
    ) -> Option<()> {
        if let Some(p) = &self.perfect {
            return match self.uniform? {
                Mode::Leq => self.walk_perfect::<0>(p, rows, k, acc, has),
                Mode::Lt => self.walk_perfect::<1>(p, rows, k, acc, has),
                Mode::Gte => self.walk_perfect::<2>(p, rows, k, acc, has),
                _ => self.walk_perfect::<3>(p, rows, k, acc, has),
            };
        }
        match self.uniform? {
            Mode::Leq => self.walk_block::<0>(rows, k, acc, has),
            Mode::Lt => self.walk_block::<1>(rows, k, acc, has),
            Mode::Gte => self.walk_block::<2>(rows, k, acc, has),
            _ => self.walk_block::<3>(rows, k, acc, has),
        }
    }

    /// The number of rows of `k` values in `rows`, once `acc` and `has` (a slot per row and
    /// target) are cleared; `None` when they do not fit the rows or the rows are more than a
    /// [`BLOCK`]. Both block walks start with it.
    pub(super) fn start_block(
        &self,
        rows: &[f32],
        k: usize,
        acc: &mut [f64],
        has: &mut [bool],
    ) -> Option<usize> {
        let n = rows.len() / k.max(1);
        if n > BLOCK || acc.len() != n * self.targets || has.len() != acc.len() {
            return None;
        }
        acc.iter_mut().for_each(|v| *v = 0.0);
        has.iter_mut().for_each(|v| *v = false);
        Some(n)
    }

    fn walk_block<const M: u8>(
        &self,
        rows: &[f32],
        k: usize,
        acc: &mut [f64],
        has: &mut [bool],
    ) -> Option<()> {
        let n = self.start_block(rows, k, acc, has)?;
        let mut idx = [0u32; BLOCK];
        let idx = idx.get_mut(..n)?;
        for &root in &self.roots {
            idx.iter_mut().for_each(|i| *i = root);
            for _ in 0..=MAX_TREE_DEPTH {
                let mut moved = false;
                for (r, i) in idx.iter_mut().enumerate() {
                    let node = self.nodes.get(*i as usize)?;
                    if node.mode == Mode::Leaf {
                        continue;
                    }
                    let x = *rows.get(r * k + node.feature as usize)?;
                    let go = goes_true_as::<M>(node, x, self);
                    *i = if go { node.a } else { node.b };
                    moved = true;
                }
                if !moved {
                    break;
                }
            }
            for (r, &i) in idx.iter().enumerate() {
                let leaf = self.nodes.get(i as usize)?;
                if leaf.mode != Mode::Leaf {
                    return None;
                }
                let (acc, has) = (
                    acc.get_mut(r * self.targets..(r + 1) * self.targets)?,
                    has.get_mut(r * self.targets..(r + 1) * self.targets)?,
                );
                self.add_leaf(leaf.a as usize, leaf.b as usize, acc, has)?;
            }
        }
        Some(())
    }

    /// Adds a leaf's weights to one row's aggregates.
    #[inline]
    fn add_leaf(&self, start: usize, len: usize, acc: &mut [f64], has: &mut [bool]) -> Option<()> {
        for j in start..start + len {
            let t = *self.leaf_target.get(j)? as usize;
            let w = *self.leaf_weight.get(j)?;
            let (slot, seen) = (acc.get_mut(t)?, has.get_mut(t)?);
            *slot = match (self.aggregate, *seen) {
                (Aggregate::Sum | Aggregate::Average, _) => *slot + w,
                (_, false) => w,
                (Aggregate::Min, true) => slot.min(w),
                (Aggregate::Max, true) => slot.max(w),
            };
            *seen = true;
        }
        Some(())
    }

    /// Raw per-target aggregates of one row (before base values and post-transform) into `acc`,
    /// with `has` marking targets that received a weight.
    pub fn accumulate(&self, row: &[f32], acc: &mut [f64], has: &mut [bool]) -> Option<()> {
        acc.iter_mut().for_each(|v| *v = 0.0);
        has.iter_mut().for_each(|v| *v = false);
        for &root in &self.roots {
            let (start, len) = self.leaf(root, row)?;
            self.add_leaf(start, len, acc, has)?;
        }
        Some(())
    }

    /// A tree ensemble's raw aggregates to its output scores, as onnxruntime computes them
    /// (including its conventions for a binary classifier that scores one class only).
    pub fn finalize(&self, acc: &mut [f64], has: &mut [bool], out: &mut Vec<f64>) -> Option<()> {
        out.clear();
        let n = self.targets;
        match &self.kind {
            Kind::Regressor => {
                let trees = self.roots.len().max(1) as f64;
                for t in 0..n {
                    let mut v = *acc.get(t)?;
                    if self.aggregate == Aggregate::Average {
                        v /= trees;
                    }
                    let base = match (n, self.base.len()) {
                        (1, 1) => *self.base.first()?,
                        (n, m) if n == m => *self.base.get(t)?,
                        _ => 0.0,
                    };
                    // onnxruntime: with several targets, one no leaf scored is 0, base value or
                    // not.
                    out.push(if n > 1 && !*has.get(t)? {
                        0.0
                    } else {
                        v + base
                    });
                }
                self.post.apply(out);
            }
            Kind::Classifier {
                binary_case,
                all_positive,
                ..
            } if n == 2 => {
                let (mut s0, mut s1) = (*acc.first()?, *acc.get(1)?);
                let has1 = *has.get(1)?;
                let mut len = 2;
                let mut second = -1i8;
                match self.base.as_slice() {
                    [_, b1] if has1 => {
                        s1 = b1 + s0;
                        s0 = -s1;
                    }
                    [b0, b1] => {
                        s1 += b1;
                        s0 += b0;
                    }
                    [b0] => {
                        s0 += b0;
                        if !has1 {
                            len = 1;
                        }
                    }
                    [] => {
                        second = 3;
                        if !has1 {
                            len = 1;
                        }
                    }
                    _ => {}
                }
                if *binary_case {
                    let positive = if len == 2 && has1 { s1 } else { s0 };
                    second = match (*all_positive, positive) {
                        (true, p) if p > 0.5 => 0,
                        (true, _) => 1,
                        (false, p) if p > 0.0 => 2,
                        (false, _) => 3,
                    };
                }
                if len == 1 {
                    binary_scores(s0, self.post, second, out);
                } else {
                    out.extend([s0, s1]);
                    self.post.apply(out);
                }
            }
            Kind::Classifier { .. } => {
                for t in 0..n {
                    out.push(*acc.get(t)? + self.base.get(t).copied().unwrap_or(0.0));
                }
                self.post.apply(out);
            }
        }
        Some(())
    }
}
