//! The direct evaluator for `ai.onnx.ml` models: tree ensembles (`TreeEnsembleClassifier` and
//! `TreeEnsembleRegressor` opsets 1 and 3, `TreeEnsemble` opset 5) and the small operators
//! exported pipelines put around them (`Scaler`, `Normalizer`, `LinearClassifier`,
//! `LinearRegressor`, `ArrayFeatureExtractor`, `ZipMap`, `Cast`, `Identity`, arithmetic with
//! constants, `Sigmoid`), compiled into a [`Pipeline`] that runs row by row without tract.
//!
//! This file: the [`Pipeline`] and its run, row by row or in blocks. Then
//! - `compile` reads the graph's path from the input to the probability into steps, and finds the
//!   log-odds as an affine form of one ensemble's sum (for TreeSHAP);
//! - `labels` the class labels and which one is default;
//! - `attrs` reads attributes in whichever form the exporter chose;
//! - `ensemble` parses and checks the nodes into flat arrays (`ensemble/opsets` per opset) and
//!   walks them (`ensemble/walk`);
//! - `post` holds the post-transforms and onnxruntime's binary-classifier conventions;
//! - `linear` the linear, scaler and normalizer operators;
//! - `shap` exact interventional TreeSHAP against the baseline applicant.
//!
//! The probability read is the column of the class the schema's `output.default_class` names;
//! without it, class label `1` of integer labels `[0, 1]`, and a model whose classes are anything
//! else (strings such as `"bad"`/`"good"`) is refused as ambiguous. As with the chain evaluator,
//! the engine choice (`engine/tract.rs`, `engine/lite.rs`) only runs a pipeline that reproduced
//! the model's reference scores when it loaded (or, in the full build, agreed with tract).

mod attrs;
mod compile;
pub(crate) mod ensemble;
mod labels;
mod linear;
mod post;
mod shap;

use ensemble::{Ensemble, Mode};
use linear::{Linear, Normalizer, Scaler};

use crate::engine::pb;
use crate::error::Result;

pub use compile::compile;
pub use labels::Labels;

/// One operation of a pipeline, reading one slot and writing another.
#[derive(Clone, Debug)]
enum Op {
    Trees(Box<Ensemble>),
    Linear(Linear),
    Scaler(Scaler),
    Normalizer(Normalizer),
    /// `ArrayFeatureExtractor` with constant indices.
    Select(Vec<usize>),
    /// `x ∘ c` (or `c ∘ x` when `reversed`) with a constant of one value or one per column.
    Arith {
        op: Arith,
        c: Vec<f64>,
        reversed: bool,
    },
    Sigmoid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Debug)]
struct Step {
    op: Op,
    input: usize,
    output: usize,
}

/// The log-odds of default as `a·L + b` of one ensemble read straight from the input.
#[derive(Clone, Copy, Debug)]
struct LogitForm {
    step: usize,
    target: u32,
    a: f64,
    b: f64,
}

/// The log-odds of default as `w·x + c` of the input row (a linear classifier on column-wise
/// affine steps): exact Shapley values are then `w_i (x_i − z_i)`.
#[derive(Clone, Debug)]
struct LinearLogit {
    w: Vec<f64>,
    c: f64,
}

impl LinearLogit {
    /// `w·x + c`.
    fn logit(&self, x: &[f32]) -> f64 {
        self.c
            + self
                .w
                .iter()
                .zip(x)
                .map(|(w, &v)| w * f64::from(v))
                .sum::<f64>()
    }
}

/// A compiled `ai.onnx.ml` pipeline from the input row to the probability of default.
#[derive(Clone, Debug)]
pub struct Pipeline {
    steps: Vec<Step>,
    slots: usize,
    k: usize,
    out_slot: usize,
    pd_column: usize,
    logit: Option<LogitForm>,
    linear: Option<LinearLogit>,
    /// Whether a step after the first reads the input row.
    reads_input_later: bool,
    /// TreeSHAP's walks of the schema's baseline applicant, worked out once.
    baseline: Option<shap::Baseline>,
}

/// Scratch buffers for one row.
struct Scratch {
    slots: Vec<Vec<f64>>,
    row32: Vec<f32>,
    acc: Vec<f64>,
    has: Vec<bool>,
}

/// Operators this evaluator runs that tract does not (the full build then needs reference
/// scores to run such a model at all).
pub const BEYOND_TRACT: &[&str] = &[
    "TreeEnsembleRegressor",
    "TreeEnsemble",
    "ZipMap",
    "Scaler",
    "ArrayFeatureExtractor",
];

/// The `ai.onnx.ml` operators this evaluator runs.
pub const ML_OPS: &[&str] = &[
    "TreeEnsembleClassifier",
    "TreeEnsembleRegressor",
    "TreeEnsemble",
    "LinearClassifier",
    "LinearRegressor",
    "Normalizer",
    "Scaler",
    "ZipMap",
    "ArrayFeatureExtractor",
];

/// Checks a tree ensemble node for the loader (whatever engine runs it): structure, depth, node
/// counts, cycles and shared branches, feature ids (against `width` when the node reads the
/// input), NaN thresholds, leaf targets.
pub fn check_tree_ensemble(node: &pb::NodeProto, width: Option<usize>) -> Result<()> {
    if ensemble::is_tree_ensemble(node) {
        Ensemble::parse(node, width)?;
    }
    Ok(())
}

impl Pipeline {
    /// Column of the output read as the probability of default.
    pub fn pd_column(&self) -> usize {
        self.pd_column
    }

    /// Whether the log-odds are a sum over trees of the input's features, so that
    /// [`Pipeline::contributions`] gives exact TreeSHAP values.
    pub fn explains_exactly(&self) -> bool {
        self.logit.is_some()
    }

    fn scratch(&self) -> Scratch {
        let targets = self
            .steps
            .iter()
            .filter_map(|s| match &s.op {
                Op::Trees(e) => Some(e.targets),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        Scratch {
            slots: vec![Vec::new(); self.slots],
            row32: Vec::new(),
            acc: vec![0.0; targets],
            has: vec![false; targets],
        }
    }

    /// Scores rows laid out one after the other; `emit` gets each row's probability and, when
    /// the model's log-odds are a sum over trees or linear in the input, the exact log-odds. `None` when a row does not
    /// fit (never for rows of `k` values of a pipeline that compiled).
    pub fn run(&self, rows: &[f32], mut emit: impl FnMut(f32, Option<f64>)) -> Option<()> {
        if self.k == 0 || !rows.len().is_multiple_of(self.k) {
            return None;
        }
        let mut s = self.scratch();
        // A first ensemble reading the input with one comparison mode walks blocks of rows.
        let block = match self.steps.first() {
            Some(Step {
                op: Op::Trees(e),
                input: 0,
                ..
            }) if e.uniform.is_some() => Some(e),
            _ => None,
        };
        let Some(e) = block else {
            for row in rows.chunks(self.k) {
                let (pd, logit) = self.row(row, &mut s, None)?;
                emit(pd as f32, logit);
            }
            return Some(());
        };
        let t = e.targets;
        let mut acc = vec![0.0; ensemble::BLOCK * t];
        let mut has = vec![false; ensemble::BLOCK * t];
        for block in rows.chunks(ensemble::BLOCK * self.k) {
            let n = block.len() / self.k;
            let (acc, has) = (acc.get_mut(..n * t)?, has.get_mut(..n * t)?);
            e.accumulate_block(block, self.k, acc, has)?;
            for (r, row) in block.chunks(self.k).enumerate() {
                let pre = (acc.get(r * t..(r + 1) * t)?, has.get(r * t..(r + 1) * t)?);
                let (pd, logit) = self.row(row, &mut s, Some(pre))?;
                emit(pd as f32, logit);
            }
        }
        Some(())
    }

    /// One row through the steps; `pre`: the first ensemble's aggregates, already computed.
    fn row(
        &self,
        row: &[f32],
        s: &mut Scratch,
        pre: Option<(&[f64], &[bool])>,
    ) -> Option<(f64, Option<f64>)> {
        // The input as f64, unless only the first ensemble read it and its sums are given.
        if pre.is_none() || self.reads_input_later {
            let first = s.slots.first_mut()?;
            first.clear();
            first.extend(row.iter().map(|&v| f64::from(v)));
        }
        let mut logit = None;
        for (ix, step) in self.steps.iter().enumerate() {
            let mut out = std::mem::take(s.slots.get_mut(step.output)?);
            let input = s.slots.get(step.input)?;
            match &step.op {
                Op::Trees(e) => {
                    let x: &[f32] = if step.input == 0 {
                        row
                    } else {
                        s.row32.clear();
                        s.row32.extend(input.iter().map(|&v| v as f32));
                        &s.row32
                    };
                    let (acc, has) = (s.acc.get_mut(..e.targets)?, s.has.get_mut(..e.targets)?);
                    match pre.filter(|_| ix == 0) {
                        Some((a, h)) => {
                            acc.copy_from_slice(a.get(..e.targets)?);
                            has.copy_from_slice(h.get(..e.targets)?);
                        }
                        None => e.accumulate(x, acc, has)?,
                    }
                    if let Some(l) = self.logit.filter(|l| l.step == ix) {
                        logit = Some(l.a * acc.get(l.target as usize)? + l.b);
                    }
                    e.finalize(acc, has, &mut out)?;
                }
                Op::Linear(l) => l.run(input, &mut out),
                Op::Scaler(sc) => sc.run(input, &mut out),
                Op::Normalizer(n) => n.run(input, &mut out),
                Op::Select(ix) => {
                    out.clear();
                    for &i in ix {
                        out.push(*input.get(i)?);
                    }
                }
                Op::Arith { op, c, reversed } => {
                    out.clear();
                    for (j, &x) in input.iter().enumerate() {
                        let c = *c.get(j).or(c.first())?;
                        let (l, r) = if *reversed { (c, x) } else { (x, c) };
                        out.push(match op {
                            Arith::Add => l + r,
                            Arith::Sub => l - r,
                            Arith::Mul => l * r,
                            Arith::Div => l / r,
                        });
                    }
                }
                Op::Sigmoid => {
                    out.clear();
                    out.extend(input.iter().map(|&x| post::logistic(x)));
                }
            }
            *s.slots.get_mut(step.output)? = out;
        }
        let pd = *s.slots.get(self.out_slot)?.get(self.pd_column)?;
        if let Some(form) = self.linear.as_ref().filter(|_| logit.is_none()) {
            logit = Some(form.logit(row));
        }
        Some((pd, logit))
    }

    /// Whether the model's log-odds are a sum over trees, so that [`Pipeline::contributions`]
    /// gives TreeSHAP values for every row of the right width.
    pub fn has_contributions(&self) -> bool {
        self.logit.is_some_and(|form| {
            matches!(self.steps.get(form.step).map(|s| &s.op), Some(Op::Trees(_)))
        })
    }

    /// Whether the model's log-odds are linear in the input, so that
    /// [`Pipeline::linear_contributions`] gives its Shapley values for every row of the right
    /// width.
    pub fn has_linear_contributions(&self) -> bool {
        self.linear.is_some()
    }

    /// Exact interventional Shapley values of `x` against `baseline` on the log-odds of a model
    /// whose log-odds are `w·x + c` (each feature's term `w_i x_i` changes alone), with the
    /// log-odds of both: `(contributions, logit(baseline), logit(x))`. `None` for other models or
    /// a value that is not finite (the caller's general path then decides).
    pub fn linear_contributions(
        &self,
        x: &[f32],
        baseline: &[f32],
    ) -> Option<(Vec<f64>, f64, f64)> {
        let form = self.linear.as_ref()?;
        if x.len() != self.k || baseline.len() != self.k || form.w.len() != self.k {
            return None;
        }
        let (fz, fx) = (form.logit(baseline), form.logit(x));
        let phi: Vec<f64> = form
            .w
            .iter()
            .zip(x.iter().zip(baseline))
            .map(|(w, (&xi, &zi))| w * (f64::from(xi) - f64::from(zi)))
            .collect();
        let finite = fx.is_finite() && fz.is_finite() && phi.iter().all(|v| v.is_finite());
        finite.then_some((phi, fz, fx))
    }

    /// Per input column, the thresholds (and MEMBER set values) its branches compare it with,
    /// when only tree ensembles read the input row: the output is then a step function of each
    /// column that can change only where a column crosses one of them (recourse's candidate
    /// values). `None` when another operator (a scaler, a linear model …) reads the input.
    pub fn split_points(&self) -> Option<Vec<Vec<f32>>> {
        let mut points = vec![Vec::new(); self.k];
        for step in self.steps.iter().filter(|s| s.input == 0) {
            let Op::Trees(e) = &step.op else {
                return None;
            };
            for node in &e.nodes {
                let column = points.get_mut(usize::from(node.feature));
                match node.mode {
                    Mode::Leaf => {}
                    Mode::Member => {
                        let &(from, to) = e.sets.get(node.threshold.to_bits() as usize)?;
                        column?.extend(e.members.get(from as usize..to as usize)?);
                    }
                    _ => column?.push(node.threshold),
                }
            }
        }
        Some(points)
    }

    /// This pipeline with TreeSHAP's walks of `baseline` (the schema's baseline applicant)
    /// worked out in advance, for [`Pipeline::contributions`] against it.
    pub fn with_baseline(mut self, baseline: &[f32]) -> Pipeline {
        self.baseline = self
            .logit_ensemble()
            .and_then(|(e, form)| shap::Baseline::new(e, form.target, baseline));
        self
    }

    /// The ensemble the log-odds are an affine form of, when they are a sum over trees.
    fn logit_ensemble(&self) -> Option<(&Ensemble, LogitForm)> {
        let form = self.logit?;
        match &self.steps.get(form.step)?.op {
            Op::Trees(e) => Some((e, form)),
            _ => None,
        }
    }

    /// Exact interventional TreeSHAP values of `x` against `baseline` on the log-odds, with the
    /// log-odds of both: `(contributions, logit(baseline), logit(x))`, the contributions summing
    /// to the difference. `None` when the model's log-odds are not a sum over trees.
    pub fn contributions(&self, x: &[f32], baseline: &[f32]) -> Option<(Vec<f64>, f64, f64)> {
        let (e, form) = self.logit_ensemble()?;
        if x.len() != self.k || baseline.len() != self.k {
            return None;
        }
        let fresh;
        let base = match &self.baseline {
            Some(b) if b.is_for(form.target, baseline) => b,
            _ => {
                fresh = shap::Baseline::new(e, form.target, baseline)?;
                &fresh
            }
        };
        let mut phi = vec![0.0; self.k];
        let x_sum = shap::add_contributions(e, base, form.a, x, &mut phi)?;
        // The log-odds exactly as `run` gives them: `a · (sum of the leaves) + b`.
        Some((phi, form.a * base.sum() + form.b, form.a * x_sum + form.b))
    }
}
