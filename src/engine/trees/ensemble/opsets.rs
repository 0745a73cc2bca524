//! A tree ensemble node's attributes, as each opset lays them out, into the flat
//! [`Ensemble`]: `TreeEnsembleClassifier`/`TreeEnsembleRegressor` (opsets 1 and 3) and
//! `TreeEnsemble` (opset 5).

use std::collections::HashMap;

use super::{Aggregate, Ensemble, Kind, MAX_NODES, Mode, Node, invalid};
use crate::engine::pb;
use crate::engine::trees::attrs::Attrs;
use crate::engine::trees::post::PostTransform;
use crate::error::{Error, ErrorKind, Result};

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
pub(super) fn parse_v1(node: &pb::NodeProto, a: &Attrs) -> Result<Ensemble> {
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
        let labels = crate::engine::trees::Labels::of(a)
            .ok_or_else(|| invalid(node, "has no class labels"))?;
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
        perfect: None,
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
pub(super) fn parse_v5(node: &pb::NodeProto, a: &Attrs) -> Result<Ensemble> {
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
        perfect: None,
        depth: 0,
        targets,
        base: Vec::new(),
        aggregate,
        post,
        kind: Kind::Regressor,
    })
}
