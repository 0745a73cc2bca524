"""Bank-style tree and linear models for issue 19's tests, exported with the converters' defaults.

Trains small models on the German credit data (categoricals as integer codes, some values made
missing for the models that handle NaN), exports each the way a bank would (onnxmltools, skl2onnx,
CatBoost's own ONNX export, a hand-built `TreeEnsemble` opset-5 model), and writes to
tests/fixtures/bank/:
  NAME.onnx            the model with `credit_scorer.schema` and `credit_scorer.reference_scores`
                       (every feature at both range ends or every code, and the baseline; scored by
                       onnxruntime)
  NAME.noschema.onnx   the same export without metadata (the "model without schema" path)
  NAME.json            ~200 test rows (NaN as null), onnxruntime's P(default) for each, and for tree
                       models whose log-odds are a sum over trees the interventional SHAP values
                       (Python `shap`, background = the baseline row) on the log-odds.

`--bench-model PATH` writes the 500-tree, depth-6 XGBoost of the benchmark instead (not a
fixture) and prints onnxruntime's single-thread time for 10,000 rows.

Run: python3 -m venv training/.venv-bank && training/.venv-bank/bin/pip install -r
training/requirements-bank.txt && training/.venv-bank/bin/python training/bank_models.py
"""

import base64
import csv
import json
import os
import sys

import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "training", "data", "germancredit.csv")
OUT = os.path.join(ROOT, "tests", "fixtures", "bank")
SEED = 19
TEST_ROWS = 200
SHAP_ROWS = 24
SCHEMA_KEY = "credit_scorer.schema"
REFERENCE_KEY = "credit_scorer.reference_scores"
# Characteristics used (18 of the 20): the two protected ones are left out, as in train.py.
EXCLUDED = {"personal_status_and_sex", "foreign_worker"}


def load():
    with open(DATA, newline="") as f:
        rows = list(csv.DictReader(f))
    cols = [c for c in rows[0] if c != "creditability" and c not in EXCLUDED]
    features, X = [], np.zeros((len(rows), len(cols)), dtype=np.float32)
    for j, c in enumerate(cols):
        values = [r[c] for r in rows]
        try:
            nums = [float(v) for v in values]
            X[:, j] = nums
            features.append({"name": c[:60], "kind": "numeric", "min": float(min(nums)),
                             "max": float(max(nums)), "step": 1})
        except ValueError:
            cats = sorted(set(values))
            X[:, j] = [cats.index(v) for v in values]
            features.append({"name": c[:60], "kind": "categorical",
                             "categories": [{"code": i, "value": v, "label": {"en": v}}
                                            for i, v in enumerate(cats)]})
    y = np.array([1 if r["creditability"] == "bad" else 0 for r in rows], dtype=np.int64)
    return cols, features, X, y


def with_missing(X, features, rng):
    """A copy of X with 8% of each numeric column missing (NaN)."""
    Xm = X.copy()
    for j, f in enumerate(features):
        if f["kind"] == "numeric":
            Xm[rng.random(len(Xm)) < 0.08, j] = np.nan
    return Xm


def schema_for(name, features, baseline, pd_output, default_class=None):
    feats = []
    for f, b in zip(features, baseline):
        g = {k: v for k, v in f.items()}
        g["label"] = {"en": f["name"].replace("_", " ")}
        g["reason"] = {"en": f["name"].replace("_", " ")}
        g["baseline"] = float(b)
        feats.append(g)
    output = {"pd": pd_output, "meaning": {"en": "Probability that the applicant defaults"}}
    if default_class is not None:
        output["default_class"] = default_class
    return {"schema_version": 1, "model": {"name": name, "version": "1.0.0"}, "output": output,
            "features": feats,
            "model_card": {"dataset": "German credit (Statlog)", "note": "test fixture, issue 19"}}


def coverage_rows(features, baseline):
    """The baseline, then each feature at both range ends (numeric) or at every code."""
    rows = [list(baseline)]
    for j, f in enumerate(features):
        values = ([c["code"] for c in f["categories"]] if f["kind"] == "categorical"
                  else [f["min"], f["max"]])
        for v in values:
            r = list(baseline)
            r[j] = float(v)
            rows.append(r)
    return np.array(rows, dtype=np.float32)


def generic_coverage_rows(k):
    """The rows that cover a model without schema (src/engine/reference.rs, docs/SCHEMA.md): the
    baseline (all 0), then each input at -10 and at +10 with the others at 0."""
    rows = [[0.0] * k]
    for j in range(k):
        for v in (-10.0, 10.0):
            r = [0.0] * k
            r[j] = v
            rows.append(r)
    return np.array(rows, dtype=np.float32)


def ort_pd(model_bytes, X, default_class):
    """onnxruntime's probability of `default_class`, whatever shape the export gives it."""
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    outs = sess.get_outputs()
    prob = next((o for o in outs if "prob" in o.name), outs[-1])
    got = sess.run([prob.name], {name: X})[0]
    if isinstance(got, list):  # ZipMap: a sequence of {label: probability}
        return prob.name, np.array([m[default_class] for m in got], dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    if got.ndim == 2 and got.shape[1] == 2:
        return prob.name, got[:, 1]
    return prob.name, got.reshape(-1)


def add_meta(model, key, value):
    e = model.metadata_props.add()
    e.key = key
    e.value = json.dumps(value, separators=(",", ":"))


def null_rows(X):
    return [[None if np.isnan(v) else float(v) for v in r] for r in X]


def save(name, model, features, baseline, X_test, default_class=1, shap_values=None,
         margin_note=None):
    # Reruns must be byte-identical: converters name the graph with a random UUID, skl2onnx
    # lists opsets in set order, CatBoost records its training time and a random model id.
    model.graph.name = name
    opsets = sorted(((o.domain, o.version) for o in model.opset_import))
    del model.opset_import[:]
    model.opset_import.extend(helper.make_opsetid(d, v) for d, v in opsets)
    del model.metadata_props[:]
    plain = model.SerializeToString()
    with open(os.path.join(OUT, f"{name}.noschema.onnx"), "wb") as f:
        f.write(plain)
    out_name, pd = ort_pd(plain, X_test, default_class)
    ref_rows = coverage_rows(features, baseline)
    _, ref_pd = ort_pd(plain, ref_rows, default_class)
    labelled = onnx.load_from_string(plain)
    add_meta(labelled, SCHEMA_KEY,
             schema_for(name, features, baseline, out_name,
                        default_class if isinstance(default_class, str) else None))
    add_meta(labelled, REFERENCE_KEY,
             {"runtime": f"onnxruntime {ort.__version__}", "rows": ref_rows.tolist(),
              "pd": [float(p) for p in ref_pd]})
    onnx.save(labelled, os.path.join(OUT, f"{name}.onnx"))
    fixture = {"model": f"{name}.onnx", "runtime": f"onnxruntime {ort.__version__}",
               "pd_output": out_name, "default_class": default_class,
               "baseline": [float(v) for v in baseline],
               "rows": null_rows(X_test), "pd": [round(float(p), 9) for p in pd],
               "coverage": generic_coverage(plain, X_test.shape[1], default_class)}
    if shap_values is not None:
        fixture["shap"] = shap_values
    if margin_note:
        fixture["note"] = margin_note
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"{name}: {os.path.getsize(os.path.join(OUT, name + '.onnx'))} bytes, "
          f"pd[0..3]={pd[:3]}")


def generic_coverage(plain, k, default_class):
    """`generic_coverage_rows(k)` and onnxruntime's scores of them on the model without metadata:
    reference scores the lite engine trusts for it (tests/bank_models.rs)."""
    rows = generic_coverage_rows(k)
    _, pd = ort_pd(plain, rows, default_class)
    return {"rows": rows.tolist(), "pd": [round(float(p), 9) for p in pd]}


def shap_fixture(model, baseline, X_rows):
    """Python shap's interventional TreeSHAP on the raw (log-odds) output, background = baseline."""
    import shap
    ex = shap.TreeExplainer(model, data=np.array([baseline], dtype=np.float64),
                            feature_perturbation="interventional", model_output="raw")
    vals = np.asarray(ex.shap_values(X_rows.astype(np.float64), check_additivity=False))
    if vals.ndim == 3:  # [n, k, classes] or [classes, n, k]
        vals = vals[..., 1] if vals.shape[-1] == 2 else vals[1]
    return {"rows": null_rows(X_rows), "values": [[float(v) for v in r] for r in vals],
            "runtime": f"shap {shap.__version__}"}


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


def synthetic_ensembles():
    """Small random ensembles over 5 integer-valued features covering every branch mode,
    aggregate function and post-transform, and missing-value tracking, each followed by an
    `ArrayFeatureExtractor` that picks one output column: onnxruntime's values of that column on
    80 rows (NaN included) go to tests/fixtures/bank/synthetic.json for the evaluator's unit
    tests (the outputs are not all probabilities, so they are checked below the model loader)."""
    rng = np.random.default_rng(SEED + 5)
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
    with open(os.path.join(OUT, "synthetic.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"synthetic: {len(cases)} ensembles")


def main():
    warnings.filterwarnings("ignore", category=UserWarning)
    from sklearn.exceptions import ConvergenceWarning
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    import catboost
    import lightgbm
    import xgboost
    from onnxmltools import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType as MLFloat
    from skl2onnx import to_onnx
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer, StandardScaler

    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    cols, features, X, y = load()
    k = X.shape[1]
    order = rng.permutation(len(X))
    te, tr = order[:TEST_ROWS], order[TEST_ROWS:]
    Xm = with_missing(X, features, np.random.default_rng(SEED + 1))
    # The baseline applicant: the training median of each characteristic (a code for a categorical).
    baseline = np.array([np.median(X[tr, j]) if f["kind"] == "numeric"
                         else float(np.bincount(X[tr, j].astype(int)).argmax())
                         for j, f in enumerate(features)], dtype=np.float32)
    ft = [("x", MLFloat([None, k]))]
    Xte, Xmte = X[te], Xm[te]
    shap_rows = Xmte[:SHAP_ROWS]

    def v(a):  # rows for shap: the first SHAP_ROWS test rows (missing values included)
        return a[:SHAP_ROWS]

    # XGBoost, trained with missing values.
    xgb = xgboost.XGBClassifier(n_estimators=40, max_depth=4, learning_rate=0.2,
                                random_state=SEED, n_jobs=1)
    xgb.fit(Xm[tr], y[tr])
    save("xgboost", convert_xgboost(xgb, initial_types=ft), features, baseline, Xmte,
         shap_values=shap_fixture(xgb, baseline, shap_rows))

    # LightGBM: default export (ZipMap), without ZipMap, and with monotone constraints.
    lgb = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=15, random_state=SEED,
                                  verbose=-1, n_jobs=1)
    lgb.fit(Xm[tr], y[tr])
    save("lightgbm_zipmap", convert_lightgbm(lgb, initial_types=ft), features, baseline, Xmte,
         shap_values=shap_fixture(lgb, baseline, shap_rows))
    save("lightgbm", convert_lightgbm(lgb, initial_types=ft, zipmap=False), features, baseline,
         Xmte, shap_values=shap_fixture(lgb, baseline, shap_rows))
    mono = [1 if c in ("duration_in_month", "credit_amount") else 0 for c in cols]
    lgbm_mono = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=8, random_state=SEED,
                                        monotone_constraints=mono, verbose=-1, n_jobs=1)
    lgbm_mono.fit(X[tr], y[tr])
    save("lightgbm_monotone", convert_lightgbm(lgbm_mono, initial_types=ft), features,
         baseline, Xte, shap_values=shap_fixture(lgbm_mono, baseline, v(Xte)))

    # CatBoost's own export (always ZipMap, ai.onnx.ml opset 2).
    cb = catboost.CatBoostClassifier(iterations=40, depth=4, random_seed=SEED, verbose=False,
                                     thread_count=1, allow_writing_files=False)
    cb.fit(Xm[tr], y[tr])
    path = os.path.join(OUT, "_catboost.tmp.onnx")
    cb.save_model(path, format="onnx")
    cb_model = onnx.load(path)
    os.remove(path)
    try:
        cb_shap = shap_fixture(cb, baseline, shap_rows)
    except Exception as e:  # shap's CatBoost support may not do interventional
        print("catboost shap:", e, file=sys.stderr)
        cb_shap = None
    save("catboost", cb_model, features, baseline, Xmte, shap_values=cb_shap)

    # scikit-learn with skl2onnx defaults (ZipMap on).
    rf = RandomForestClassifier(n_estimators=12, max_depth=5, random_state=SEED, n_jobs=1)
    rf.fit(X[tr], y[tr])
    save("sklearn_random_forest", to_onnx(rf, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}),
         features, baseline, Xte,
         margin_note="probability average: reasons by the generic Shapley path, no shap fixture")
    gb = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=SEED)
    gb.fit(X[tr], y[tr])
    save("sklearn_gradient_boosting", to_onnx(gb, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}),
         features, baseline, Xte, shap_values=shap_fixture(gb, baseline, v(Xte)))
    save("tree_ensemble_v3_tensor", as_opset3_double(
        to_onnx(gb, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}), gb), features, baseline, Xte,
        shap_values=shap_fixture(gb, baseline, v(Xte)))
    # Logistic regression with string class labels: the ZipMap keys are "bad"/"good", so a model
    # without a schema cannot tell which is default; the schema names it.
    ys = np.array(["bad" if t else "good" for t in y])
    lr = LogisticRegression(max_iter=2000)
    lr.fit(X[tr], ys[tr])
    save("sklearn_logistic", to_onnx(lr, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}),
         features, baseline, Xte, default_class="bad")
    pipe = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=2000))])
    pipe.fit(X[tr], y[tr])
    save("sklearn_pipeline", to_onnx(pipe, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}),
         features, baseline, Xte)

    norm = Pipeline([("norm", Normalizer(norm="l2")), ("lr", LogisticRegression(max_iter=2000))])
    norm.fit(X[tr], y[tr])
    save("sklearn_normalizer", to_onnx(norm, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}),
         features, baseline, Xte)

    # TreeEnsemble (ai.onnx.ml opset 5): skl2onnx 1.20 has no converter for it, so it is built
    # with onnx.helper from the gradient boosting's trees.
    base_margin = float(gb._raw_predict_init(X[:1])[0, 0])
    save("tree_ensemble_v5", tree_ensemble_v5(gb, k, base_margin), features, baseline, Xte)

    # TreeEnsembleRegressor + Sigmoid: XGBoost's margin as a regressor (onnxmltools writes no
    # sigmoid for a regressor), the Sigmoid appended.
    xgr = xgboost.XGBRegressor(n_estimators=30, max_depth=3, objective="binary:logistic",
                               base_score=0.5, random_state=SEED, n_jobs=1)
    xgr.fit(Xm[tr], y[tr])
    reg = convert_xgboost(xgr, initial_types=ft)
    g = reg.graph
    out = g.output[0]
    g.node.append(helper.make_node("Sigmoid", [out.name], ["pd"]))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("pd", TensorProto.FLOAT, [None, 1]))
    save("regressor_sigmoid", reg, features, baseline, Xmte,
         shap_values=shap_fixture(xgr, baseline, shap_rows))
    synthetic_ensembles()


def bench_model(path):
    """A 500-tree, depth-6 XGBoost (issue 19's benchmark model) with schema and reference scores
    at `path` (not a fixture: ~2 MB), and onnxruntime's own time for 10,000 rows on one thread."""
    import time

    import xgboost
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType as MLFloat
    cols, features, X, y = load()
    k = X.shape[1]
    Xm = with_missing(X, features, np.random.default_rng(SEED + 1))
    xgb = xgboost.XGBClassifier(n_estimators=500, max_depth=6, learning_rate=0.05,
                                random_state=SEED, n_jobs=1)
    xgb.fit(Xm, y)
    model = convert_xgboost(xgb, initial_types=[("x", MLFloat([None, k]))])
    baseline = np.array([np.median(X[:, j]) if f["kind"] == "numeric"
                         else float(np.bincount(X[:, j].astype(int)).argmax())
                         for j, f in enumerate(features)], dtype=np.float32)
    model.graph.name = "bench"
    plain = model.SerializeToString()
    ref_rows = coverage_rows(features, baseline)
    out_name, ref_pd = ort_pd(plain, ref_rows, 1)
    add_meta(model, SCHEMA_KEY, schema_for("xgboost-500x6", features, baseline, out_name))
    add_meta(model, REFERENCE_KEY, {"runtime": f"onnxruntime {ort.__version__}",
                                    "rows": ref_rows.tolist(), "pd": [float(p) for p in ref_pd]})
    onnx.save(model, path)
    rows = np.repeat(Xm, 10, axis=0)[:10000]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(plain, opts, providers=["CPUExecutionProvider"])
    sess.run(None, {"x": rows[:100]})
    best = min(_timed(lambda: sess.run(None, {"x": rows}), time) for _ in range(5))
    print(f"{path}: onnxruntime {ort.__version__}, 1 thread: 10,000 rows in {best:.4f} s "
          f"({10000 / best:,.0f} rows/s)")


def _timed(f, time):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bench-model":
        bench_model(sys.argv[2])
    else:
        main()
