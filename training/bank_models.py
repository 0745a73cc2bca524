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

import csv
import json
import os
import sys

import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from bank_handmade import as_opset3_double, null_rows, synthetic_ensembles, tree_ensemble_v5

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
    reference scores the lite engine trusts for it (tests/bank_models/trust.rs)."""
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
    synthetic_ensembles(OUT, SEED)


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
