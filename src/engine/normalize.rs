//! Two rewrites of a checked model before the engines read it, both for things valid ONNX allows
//! and tract refuses. They run in both builds, so every engine reads the same graph.

use super::pb;

/// Both rewrites.
pub(super) fn for_engines(proto: &mut pb::ModelProto) {
    normalize_binary_tree_ensembles(proto);
    uniquify_node_names(proto);
}

/// ONNX keeps node names apart from tensor names and does not require them unique, but tract
/// names its graph nodes after them (or after a node's first output), next to the inputs and
/// initializers, and refuses a model where two coincide. Node names are labels only, so a
/// clashing one gets a numbered suffix.
fn uniquify_node_names(proto: &mut pb::ModelProto) {
    let Some(graph) = proto.graph.as_mut() else {
        return;
    };
    let mut taken: std::collections::HashSet<String> = graph
        .input
        .iter()
        .map(|i| i.name.clone())
        .chain(graph.initializer.iter().map(|t| t.name.clone()))
        .collect();
    for node in graph.node.iter_mut() {
        let name = if !node.name.is_empty() {
            node.name.clone()
        } else if let Some(first) = node.output.first().filter(|o| !o.is_empty()) {
            first.clone()
        } else {
            // tract numbers unnamed nodes itself.
            continue;
        };
        let mut unique = name.clone();
        let mut n = 1u32;
        while taken.contains(&unique) {
            unique = format!("{name}#{n}");
            n += 1;
        }
        if unique != name {
            node.name = unique.clone();
        }
        taken.insert(unique);
    }
}

/// skl2onnx writes a binary tree ensemble with one base value although it declares two classes,
/// which tract refuses; the single value belongs to the score column tract accumulates (column 0).
fn normalize_binary_tree_ensembles(proto: &mut pb::ModelProto) {
    let Some(graph) = proto.graph.as_mut() else {
        return;
    };
    for node in graph
        .node
        .iter_mut()
        .filter(|n| n.op_type == "TreeEnsembleClassifier")
    {
        let classes = node
            .attribute
            .iter()
            .find(|a| a.name == "classlabels_int64s" || a.name == "classlabels_strings")
            .map(|a| a.ints.len().max(a.strings.len()));
        if classes != Some(2) {
            continue;
        }
        if let Some(base) = node.attribute.iter_mut().find(|a| a.name == "base_values")
            && base.floats.len() == 1
        {
            base.floats.push(0.0);
        }
    }
}
