//! Compiling an `ai.onnx.ml` graph into a [`Pipeline`]: the path from the input to the
//! probability, one step per operator, and the log-odds as `a·L + b` of one ensemble's sum `L`
//! when they are one (what TreeSHAP explains exactly).

use std::collections::{HashMap, HashSet};

use super::attrs::Attrs;
use super::ensemble::{self, Aggregate, Ensemble, Kind};
use super::linear::{Linear, Normalizer, Scaler};
use super::post::PostTransform;
use super::{Arith, Labels, LinearLogit, LogitForm, Op, Pipeline, Step};
use crate::engine::checks::tensor_values;
use crate::engine::pb;
use crate::error::Result;

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

/// A column as `a·x[src] + b` (the constant `b` without `src`), while every step from the input
/// is column-wise affine (scalers, arithmetic with constants, column picks).
#[derive(Clone, Copy, Debug)]
struct Aff {
    src: Option<usize>,
    a: f64,
    b: f64,
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
    // The input's columns as affine forms of the input, and after a linear classifier its
    // probability columns as σ of an affine form of the input (exact Shapley values then).
    let mut aff: Option<Vec<Aff>> = Some(
        (0..k)
            .map(|j| Aff {
                src: Some(j),
                a: 1.0,
                b: 0.0,
            })
            .collect(),
    );
    let mut lin: Option<Vec<Option<LinearLogit>>> = None;
    let mut labels: Option<Labels> = None;
    for &(node, out_ix) in &chain {
        let op_type = node.op_type.as_str();
        let constant = || {
            node.input
                .iter()
                .find_map(|i| constants.get(i.as_str()))
                .and_then(|t| tensor_values(t))
        };
        let op = match (node.domain.as_str(), op_type) {
            ("ai.onnx.ml", "TreeEnsembleClassifier" | "TreeEnsembleRegressor" | "TreeEnsemble") => {
                let expected = usize::from(op_type == "TreeEnsembleClassifier");
                if out_ix != expected {
                    return Ok(None);
                }
                let e = Ensemble::parse(node, Some(width))?;
                (aff, lin) = (None, None);
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
                lin = aff.take().and_then(|cols| linear_logits(&l, &cols, k));
                labels = l.labels.clone();
                syms = vec![Sym::Unknown; width];
                Op::Linear(l)
            }
            ("ai.onnx.ml", "Scaler") => {
                let Some(s) = Scaler::parse(node, width) else {
                    return Ok(None);
                };
                lin = None;
                aff = aff.map(|cols| {
                    cols.iter()
                        .zip(s.offset.iter().zip(&s.scale))
                        .map(|(c, (o, sc))| Aff {
                            src: c.src,
                            a: c.a * sc,
                            b: (c.b - o) * sc,
                        })
                        .collect()
                });
                syms = vec![Sym::Unknown; width];
                Op::Scaler(s)
            }
            ("ai.onnx.ml", "Normalizer") => {
                let Some(n) = Normalizer::parse(node) else {
                    return Ok(None);
                };
                (aff, lin) = (None, None);
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
                aff = aff.and_then(|cols| picked.iter().map(|&i| cols.get(i).copied()).collect());
                lin = lin.and_then(|cols| picked.iter().map(|&i| cols.get(i).cloned()).collect());
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
                (aff, lin) = (None, None);
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
                let at = |j: usize| c.get(j).or(c.first()).copied();
                aff = aff.and_then(|cols| {
                    cols.iter()
                        .enumerate()
                        .map(|(j, col)| arith_aff(*col, op, at(j)?, reversed))
                        .collect()
                });
                // A probability survives only multiplication or division by exactly 1.
                let unit = c.iter().all(|&v| v == 1.0)
                    && matches!((op, reversed), (Arith::Mul, _) | (Arith::Div, false));
                if !unit {
                    lin = None;
                }
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
    let linear = lin.and_then(|cols| cols.get(pd_column).cloned().flatten());
    Ok(Some(Pipeline {
        reads_input_later: steps.iter().skip(1).any(|s| s.input == 0),
        slots: steps.len() + 1,
        steps,
        k,
        out_slot: slot,
        pd_column,
        logit,
        linear,
        baseline: None,
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

/// A linear classifier's probability columns as `σ(w·x + c)` of the input `x` (`k` columns),
/// when its input columns are affine forms of the input and its conventions are onnxruntime's
/// binary ones: one score `s` with LOGISTIC gives `[1 − σ(s), σ(s)]`; two scores with LOGISTIC
/// give `[σ(s₀), σ(s₁)]` (skl2onnx's binary export), with SOFTMAX `[σ(s₀ − s₁), σ(s₁ − s₀)]`.
fn linear_logits(l: &Linear, cols: &[Aff], k: usize) -> Option<Vec<Option<LinearLogit>>> {
    if l.labels.as_ref().map(Labels::len) != Some(2) {
        return None;
    }
    let score = |row: &[f64], intercept: f64| -> Option<LinearLogit> {
        let mut w = vec![0.0; k];
        let mut c = intercept;
        for (coef, col) in row.iter().zip(cols) {
            c += coef * col.b;
            if let Some(i) = col.src {
                *w.get_mut(i)? += coef * col.a;
            }
        }
        Some(LinearLogit { w, c })
    };
    let rows: Vec<LinearLogit> = l
        .coefficients
        .chunks(l.width)
        .zip(&l.intercepts)
        .map(|(row, &b)| score(row, b))
        .collect::<Option<_>>()?;
    let negated = |s: &LinearLogit| LinearLogit {
        w: s.w.iter().map(|v| -v).collect(),
        c: -s.c,
    };
    let difference = |a: &LinearLogit, b: &LinearLogit| LinearLogit {
        w: a.w.iter().zip(&b.w).map(|(x, y)| x - y).collect(),
        c: a.c - b.c,
    };
    match (rows.as_slice(), l.post) {
        ([s], PostTransform::Logistic) => Some(vec![Some(negated(s)), Some(s.clone())]),
        ([s0, s1], PostTransform::Logistic) => Some(vec![Some(s0.clone()), Some(s1.clone())]),
        ([s0, s1], PostTransform::Softmax) => {
            Some(vec![Some(difference(s0, s1)), Some(difference(s1, s0))])
        }
        _ => None,
    }
}

/// `(a·x + b) ∘ c` (or `c ∘ (a·x + b)` when `reversed`) as the `(a, b)` of an affine form;
/// `None` for `c / (a·x + b)`, which is not one.
fn compose_affine(a: f64, b: f64, op: Arith, c: f64, reversed: bool) -> Option<(f64, f64)> {
    Some(match (op, reversed) {
        (Arith::Add, _) => (a, b + c),
        (Arith::Sub, false) => (a, b - c),
        (Arith::Sub, true) => (-a, c - b),
        (Arith::Mul, _) => (a * c, b * c),
        (Arith::Div, false) => (a / c, b / c),
        (Arith::Div, true) => return None,
    })
}

/// `col ∘ c` (or `c ∘ col`) as an affine form, `None` when it is not one.
fn arith_aff(col: Aff, op: Arith, c: f64, reversed: bool) -> Option<Aff> {
    let Aff { src, a, b } = col;
    let (a, b) = compose_affine(a, b, op, c, reversed)?;
    Some(Aff { src, a, b })
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
    match compose_affine(a, b, op, c, reversed) {
        Some((a, b)) => Sym::Lin { step, target, a, b },
        None => Sym::Unknown,
    }
}
