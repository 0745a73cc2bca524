//! Exact interventional Shapley values for a chain that is one hidden layer: column-wise steps
//! (such as the WoE step functions), a dense layer with its bias and `Relu`, then a one-column
//! dense layer with its bias before the `Sigmoid`. The reference model is this shape.
//!
//! Why not the general path (all `2^k` coalitions through the model): with the applicant's and
//! the baseline's hidden-layer inputs known, a coalition's pre-activation of hidden unit `j` is
//! `base_j + Σ_{i∈S} d_ij`. So:
//! - a feature with all `d_ij = 0` (its transformed value is the baseline's) is a null player
//!   and is dropped: the Shapley values of the others do not change;
//! - a unit whose smallest pre-activation over all coalitions is ≥ 0 is linear (feature `i` gets
//!   `w2_j · d_ij`), one whose largest is ≤ 0 adds nothing;
//! - only the other ("mixed") units are enumerated, over the coalitions of the remaining
//!   features in Gray-code order (one row of `d` added or taken away per step), and the values
//!   become Shapley values by `φ_i = Σ_{S∋i} v(S)(w(|S|−1) + w(|S|)) − Σ_S v(S) w(|S|)`.
//!
//! Everything after the hidden layer's inputs is computed in f64 from the model's f32 weights,
//! so the values are exact for the network up to f64 rounding (the model's own f32 run of a
//! coalition differs from them by f32 rounding, ~1e-6 in log-odds).

mod walk;

use super::{Arith, RowChain, Step, run_step};
use crate::explain::MAX_EXACT_FEATURES;
use walk::{Block, F2, VECTORS, relu, walk};

/// The shape [`RowChain::one_hidden`] recognises, with its weights in f64.
#[derive(Clone, Debug)]
pub(crate) struct OneHidden {
    /// Steps before the hidden layer: each output column depends on one raw feature at most.
    pre: usize,
    /// Raw feature each hidden-layer input column comes from (`None`: a constant column).
    source: Vec<Option<usize>>,
    /// Hidden-layer weights, [inputs, units] row-major.
    w1: Vec<f64>,
    /// Hidden-layer bias per unit.
    b1: Vec<f64>,
    /// Output weights per unit.
    w2: Vec<f64>,
    /// Output bias.
    b2: f64,
    units: usize,
}

/// Buffers [`RowChain::one_hidden_shapley`] reuses from call to call (nothing is allocated per
/// applicant once they have grown), and the baseline's hidden-layer inputs and pre-activations.
#[derive(Clone, Debug, Default)]
pub struct NetworkScratch {
    front: Vec<f32>,
    back: Vec<f32>,
    applicant: Vec<f32>,
    /// The raw baseline the next two were computed for.
    baseline_raw: Vec<f32>,
    baseline: Vec<f32>,
    /// The baseline's pre-activation per unit.
    base: Vec<f64>,
    /// Per raw feature, per unit: `d_ij`.
    delta: Vec<f64>,
    players: Vec<usize>,
    /// Per unit: the smallest, the largest and the applicant's pre-activation.
    lo: Vec<f64>,
    hi: Vec<f64>,
    top: Vec<f64>,
    /// Per unit: `w2_j` for a linear unit, 0 otherwise.
    linear_w2: Vec<f64>,
    /// The mixed units' indices, those with `w2_j > 0` first.
    mixed: Vec<usize>,
    /// How many of `mixed` have `w2_j > 0`.
    positive: usize,
    /// Per mixed unit: its lane, its index and `|w2_j|`.
    lanes: Vec<(usize, usize, f64)>,
    /// One row of lanes being filled.
    lane_values: Vec<f64>,
    /// Per block of eight mixed units: their baseline pre-activations times `|w2_j|`.
    block_start: Vec<Block>,
    /// Per block, per player: `|w2_j| d_ij`, then the same rows negated (one row per Gray-code
    /// step, added either way).
    block_rows: Vec<Block>,
    /// Per number of players: the Gray-code walk's tables (made on first use).
    tables: Vec<GrayTable>,
    /// Per coalition in Gray-code order: the mixed units' sums, two lanes.
    sums: Vec<F2>,
    values: Vec<f64>,
}

/// The coalitions of `n` players in Gray-code order: step `g` visits `S = g ^ (g >> 1)`.
#[derive(Clone, Debug, Default)]
struct GrayTable {
    /// Per step `g ≥ 1`: the row of a block's `block_rows` it adds (player `p` joins: row `p`;
    /// leaves: row `n + p`, the negated one).
    steps: Vec<u32>,
    /// Per step: weight(|S|) = |S|! (n−1−|S|)! / n!.
    weight: Vec<f64>,
    /// Per step: coef(|S|) = weight(|S|−1) + weight(|S|).
    coef: Vec<f64>,
}

impl GrayTable {
    fn new(n: usize) -> Option<GrayTable> {
        let coalitions = 1usize << n;
        let steps = (1..coalitions)
            .map(|g| {
                let p = g.trailing_zeros() as usize;
                let row = if (g ^ (g >> 1)) >> p & 1 == 1 {
                    p
                } else {
                    n + p
                };
                row as u32
            })
            .collect();
        let mut by_size = [(0.0, 0.0); MAX_EXACT_FEATURES + 1];
        for (s, entry) in by_size.iter_mut().enumerate().take(n + 1) {
            let below = if s == 0 {
                0.0
            } else {
                shapley_weight(n, s - 1)
            };
            *entry = (shapley_weight(n, s), below + shapley_weight(n, s));
        }
        let (mut weight, mut coef) = (Vec::new(), Vec::new());
        for g in 0..coalitions {
            let (w, c) = by_size.get((g ^ (g >> 1)).count_ones() as usize)?;
            weight.push(*w);
            coef.push(*c);
        }
        Some(GrayTable {
            steps,
            weight,
            coef,
        })
    }
}

/// A constant row added (or, for `x − c`, taken away) as a bias: its value for column `c`.
fn bias(step: &Step, width: usize) -> Option<Vec<f64>> {
    let (sign, values) = match step {
        Step::Arith(Arith::Add, v) => (1.0, v),
        Step::Arith(Arith::Sub, v) => (-1.0, v),
        _ => return None,
    };
    Some(match values.as_slice() {
        [one] => vec![sign * f64::from(*one); width],
        many if many.len() == width => many.iter().map(|v| sign * f64::from(*v)).collect(),
        _ => return None,
    })
}

impl RowChain {
    /// The chain as [`OneHidden`], or `None` for any other shape.
    pub(super) fn one_hidden(&self) -> Option<OneHidden> {
        // Which raw features each column depends on, through the column-wise steps.
        let mut source: Vec<Option<usize>> = (0..self.k).map(Some).collect();
        let mut hidden = None;
        for (s, step) in self.steps.iter().enumerate() {
            match step {
                Step::Gather(columns) => {
                    source = columns
                        .iter()
                        .map(|&c| source.get(c).copied())
                        .collect::<Option<_>>()?;
                }
                Step::Dense(dense) => {
                    let mut out = Vec::with_capacity(dense.outputs);
                    let mut mixes = false;
                    for o in 0..dense.outputs {
                        let mut from = None;
                        for (t, src) in source.iter().enumerate() {
                            if dense.weight(t, o)? == 0.0 {
                                continue;
                            }
                            match (from, src) {
                                (_, None) => {}
                                (None, Some(i)) => from = Some(*i),
                                (Some(f), Some(i)) if f == *i => {}
                                (Some(_), Some(_)) => mixes = true,
                            }
                        }
                        out.push(from);
                    }
                    if mixes {
                        hidden = Some(s);
                        break;
                    }
                    source = out;
                }
                Step::Compare(..) | Step::Arith(..) | Step::Relu | Step::Sigmoid | Step::Tanh => {}
            }
        }
        let pre = hidden?;
        let mut rest = self.steps.get(pre..)?.iter();
        let Some(Step::Dense(first)) = rest.next() else {
            return None;
        };
        let (inputs, units) = (source.len(), first.outputs);
        let mut w1 = Vec::with_capacity(inputs * units);
        for t in 0..inputs {
            for o in 0..units {
                w1.push(f64::from(first.weight(t, o)?));
            }
        }
        let mut b1 = vec![0.0; units];
        let mut step = rest.next()?;
        while let Some(b) = bias(step, units) {
            b1.iter_mut().zip(b).for_each(|(x, b)| *x += b);
            step = rest.next()?;
        }
        let Step::Relu = step else { return None };
        let Some(Step::Dense(second)) = rest.next() else {
            return None;
        };
        if second.outputs != 1 {
            return None;
        }
        let w2 = (0..units)
            .map(|t| second.weight(t, 0).map(f64::from))
            .collect::<Option<Vec<f64>>>()?;
        let mut b2 = 0.0;
        let mut step = rest.next()?;
        while let Some(b) = bias(step, 1) {
            b2 += b.first()?;
            step = rest.next()?;
        }
        // The log-odds are what goes into the final Sigmoid (the model's logit output, if it
        // has one, must be that value).
        let Step::Sigmoid = step else { return None };
        let sigmoid_at = self.steps.len() - 1;
        if rest.next().is_some()
            || self.pd_column != 0
            || self.logit_after.is_some_and(|a| a != sigmoid_at)
        {
            return None;
        }
        Some(OneHidden {
            pre,
            source,
            w1,
            b1,
            w2,
            b2,
            units,
        })
    }

    /// The hidden layer's inputs for raw row `x`, into `out`.
    fn hidden_inputs(
        &self,
        net: &OneHidden,
        x: &[f32],
        front: &mut Vec<f32>,
        back: &mut Vec<f32>,
        out: &mut Vec<f32>,
    ) -> Option<()> {
        front.resize(self.max_width, 0.0);
        back.resize(self.max_width, 0.0);
        front.get_mut(..self.k)?.copy_from_slice(x.get(..self.k)?);
        let (mut current, mut spare) = (front.as_mut_slice(), back.as_mut_slice());
        let mut width = self.k;
        for step in self.steps.get(..net.pre)? {
            run_step(step, &mut current, &mut spare, &mut width)?;
        }
        out.clear();
        out.extend_from_slice(current.get(..width)?);
        (width == net.source.len() && out.iter().all(|v| v.is_finite())).then_some(())
    }

    /// Exact Shapley values of `applicant` against `baseline` on the log-odds into `phi` (one per
    /// raw feature), with the baseline's and the applicant's log-odds; `None` when a value is
    /// not finite (the general path then decides), or above [`MAX_EXACT_FEATURES`] features.
    pub(crate) fn one_hidden_shapley(
        &self,
        net: &OneHidden,
        applicant: &[f32],
        baseline: &[f32],
        work: &mut NetworkScratch,
        phi: &mut Vec<f64>,
    ) -> Option<(f64, f64)> {
        let (k, units) = (self.k, net.units);
        // Bounds every buffer: 2^k coalition values, k × units differences (units and the row
        // buffers at most the chain's MAX_WIDTH, `chain/compile.rs`).
        if k > MAX_EXACT_FEATURES {
            return None;
        }
        let NetworkScratch {
            front,
            back,
            applicant: za,
            baseline_raw,
            baseline: zb,
            base,
            delta,
            players,
            lo,
            hi,
            top,
            linear_w2,
            mixed,
            positive,
            lanes,
            lane_values,
            block_start,
            block_rows,
            tables,
            sums,
            values,
        } = work;
        // The baseline is the same for every applicant of a batch: its part is kept.
        let same_baseline = baseline_raw.len() == baseline.len()
            && baseline_raw
                .iter()
                .zip(baseline)
                .all(|(a, b)| a.to_bits() == b.to_bits());
        if !same_baseline || base.len() != units {
            baseline_raw.clear();
            base.clear();
            self.hidden_inputs(net, baseline, front, back, zb)?;
            base.extend_from_slice(&net.b1);
            for (t, &b) in zb.iter().enumerate() {
                let row = net.w1.get(t * units..(t + 1) * units)?;
                let b = f64::from(b);
                base.iter_mut().zip(row).for_each(|(x, w)| *x += b * w);
            }
            baseline_raw.extend_from_slice(baseline);
        }
        self.hidden_inputs(net, applicant, front, back, za)?;
        delta.clear();
        delta.resize(k * units, 0.0);
        // Features with a column that differs from the baseline's (bit i).
        let mut differs = 0u32;
        for (t, ((&a, &b), src)) in za.iter().zip(zb.iter()).zip(&net.source).enumerate() {
            if a == b {
                continue;
            }
            // A column no feature reaches cannot differ between two rows.
            let i = (*src)?;
            differs |= 1 << i;
            let row = net.w1.get(t * units..(t + 1) * units)?;
            let d = f64::from(a) - f64::from(b);
            let di = delta.get_mut(i * units..(i + 1) * units)?;
            di.iter_mut().zip(row).for_each(|(x, w)| *x += d * w);
        }
        players.clear();
        players.extend((0..k).filter(|&i| {
            differs >> i & 1 == 1
                && delta
                    .get(i * units..(i + 1) * units)
                    .is_some_and(|d| d.iter().any(|&v| v != 0.0))
        }));
        // Each unit's range over all coalitions of the players.
        for v in [&mut *lo, &mut *hi, &mut *top] {
            v.clear();
            v.extend_from_slice(base);
        }
        for &i in players.iter() {
            let di = delta.get(i * units..(i + 1) * units)?;
            for (((l, u), t), &d) in lo.iter_mut().zip(hi.iter_mut()).zip(top.iter_mut()).zip(di) {
                *t += d;
                *l += d.min(0.0);
                *u += d.max(0.0);
            }
        }
        let (mut baseline_logit, mut applicant_logit) = (net.b2, net.b2);
        linear_w2.clear();
        for (((&b, &w2), &l), &t) in base.iter().zip(&net.w2).zip(lo.iter()).zip(top.iter()) {
            baseline_logit += w2 * relu(b);
            applicant_logit += w2 * relu(t);
            linear_w2.push(if l >= 0.0 { w2 } else { 0.0 });
        }
        // Mixed: below 0 for some coalition and above it for another (and a weight to count).
        let is_mixed = |j: usize, positive: bool| {
            let (Some(&l), Some(&u), Some(&w2)) = (lo.get(j), hi.get(j), net.w2.get(j)) else {
                return false;
            };
            l < 0.0 && u > 0.0 && if positive { w2 > 0.0 } else { w2 < 0.0 }
        };
        mixed.clear();
        mixed.extend((0..units).filter(|&j| is_mixed(j, true)));
        *positive = mixed.len();
        mixed.extend((0..units).filter(|&j| is_mixed(j, false)));
        phi.clear();
        phi.resize(k, 0.0);
        // Linear units: feature i gets w2_j · d_ij.
        for &i in players.iter() {
            let di = delta.get(i * units..(i + 1) * units)?;
            *phi.get_mut(i)? += dot(di, linear_w2);
        }
        let (n, m) = (players.len(), mixed.len());
        if n == 0 || m == 0 {
            return Some((baseline_logit, applicant_logit));
        }
        // Lanes: the units with w2 > 0 from lane 0, those with w2 < 0 from the next vector, each
        // scaled by |w2_j| (w2_j · relu(x) = ±relu(|w2_j| x)); unused lanes stay 0.
        let up_vectors = positive.div_ceil(2);
        let vectors = up_vectors + (m - *positive).div_ceil(2);
        let blocks = vectors.div_ceil(VECTORS);
        // Each mixed unit's lane and scale.
        lanes.clear();
        for (q, &j) in mixed.iter().enumerate() {
            let lane = if q < *positive {
                q
            } else {
                2 * up_vectors + q - *positive
            };
            lanes.push((lane, j, net.w2.get(j)?.abs()));
        }
        let width = VECTORS * 2 * blocks;
        lane_values.clear();
        lane_values.resize(width, 0.0);
        // `lane_values` as blocks, into every `stride`-th block of `out` from `at`.
        let put = |lane_values: &[f64], out: &mut [Block], at: usize, stride: usize| {
            for (b, chunk) in lane_values.chunks_exact(2 * VECTORS).enumerate() {
                let block = out.get_mut(at + b * stride)?;
                for (v, pair) in block.iter_mut().zip(chunk.as_chunks::<2>().0) {
                    let [x, y] = *pair;
                    *v = F2::new(x, y);
                }
            }
            Some(())
        };
        let zero_block = [F2::new(0.0, 0.0); VECTORS];
        for &(lane, j, scale) in lanes.iter() {
            *lane_values.get_mut(lane)? = scale * *base.get(j)?;
        }
        block_start.clear();
        block_start.resize(blocks, zero_block);
        put(lane_values, block_start, 0, 1)?;
        block_rows.clear();
        block_rows.resize(2 * n * blocks, zero_block);
        for (p, &i) in players.iter().enumerate() {
            let row = delta.get(i * units..(i + 1) * units)?;
            for &(lane, j, scale) in lanes.iter() {
                *lane_values.get_mut(lane)? = scale * *row.get(j)?;
            }
            put(lane_values, block_rows, p, 2 * n)?;
            lane_values.iter_mut().for_each(|v| *v = -*v);
            put(lane_values, block_rows, n + p, 2 * n)?;
        }
        // v(S) of the mixed units, every coalition of the players, in Gray-code order.
        let coalitions = 1usize << n;
        if tables.len() <= n {
            tables.resize_with(n + 1, GrayTable::default);
        }
        let table = tables.get_mut(n)?;
        if table.weight.len() != coalitions {
            *table = GrayTable::new(n)?;
        }
        let GrayTable {
            steps,
            weight,
            coef,
        } = table;
        sums.clear();
        sums.resize(coalitions, F2::new(0.0, 0.0));
        for b in 0..blocks {
            let start = block_start.get(b)?;
            let rows = block_rows.get(2 * n * b..2 * n * (b + 1))?;
            let up = (up_vectors.saturating_sub(VECTORS * b)).min(VECTORS);
            match up {
                4 => walk::<4>(start, rows, steps, sums),
                3 => walk::<3>(start, rows, steps, sums),
                2 => walk::<2>(start, rows, steps, sums),
                1 => walk::<1>(start, rows, steps, sums),
                _ => walk::<0>(start, rows, steps, sums),
            }?;
        }
        // v(S) times coef(|S|) by coalition, and Σ v(S) weight(|S|) in four running sums (a
        // single sum would wait on each add).
        values.clear();
        values.resize(coalitions, 0.0);
        let mut total = [0.0f64; 4];
        for (q, ((s4, w4), c4)) in sums
            .chunks(4)
            .zip(weight.chunks(4))
            .zip(coef.chunks(4))
            .enumerate()
        {
            for (r, (((s, w), c), t)) in s4.iter().zip(w4).zip(c4).zip(&mut total).enumerate() {
                let [a, b] = s.lanes();
                let v = a + b;
                *t += w * v;
                let g = 4 * q + r;
                *values.get_mut(g ^ (g >> 1))? = c * v;
            }
        }
        let total: f64 = total.iter().sum();
        for (p, &i) in players.iter().enumerate() {
            // Σ over the coalitions with bit p: the upper half of each block of 2^(p+1).
            let size = 1usize << p;
            let sum = if size >= 4 {
                let mut sums = [0.0f64; 4];
                for block in values.chunks_exact(2 * size) {
                    for upper in block.get(size..)?.as_chunks::<4>().0 {
                        sums.iter_mut().zip(upper).for_each(|(s, v)| *s += v);
                    }
                }
                sums.iter().sum::<f64>()
            } else {
                let mut sums = [0.0f64; 4];
                for (r, v) in values.iter().enumerate() {
                    if r & size != 0
                        && let Some(s) = sums.get_mut(r % 4)
                    {
                        *s += v;
                    }
                }
                sums.iter().sum::<f64>()
            };
            *phi.get_mut(i)? += sum - total;
        }
        Some((baseline_logit, applicant_logit))
    }
}

/// Σ a_j · b_j.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// s! (n−1−s)! / n!, the share of orderings of `n` players in which a coalition of size `s`
/// precedes a given player; 0 for `s ≥ n`.
fn shapley_weight(n: usize, s: usize) -> f64 {
    if s >= n {
        return 0.0;
    }
    let factorial = |v: usize| (1..=v).map(|x| x as f64).product::<f64>();
    factorial(s) * factorial(n - 1 - s) / factorial(n)
}
