//! The structure of `ai.onnx.ml` models, which tract reads without checking: a linear model's
//! coefficients, a tree ensemble's nodes and leaves.

use std::collections::HashMap;

use crate::engine::pb;
use crate::error::{Error, ErrorKind, Result};

/// An `ai.onnx.ml` linear model reading the graph input must hold one coefficient per input and
/// model; tract does not check it and its matrix product then miscomputes (found by fuzzing).
pub(super) fn check_linear_model(
    node: &pb::NodeProto,
    node_name: &str,
    (input, k): (&str, usize),
) -> Result<()> {
    if !matches!(
        node.op_type.as_str(),
        "LinearClassifier" | "LinearRegressor"
    ) || node.input.first().map(String::as_str) != Some(input)
    {
        return Ok(());
    }
    let attr = |name: &str| node.attribute.iter().find(|a| a.name == name);
    let coefficients = attr("coefficients").map_or(0, |a| a.floats.len());
    let models = match (node.op_type.as_str(), attr("intercepts")) {
        (_, Some(intercepts)) => intercepts.floats.len(),
        ("LinearRegressor", None) => {
            attr("targets").map_or(1, |a| usize::try_from(a.i).unwrap_or(0))
        }
        (_, None) => {
            let classes = attr("classlabels_ints")
                .map(|a| a.ints.len())
                .or_else(|| attr("classlabels_strings").map(|a| a.strings.len()))
                .unwrap_or(0);
            let multi_class = attr("multi_class").map_or(0, |a| a.i);
            if classes == 2 && multi_class == 0 {
                1
            } else {
                classes
            }
        }
    };
    if models == 0 || coefficients != models * k {
        return Err(Error::new(
            ErrorKind::ModelInvalid,
            format!(
                "node `{node_name}` ({}) has {coefficients} coefficients for {models} model(s) over {k} inputs; it needs {}. The file is corrupt — export it again",
                node.op_type,
                models.max(1) * k
            ),
        ));
    }
    Ok(())
}

/// An `ai.onnx.ml` tree ensemble must be a set of well-formed trees: tract reads its nodes with
/// unchecked indexing and walks them without a step limit, so a dangling child, a cycle, a leaf
/// weight for a class that does not exist or a feature past the input hang or corrupt the run
/// (found by fuzzing: a class id of 65 in a two-class model looped forever).
pub(super) fn check_tree_ensemble(
    node: &pb::NodeProto,
    node_name: &str,
    (input, k): (&str, usize),
) -> Result<()> {
    let reads_input = node.input.first().map(String::as_str) == Some(input);
    crate::engine::trees::check_tree_ensemble(node, reads_input.then_some(k))?;
    let (weights_prefix, outputs) = match node.op_type.as_str() {
        "TreeEnsembleClassifier" => ("class", {
            let labels = node
                .attribute
                .iter()
                .find(|a| a.name == "classlabels_int64s" || a.name == "classlabels_strings");
            labels.map_or(0, |a| a.ints.len().max(a.strings.len()))
        }),
        "TreeEnsembleRegressor" => ("target", {
            node.attribute
                .iter()
                .find(|a| a.name == "n_targets")
                .map_or(1, |a| usize::try_from(a.i).unwrap_or(0))
        }),
        _ => return Ok(()),
    };
    let invalid = |what: String| {
        Error::new(
            ErrorKind::ModelInvalid,
            format!(
                "node `{node_name}` ({}) {what}; the file is corrupt — export it again",
                node.op_type
            ),
        )
    };
    let attr = |name: &str| node.attribute.iter().find(|a| a.name == name);
    let ints = |name: &str| attr(name).map_or(&[][..], |a| a.ints.as_slice());
    let tree_ids = ints("nodes_treeids");
    let node_ids = ints("nodes_nodeids");
    let feature_ids = ints("nodes_featureids");
    let true_ids = ints("nodes_truenodeids");
    let false_ids = ints("nodes_falsenodeids");
    let modes = attr("nodes_modes").map_or(&[][..], |a| a.strings.as_slice());
    let values = attr("nodes_values").map_or(&[][..], |a| a.floats.as_slice());
    let n = node_ids.len();
    if n == 0
        || [
            tree_ids.len(),
            feature_ids.len(),
            true_ids.len(),
            false_ids.len(),
            modes.len(),
        ]
        .iter()
        .any(|&len| len != n)
        || (values.len() != n && attr("nodes_values_as_tensor").is_none())
    {
        return Err(invalid(format!(
            "describes its {n} nodes with lists of different lengths"
        )));
    }
    let mut index: HashMap<(i64, i64), usize> = HashMap::with_capacity(n);
    for (i, (&tree, &id)) in tree_ids.iter().zip(node_ids).enumerate() {
        if index.insert((tree, id), i).is_some() {
            return Err(invalid(format!("has node {id} twice in tree {tree}")));
        }
    }
    // Children of every branch, and how many parents each node has (for the cycle check).
    let mut parents = vec![0usize; n];
    let mut children = vec![Vec::new(); n];
    for i in 0..n {
        let (Some(&tree), Some(mode)) = (tree_ids.get(i), modes.get(i)) else {
            continue;
        };
        if mode.as_slice() == b"LEAF" {
            continue;
        }
        if !matches!(
            mode.as_slice(),
            b"BRANCH_LEQ"
                | b"BRANCH_LT"
                | b"BRANCH_GTE"
                | b"BRANCH_GT"
                | b"BRANCH_EQ"
                | b"BRANCH_NEQ"
        ) {
            return Err(invalid(format!(
                "has a node of unknown mode `{}`",
                String::from_utf8_lossy(mode)
            )));
        }
        if values.get(i).is_some_and(|v| !v.is_finite()) {
            return Err(invalid(
                "compares with a threshold that is not a number".into(),
            ));
        }
        let feature = feature_ids.get(i).copied().unwrap_or(-1);
        if node.input.first().map(String::as_str) == Some(input)
            && usize::try_from(feature).map_or(true, |f| f >= k)
        {
            return Err(invalid(format!(
                "tests feature {feature} of an input with {k} features"
            )));
        }
        for child in [true_ids.get(i), false_ids.get(i)].into_iter().flatten() {
            let Some(&c) = index.get(&(tree, *child)) else {
                return Err(invalid(format!(
                    "points to node {child}, which tree {tree} does not have"
                )));
            };
            if let (Some(p), Some(list)) = (parents.get_mut(c), children.get_mut(i)) {
                *p += 1;
                list.push(c);
            }
        }
    }
    // Kahn's algorithm: every node is reached from a root only if there is no cycle.
    let mut ready: Vec<usize> = (0..n).filter(|&i| parents.get(i) == Some(&0)).collect();
    let mut seen = 0;
    while let Some(i) = ready.pop() {
        seen += 1;
        for &c in children.get(i).map_or(&[][..], Vec::as_slice) {
            if let Some(p) = parents.get_mut(c) {
                *p -= 1;
                if *p == 0 {
                    ready.push(c);
                }
            }
        }
    }
    if seen != n {
        return Err(invalid("has a tree whose branches loop back".into()));
    }
    let leaf_trees = ints(&format!("{weights_prefix}_treeids"));
    let leaf_nodes = ints(&format!("{weights_prefix}_nodeids"));
    let leaf_outputs = ints(&format!("{weights_prefix}_ids"));
    let leaf_weights = attr(&format!("{weights_prefix}_weights")).map_or(0, |a| a.floats.len());
    if [leaf_nodes.len(), leaf_outputs.len()]
        .iter()
        .any(|&len| len != leaf_trees.len())
        || (leaf_weights != leaf_trees.len()
            && attr(&format!("{weights_prefix}_weights_as_tensor")).is_none())
    {
        return Err(invalid(
            "describes its leaf weights with lists of different lengths".into(),
        ));
    }
    for ((&tree, &id), &output) in leaf_trees.iter().zip(leaf_nodes).zip(leaf_outputs) {
        if !index.contains_key(&(tree, id)) {
            return Err(invalid(format!(
                "weights node {id}, which tree {tree} does not have"
            )));
        }
        if usize::try_from(output).map_or(true, |o| o >= outputs.max(1)) {
            return Err(invalid(format!(
                "weights output {output} of a model with {outputs} outputs"
            )));
        }
    }
    Ok(())
}
