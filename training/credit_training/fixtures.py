"""Test fixtures besides the reference model: foreign models with golden outputs, and the
governance data (test split, drift CSVs)."""

import warnings

import numpy as np
from onnx import TensorProto, helper
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .config import FIXTURES, OPSET, SEED
from .export import finish_model, session, t
from .files import f32, sha256, write_bytes, write_json


def skl_export(model, k, zipmap, name):
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    opts = None if zipmap else {id(model): {"zipmap": False}}
    m = convert_sklearn(
        model,
        initial_types=[("float_input", FloatTensorType([None, k]))],
        options=opts,
        target_opset={"": OPSET, "ai.onnx.ml": 3},
    )
    # skl2onnx names the graph with a random uuid: give it a fixed name so reruns are byte-identical
    m.graph.name = name
    # skl2onnx 1.20 lists the default domain twice in opset_import, in an order that varies from
    # run to run: keep one entry per domain, sorted by domain
    keep = {}
    for o in m.opset_import:
        keep.setdefault(o.domain, o.version)
    del m.opset_import[:]
    for d, v in sorted(keep.items()):
        m.opset_import.append(helper.make_opsetid(d, v))
    return m


def seeded_weights(rng, *shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def foreign_pd(sess, input_name, X):
    """onnxruntime's probability of default (class 1) for rows X, whatever form the export gives."""
    outs = sess.run(None, {input_name: X.astype(np.float32)})
    names = [o.name for o in sess.get_outputs()]
    for name, v in zip(names, outs):
        if name in ("pd", "probability", "probabilities", "output_probability"):
            if isinstance(v, list):  # ZipMap: list of {class: probability}
                return np.array([d[1] for d in v], dtype=np.float32)
            v = np.asarray(v)
            return v[:, 1] if v.shape[1] == 2 else v[:, 0]
    raise ValueError("no probability output")


def coverage_rows(k):
    """The rows that cover a model without schema (src/engine/reference.rs, docs/SCHEMA.md): the
    baseline (all 0), then each input at -10 and at +10 with the others at 0."""
    rows = [np.zeros(k, dtype=np.float32)]
    for j in range(k):
        for v in (-10.0, 10.0):
            r = np.zeros(k, dtype=np.float32)
            r[j] = v
            rows.append(r)
    return np.array(rows, dtype=np.float32)


def golden_foreign(path, model, input_name, k, X, extra=None):
    data = model.SerializeToString()
    write_bytes(path, data)
    sess = session(data)
    pd = foreign_pd(sess, input_name, X)
    g = {"model": path.name, "model_sha256": sha256(data), "input_name": input_name, "k": k}
    g.update(extra or {})
    g["rows"] = [{"x": [f32(v) for v in X[i]], "pd": f32(pd[i])} for i in range(len(X))]
    g["coverage"] = coverage_golden(sess, input_name, k)
    write_json(path.with_suffix(".json"), g)
    return g


def coverage_golden(sess, input_name, k):
    """`coverage_rows(k)` with onnxruntime's probabilities: reference scores that let the lite
    engine trust a foreign model (tests/engines/)."""
    C = coverage_rows(k)
    pd = foreign_pd(sess, input_name, C)
    return [{"x": [f32(v) for v in C[i]], "pd": f32(pd[i])} for i in range(len(C))]


def build_foreign(X_train, y_train, X_rows):
    out = FIXTURES / "models"
    rng = np.random.default_rng(SEED + 7)
    made = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lr = LogisticRegression(max_iter=20000, random_state=SEED).fit(X_train, y_train)
    g = golden_foreign(
        out / "logreg.onnx",
        skl_export(lr, 10, False, "logreg"),
        "float_input",
        10,
        X_rows,
        {
            "expect": "load",
            "what": "skl2onnx LogisticRegression on the 10 raw inputs, zipmap=False; pd = probabilities[:,1]",
            "coef": [float(v) for v in lr.coef_[0]],
            "intercept": float(lr.intercept_[0]),
        },
    )
    made.append(g)
    gbm = GradientBoostingClassifier(n_estimators=20, max_depth=2, random_state=SEED).fit(X_train, y_train)
    made.append(
        golden_foreign(
            out / "gbm.onnx",
            skl_export(gbm, 10, False, "gbm"),
            "float_input",
            10,
            X_rows,
            {"expect": "load", "what": "skl2onnx GradientBoostingClassifier (20 trees, depth 2), ai.onnx.ml TreeEnsembleClassifier"},
        )
    )
    Z10 = np.round(rng.standard_normal((20, 10)), 3).astype(np.float32)
    # mlp_dynamic: features [N,10] -> Dense(8, relu) -> Dense(1, sigmoid) 'probability'
    g = helper.make_graph(
        [
            helper.make_node("MatMul", ["features", "w1"], ["h0"]),
            helper.make_node("Add", ["h0", "b1"], ["h1"]),
            helper.make_node("Relu", ["h1"], ["h"]),
            helper.make_node("MatMul", ["h", "w2"], ["z0"]),
            helper.make_node("Add", ["z0", "b2"], ["z"]),
            helper.make_node("Sigmoid", ["z"], ["probability"]),
        ],
        "mlp_dynamic",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 10])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch", 1])],
        [
            t("w1", seeded_weights(rng, 10, 8)),
            t("b1", seeded_weights(rng, 8, scale=0.1)),
            t("w2", seeded_weights(rng, 8, 1)),
            t("b2", [-0.3]),
        ],
    )
    made.append(
        golden_foreign(out / "mlp_dynamic.onnx", finish_model(g), "features", 10, Z10,
                       {"expect": "load", "what": "helper-built MLP 10-8-1, dynamic batch, output 'probability', no schema"})
    )
    # ignore_feature: logistic, feature 2 has weight 0
    w = [0.8, -0.5, 0.0, 0.3]
    g = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["z0"]),
            helper.make_node("Add", ["z0", "b"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["pd"]),
        ],
        "ignore_feature",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [
            helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1]),
            helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1]),
        ],
        [t("w", np.array(w).reshape(4, 1)), t("b", [-0.2])],
    )
    made.append(
        golden_foreign(out / "ignore_feature.onnx", finish_model(g), "x", 4, np.round(rng.standard_normal((20, 4)), 3),
                       {"expect": "load", "what": "logistic model, k=4, weight of feature 2 is 0", "coef": w, "intercept": -0.2, "ignored_feature": 2})
    )
    # symmetric: pd = sigmoid(w*relu(x0 + x1) + v*x2 + b)
    wv, vv, bv = 0.7, -0.4, 0.1
    g = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "sum01"], ["s"]),
            helper.make_node("Relu", ["s"], ["r"]),
            helper.make_node("Mul", ["r", "w"], ["rw"]),
            helper.make_node("MatMul", ["x", "v"], ["xv"]),
            helper.make_node("Add", ["rw", "xv"], ["z0"]),
            helper.make_node("Add", ["z0", "b"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["pd"]),
        ],
        "symmetric",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])],
        [t("sum01", [[1.0], [1.0], [0.0]]), t("w", [wv]), t("v", [[0.0], [0.0], [vv]]), t("b", [bv])],
    )
    made.append(
        golden_foreign(out / "symmetric.onnx", finish_model(g), "x", 3, np.round(rng.standard_normal((20, 3)), 3),
                       {"expect": "load", "what": "pd = sigmoid(0.7*relu(x0 + x1) - 0.4*x2 + 0.1): features 0 and 1 interchangeable",
                        "w": wv, "v": vv, "b": bv})
    )
    # scaler_zipmap: StandardScaler + LogisticRegression exported with ZipMap (must be refused)
    pipe = Pipeline([("scaler", StandardScaler()), ("lr", LogisticRegression(max_iter=1000, random_state=SEED))])
    pipe.fit(X_train, y_train)
    made.append(
        golden_foreign(out / "scaler_zipmap.onnx", skl_export(pipe, 10, True, "scaler_zipmap"), "float_input", 10, X_rows,
                       {"expect": "refuse", "what": "skl2onnx StandardScaler + LogisticRegression WITH ZipMap (ai.onnx.ml Scaler, ZipMap): must be refused"})
    )
    return made


def governance_fixtures(cols, y, X, te, tr, schema, model_sha, sess):
    """tests/fixtures/governance/: the test split with onnxruntime PDs, labels and the protected
    attributes (evaluation only), so the Rust tests can recompute the model card's figures; and two
    CSV files for the PSI tests: rows sampled from the training split, and the same rows with
    `duration_months` shifted by +24 months (capped at the schema's max)."""
    out = FIXTURES / "governance"
    names = [f["name"] for f in schema["features"]]
    xt = X[te].astype(np.float32)
    pdt = sess.run(["pd"], {"x": xt})[0][:, 0]
    rows = []
    for r, i in enumerate(te):
        rows.append({
            "id": f"test-{int(i)}",
            "x": [f32(v) for v in xt[r]],
            "pd": f32(pdt[r]),
            "bad": int(y[i]),
            "sex": cols["personal_status_and_sex"][i].split(":")[0].strip(),
            "age_in_years": int(float(cols["age_in_years"][i])),
            "foreign_worker": cols["foreign_worker"][i],
        })
    write_json(out / "test_split.json", {
        "model_sha256": model_sha,
        "note": "Test split (200 rows): x is the raw model input in feature order, pd the onnxruntime output of "
                "the committed model, bad the label (1 = bad). sex, age_in_years and foreign_worker are NOT model "
                "inputs: they are kept only to recompute the fair-lending figures. Age group: under_25 when "
                "age_in_years < 25.",
        "features": names,
        "rows": rows,
    })
    rng = np.random.default_rng(SEED + 9)
    pick = rng.choice(tr, size=500, replace=True)
    j = names.index("duration_months")
    hi = schema["features"][j]["max"]

    def csv_text(M):
        lines = [",".join(names)]
        for row in M:
            lines.append(",".join(f"{v:g}" for v in row))
        return "\n".join(lines) + "\n"

    sample = X[pick]
    shifted = sample.copy()
    shifted[:, j] = np.minimum(shifted[:, j] + 24, hi)
    write_bytes(out / "train_sample.csv", csv_text(sample).encode("utf-8"))
    write_bytes(out / "shifted_duration.csv", csv_text(shifted).encode("utf-8"))
    print(f"wrote tests/fixtures/governance/ ({len(rows)} test rows, {len(pick)} sampled training rows)")
