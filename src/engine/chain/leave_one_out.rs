//! Leave-one-out variants for the batch's reason codes: each row's variants with one feature at
//! its baseline value, computed from the row's own run (see [`RowChain::leave_one_out`]).

use super::{Arith, RowChain, Step, gather, in_place, run_step};
use crate::score::logit_of;

impl RowChain {
    /// Every intermediate row of `x`, one after the other: `x`, then each step's output.
    fn trace(
        &self,
        x: &[f32],
        trace: &mut Vec<f32>,
        front: &mut [f32],
        back: &mut [f32],
    ) -> Option<()> {
        trace.clear();
        trace.extend_from_slice(x);
        let (mut current, mut other) = (front, back);
        current.get_mut(..self.k)?.copy_from_slice(x);
        let mut width = self.k;
        for step in &self.steps {
            run_step(step, &mut current, &mut other, &mut width)?;
            trace.extend_from_slice(current.get(..width)?);
        }
        Some(())
    }

    /// Log-odds of leave-one-out variants: for each `(r, i)` of `which` (grouped by row), row `r`
    /// of `rows` with feature `i` at `baseline[i]`, handed to `emit` in order.
    ///
    /// Each row is run once in full, keeping every intermediate. A variant then carries only its
    /// changed columns through the chain (a Gather, an element-wise step or a sparse matrix such
    /// as the WoE steps touches a few), and a dense layer adds Δ·W[i,:] to the row's own output.
    /// From there every column differs, and the rest of the chain runs once for all of the row's
    /// variants together, so each step is one loop over a block of rows.
    ///
    /// With `score_rows`, every row's own probability and log-odds (as [`RowChain::run`] gives
    /// them) go to `own` first, read from its trace: no second run for the rows themselves.
    pub(crate) fn leave_one_out(
        &self,
        rows: &[f32],
        baseline: &[f32],
        which: &[(usize, usize)],
        score_rows: bool,
        mut own: impl FnMut(f32, Option<f32>),
        mut emit: impl FnMut(f64),
    ) -> Option<()> {
        let mut work = Variants {
            trace: Vec::with_capacity(self.offsets.last().copied().unwrap_or(0)),
            front: vec![0.0; self.max_width],
            back: vec![0.0; self.max_width],
            changed: Vec::with_capacity(self.max_width),
            next: Vec::with_capacity(self.max_width),
            slot: vec![usize::MAX; self.max_width],
            full: Vec::new(),
            pending: Vec::new(),
            block: Vec::new(),
            spare: Vec::new(),
            logits: Vec::new(),
            start_of: Vec::with_capacity(self.k),
            starts: Vec::new(),
        };
        for (i, &b) in baseline.iter().enumerate().take(self.k) {
            self.start_variant(i, b, &mut work)?;
        }
        let mut start = 0;
        for (r, x) in rows.chunks_exact(self.k.max(1)).enumerate() {
            let rest = which.get(start..)?;
            let group = rest.get(..rest.iter().take_while(|&&(row, _)| row == r).count())?;
            start += group.len();
            if group.is_empty() && !score_rows {
                continue;
            }
            self.trace(x, &mut work.trace, &mut work.front, &mut work.back)?;
            if score_rows {
                let end = *self.offsets.get(self.steps.len())?;
                let pd = *work.trace.get(end + self.pd_column)?;
                let logit = match self.logit_after {
                    Some(after) => Some(*work.trace.get(*self.offsets.get(after)?)?),
                    None => None,
                };
                own(pd, logit);
            }
            if group.is_empty() {
                continue;
            }
            work.logits.clear();
            if !work.trace.iter().all(|v| v.is_finite()) {
                // A difference could be ∞ − ∞: run each variant in full.
                for &(_, i) in group {
                    work.block.clear();
                    work.block.extend_from_slice(x);
                    *work.block.get_mut(i)? = *baseline.get(i)?;
                    let (pd, logit) = self.row(&work.block, &mut work.front, &mut work.back)?;
                    work.logits
                        .push(logit.map_or_else(|| logit_of(f64::from(pd)), f64::from));
                }
            } else {
                work.full.clear();
                work.pending.clear();
                for (v, &(_, i)) in group.iter().enumerate() {
                    let logit = match self.sparse_variant(i, &mut work)? {
                        Spread::Done(logit) => logit,
                        Spread::Everywhere(step, at) => {
                            work.pending.push((step, v, at));
                            f64::NAN
                        }
                    };
                    work.logits.push(logit);
                }
                self.finish_variants(&mut work)?;
            }
            work.logits.iter().for_each(|&logit| emit(logit));
        }
        // Every variant names a row that is there, grouped in row order.
        (start == which.len()).then_some(())
    }

    /// Column `c` of the intermediate row after `s` steps, for a variant whose changed columns
    /// there are `changed`.
    fn variant_value(
        &self,
        trace: &[f32],
        changed: &[(usize, f32)],
        s: usize,
        c: usize,
    ) -> Option<f32> {
        match changed.iter().find(|(column, _)| *column == c) {
            Some(&(_, v)) => Some(v),
            None => trace.get(self.offsets.get(s)? + c).copied(),
        }
    }

    /// Where the log-odds can be read after `s` steps: column 0 of the logit output, or the
    /// probability's column at the end of the chain; `None` before that point.
    fn output_at(&self, s: usize) -> Option<usize> {
        match self.logit_after {
            Some(after) => (after == s).then_some(0),
            None => (s == self.steps.len()).then_some(self.pd_column),
        }
    }

    /// The log-odds from the value read where `output_at` says.
    fn to_logit(&self, value: f32) -> f64 {
        match self.logit_after {
            Some(_) => f64::from(value),
            None => logit_of(f64::from(value)),
        }
    }

    /// Carries feature `i` set to `value` through the leading steps that do not read the row
    /// (Gather, element-wise), once for all rows; records where its variants start.
    fn start_variant(&self, i: usize, value: f32, work: &mut Variants) -> Option<()> {
        let (changed, next) = (&mut work.changed, &mut work.next);
        changed.clear();
        changed.push((i, value));
        let mut s = 0;
        while let Some(step) = self.steps.get(s) {
            next.clear();
            let width = self.offsets.get(s + 2)? - self.offsets.get(s + 1)?;
            if self.output_at(s).is_some() || !self.pure_step(s, step, changed, next)? {
                break;
            }
            if next.len() == width {
                break;
            }
            std::mem::swap(changed, next);
            s += 1;
        }
        let at = work.starts.len();
        work.starts.extend_from_slice(changed);
        work.start_of.push((s, at, changed.len()));
        Some(())
    }

    /// Gather and element-wise steps on a variant's changed columns, into `next`; `false` (and
    /// nothing done) for a step that reads the rest of the row.
    fn pure_step(
        &self,
        s: usize,
        step: &Step,
        changed: &[(usize, f32)],
        next: &mut Vec<(usize, f32)>,
    ) -> Option<bool> {
        match step {
            Step::Gather(_) => {
                for &(c, v) in changed {
                    next.extend(self.gathered_from(s, c).iter().map(|&o| (o, v)));
                }
            }
            Step::Dense(_) => return Some(false),
            elementwise => {
                for &(c, v) in changed {
                    next.push((c, elementwise.element(v, c)?));
                }
            }
        }
        Some(true)
    }

    /// Carries feature `i`'s variant of the traced row through the chain by its changed columns
    /// alone, from where `start_variant` left it, until it has its log-odds or its change
    /// reaches every column; then its whole row is appended to `work.full`.
    fn sparse_variant(&self, i: usize, work: &mut Variants) -> Option<Spread> {
        let Variants {
            trace,
            changed,
            next,
            slot,
            full,
            start_of,
            starts,
            ..
        } = work;
        let &(first, at, len) = start_of.get(i)?;
        changed.clear();
        changed.extend_from_slice(starts.get(at..at + len)?);
        for (s, step) in self.steps.iter().enumerate().skip(first) {
            if let Some(c) = self.output_at(s) {
                let value = self.variant_value(trace, changed, s, c)?;
                return Some(Spread::Done(self.to_logit(value)));
            }
            let base_in = trace.get(*self.offsets.get(s)?..*self.offsets.get(s + 1)?)?;
            let base_out = trace.get(*self.offsets.get(s + 1)?..*self.offsets.get(s + 2)?)?;
            next.clear();
            match step {
                // A few rows of a sparse matrix (the WoE steps): only the columns they reach.
                Step::Dense(dense)
                    if changed.iter().all(|&(t, _)| dense.sparse_row(t).is_some()) =>
                {
                    for &(t, v) in changed.iter() {
                        let delta = v - base_in.get(t)?;
                        if delta == 0.0 {
                            continue;
                        }
                        for &(c, w) in dense.sparse_row(t)? {
                            let at = slot.get_mut(c)?;
                            if let Some(entry) = next.get_mut(*at) {
                                entry.1 += delta * w;
                            } else {
                                *at = next.len();
                                next.push((c, base_out.get(c)? + delta * w));
                            }
                        }
                    }
                    for &(c, _) in next.iter() {
                        *slot.get_mut(c)? = usize::MAX;
                    }
                }
                // A few rows of a dense matrix: the row's output + Δ·W[t,:], every column. A
                // bias added after the product shifts both alike, so Δ·W goes onto the row after
                // it and the variants skip that step.
                Step::Dense(dense) if changed.len() * 4 <= base_in.len() => {
                    let mut to = s + 1;
                    while let Some(Step::Arith(Arith::Add | Arith::Sub, _)) = self.steps.get(to)
                        && self.output_at(to).is_none()
                    {
                        to += 1;
                    }
                    let shifted = trace.get(*self.offsets.get(to)?..*self.offsets.get(to + 1)?)?;
                    let at = full.len();
                    full.extend_from_slice(shifted);
                    let out = full.get_mut(at..)?;
                    for &(t, v) in changed.iter() {
                        let delta = v - base_in.get(t)?;
                        if delta != 0.0 {
                            dense.add_row(t, delta, out);
                        }
                    }
                    return Some(Spread::Everywhere(to, at));
                }
                Step::Dense(dense) => {
                    let at = full.len();
                    full.extend_from_slice(base_in);
                    for &(c, v) in changed.iter() {
                        *full.get_mut(at + c)? = v;
                    }
                    full.resize(at + base_in.len() + dense.outputs, 0.0);
                    let (input, out) = full.get_mut(at..)?.split_at_mut(base_in.len());
                    dense.apply(input, out);
                    full.copy_within(at + base_in.len().., at);
                    full.truncate(at + dense.outputs);
                    return Some(Spread::Everywhere(s + 1, at));
                }
                other => {
                    self.pure_step(s, other, changed, next)?;
                }
            }
            if next.len() == base_out.len() {
                let at = full.len();
                full.extend_from_slice(base_out);
                for &(c, v) in next.iter() {
                    *full.get_mut(at + c)? = v;
                }
                return Some(Spread::Everywhere(s + 1, at));
            }
            std::mem::swap(changed, next);
        }
        let end = self.steps.len();
        let value = self.variant_value(trace, changed, end, self.output_at(end)?)?;
        Some(Spread::Done(self.to_logit(value)))
    }

    /// Runs the rest of the chain for the variants in `work.pending`, all of them at once per
    /// step where their change became complete, and fills in their log-odds.
    fn finish_variants(&self, work: &mut Variants) -> Option<()> {
        let Variants {
            full,
            pending,
            block,
            spare,
            logits,
            ..
        } = work;
        pending.sort_by_key(|&(step, _, _)| step);
        let mut start = 0;
        while let Some(&(from, _, _)) = pending.get(start) {
            let rest = pending.get(start..)?;
            let same = rest.get(..rest.iter().take_while(|p| p.0 == from).count())?;
            start += same.len();
            let mut width = self.offsets.get(from + 1)? - self.offsets.get(from)?;
            let n = same.len();
            if n == pending.len() && full.len() == n * width {
                // The usual case: every variant's change spread at the same step, so `full` is
                // already the block, rows in order.
                std::mem::swap(block, full);
            } else {
                block.clear();
                for &(_, _, at) in same {
                    block.extend_from_slice(full.get(at..at + width)?);
                }
            }
            let mut s = from;
            loop {
                if let Some(column) = self.output_at(s) {
                    for (row, &(_, v, _)) in block.chunks_exact(width).zip(same) {
                        *logits.get_mut(v)? = self.to_logit(*row.get(column)?);
                    }
                    break;
                }
                block_step(self.steps.get(s)?, block, spare, n, &mut width)?;
                s += 1;
            }
        }
        Some(())
    }

    /// The output columns of Gather step `s` that read input column `c`.
    fn gathered_from(&self, s: usize, c: usize) -> &[usize] {
        self.gather_sources
            .get(s)
            .and_then(|by_column| by_column.get(c))
            .map_or(&[], Vec::as_slice)
    }
}

/// Scratch space for `RowChain::leave_one_out`, reused from row to row.
struct Variants {
    /// The current row's input and every intermediate, one after the other.
    trace: Vec<f32>,
    front: Vec<f32>,
    back: Vec<f32>,
    /// A variant's changed columns (column, value) at the current step, and at the next.
    changed: Vec<(usize, f32)>,
    next: Vec<(usize, f32)>,
    /// Per column, where it is in `next` while a sparse product fills it (`usize::MAX`: absent).
    slot: Vec<usize>,
    /// Whole rows of the variants whose change reached every column.
    full: Vec<f32>,
    /// Those variants: (steps done, index in the row's group, start in `full`).
    pending: Vec<(usize, usize, usize)>,
    block: Vec<f32>,
    spare: Vec<f32>,
    /// The current row's variants' log-odds, in order.
    logits: Vec<f64>,
    /// Per feature, where its variants' change starts: the first step that reads the row, and
    /// the range of `starts` with its changed columns there (the same for every row).
    start_of: Vec<(usize, usize, usize)>,
    starts: Vec<(usize, f32)>,
}

/// How far a variant's change went.
enum Spread {
    /// Its log-odds, read before the change reached every column.
    Done(f64),
    /// Every column of its row after this many steps differs; the row is in `Variants::full`
    /// from this position.
    Everywhere(usize, usize),
}

/// Runs one step on `n` rows of `width` values in `block`, each step one loop over all rows.
fn block_step(
    step: &Step,
    block: &mut Vec<f32>,
    spare: &mut Vec<f32>,
    n: usize,
    width: &mut usize,
) -> Option<()> {
    let rows = block.get_mut(..n * *width)?;
    let outputs = match step {
        Step::Gather(columns) => columns.len(),
        Step::Dense(dense) => dense.outputs,
        elementwise => {
            in_place(elementwise, rows, *width);
            return Some(());
        }
    };
    spare.clear();
    spare.resize(n * outputs, 0.0);
    for (row, out) in rows
        .chunks_exact(*width)
        .zip(spare.chunks_exact_mut(outputs))
    {
        match step {
            Step::Gather(columns) => gather(row, columns, out)?,
            Step::Dense(dense) => dense.apply(row, out),
            _ => return None,
        }
    }
    *width = outputs;
    std::mem::swap(block, spare);
    Some(())
}
