//! The direct evaluator for `ai.onnx.ml` models: tree ensembles (`TreeEnsembleClassifier` and
//! `TreeEnsembleRegressor` opsets 1 and 3, `TreeEnsemble` opset 5) and the small operators
//! exported pipelines put around them (`Scaler`, `Normalizer`, `LinearClassifier`,
//! `LinearRegressor`, `ArrayFeatureExtractor`, `ZipMap`, `Cast`, `Identity`, arithmetic with
//! constants, `Sigmoid`), compiled into a [`Pipeline`] that runs row by row without tract.
//!
//! - `attrs` reads attributes in whichever form the exporter chose;
//! - `ensemble` parses and checks the nodes into flat arrays and walks them;
//! - `post` holds the post-transforms and onnxruntime's binary-classifier conventions;
//! - `linear` the linear, scaler and normalizer operators;
//! - `shap` exact interventional TreeSHAP against the baseline applicant.
//!
//! The probability read is the column of the class the schema's `output.default_class` names;
//! without it, class label `1` of integer labels `[0, 1]`, and a model whose classes are anything
//! else (strings such as `"bad"`/`"good"`) is refused as ambiguous. As with the chain evaluator,
//! `model.rs` only runs a pipeline that reproduced the model's reference scores when it loaded.

mod attrs;
pub(crate) mod ensemble;
mod linear;
mod post;
mod shap;

use std::collections::{HashMap, HashSet};

use attrs::Attrs;
use ensemble::{Aggregate, Ensemble, Kind};
use linear::{Linear, Normalizer, Scaler};
use post::{PostTransform, binary_scores};

use crate::error::{Error, ErrorKind, Result};
use crate::model::pb;

/// A classifier's class labels.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
    /// `classlabels_int64s` / `classlabels_ints`.
    Ints(Vec<i64>),
    /// `classlabels_strings`.
    Strings(Vec<String>),
}

impl Labels {
    fn of(a: &Attrs) -> Option<Labels> {
        let ints = [a.ints("classlabels_int64s"), a.ints("classlabels_ints")]
            .into_iter()
            .find(|l| !l.is_empty());
        if let Some(ints) = ints {
            return Some(Labels::Ints(ints.to_vec()));
        }
        let strings = a.strings("classlabels_strings");
        (!strings.is_empty()).then(|| {
            Labels::Strings(
                strings
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect(),
            )
        })
    }

    fn len(&self) -> usize {
        match self {
            Labels::Ints(v) => v.len(),
            Labels::Strings(v) => v.len(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Labels::Ints(v) => format!("{v:?}"),
            Labels::Strings(v) => format!("{v:?}"),
        }
    }

    /// The column of the default class: the one `named` (a schema's `output.default_class`),
    /// or label 1 of integer labels `[0, 1]`.
    fn default_column(&self, named: Option<&serde_json::Value>) -> Result<usize> {
        let found = match (self, named) {
            (Labels::Ints(v), Some(n)) => n.as_i64().and_then(|n| v.iter().position(|&l| l == n)),
            (Labels::Strings(v), Some(n)) => {
                let n = n.as_str().map_or_else(|| n.to_string(), str::to_string);
                v.iter().position(|l| *l == n)
            }
            (Labels::Ints(v), None) if v.as_slice() == [0, 1] => Some(1),
            (_, None) => {
                return Err(Error::new(
                    ErrorKind::ModelContract,
                    format!(
                        "cannot tell which of the model's classes {} is default; name it in the schema's `output.default_class` (docs/SCHEMA.md), or export the classifier with the labels 0 (repaid) and 1 (default)",
                        self.describe()
                    ),
                ));
            }
        };
        found.ok_or_else(|| {
            Error::new(
                ErrorKind::Schema,
                format!(
                    "the schema's `output.default_class` {} is not one of the model's classes {}",
                    named.map_or_else(String::new, ToString::to_string),
                    self.describe()
                ),
            )
        })
    }
}

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

/// What a value is in terms of one ensemble's raw sum `L` for one target:
/// `a·L + b` (`Lin`) or `σ(a·L + b)` (`Prob`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sym {
    Unknown,
    Lin {
        step: usize,
        target: u32,
        a: f64,
        b: f64,
    },
    Prob {
        step: usize,
        target: u32,
        a: f64,
        b: f64,
    },
}

/// The log-odds of default as `a·L + b` of one ensemble read straight from the input.
#[derive(Clone, Copy, Debug)]
struct LogitForm {
    step: usize,
    target: u32,
    a: f64,
    b: f64,
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
    /// Whether a step after the first reads the input row.
    reads_input_later: bool,
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

/// Compiles the path from `input` (`k` columns) to the probability output `pd` when it goes
/// through `ai.onnx.ml` operators this module runs. `Ok(None)`: not such a model (the chain
/// evaluator or tract may run it). An error: such a model that is broken or ambiguous (its
/// default class cannot be told).
pub fn compile(
    graph: &pb::GraphProto,
    input: &str,
    k: usize,
    pd: &str,
    default_class: Option<&serde_json::Value>,
) -> Result<Option<Pipeline>> {
    let constants: HashMap<&str, &pb::TensorProto> = graph
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t))
        .chain(
            graph
                .node
                .iter()
                .filter(|n| n.op_type == "Constant")
                .filter_map(|n| {
                    Some((
                        n.output.first()?.as_str(),
                        n.attribute.iter().find_map(|a| a.t.as_ref())?,
                    ))
                }),
        )
        .collect();
    let mut producers: HashMap<&str, (&pb::NodeProto, usize)> = HashMap::new();
    for node in &graph.node {
        for (i, output) in node
            .output
            .iter()
            .enumerate()
            .filter(|(_, o)| !o.is_empty())
        {
            producers.insert(output.as_str(), (node, i));
        }
    }
    // Walk back from the probability to the input through nodes with one variable input.
    let mut chain = Vec::new();
    let mut seen = HashSet::new();
    let mut current = pd;
    while current != input {
        let Some(&(node, out_ix)) = producers.get(current) else {
            return Ok(None);
        };
        if !seen.insert(current) {
            return Ok(None);
        }
        let mut variable = node
            .input
            .iter()
            .filter(|i| !i.is_empty() && !constants.contains_key(i.as_str()));
        let (Some(v), None) = (variable.next(), variable.next()) else {
            return Ok(None);
        };
        chain.push((node, out_ix));
        current = v.as_str();
    }
    chain.reverse();
    if !chain.iter().any(|(n, _)| n.domain == "ai.onnx.ml") {
        return Ok(None);
    }
    let mut steps = Vec::new();
    let mut width = k;
    let mut slot = 0usize;
    let mut syms: Vec<Sym> = vec![Sym::Unknown; k];
    let mut labels: Option<Labels> = None;
    for &(node, out_ix) in &chain {
        let op_type = node.op_type.as_str();
        let constant = || {
            node.input
                .iter()
                .find_map(|i| constants.get(i.as_str()))
                .and_then(|t| crate::model::tensor_values(t))
        };
        let op = match (node.domain.as_str(), op_type) {
            ("ai.onnx.ml", "TreeEnsembleClassifier" | "TreeEnsembleRegressor" | "TreeEnsemble") => {
                let expected = usize::from(op_type == "TreeEnsembleClassifier");
                if out_ix != expected {
                    return Ok(None);
                }
                let e = Ensemble::parse(node, Some(width))?;
                let (out_syms, out_labels) = ensemble_syms(&e, steps.len(), slot == 0);
                syms = out_syms;
                labels = out_labels;
                width = syms.len();
                Op::Trees(Box::new(e))
            }
            ("ai.onnx.ml", "LinearClassifier" | "LinearRegressor") => {
                let expected = usize::from(op_type == "LinearClassifier");
                let Some(l) = Linear::parse(node, width).filter(|_| out_ix == expected) else {
                    return Ok(None);
                };
                width = l.labels.as_ref().map_or(l.intercepts.len(), Labels::len);
                labels = l.labels.clone();
                syms = vec![Sym::Unknown; width];
                Op::Linear(l)
            }
            ("ai.onnx.ml", "Scaler") => {
                let Some(s) = Scaler::parse(node, width) else {
                    return Ok(None);
                };
                syms = vec![Sym::Unknown; width];
                Op::Scaler(s)
            }
            ("ai.onnx.ml", "Normalizer") => {
                let Some(n) = Normalizer::parse(node) else {
                    return Ok(None);
                };
                syms = vec![Sym::Unknown; width];
                Op::Normalizer(n)
            }
            ("ai.onnx.ml", "ArrayFeatureExtractor") => {
                let Some(ix) = constant() else {
                    return Ok(None);
                };
                let mut picked = Vec::with_capacity(ix.len());
                for v in ix {
                    match usize::try_from(v as i64) {
                        Ok(i) if v.fract() == 0.0 && i < width => picked.push(i),
                        _ => return Ok(None),
                    }
                }
                syms = picked
                    .iter()
                    .map(|&i| syms.get(i).copied().unwrap_or(Sym::Unknown))
                    .collect();
                labels = None;
                width = picked.len();
                Op::Select(picked)
            }
            ("ai.onnx.ml", "ZipMap") => {
                let Some(l) = Labels::of(&Attrs(node)).filter(|l| l.len() == width) else {
                    return Ok(None);
                };
                labels = Some(l);
                continue;
            }
            ("" | "ai.onnx", "Identity") => continue,
            ("" | "ai.onnx", "Cast") => {
                // To float or double only: anything else would change the values.
                if !matches!(Attrs(node).int("to"), Some(1 | 11)) {
                    return Ok(None);
                }
                continue;
            }
            ("" | "ai.onnx", "Sigmoid") => {
                syms = syms
                    .iter()
                    .map(|s| match *s {
                        Sym::Lin { step, target, a, b } => Sym::Prob { step, target, a, b },
                        _ => Sym::Unknown,
                    })
                    .collect();
                Op::Sigmoid
            }
            ("" | "ai.onnx", "Add" | "Sub" | "Mul" | "Div") => {
                let Some(c) = constant().filter(|c| c.len() == 1 || c.len() == width) else {
                    return Ok(None);
                };
                let op = match op_type {
                    "Add" => Arith::Add,
                    "Sub" => Arith::Sub,
                    "Mul" => Arith::Mul,
                    _ => Arith::Div,
                };
                let reversed = node
                    .input
                    .first()
                    .is_some_and(|i| constants.contains_key(i.as_str()));
                syms = syms
                    .iter()
                    .enumerate()
                    .map(|(j, s)| {
                        let cj = c.get(j).or(c.first()).copied().unwrap_or(f64::NAN);
                        arith_sym(*s, op, cj, reversed)
                    })
                    .collect();
                Op::Arith { op, c, reversed }
            }
            _ => return Ok(None),
        };
        steps.push(Step {
            op,
            input: slot,
            output: steps.len() + 1,
        });
        slot = steps.len();
    }
    let pd_column = match &labels {
        Some(l) => l.default_column(default_class)?,
        None if width == 1 => 0,
        None if width == 2 => 1,
        None => return Ok(None),
    };
    if pd_column >= width {
        return Ok(None);
    }
    let logit = match syms.get(pd_column) {
        Some(&Sym::Prob { step, target, a, b }) => Some(LogitForm { step, target, a, b }),
        _ => None,
    };
    Ok(Some(Pipeline {
        reads_input_later: steps.iter().skip(1).any(|s| s.input == 0),
        slots: steps.len() + 1,
        steps,
        k,
        out_slot: slot,
        pd_column,
        logit,
    }))
}

/// What each output column of an ensemble is, and its class labels. Only an ensemble that reads
/// the input row itself (`on_input`) and sums its trees gets a symbolic form (TreeSHAP needs
/// the input's own features).
fn ensemble_syms(e: &Ensemble, step: usize, on_input: bool) -> (Vec<Sym>, Option<Labels>) {
    let unknown = vec![Sym::Unknown; e.targets];
    let scale = match e.aggregate {
        Aggregate::Sum => 1.0,
        Aggregate::Average => 1.0 / e.roots.len().max(1) as f64,
        _ => return (unknown, kind_labels(e)),
    };
    if !on_input {
        return (unknown, kind_labels(e));
    }
    match &e.kind {
        Kind::Regressor => {
            let n = e.targets;
            let syms = (0..n)
                .map(|t| {
                    // With several targets a target no leaf scored is 0, not its base value:
                    // not an affine form then.
                    if n > 1 && !e.base.is_empty() {
                        return Sym::Unknown;
                    }
                    let base = match (n, e.base.len()) {
                        (1, 1) => e.base.first().copied(),
                        _ => Some(0.0),
                    }
                    .unwrap_or(0.0);
                    let (target, a, b) = (t as u32, scale, base);
                    match e.post {
                        PostTransform::None => Sym::Lin { step, target, a, b },
                        PostTransform::Logistic => Sym::Prob { step, target, a, b },
                        _ => Sym::Unknown,
                    }
                })
                .collect();
            (syms, None)
        }
        Kind::Classifier {
            labels,
            binary_case,
            all_positive,
        } => {
            // Only the static path of onnxruntime's binary classifier: weights for class 0 only,
            // at most one base value, mixed signs, LOGISTIC: [σ(−s), σ(s)] with s = L + base.
            let only_class0 = e.leaf_target.iter().all(|&t| t == 0);
            if labels.len() == 2
                && *binary_case
                && only_class0
                && !*all_positive
                && e.base.len() <= 1
                && e.post == PostTransform::Logistic
            {
                let b = e.base.first().copied().unwrap_or(0.0);
                let syms = vec![
                    Sym::Prob {
                        step,
                        target: 0,
                        a: -1.0,
                        b: -b,
                    },
                    Sym::Prob {
                        step,
                        target: 0,
                        a: 1.0,
                        b,
                    },
                ];
                return (syms, Some(labels.clone()));
            }
            // Both classes scored at every leaf (CatBoost): class 1 always has a score, so the
            // two scores take the two-value path, each through the post-transform.
            let every_leaf_scores_1 = e
                .nodes
                .iter()
                .filter(|n| n.mode == ensemble::Mode::Leaf)
                .all(|n| {
                    (n.a..n.a.saturating_add(n.b))
                        .any(|j| e.leaf_target.get(j as usize) == Some(&1))
                });
            if labels.len() == 2 && every_leaf_scores_1 && e.post == PostTransform::Logistic {
                let syms = match e.base.as_slice() {
                    [] => vec![
                        Sym::Prob {
                            step,
                            target: 0,
                            a: 1.0,
                            b: 0.0,
                        },
                        Sym::Prob {
                            step,
                            target: 1,
                            a: 1.0,
                            b: 0.0,
                        },
                    ],
                    // onnxruntime: s1 = base₁ + L₀, s0 = −s1.
                    [_, b1] => vec![
                        Sym::Prob {
                            step,
                            target: 0,
                            a: -1.0,
                            b: -b1,
                        },
                        Sym::Prob {
                            step,
                            target: 0,
                            a: 1.0,
                            b: *b1,
                        },
                    ],
                    _ => unknown,
                };
                return (syms, Some(labels.clone()));
            }
            (unknown, Some(labels.clone()))
        }
    }
}

fn kind_labels(e: &Ensemble) -> Option<Labels> {
    match &e.kind {
        Kind::Classifier { labels, .. } => Some(labels.clone()),
        Kind::Regressor => None,
    }
}

fn arith_sym(s: Sym, op: Arith, c: f64, reversed: bool) -> Sym {
    let Sym::Lin { step, target, a, b } = s else {
        // A probability survives only multiplication or division by exactly 1.
        return match (s, op, reversed) {
            (Sym::Prob { .. }, Arith::Mul | Arith::Div, false) if c == 1.0 => s,
            (Sym::Prob { .. }, Arith::Mul, true) if c == 1.0 => s,
            _ => Sym::Unknown,
        };
    };
    let (a, b) = match (op, reversed) {
        (Arith::Add, _) => (a, b + c),
        (Arith::Sub, false) => (a, b - c),
        (Arith::Sub, true) => (-a, c - b),
        (Arith::Mul, _) => (a * c, b * c),
        (Arith::Div, false) => (a / c, b / c),
        (Arith::Div, true) => return Sym::Unknown,
    };
    Sym::Lin { step, target, a, b }
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
    /// the model's log-odds are a sum over trees, the exact log-odds. `None` when a row does not
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
                    finalize(e, acc, has, &mut out)?;
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
        Some((pd, logit))
    }

    /// Exact interventional TreeSHAP values of `x` against `baseline` on the log-odds, with the
    /// log-odds of both: `(contributions, logit(baseline), logit(x))`, the contributions summing
    /// to the difference. `None` when the model's log-odds are not a sum over trees.
    pub fn contributions(&self, x: &[f32], baseline: &[f32]) -> Option<(Vec<f64>, f64, f64)> {
        let form = self.logit?;
        let Op::Trees(e) = &self.steps.get(form.step)?.op else {
            return None;
        };
        if x.len() != self.k || baseline.len() != self.k {
            return None;
        }
        let mut phi = vec![0.0; self.k];
        shap::add_contributions(e, form.target, form.a, x, baseline, &mut phi)?;
        let mut logits = Vec::with_capacity(2);
        let both: Vec<f32> = baseline.iter().chain(x).copied().collect();
        self.run(&both, |_, logit| logits.push(logit))?;
        match logits.as_slice() {
            [Some(fz), Some(fx)] => Some((phi, *fz, *fx)),
            _ => None,
        }
    }
}

/// A tree ensemble's raw aggregates to its output scores, as onnxruntime computes them
/// (including its conventions for a binary classifier that scores one class only).
fn finalize(e: &Ensemble, acc: &mut [f64], has: &mut [bool], out: &mut Vec<f64>) -> Option<()> {
    out.clear();
    let n = e.targets;
    match &e.kind {
        Kind::Regressor => {
            let trees = e.roots.len().max(1) as f64;
            for t in 0..n {
                let mut v = *acc.get(t)?;
                if e.aggregate == Aggregate::Average {
                    v /= trees;
                }
                let base = match (n, e.base.len()) {
                    (1, 1) => *e.base.first()?,
                    (n, m) if n == m => *e.base.get(t)?,
                    _ => 0.0,
                };
                // onnxruntime: with several targets, one no leaf scored is 0, base value or not.
                out.push(if n > 1 && !*has.get(t)? {
                    0.0
                } else {
                    v + base
                });
            }
            e.post.apply(out);
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
            match e.base.as_slice() {
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
                binary_scores(s0, e.post, second, out);
            } else {
                out.extend([s0, s1]);
                e.post.apply(out);
            }
        }
        Kind::Classifier { .. } => {
            for t in 0..n {
                out.push(*acc.get(t)? + e.base.get(t).copied().unwrap_or(0.0));
            }
            e.post.apply(out);
        }
    }
    Some(())
}
