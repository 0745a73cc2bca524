//! A tree ensemble's node attributes (`TreeEnsembleClassifier`/`TreeEnsembleRegressor` opsets 1
//! and 3, `TreeEnsemble` opset 5) parsed and checked into one flat node array, and its evaluation.
//!
//! Every tree becomes a run of [`Node`]s (16 bytes each) whose children are indices into the same
//! array; leaves are nodes too and point at their weights. A hostile file can at worst be refused
//! here: lengths, child indices, cycles and shared children, depth, node counts, feature ids, NaN
//! thresholds and leaf targets are all checked before anything runs.
//!
//! This file: the flat representation, and the checks made on it. `opsets`: reading the node's
//! attributes (opsets 1 and 3, opset 5) into it. `walk`: rows through the trees to the
//! ensemble's output scores. `perfect`: shallow trees padded to perfect binary trees, walked
//! by index arithmetic.

mod opsets;
mod perfect;
mod walk;

use super::attrs::Attrs;
use super::post::PostTransform;
use crate::engine::pb;
use crate::error::{Error, ErrorKind, Result};
use opsets::{parse_v1, parse_v5};

pub use perfect::Perfect;
pub use walk::goes_true_as;

/// Deepest tree accepted (the TreeSHAP walk recurses once per level).
pub const MAX_TREE_DEPTH: usize = 128;
/// Most nodes (branches and leaves) an ensemble may hold.
pub const MAX_NODES: usize = 1 << 21;
/// Most classes or targets.
pub const MAX_TARGETS: usize = 1024;
/// Rows walked through the trees together by [`Ensemble::accumulate_block`]: measured on the
/// 500-tree depth-6 XGBoost, 4: 58 k rows/s, 8: 56 k, 16: 89 k, 32: 110 k, 64: 86 k (one core).
pub const BLOCK: usize = 32;

/// How a node compares the feature with its threshold (the ONNX modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// `x <= t`
    Leq,
    /// `x < t`
    Lt,
    /// `x >= t`
    Gte,
    /// `x > t`
    Gt,
    /// `x == t`
    Eq,
    /// `x != t`
    Neq,
    /// `x` is one of a set (opset 5)
    Member,
    /// No comparison: the node holds weights.
    Leaf,
}

/// One node, 16 bytes. For a branch `a`/`b` are the true/false children; for a leaf they are
/// the first weight and the number of weights; a MEMBER branch keeps the index of its set (into
/// [`Ensemble::sets`]) in `threshold`'s bits.
#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub threshold: f32,
    pub a: u32,
    pub b: u32,
    pub feature: u16,
    pub mode: Mode,
    pub missing_true: bool,
}

/// How the trees' leaf values are combined per target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

/// What the ensemble's scores become (the onnxruntime conventions for binary classifiers).
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// `TreeEnsembleRegressor` / `TreeEnsemble`.
    Regressor,
    /// `TreeEnsembleClassifier` with its class labels.
    Classifier {
        labels: super::Labels,
        /// Weights name one class only (a binary model with one score).
        binary_case: bool,
        /// No weight is negative.
        all_positive: bool,
    },
}

/// A checked, flattened tree ensemble.
#[derive(Clone, Debug)]
pub struct Ensemble {
    pub nodes: Vec<Node>,
    pub roots: Vec<u32>,
    pub leaf_target: Vec<u32>,
    pub leaf_weight: Vec<f64>,
    pub members: Vec<f32>,
    /// Each MEMBER node's range of `members`.
    pub sets: Vec<(u32, u32)>,
    /// The one comparison every branch makes, when they all make the same one (LEQ, LT, GTE or
    /// GT): then rows walk the trees in blocks, without a per-node dispatch.
    pub uniform: Option<Mode>,
    /// The trees padded to perfect binary trees, when they are shallow enough and compare one
    /// way (`perfect`): blocks of rows then walk them by index arithmetic.
    pub perfect: Option<Perfect>,
    /// Levels of the deepest tree (set by the checks).
    pub depth: usize,
    pub targets: usize,
    pub base: Vec<f64>,
    pub aggregate: Aggregate,
    pub post: PostTransform,
    pub kind: Kind,
}

fn invalid(node: &pb::NodeProto, what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::ModelInvalid,
        format!(
            "node `{}` ({}) {what}; the file is corrupt — export it again",
            if node.name.is_empty() {
                node.op_type.as_str()
            } else {
                node.name.as_str()
            },
            node.op_type
        ),
    )
}

/// Whether `op` is one of the tree ensemble operators parsed here.
pub fn is_tree_ensemble(node: &pb::NodeProto) -> bool {
    node.domain == "ai.onnx.ml"
        && matches!(
            node.op_type.as_str(),
            "TreeEnsembleClassifier" | "TreeEnsembleRegressor" | "TreeEnsemble"
        )
}

impl Ensemble {
    /// Parses and checks a tree ensemble node reading `width` features (`None`: not known here,
    /// feature ids are then checked when the pipeline is compiled).
    pub fn parse(node: &pb::NodeProto, width: Option<usize>) -> Result<Ensemble> {
        let a = Attrs(node);
        let ensemble = match node.op_type.as_str() {
            "TreeEnsemble" => parse_v5(node, &a)?,
            _ => parse_v1(node, &a)?,
        };
        let mut ensemble = ensemble;
        ensemble.check(node, width)?;
        let mut modes = ensemble
            .nodes
            .iter()
            .map(|n| n.mode)
            .filter(|&m| m != Mode::Leaf);
        ensemble.uniform = modes
            .next()
            .filter(|&m| matches!(m, Mode::Leq | Mode::Lt | Mode::Gte | Mode::Gt))
            .filter(|&m| modes.all(|n| n == m));
        ensemble.perfect = Perfect::build(&ensemble);
        Ok(ensemble)
    }

    /// Depth, sharing, cycles (each node has at most one parent and every tree is reached from
    /// its root within [`MAX_TREE_DEPTH`] levels), features and weights.
    fn check(&mut self, node: &pb::NodeProto, width: Option<usize>) -> Result<()> {
        let n = self.nodes.len();
        if n == 0 || self.roots.is_empty() {
            return Err(invalid(node, "has no trees"));
        }
        if n > MAX_NODES {
            return Err(Error::new(
                ErrorKind::ModelTooLarge,
                format!(
                    "node `{}` ({}) holds {n} tree nodes, above the limit of {MAX_NODES}",
                    node.name, node.op_type
                ),
            ));
        }
        if self.targets == 0 || self.targets > MAX_TARGETS {
            return Err(invalid(
                node,
                format!("has {} classes or targets", self.targets),
            ));
        }
        let mut seen = vec![false; n];
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for &root in &self.roots {
            stack.push((root, 1));
            while let Some((i, depth)) = stack.pop() {
                if depth > MAX_TREE_DEPTH {
                    return Err(invalid(
                        node,
                        format!("has a tree deeper than {MAX_TREE_DEPTH} levels"),
                    ));
                }
                let slot = seen.get_mut(i as usize).ok_or_else(|| {
                    invalid(node, format!("points to node {i}, which is not there"))
                })?;
                if *slot {
                    return Err(invalid(
                        node,
                        "has a node reached twice (a cycle, or two trees sharing a branch)",
                    ));
                }
                *slot = true;
                self.depth = self.depth.max(depth);
                let Some(nd) = self.nodes.get(i as usize) else {
                    continue;
                };
                if nd.mode == Mode::Leaf {
                    let end = nd.a as usize + nd.b as usize;
                    if end > self.leaf_weight.len() {
                        return Err(invalid(node, "has a leaf whose weights are not there"));
                    }
                    continue;
                }
                if nd.threshold.is_nan() && nd.mode != Mode::Member {
                    return Err(invalid(
                        node,
                        "compares with a threshold that is not a number",
                    ));
                }
                if let Some(k) = width
                    && nd.feature as usize >= k
                {
                    return Err(invalid(
                        node,
                        format!("tests feature {} of an input with {k} features", nd.feature),
                    ));
                }
                if nd.mode == Mode::Member
                    && !self
                        .sets
                        .get(nd.threshold.to_bits() as usize)
                        .is_some_and(|&(from, to)| from <= to && to as usize <= self.members.len())
                {
                    return Err(invalid(node, "has a set-membership node without its set"));
                }
                stack.push((nd.a, depth + 1));
                stack.push((nd.b, depth + 1));
            }
        }
        if let Some(t) = self
            .leaf_target
            .iter()
            .find(|&&t| t as usize >= self.targets)
        {
            return Err(invalid(
                node,
                format!(
                    "weights output {t} of a model with {} outputs",
                    self.targets
                ),
            ));
        }
        if self.leaf_weight.iter().any(|w| !w.is_finite())
            || self.base.iter().any(|w| !w.is_finite())
        {
            return Err(invalid(node, "holds a leaf weight that is not a number"));
        }
        Ok(())
    }
}
