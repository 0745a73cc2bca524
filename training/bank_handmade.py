"""ONNX tree ensembles written by hand with onnx.helper, for bank_models.py: the opset-5
`TreeEnsemble` of a fitted gradient-boosting model, the opset-3 rewrite with `*_as_tensor`
attributes, and the small synthetic ensembles (every branch mode, aggregate function and
post-transform) whose onnxruntime outputs the evaluator's unit tests read."""

import base64
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper


def null_rows(X):
    """Rows as JSON lists, NaN as null."""
    return [[None if np.isnan(v) else float(v) for v in r] for r in X]


def tree_ensemble_v5(forest, k, base_margin=0.0):
    """A `TreeEnsemble` (ai.onnx.ml opset 5) model built with onnx.helper from a fitted
    GradientBoostingClassifier's regression trees (raw log-odds, then Sigmoid), with a MEMBER
    node for one categorical split so that mode is exercised too."""
    leaf_targets, leaf_weights = [], []
    nodes_feature, nodes_split, nodes_mode = [], [], []
    nodes_true, nodes_true_leaf, nodes_false, nodes_false_leaf = [], [], [], []
    nodes_missing = []
    roots = []
    lr = forest.learning_rate
    for est in forest.estimators_[:, 0]:
        t = est.tree_
        leaf_ix = {}
        for i in range(t.node_count):
            if t.children_left[i] == -1:
                leaf_ix[i] = len(leaf_weights)
                leaf_targets.append(0)
                leaf_weights.append(float(t.value[i][0][0] * lr))
        base = len(nodes_feature)
        order = [i for i in range(t.node_count) if t.children_left[i] != -1]
        remap = {i: base + n for n, i in enumerate(order)}
        roots.append(remap[0] if 0 in remap else None)
        for i in order:
            nodes_feature.append(int(t.feature[i]))
            nodes_split.append(float(t.threshold[i]))
            nodes_mode.append(0)  # BRANCH_LEQ
            for child, ids, leafs in ((t.children_left[i], nodes_true, nodes_true_leaf),
                                      (t.children_right[i], nodes_false, nodes_false_leaf)):
                if t.children_left[child] == -1:
                    ids.append(leaf_ix[child])
                    leafs.append(1)
                else:
                    ids.append(remap[child])
                    leafs.append(0)
            nodes_missing.append(0)
    assert all(r is not None for r in roots), "a stump tree"
    # One extra tree: a MEMBER split on feature 0 (codes {0, 2}) with two leaves.
    roots.append(len(nodes_feature))
    nodes_feature.append(0)
    nodes_split.append(0.0)
    nodes_mode.append(6)  # BRANCH_MEMBER
    mem_leaf = len(leaf_weights)
    leaf_targets += [0, 0]
    leaf_weights += [0.25, -0.125]
    nodes_true.append(mem_leaf)
    nodes_true_leaf.append(1)
    nodes_false.append(mem_leaf + 1)
    nodes_false_leaf.append(1)
    nodes_missing.append(0)
    # membership_values: the sets of the MEMBER nodes, in node order, separated by NaN.
    membership = [0.0, 2.0]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, k])
    y = helper.make_tensor_value_info("pd", TensorProto.FLOAT, [None, 1])
    dt = TensorProto.FLOAT  # opset 5 wants these attributes in the input's type

    def t_(name, vals):
        return helper.make_tensor(name, dt, [len(vals)], vals)

    node = helper.make_node(
        "TreeEnsemble", ["x"], ["margin"], domain="ai.onnx.ml",
        aggregate_function=1, post_transform=0, n_targets=1,
        tree_roots=roots, nodes_featureids=nodes_feature, nodes_modes=helper.make_tensor(
            "modes", TensorProto.UINT8, [len(nodes_mode)], nodes_mode),
        nodes_splits=t_("splits", nodes_split),
        nodes_truenodeids=nodes_true, nodes_trueleafs=nodes_true_leaf,
        nodes_falsenodeids=nodes_false, nodes_falseleafs=nodes_false_leaf,
        nodes_missing_value_tracks_true=nodes_missing,
        membership_values=t_("membership", membership),
        leaf_targetids=leaf_targets, leaf_weights=t_("weights", leaf_weights))
    bias = helper.make_tensor("base", TensorProto.FLOAT, [1], [base_margin])
    add = helper.make_node("Add", ["margin", "base"], ["logit_raw"])
    sig = helper.make_node("Sigmoid", ["logit_raw"], ["pd"])
    graph = helper.make_graph([node, add, sig], "tree_ensemble_v5", [x], [y], [bias])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21),
                                                    helper.make_opsetid("ai.onnx.ml", 5)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model


def as_opset3_double(model, gb):
    """The skl2onnx export of `gb` rewritten as `TreeEnsembleClassifier` opset 3 with the
    `*_as_tensor` attributes (thresholds from scikit-learn's float64 trees). onnxruntime reads
    them in the input's type (it refuses double tensors for a float input), so they hold float32
    here; a converter writes doubles only for a double input, which the scorer's contract refuses."""
    node = next(n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier")
    attrs = {a.name: a for a in node.attribute}
    trees = [int(t) for t in attrs["nodes_treeids"].ints]
    ids = [int(i) for i in attrs["nodes_nodeids"].ints]
    thresholds = [float(gb.estimators_[t, 0].tree_.threshold[i]) for t, i in zip(trees, ids)]
    swap = {"nodes_values": thresholds,
            "class_weights": [float(w) for w in attrs["class_weights"].floats],
            "base_values": [float(w) for w in attrs["base_values"].floats]}
    for name, values in swap.items():
        node.attribute.remove(attrs[name])
        node.attribute.append(helper.make_attribute(
            name + "_as_tensor", helper.make_tensor(name, TensorProto.FLOAT, [len(values)],
                                                    values)))
    for op in model.opset_import:
        if op.domain == "ai.onnx.ml":
            op.version = 3
    onnx.checker.check_model(model)
    return model


def synthetic_ensembles(out_dir, seed):
    """Small random ensembles over 5 integer-valued features covering every branch mode,
    aggregate function and post-transform, and missing-value tracking, each followed by an
    `ArrayFeatureExtractor` that picks one output column: onnxruntime's values of that column on
    80 rows (NaN included) go to tests/fixtures/bank/synthetic.json for the evaluator's unit
    tests (the outputs are not all probabilities, so they are checked below the model loader)."""
    rng = np.random.default_rng(seed + 5)
    k, n_rows = 5, 80
    X = rng.integers(0, 5, size=(n_rows, k)).astype(np.float32)
    X[rng.random((n_rows, k)) < 0.1] = np.nan
    cases = []
    spec_models = {}
    v1_modes = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]

    def random_trees(n_trees, depth, n_out):
        """(per node: tree, id, feature, mode index, threshold, true, false, missing) and
        (per leaf weight: tree, node, output, weight)."""
        nodes, weights = [], []
        for t in range(n_trees):
            next_id = [0]

            def grow(d):
                nid = next_id[0]
                next_id[0] += 1
                if d == depth:
                    nodes.append((t, nid, 0, -1, 0.0, 0, 0, 0))
                    for o in range(n_out):
                        if rng.random() < 0.8 or o == 0:
                            weights.append((t, nid, o, float(np.round(rng.normal(), 3))))
                    return nid
                slot = len(nodes)
                nodes.append(None)
                left = grow(d + 1)
                right = grow(d + 1)
                nodes[slot] = (t, nid, int(rng.integers(0, k)), int(rng.integers(0, 6)),
                               float(rng.integers(0, 5)) + (0.0 if rng.random() < 0.5 else 0.5),
                               left, right, int(rng.random() < 0.5))
                return nid
            grow(0)
        return nodes, weights

    def v3_model(op, n_out, aggregate, post, pick, base=None):
        nodes, weights = random_trees(4, 3, n_out)
        attrs = dict(
            nodes_treeids=[n[0] for n in nodes], nodes_nodeids=[n[1] for n in nodes],
            nodes_featureids=[n[2] for n in nodes],
            nodes_modes=["LEAF" if n[3] < 0 else v1_modes[n[3]] for n in nodes],
            nodes_values=[n[4] for n in nodes], nodes_truenodeids=[n[5] for n in nodes],
            nodes_falsenodeids=[n[6] for n in nodes],
            nodes_missing_value_tracks_true=[n[7] for n in nodes], post_transform=post)
        p = "class" if op == "TreeEnsembleClassifier" else "target"
        attrs.update({f"{p}_treeids": [w[0] for w in weights], f"{p}_nodeids": [w[1] for w in weights],
                      f"{p}_ids": [w[2] for w in weights], f"{p}_weights": [w[3] for w in weights]})
        outputs = ["scores"]
        if op == "TreeEnsembleClassifier":
            attrs["classlabels_int64s"] = list(range(n_out))
            outputs = ["label", "scores"]
        else:
            attrs["n_targets"] = n_out
            attrs["aggregate_function"] = aggregate
        if base is not None:
            attrs["base_values"] = base
        node = helper.make_node(op, ["x"], outputs, domain="ai.onnx.ml", **attrs)
        return finish(node, pick, [("", 17), ("ai.onnx.ml", 3)])

    def finish(node, pick, opsets):
        idx = helper.make_tensor("pick", TensorProto.INT64, [1], [pick])
        afe = helper.make_node("ArrayFeatureExtractor", ["scores", "pick"], ["y"],
                               domain="ai.onnx.ml")
        graph = helper.make_graph(
            [node, afe], "synthetic", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     [None, k])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])], [idx])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v)
                                                        for d, v in opsets])
        model.ir_version = 10
        return model

    for aggregate in ["SUM", "AVERAGE", "MIN", "MAX"]:
        for post in ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"]:
            cases.append((f"regressor {aggregate} {post}",
                          v3_model("TreeEnsembleRegressor", 3, aggregate, post, 1,
                                   base=[0.1, -0.2, 0.3])))
    # onnxruntime 1.23 skips LOGISTIC for a single-target regressor (the spec applies it): the
    # spec's meaning is onnxruntime's output for the same trees with NONE and a Sigmoid node.
    logistic = v3_model("TreeEnsembleRegressor", 1, "SUM", "LOGISTIC", 0, base=[0.25])
    cases.append(("regressor 1 target LOGISTIC", logistic))
    spec = onnx.ModelProto()
    spec.CopyFrom(logistic)
    tree = spec.graph.node[0]
    for a in tree.attribute:
        if a.name == "post_transform":
            a.s = b"NONE"
    tree.output[0] = "raw"
    spec.graph.node.insert(1, helper.make_node("Sigmoid", ["raw"], ["scores"]))
    spec_models[len(cases) - 1] = spec
    cases.append(("regressor 1 target PROBIT", v3_model("TreeEnsembleRegressor", 1, "SUM", "PROBIT",
                                                        0, base=[0.0])))
    for post in ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"]:
        cases.append((f"classifier 3 classes {post}",
                       v3_model("TreeEnsembleClassifier", 3, None, post, 2)))
    # TreeEnsemble opset 5: every mode including MEMBER, missing tracking, aggregates, post.
    for aggregate, post in [(1, 0), (0, 2), (2, 0), (3, 0), (1, 1), (1, 3)]:
        nodes, weights = random_trees(4, 3, 2)
        branch = [n for n in nodes if n[3] >= 0]
        ix = {(n[0], n[1]): i for i, n in enumerate(branch)}
        leaves = {}
        lt, lw = [], []
        for n in nodes:
            if n[3] < 0:
                ws = [w for w in weights if (w[0], w[1]) == (n[0], n[1])][:1]
                leaves[(n[0], n[1])] = len(lw)
                lt.append(ws[0][2] if ws else 0)
                lw.append(ws[0][3] if ws else 0.0)
        modes, members = [], []
        for i, n in enumerate(branch):
            m = n[3] if i % 4 else 6
            modes.append(m)
            if m == 6:
                members += [float(n[4] // 1), float((n[4] + 2) // 1), np.nan]

        def child(t, c):
            return (leaves[(t, c)], 1) if (t, c) in leaves else (ix[(t, c)], 0)
        trues = [child(n[0], n[5]) for n in branch]
        falses = [child(n[0], n[6]) for n in branch]
        roots = sorted({ix[(n[0], 0)] for n in branch})
        ft = TensorProto.FLOAT
        node = helper.make_node(
            "TreeEnsemble", ["x"], ["scores"], domain="ai.onnx.ml",
            aggregate_function=aggregate, post_transform=post, n_targets=2, tree_roots=roots,
            nodes_featureids=[n[2] for n in branch],
            nodes_modes=helper.make_tensor("m", TensorProto.UINT8, [len(modes)], modes),
            nodes_splits=helper.make_tensor("s", ft, [len(branch)], [n[4] for n in branch]),
            nodes_truenodeids=[c[0] for c in trues], nodes_trueleafs=[c[1] for c in trues],
            nodes_falsenodeids=[c[0] for c in falses], nodes_falseleafs=[c[1] for c in falses],
            nodes_missing_value_tracks_true=[n[7] for n in branch],
            membership_values=helper.make_tensor("mv", ft, [len(members)], members),
            leaf_targetids=lt, leaf_weights=helper.make_tensor("w", ft, [len(lw)], lw))
        model = finish(node, 1, [("", 21), ("ai.onnx.ml", 5)])
        cases.append((f"TreeEnsemble v5 aggregate {aggregate} post {post}", model))
        if post in (1, 2):
            # onnxruntime 1.23 reads opset 5's post_transform 1 as LOGISTIC and 2 as SOFTMAX (its
            # own enum order), against the spec (1 SOFTMAX, 2 LOGISTIC): its output for the model
            # with the code swapped is the spec's meaning, recorded as `y_spec`.
            swapped = onnx.ModelProto()
            swapped.CopyFrom(model)
            for a in swapped.graph.node[0].attribute:
                if a.name == "post_transform":
                    a.i = 3 - post
            spec_models[len(cases) - 1] = swapped
    out = {"rows": null_rows(X), "cases": []}
    for name, model in cases:
        onnx.checker.check_model(model)
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        y = sess.run(["y"], {"x": X})[0].reshape(-1)
        case = {}
        if len(out["cases"]) in spec_models:
            alt = ort.InferenceSession(spec_models[len(out["cases"])].SerializeToString(),
                                       providers=["CPUExecutionProvider"])
            case["y_spec"] = [round(float(v), 7) for v in alt.run(["y"], {"x": X})[0].reshape(-1)]
        out["cases"].append({**case, "name": name,
                             "model": base64.b64encode(model.SerializeToString()).decode(),
                             "y": [None if np.isnan(v) else round(float(v), 7) for v in y]})
    with open(os.path.join(out_dir, "synthetic.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"synthetic: {len(cases)} ensembles")
