//! A direct evaluator for models that are one chain of row-wise operators (dense layers, biases,
//! activations, per-column thresholds): most credit models, the reference model among them.
//!
//! Why: for a network of a few hundred weights the arithmetic is well under a microsecond per
//! applicant, while tract spends ~0.3 µs per operator on dispatch, tensor allocation and packing
//! (docs/BENCHMARKS.md). Evaluating the chain row by row on two small buffers removes that cost.
//!
//! In the full build tract still reads, checks and optimizes every model, and stays the engine for
//! anything this module does not recognise; a chain is only used after it agreed with tract on
//! probe rows when the model was loaded (`engine::tract`), so a misreading here
//! falls back to tract instead of giving wrong scores. The lite build (no tract) uses a chain only
//! when it reproduces the reference scores recorded in the model, and otherwise defers to the
//! full build.
//!
//! This file: the chain's steps and running them row by row. `compile`: reading a graph into a
//! chain. `dense`: weight matrices and the panel kernel (spelled out in wasm SIMD vectors in the
//! SIMD build). `shapley`: exact Shapley values of a chain that is one hidden layer.

mod compile;
mod dense;
mod shapley;

pub(crate) use compile::compile;
use dense::Dense;
pub use shapley::NetworkScratch;

/// Element-wise comparison against a constant; true is 1.0, false 0.0 (the `Cast` to float that
/// must follow is then a no-op).
#[derive(Clone, Copy, Debug)]
enum Compare {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Equal,
}

impl Compare {
    /// `x ⋄ c` as 1.0 or 0.0. Inlined with a constant `self` in `run_step`, so each operator's
    /// loop is still its own and vectorizes.
    #[inline(always)]
    fn apply(self, x: f32, c: f32) -> f32 {
        let on = match self {
            Compare::Greater => x > c,
            Compare::GreaterOrEqual => x >= c,
            Compare::Less => x < c,
            Compare::LessOrEqual => x <= c,
            Compare::Equal => x == c,
        };
        f32::from(u8::from(on))
    }

    /// The same test with its operands swapped: `c > x` is `x < c`.
    fn swapped(self) -> Compare {
        match self {
            Compare::Greater => Compare::Less,
            Compare::GreaterOrEqual => Compare::LessOrEqual,
            Compare::Less => Compare::Greater,
            Compare::LessOrEqual => Compare::GreaterOrEqual,
            Compare::Equal => Compare::Equal,
        }
    }
}

/// Arithmetic with a constant row (broadcast along the batch).
#[derive(Clone, Copy, Debug)]
enum Arith {
    Add,
    /// x − c
    Sub,
    /// c − x
    SubFrom,
    Mul,
    /// x ÷ c
    Div,
    /// c ÷ x
    DivInto,
}

impl Arith {
    /// `x ∘ c`; inlined like `Compare::apply`.
    #[inline(always)]
    fn apply(self, x: f32, c: f32) -> f32 {
        match self {
            Arith::Add => x + c,
            Arith::Sub => x - c,
            Arith::SubFrom => c - x,
            Arith::Mul => x * c,
            Arith::Div => x / c,
            Arith::DivInto => c / x,
        }
    }
}

/// One operator of the chain.
#[derive(Clone, Debug)]
enum Step {
    /// out[i] = in[columns[i]]
    Gather(Vec<usize>),
    /// in[i] ⋄ c[i] as 1.0 / 0.0; a single constant applies to every column.
    Compare(Compare, Vec<f32>),
    /// in[i] ∘ c[i]; a single constant applies to every column.
    Arith(Arith, Vec<f32>),
    Dense(Dense),
    Relu,
    Sigmoid,
    Tanh,
}

/// A compiled chain: the operators from the model's input to its probability output.
#[derive(Clone, Debug)]
pub(crate) struct RowChain {
    steps: Vec<Step>,
    k: usize,
    /// Widest intermediate row, for the two work buffers.
    max_width: usize,
    pd_column: usize,
    /// After how many steps the log-odds output is the current row (its only column).
    logit_after: Option<usize>,
    /// The chain read as one hidden layer, when it is one (for its fast exact Shapley values).
    one_hidden: Option<shapley::OneHidden>,
}

impl RowChain {
    /// Which column of the chain's output is the probability of default (tract's plan must
    /// read the same one).
    #[cfg(feature = "tract")]
    pub(crate) fn pd_column(&self) -> usize {
        self.pd_column
    }

    /// Whether [`RowChain::shapley`] computes this chain's Shapley values (one hidden layer).
    pub(crate) fn has_shapley(&self) -> bool {
        self.one_hidden.is_some()
    }

    /// Exact interventional Shapley values on the log-odds of `applicant` against `baseline`
    /// into `phi`, with the baseline's and the applicant's log-odds, for a chain that is one
    /// hidden layer (see `chain/shapley.rs`); `None` for other chains.
    pub(crate) fn shapley(
        &self,
        applicant: &[f32],
        baseline: &[f32],
        work: &mut NetworkScratch,
        phi: &mut Vec<f64>,
    ) -> Option<(f64, f64)> {
        let net = self.one_hidden.as_ref()?;
        self.one_hidden_shapley(net, applicant, baseline, work, phi)
    }

    /// Per input column, the constants it is compared with, when the chain reads its input only
    /// through comparisons (after `Gather`s): its output is then a step function of each column
    /// that can change only where a column crosses one of them (recourse's candidate values).
    /// `None` when the input reaches anything else first.
    pub(crate) fn split_points(&self) -> Option<Vec<Vec<f32>>> {
        let mut source: Vec<usize> = (0..self.k).collect();
        for step in &self.steps {
            match step {
                Step::Gather(columns) => {
                    source = columns
                        .iter()
                        .map(|&c| source.get(c).copied())
                        .collect::<Option<Vec<usize>>>()?;
                }
                Step::Compare(_, constants) => {
                    let mut points = vec![Vec::new(); self.k];
                    for (o, &input) in source.iter().enumerate() {
                        let c = match constants.as_slice() {
                            [one] => *one,
                            many => *many.get(o)?,
                        };
                        points.get_mut(input)?.push(c);
                    }
                    return Some(points);
                }
                _ => return None,
            }
        }
        None
    }

    /// Scores `rows` (whole rows of `k` values) and hands each probability, and the log-odds when
    /// the model has that output, to `emit` in row order. `None` only on an internal mismatch.
    pub(crate) fn run(&self, rows: &[f32], mut emit: impl FnMut(f32, Option<f32>)) -> Option<()> {
        let mut front = vec![0.0f32; self.max_width];
        let mut back = vec![0.0f32; self.max_width];
        for row in rows.chunks_exact(self.k) {
            let (pd, logit) = self.row(row, &mut front, &mut back)?;
            emit(pd, logit);
        }
        Some(())
    }

    fn row(&self, x: &[f32], front: &mut [f32], back: &mut [f32]) -> Option<(f32, Option<f32>)> {
        front.get_mut(..self.k)?.copy_from_slice(x);
        let (mut current, mut spare) = (front, back);
        let mut width = self.k;
        let mut logit = None;
        for (done, step) in self.steps.iter().enumerate() {
            if self.logit_after == Some(done) {
                logit = current.first().copied();
            }
            run_step(step, &mut current, &mut spare, &mut width)?;
        }
        if self.logit_after == Some(self.steps.len()) {
            logit = current.first().copied();
        }
        Some((*current.get(self.pd_column)?, logit))
    }
}

/// Runs one step on `current[..width]`: in place for element-wise steps, into `spare` (then
/// swapped) for the others.
fn run_step<'a>(
    step: &Step,
    current: &mut &'a mut [f32],
    spare: &mut &'a mut [f32],
    width: &mut usize,
) -> Option<()> {
    let row = current.get_mut(..*width)?;
    match step {
        Step::Gather(columns) => {
            let out = spare.get_mut(..columns.len())?;
            gather(row, columns, out)?;
            *width = columns.len();
            std::mem::swap(current, spare);
        }
        Step::Dense(dense) => {
            dense.apply(row, spare.get_mut(..dense.outputs)?);
            *width = dense.outputs;
            std::mem::swap(current, spare);
        }
        elementwise => in_place(elementwise, row, *width),
    }
    Some(())
}

/// `out[o] = row[columns[o]]`.
fn gather(row: &[f32], columns: &[usize], out: &mut [f32]) -> Option<()> {
    for (o, &c) in out.iter_mut().zip(columns) {
        *o = *row.get(c)?;
    }
    Some(())
}

/// An element-wise step on `values`, whole rows of `width` columns; nothing for the others.
fn in_place(step: &Step, values: &mut [f32], width: usize) {
    match step {
        Step::Relu => values.iter_mut().for_each(|v| *v = relu(*v)),
        Step::Sigmoid => values.iter_mut().for_each(|v| *v = sigmoid(*v)),
        Step::Tanh => values.iter_mut().for_each(|v| *v = v.tanh()),
        // One loop per operator: the operator is a constant inside each closure.
        Step::Compare(op, c) => match op {
            Compare::Greater => {
                with_constant(values, width, c, |x, c| Compare::Greater.apply(x, c))
            }
            Compare::GreaterOrEqual => {
                with_constant(values, width, c, |x, c| Compare::GreaterOrEqual.apply(x, c))
            }
            Compare::Less => with_constant(values, width, c, |x, c| Compare::Less.apply(x, c)),
            Compare::LessOrEqual => {
                with_constant(values, width, c, |x, c| Compare::LessOrEqual.apply(x, c))
            }
            Compare::Equal => with_constant(values, width, c, |x, c| Compare::Equal.apply(x, c)),
        },
        Step::Arith(op, c) => match op {
            Arith::Add => with_constant(values, width, c, |x, c| Arith::Add.apply(x, c)),
            Arith::Sub => with_constant(values, width, c, |x, c| Arith::Sub.apply(x, c)),
            Arith::SubFrom => with_constant(values, width, c, |x, c| Arith::SubFrom.apply(x, c)),
            Arith::Mul => with_constant(values, width, c, |x, c| Arith::Mul.apply(x, c)),
            Arith::Div => with_constant(values, width, c, |x, c| Arith::Div.apply(x, c)),
            Arith::DivInto => with_constant(values, width, c, |x, c| Arith::DivInto.apply(x, c)),
        },
        Step::Gather(_) | Step::Dense(_) => {}
    }
}

/// `v = f(v, c[column])` over whole rows of `width` values, or `f(v, c)` for a single constant;
/// one loop per operator (monomorphized), so that it vectorizes.
#[inline(always)]
fn with_constant(values: &mut [f32], width: usize, c: &[f32], f: impl Fn(f32, f32) -> f32) {
    match c {
        [one] => values.iter_mut().for_each(|v| *v = f(*v, *one)),
        many => values.chunks_exact_mut(width.max(1)).for_each(|row| {
            row.iter_mut().zip(many).for_each(|(v, c)| *v = f(*v, *c));
        }),
    }
}

/// max(x, 0), NaN to 0 as `f32::max` gives it. Written as a comparison because `f32::max` is a
/// call to `fmaxf` in wasm (its NaN rule differs from `f32.max`): measured 46 % of a batch with
/// reasons, one call per element and no vectorization.
#[inline(always)]
fn relu(x: f32) -> f32 {
    if x > 0.0 { x } else { 0.0 }
}

/// The logistic function, without overflow for large |x|.
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
