//! Hostile tree ensembles: refused with a kind, never a panic or a hang.

use credit_scorer::model::pb;
use credit_scorer::{ErrorKind, Model};
use prost::Message;

use crate::fixture;

/// `bytes` with the first tree ensemble's attribute `name` changed by `edit`.
fn with_tree_attribute(
    bytes: &[u8],
    name: &str,
    edit: impl FnOnce(&mut pb::AttributeProto),
) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).expect("decodes");
    let graph = proto.graph.as_mut().expect("graph");
    let node = graph
        .node
        .iter_mut()
        .find(|n| n.op_type.starts_with("TreeEnsemble"))
        .expect("a tree ensemble");
    edit(
        node.attribute
            .iter_mut()
            .find(|a| a.name == name)
            .expect("attribute"),
    );
    proto.encode_to_vec()
}

/// Hostile tree ensembles are refused with `model_invalid` (or `model_too_large`), never a
/// panic or a hang, in both builds: a cycle, a branch shared by two parents, a tree deeper than
/// 128 levels, a NaN threshold, a feature past the input, a leaf weighting a missing class, an
/// opset-5 root or child out of range.
#[test]
fn hostile_tree_ensembles_are_refused() {
    let (xgb, _) = fixture("xgboost");
    let (v5, _) = fixture("tree_ensemble_v5");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "cycle",
            with_tree_attribute(&xgb, "nodes_truenodeids", |a| a.ints[1] = 0),
        ),
        (
            "shared branch",
            with_tree_attribute(&xgb, "nodes_falsenodeids", |a| a.ints[0] = 1),
        ),
        (
            "NaN threshold",
            with_tree_attribute(&xgb, "nodes_values", |a| a.floats[0] = f32::NAN),
        ),
        (
            "feature past the input",
            with_tree_attribute(&xgb, "nodes_featureids", |a| a.ints[0] = 18),
        ),
        (
            "class that does not exist",
            with_tree_attribute(&xgb, "class_ids", |a| a.ints[0] = 2),
        ),
        (
            "v5 root out of range",
            with_tree_attribute(&v5, "tree_roots", |a| a.ints[0] = 1 << 20),
        ),
        (
            "v5 child out of range",
            with_tree_attribute(&v5, "nodes_truenodeids", |a| a.ints[0] = 99_999),
        ),
        (
            "v5 cycle",
            with_tree_attribute(&v5, "nodes_falsenodeids", |a| {
                a.ints[1] = 0;
            }),
        ),
        (
            "v5 NaN split",
            with_tree_attribute(&v5, "nodes_splits", |a| {
                if let Some(t) = a.t.as_mut() {
                    t.float_data[0] = f32::NAN;
                    t.raw_data.clear();
                }
            }),
        ),
    ];
    for (what, bytes) in cases {
        let e = Model::from_bytes(&bytes).expect_err(what);
        assert!(
            matches!(e.kind(), ErrorKind::ModelInvalid | ErrorKind::ModelTooLarge),
            "{what}: {e} ({:?})",
            e.kind()
        );
    }
}

/// A tree deeper than 128 levels (a 200-level chain, opset 5) is refused before anything walks it.
#[test]
fn too_deep_tree_is_refused() {
    let (v5, _) = fixture("tree_ensemble_v5");
    let depth = 200usize;
    let mut proto = pb::ModelProto::decode(&v5[..]).expect("decodes");
    let node = proto
        .graph
        .as_mut()
        .expect("graph")
        .node
        .iter_mut()
        .find(|n| n.op_type == "TreeEnsemble")
        .expect("ensemble");
    let set_ints = |node: &mut pb::NodeProto, name: &str, v: Vec<i64>| {
        node.attribute
            .iter_mut()
            .find(|a| a.name == name)
            .expect(name)
            .ints = v;
    };
    let set_floats = |node: &mut pb::NodeProto, name: &str, v: Vec<f32>| {
        let t = node
            .attribute
            .iter_mut()
            .find(|a| a.name == name)
            .expect(name)
            .t
            .as_mut()
            .expect("tensor");
        t.dims = vec![v.len() as i64];
        t.raw_data.clear();
        t.float_data = v;
    };
    set_ints(node, "tree_roots", vec![0]);
    set_ints(node, "nodes_featureids", vec![0; depth]);
    set_ints(
        node,
        "nodes_truenodeids",
        (0..depth as i64)
            .map(|i| if i + 1 < depth as i64 { i + 1 } else { 0 })
            .collect(),
    );
    set_ints(
        node,
        "nodes_trueleafs",
        (0..depth).map(|i| i64::from(i + 1 == depth)).collect(),
    );
    set_ints(node, "nodes_falsenodeids", vec![1; depth]);
    set_ints(node, "nodes_falseleafs", vec![1; depth]);
    set_ints(node, "nodes_missing_value_tracks_true", vec![0; depth]);
    set_ints(node, "leaf_targetids", vec![0, 0]);
    set_floats(node, "nodes_splits", vec![0.5; depth]);
    set_floats(node, "leaf_weights", vec![0.1, 0.2]);
    let t = node
        .attribute
        .iter_mut()
        .find(|a| a.name == "nodes_modes")
        .expect("modes")
        .t
        .as_mut()
        .expect("tensor");
    t.dims = vec![depth as i64];
    t.raw_data = vec![0; depth];
    t.int32_data.clear();
    let e = Model::from_bytes(&proto.encode_to_vec()).expect_err("too deep");
    assert_eq!(e.kind(), ErrorKind::ModelInvalid, "{e}");
}
