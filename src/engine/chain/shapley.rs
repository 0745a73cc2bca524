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

use super::{Arith, RowChain, Step, run_step};
use crate::explain::MAX_EXACT_FEATURES;

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
    /// Per player, per mixed unit: `d_ij`, then the same rows negated (one contiguous row per
    /// Gray-code step, added either way).
    mixed_delta: Vec<f64>,
    mixed_w2: Vec<f64>,
    /// The mixed units' indices.
    mixed: Vec<usize>,
    h: Vec<f64>,
    values: Vec<f64>,
    coef: Vec<f64>,
    weight: Vec<f64>,
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
            mixed_delta,
            mixed_w2,
            mixed,
            h,
            values,
            coef,
            weight,
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
        for (t, ((&a, &b), src)) in za.iter().zip(zb.iter()).zip(&net.source).enumerate() {
            if a == b {
                continue;
            }
            // A column no feature reaches cannot differ between two rows.
            let i = (*src)?;
            let row = net.w1.get(t * units..(t + 1) * units)?;
            let d = f64::from(a) - f64::from(b);
            let di = delta.get_mut(i * units..(i + 1) * units)?;
            di.iter_mut().zip(row).for_each(|(x, w)| *x += d * w);
        }
        players.clear();
        players.extend((0..k).filter(|&i| {
            delta
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
                *l += if d < 0.0 { d } else { 0.0 };
                *u += if d > 0.0 { d } else { 0.0 };
            }
        }
        let (mut baseline_logit, mut applicant_logit) = (net.b2, net.b2);
        linear_w2.clear();
        mixed_w2.clear();
        mixed.clear();
        h.clear();
        for (j, ((((&b, &w2), &l), &u), &t)) in base
            .iter()
            .zip(&net.w2)
            .zip(lo.iter())
            .zip(hi.iter())
            .zip(top.iter())
            .enumerate()
        {
            baseline_logit += w2 * relu(b);
            applicant_logit += w2 * relu(t);
            let linear = l >= 0.0;
            linear_w2.push(if linear { w2 } else { 0.0 });
            if !linear && u > 0.0 {
                mixed.push(j);
                mixed_w2.push(w2);
                h.push(b);
            }
        }
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
        mixed_delta.clear();
        for sign in [1.0, -1.0] {
            for &i in players.iter() {
                let di = delta.get(i * units..(i + 1) * units)?;
                for &j in mixed.iter() {
                    mixed_delta.push(sign * *di.get(j)?);
                }
            }
        }
        // v(S) of the mixed units, every coalition of the players, in Gray-code order.
        let coalitions = 1usize << n;
        values.clear();
        values.resize(coalitions, 0.0);
        *values.first_mut()? = step(h, None, mixed_w2);
        for g in 1..coalitions {
            let p = g.trailing_zeros() as usize;
            let gray = g ^ (g >> 1);
            // Player p joins (its row added) or leaves (the negated row added).
            let row = if gray >> p & 1 == 1 { p } else { n + p };
            let d = mixed_delta.get(row * m..(row + 1) * m)?;
            *values.get_mut(gray)? = step(h, Some(d), mixed_w2);
        }
        // weight(s) = s! (n−1−s)! / n!; coef(s) = weight(s−1) + weight(s).
        weight.clear();
        weight.extend((0..=n).map(|s| shapley_weight(n, s)));
        coef.clear();
        coef.extend((0..=n).map(|s| {
            let below = if s == 0 {
                0.0
            } else {
                shapley_weight(n, s - 1)
            };
            below + shapley_weight(n, s)
        }));
        // Four running sums throughout: a single sum would wait on each add.
        let mut total = [0.0f64; 4];
        for (q, chunk) in values.chunks_mut(4).enumerate() {
            for ((r, v), t) in chunk.iter_mut().enumerate().zip(total.iter_mut()) {
                let s = (4 * q + r).count_ones() as usize;
                *t += *weight.get(s)? * *v;
                *v *= *coef.get(s)?;
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

/// `h += d` (when given), then Σ w2_j · relu(h_j): one pass, four running sums.
#[inline]
fn step(h: &mut [f64], d: Option<&[f64]>, w2: &[f64]) -> f64 {
    let mut sums = [0.0f64; 4];
    let (h4, h_tail) = h.as_chunks_mut::<4>();
    let (w4, w_tail) = w2.as_chunks::<4>();
    let mut tail = 0.0;
    match d {
        Some(d) => {
            let (d4, d_tail) = d.as_chunks::<4>();
            for ((x, w), d) in h4.iter_mut().zip(w4).zip(d4) {
                for (((s, x), w), d) in sums.iter_mut().zip(x.iter_mut()).zip(w).zip(d) {
                    *x += d;
                    *s += w * relu(*x);
                }
            }
            for ((x, w), d) in h_tail.iter_mut().zip(w_tail).zip(d_tail) {
                *x += d;
                tail += w * relu(*x);
            }
        }
        None => {
            for (x, w) in h4.iter().zip(w4) {
                for ((s, x), w) in sums.iter_mut().zip(x).zip(w) {
                    *s += w * relu(*x);
                }
            }
            tail = h_tail.iter().zip(w_tail).map(|(x, w)| w * relu(*x)).sum();
        }
    }
    sums.iter().sum::<f64>() + tail
}

/// Σ a_j · b_j.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// max(x, 0), as the chain's `Relu` (NaN to 0).
#[inline(always)]
fn relu(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
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
