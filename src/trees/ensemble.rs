//! A tree ensemble's node attributes (`TreeEnsembleClassifier`/`TreeEnsembleRegressor` opsets 1
//! and 3, `TreeEnsemble` opset 5) parsed and checked into one flat node array, and its evaluation.
//!
//! Every tree becomes a run of [`Node`]s (16 bytes each) whose children are indices into the same
//! array; leaves are nodes too and point at their weights. A hostile file can at worst be refused
//! here: lengths, child indices, cycles and shared children, depth, node counts, feature ids, NaN
//! thresholds and leaf targets are all checked before anything runs.

use std::collections::HashMap;

use super::attrs::Attrs;
use super::post::PostTransform;
use crate::error::{Error, ErrorKind, Result};
use crate::model::pb;

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
        match self.uniform? {
            Mode::Leq => self.walk_block::<0>(rows, k, acc, has),
            Mode::Lt => self.walk_block::<1>(rows, k, acc, has),
            Mode::Gte => self.walk_block::<2>(rows, k, acc, has),
            _ => self.walk_block::<3>(rows, k, acc, has),
        }
    }

    fn walk_block<const M: u8>(
        &self,
        rows: &[f32],
        k: usize,
        acc: &mut [f64],
        has: &mut [bool],
    ) -> Option<()> {
        let n = rows.len() / k.max(1);
        if n > BLOCK || acc.len() != n * self.targets || has.len() != acc.len() {
            return None;
        }
        acc.iter_mut().for_each(|v| *v = 0.0);
        has.iter_mut().for_each(|v| *v = false);
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
}

fn mode_of(name: &[u8]) -> Option<Mode> {
    Some(match name {
        b"BRANCH_LEQ" => Mode::Leq,
        b"BRANCH_LT" => Mode::Lt,
        b"BRANCH_GTE" => Mode::Gte,
        b"BRANCH_GT" => Mode::Gt,
        b"BRANCH_EQ" => Mode::Eq,
        b"BRANCH_NEQ" => Mode::Neq,
        b"LEAF" => Mode::Leaf,
        _ => return None,
    })
}

fn aggregate_of(node: &pb::NodeProto, name: &[u8]) -> Result<Aggregate> {
    Ok(match name {
        b"" | b"SUM" => Aggregate::Sum,
        b"AVERAGE" => Aggregate::Average,
        b"MIN" => Aggregate::Min,
        b"MAX" => Aggregate::Max,
        other => {
            return Err(invalid(
                node,
                format!(
                    "has an unknown aggregate function `{}`",
                    String::from_utf8_lossy(other)
                ),
            ));
        }
    })
}

fn u16_of(node: &pb::NodeProto, v: i64) -> Result<u16> {
    u16::try_from(v).map_err(|_| invalid(node, format!("tests feature {v}")))
}

fn u32_of(node: &pb::NodeProto, v: i64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| invalid(node, format!("has {what} {v}")))
}

/// `TreeEnsembleClassifier` / `TreeEnsembleRegressor`, opsets 1 and 3.
fn parse_v1(node: &pb::NodeProto, a: &Attrs) -> Result<Ensemble> {
    let classifier = node.op_type == "TreeEnsembleClassifier";
    let tree_ids = a.ints("nodes_treeids");
    let node_ids = a.ints("nodes_nodeids");
    let feature_ids = a.ints("nodes_featureids");
    let true_ids = a.ints("nodes_truenodeids");
    let false_ids = a.ints("nodes_falsenodeids");
    let modes = a.strings("nodes_modes");
    let missing = a.ints("nodes_missing_value_tracks_true");
    let values = a.floats_or_tensor("nodes_values");
    let n = node_ids.len();
    if n == 0
        || [
            tree_ids.len(),
            feature_ids.len(),
            true_ids.len(),
            false_ids.len(),
            modes.len(),
            values.len(),
        ]
        .iter()
        .any(|&len| len != n)
        || !(missing.is_empty() || missing.len() == n)
    {
        return Err(invalid(
            node,
            format!("describes its {n} nodes with lists of different lengths"),
        ));
    }
    if n > MAX_NODES {
        return Err(Error::new(
            ErrorKind::ModelTooLarge,
            format!(
                "node `{}` holds {n} tree nodes, above the limit of {MAX_NODES}",
                node.name
            ),
        ));
    }
    let mut index: HashMap<(i64, i64), u32> = HashMap::with_capacity(n);
    for (i, (&tree, &id)) in tree_ids.iter().zip(node_ids).enumerate() {
        if index.insert((tree, id), i as u32).is_some() {
            return Err(invalid(node, format!("has node {id} twice in tree {tree}")));
        }
    }
    let prefix = if classifier { "class" } else { "target" };
    let w_trees = a.ints(&format!("{prefix}_treeids"));
    let w_nodes = a.ints(&format!("{prefix}_nodeids"));
    let w_ids = a.ints(&format!("{prefix}_ids"));
    let w_values = a.floats_or_tensor(&format!("{prefix}_weights"));
    if [w_nodes.len(), w_ids.len(), w_values.len()]
        .iter()
        .any(|&len| len != w_trees.len())
    {
        return Err(invalid(
            node,
            "describes its leaf weights with lists of different lengths",
        ));
    }
    // Weights grouped by node, in file order within a node.
    let mut by_node: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for (((&tree, &id), &target), &w) in w_trees.iter().zip(w_nodes).zip(w_ids).zip(&w_values) {
        let i = *index.get(&(tree, id)).ok_or_else(|| {
            invalid(
                node,
                format!("weights node {id}, which tree {tree} does not have"),
            )
        })?;
        let target = u32_of(node, target, "a weight for output")?;
        if let Some(list) = by_node.get_mut(i as usize) {
            list.push((target, w));
        }
    }
    let mut nodes = Vec::with_capacity(n);
    let mut leaf_target = Vec::with_capacity(w_values.len());
    let mut leaf_weight = Vec::with_capacity(w_values.len());
    let mut has_parent = vec![false; n];
    for i in 0..n {
        let (Some(&tree), Some(mode), Some(&value), Some(&feature)) = (
            tree_ids.get(i),
            modes.get(i),
            values.get(i),
            feature_ids.get(i),
        ) else {
            return Err(invalid(node, "has incomplete node lists"));
        };
        let mode = mode_of(mode).ok_or_else(|| {
            invalid(
                node,
                format!(
                    "has a node of unknown mode `{}`",
                    String::from_utf8_lossy(mode)
                ),
            )
        })?;
        let weights = by_node.get(i).map_or(&[][..], Vec::as_slice);
        if mode == Mode::Leaf {
            let start = leaf_weight.len() as u32;
            for &(t, w) in weights {
                leaf_target.push(t);
                leaf_weight.push(w);
            }
            nodes.push(Node {
                threshold: 0.0,
                feature: 0,
                a: start,
                b: weights.len() as u32,
                mode,
                missing_true: false,
            });
            continue;
        }
        if !weights.is_empty() {
            return Err(invalid(node, "gives weights to a branch node"));
        }
        let mut child = |ids: &[i64]| -> Result<u32> {
            let id = ids.get(i).copied().unwrap_or(-1);
            let c = *index.get(&(tree, id)).ok_or_else(|| {
                invalid(
                    node,
                    format!("points to node {id}, which tree {tree} does not have"),
                )
            })?;
            if let Some(p) = has_parent.get_mut(c as usize) {
                *p = true;
            }
            Ok(c)
        };
        let (t, f) = (child(true_ids)?, child(false_ids)?);
        nodes.push(Node {
            threshold: value as f32,
            feature: u16_of(node, feature)?,
            a: t,
            b: f,
            mode,
            missing_true: missing.get(i).is_some_and(|&m| m != 0),
        });
    }
    let roots: Vec<u32> = (0..n as u32)
        .filter(|&i| !has_parent.get(i as usize).copied().unwrap_or(true))
        .collect();
    let base = a.floats_or_tensor("base_values");
    let post = PostTransform::parse(node, a.string("post_transform"))?;
    let aggregate = aggregate_of(node, a.string("aggregate_function").unwrap_or(b""))?;
    let (targets, kind) = if classifier {
        let labels = super::Labels::of(a).ok_or_else(|| invalid(node, "has no class labels"))?;
        let classes: std::collections::HashSet<u32> = leaf_target.iter().copied().collect();
        (
            labels.len(),
            Kind::Classifier {
                binary_case: labels.len() == 2 && classes.len() == 1,
                all_positive: leaf_weight.iter().all(|&w| w >= 0.0),
                labels,
            },
        )
    } else {
        let t = a.int("n_targets").unwrap_or(1);
        (usize::try_from(t).unwrap_or(0), Kind::Regressor)
    };
    Ok(Ensemble {
        nodes,
        roots,
        leaf_target,
        leaf_weight,
        members: Vec::new(),
        sets: Vec::new(),
        uniform: None,
        depth: 0,
        targets,
        base,
        aggregate: if classifier {
            Aggregate::Sum
        } else {
            aggregate
        },
        post,
        kind,
    })
}

/// `TreeEnsemble`, `ai.onnx.ml` opset 5: branch nodes and leaves in separate lists.
fn parse_v5(node: &pb::NodeProto, a: &Attrs) -> Result<Ensemble> {
    let roots = a.ints("tree_roots");
    let features = a.ints("nodes_featureids");
    let modes = a.tensor_values("nodes_modes");
    let splits = a.floats_or_tensor("nodes_splits");
    let true_ids = a.ints("nodes_truenodeids");
    let true_leaf = a.ints("nodes_trueleafs");
    let false_ids = a.ints("nodes_falsenodeids");
    let false_leaf = a.ints("nodes_falseleafs");
    let missing = a.ints("nodes_missing_value_tracks_true");
    let membership = a.floats_or_tensor("membership_values");
    let leaf_targets = a.ints("leaf_targetids");
    let leaf_weights = a.floats_or_tensor("leaf_weights");
    let n = features.len();
    if [
        modes.len(),
        splits.len(),
        true_ids.len(),
        true_leaf.len(),
        false_ids.len(),
        false_leaf.len(),
    ]
    .iter()
    .any(|&len| len != n)
        || !(missing.is_empty() || missing.len() == n)
        || leaf_targets.len() != leaf_weights.len()
    {
        return Err(invalid(
            node,
            "describes its nodes with lists of different lengths",
        ));
    }
    if n + leaf_weights.len() > MAX_NODES {
        return Err(Error::new(
            ErrorKind::ModelTooLarge,
            format!(
                "node `{}` holds more than {MAX_NODES} tree nodes",
                node.name
            ),
        ));
    }
    // Sets of the MEMBER nodes, in node order, separated by NaN.
    let mut sets = membership.split(|v| v.is_nan()).filter(|s| !s.is_empty());
    let mut members = Vec::new();
    let mut set_ranges = Vec::new();
    let leaf_base = n as u32;
    let mut nodes = Vec::with_capacity(n + leaf_weights.len());
    for i in 0..n {
        let code = modes.get(i).copied().unwrap_or(-1.0);
        let mode = match code as i64 {
            0 => Mode::Leq,
            1 => Mode::Lt,
            2 => Mode::Gte,
            3 => Mode::Gt,
            4 => Mode::Eq,
            5 => Mode::Neq,
            6 => Mode::Member,
            _ => return Err(invalid(node, format!("has a node of unknown mode {code}"))),
        };
        let threshold = if mode == Mode::Member {
            let s = sets
                .next()
                .ok_or_else(|| invalid(node, "has more set-membership nodes than sets"))?;
            let start = members.len() as u32;
            members.extend(s.iter().map(|&v| v as f32));
            set_ranges.push((start, members.len() as u32));
            f32::from_bits(set_ranges.len() as u32 - 1)
        } else {
            splits.get(i).copied().unwrap_or(f64::NAN) as f32
        };
        let child = |ids: &[i64], leaf: &[i64]| -> Result<u32> {
            let id = u32_of(node, ids.get(i).copied().unwrap_or(-1), "a child")?;
            Ok(if leaf.get(i).copied().unwrap_or(0) != 0 {
                leaf_base.saturating_add(id)
            } else {
                id
            })
        };
        nodes.push(Node {
            threshold,
            feature: u16_of(node, features.get(i).copied().unwrap_or(-1))?,
            a: child(true_ids, true_leaf)?,
            b: child(false_ids, false_leaf)?,
            mode,
            missing_true: missing.get(i).is_some_and(|&m| m != 0),
        });
    }
    let mut leaf_target = Vec::with_capacity(leaf_weights.len());
    for (j, &t) in leaf_targets.iter().enumerate() {
        leaf_target.push(u32_of(node, t, "a leaf target")?);
        nodes.push(Node {
            threshold: 0.0,
            feature: 0,
            a: j as u32,
            b: 1,
            mode: Mode::Leaf,
            missing_true: false,
        });
    }
    // A root may be a leaf only through a branch; an index past the branches is refused.
    let roots = roots
        .iter()
        .map(|&r| u32_of(node, r, "a tree root"))
        .collect::<Result<Vec<u32>>>()?;
    if roots.iter().any(|&r| r as usize >= n) {
        return Err(invalid(node, "has a tree root that is not a branch node"));
    }
    let post = match a.int("post_transform").unwrap_or(0) {
        0 => PostTransform::None,
        1 => PostTransform::Softmax,
        2 => PostTransform::Logistic,
        3 => PostTransform::SoftmaxZero,
        4 => PostTransform::Probit,
        other => {
            return Err(invalid(
                node,
                format!("has an unknown post-transform {other}"),
            ));
        }
    };
    let aggregate = match a.int("aggregate_function").unwrap_or(1) {
        0 => Aggregate::Average,
        1 => Aggregate::Sum,
        2 => Aggregate::Min,
        3 => Aggregate::Max,
        other => {
            return Err(invalid(
                node,
                format!("has an unknown aggregate function {other}"),
            ));
        }
    };
    let targets = usize::try_from(a.int("n_targets").unwrap_or(0)).unwrap_or(0);
    Ok(Ensemble {
        nodes,
        roots,
        leaf_target,
        leaf_weight: leaf_weights,
        members,
        sets: set_ranges,
        uniform: None,
        depth: 0,
        targets,
        base: Vec::new(),
        aggregate,
        post,
        kind: Kind::Regressor,
    })
}
