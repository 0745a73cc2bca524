"""Issue 19's benchmark model on 30 characteristics, its applicants, and onnxruntime's time.

`cargo xtask bench --only trees` runs this in training/.venv-bank (training/requirements-bank.txt):

  make DIR   writes into DIR (not committed: the model is a few MB):
             model.onnx       a 500-tree, depth-6 XGBoost (onnxmltools' default export) on the 18
                              German-credit characteristics of bank_models.py plus 12 synthetic
                              bureau-style ones, with `credit_scorer.schema` and
                              `credit_scorer.reference_scores` (onnxruntime's scores of the rows
                              that cover the schema), so the page's lite engine runs it
             inputs.bin       APPLICANTS rows of 30 float32 values, row after row
             applicants.csv   the same rows with the schema's names as header
             values.json      the first VALUES rows as { name: value } objects (score + reasons)
             ort_pd.f64       onnxruntime's P(default) of every row (float64), for agreement
             meta.json        names, counts, versions
  time DIR   onnxruntime (this venv's, CPU, intra_op_num_threads=1) on DIR's rows: session
             creation, one `run` of every row (in memory), and the same from applicants.csv
             through pandas to a CSV of PDs, each in seconds of wall-clock and of CPU time (the
             process's: on a shared machine the CPU time is the steadier figure), and one-row
             runs; one JSON line on stdout

The 12 bureau characteristics are drawn from a fixed seed for each applicant from a latent risk
that depends on the German-credit label (so they carry signal), rounded to whole numbers and
clipped to their schema ranges; the training rows have some of them missing (NaN) as bureau files
do (a thin file, no delinquency on record), the applicants none (the schema requires every value).
"""

import json
import os
import sys
import time

import numpy as np

from bank_models import (REFERENCE_KEY, SCHEMA_KEY, SEED, add_meta, coverage_rows, load,
                         ort_pd, schema_for, with_missing)

TRAIN_ROWS = 10_000
APPLICANTS = 100_000
VALUES = 1_000
TREES, DEPTH = 500, 6
# name, min, max: bureau-style characteristics, whole numbers.
BUREAU = [
    ("bureau_score", 300, 850),
    ("months_since_last_delinquency", 0, 120),
    ("open_trades", 0, 40),
    ("inquiries_last_6_months", 0, 20),
    ("revolving_utilization_pct", 0, 100),
    ("total_balance", 0, 250_000),
    ("delinquencies_last_24_months", 0, 12),
    ("oldest_trade_months", 0, 480),
    ("trades_90_days_past_due", 0, 10),
    ("debt_to_income_pct", 0, 90),
    ("credit_cards", 0, 25),
    ("collections_last_36_months", 0, 8),
]


def bureau(y, rng):
    """The 12 bureau columns for labels `y` (1 = default), from a latent risk r ~ N(0.4 y, 1)."""
    n = len(y)
    r = 0.4 * y + rng.standard_normal(n)

    def noise(scale):
        return scale * rng.standard_normal(n)

    def count(a, b):
        return rng.poisson(np.exp(a + b * r))

    cols = [
        700 - 45 * r + noise(40),
        60 - 15 * r + noise(25),
        8 - 1.5 * r + noise(4),
        count(0.3, 0.5),
        35 + 15 * r + noise(18),
        np.exp(10 + 0.25 * r + noise(0.9)),
        count(-1.2, 0.8),
        150 - 35 * r + noise(70),
        count(-2.0, 0.9),
        30 + 7 * r + noise(10),
        4 - 0.5 * r + noise(2.5),
        count(-2.2, 0.8),
    ]
    out = np.zeros((n, len(BUREAU)), dtype=np.float32)
    for j, ((_, lo, hi), c) in enumerate(zip(BUREAU, cols)):
        out[:, j] = np.clip(np.round(c), lo, hi)
    return out


def bureau_missing(B, rng):
    """Training rows' gaps: 5% of each bureau value (a thin file), and no delinquency on record
    for most applicants without one."""
    B = B.copy()
    B[rng.random(B.shape) < 0.05] = np.nan
    never = (B[:, 6] == 0) & (rng.random(len(B)) < 0.8)
    B[never, 1] = np.nan
    return B


def rows(X, y, n, rng):
    """`n` synthetic applicants and their labels: a label drawn with the German-credit default
    rate, each German-credit characteristic taken from a random applicant with that label (so
    no row repeats one of the 1,000, which a 500-tree model would learn by heart), and the
    bureau columns."""
    labels = y[rng.integers(0, len(y), size=n)]
    out = np.zeros((n, X.shape[1]), dtype=np.float32)
    for label in (0, 1):
        at = np.flatnonzero(labels == label)
        pool = np.flatnonzero(y == label)
        for j in range(X.shape[1]):
            out[at, j] = X[rng.choice(pool, size=len(at)), j]
    return np.hstack([out, bureau(labels, rng)]).astype(np.float32), labels


def make(out):
    import onnx
    import onnxruntime as ort
    import xgboost
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType as MLFloat

    os.makedirs(out, exist_ok=True)
    _, features, X, y = load()
    features = features + [{"name": name, "kind": "numeric", "min": float(lo), "max": float(hi),
                            "step": 1} for name, lo, hi in BUREAU]
    k = len(features)
    rng = np.random.default_rng(SEED + 30)
    train, labels = rows(X, y, TRAIN_ROWS, rng)
    german = with_missing(train[:, : X.shape[1]], features[: X.shape[1]], rng)
    train_m = np.hstack([german, bureau_missing(train[:, X.shape[1]:], rng)])
    xgb = xgboost.XGBClassifier(n_estimators=TREES, max_depth=DEPTH, learning_rate=0.05,
                                random_state=SEED, n_jobs=1)
    xgb.fit(train_m, labels)
    model = convert_xgboost(xgb, initial_types=[("x", MLFloat([None, k]))])
    model.graph.name = "bench30"
    plain = model.SerializeToString()
    # The baseline applicant: each characteristic's training median (a categorical's mode).
    baseline = np.array([np.median(train[:, j]) if f["kind"] == "numeric"
                         else float(np.bincount(train[:, j].astype(int)).argmax())
                         for j, f in enumerate(features)], dtype=np.float32)
    ref_rows = coverage_rows(features, baseline)
    out_name, ref_pd = ort_pd(plain, ref_rows, 1)
    add_meta(model, SCHEMA_KEY, schema_for(f"xgboost-{TREES}x{DEPTH}-30", features, baseline,
                                           out_name))
    add_meta(model, REFERENCE_KEY, {"runtime": f"onnxruntime {ort.__version__}",
                                    "rows": ref_rows.tolist(), "pd": [float(p) for p in ref_pd]})
    onnx.save(model, os.path.join(out, "model.onnx"))

    applicants, _ = rows(X, y, APPLICANTS, np.random.default_rng(SEED + 31))
    applicants.tofile(os.path.join(out, "inputs.bin"))
    names = [f["name"] for f in features]
    with open(os.path.join(out, "applicants.csv"), "w") as f:
        f.write(",".join(names) + "\n")
        for r in applicants:
            f.write(",".join(str(int(v)) for v in r) + "\n")
    with open(os.path.join(out, "values.json"), "w") as f:
        json.dump([{n: int(v) for n, v in zip(names, r)} for r in applicants[:VALUES]], f,
                  separators=(",", ":"))
    _, pd = ort_pd(plain, applicants, 1)
    pd.astype(np.float64).tofile(os.path.join(out, "ort_pd.f64"))
    tree = next(n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier")
    nodes = len(next(a for a in tree.attribute if a.name == "nodes_nodeids").ints)
    meta = {"k": k, "rows": APPLICANTS, "features": names, "trees": TREES, "depth": DEPTH,
            "nodes": nodes, "train_rows": TRAIN_ROWS, "pd_output": out_name,
            "onnxruntime": ort.__version__, "xgboost": xgboost.__version__,
            "model_bytes": os.path.getsize(os.path.join(out, "model.onnx"))}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{out}/model.onnx: {meta['model_bytes']:,} bytes, {nodes:,} nodes, "
          f"{APPLICANTS:,} applicants, pd[0..3]={pd[:3]}")


def timed(out):
    import onnxruntime as ort
    import pandas as pd_

    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    k, n = meta["k"], meta["rows"]
    X = np.fromfile(os.path.join(out, "inputs.bin"), dtype=np.float32).reshape(n, k)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    t = time.perf_counter()
    sess = ort.InferenceSession(os.path.join(out, "model.onnx"), opts,
                                providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - t
    name, output = sess.get_inputs()[0].name, meta["pd_output"]
    sess.run([output], {name: X[:100]})
    t, c = time.perf_counter(), time.process_time()
    got = sess.run([output], {name: X})[0]
    run_s, run_cpu_s = time.perf_counter() - t, time.process_time() - c
    want = np.fromfile(os.path.join(out, "ort_pd.f64"))
    if np.max(np.abs(got[:, 1] - want)) > 1e-6:
        sys.exit("onnxruntime's PDs differ from the ones recorded with the model")
    single = []
    for i in range(1_000):
        t = time.perf_counter()
        sess.run([output], {name: X[i: i + 1]})
        single.append(time.perf_counter() - t)
    t, c = time.perf_counter(), time.process_time()
    frame = pd_.read_csv(os.path.join(out, "applicants.csv"), dtype=np.float32)
    probs = sess.run([output], {name: frame.to_numpy(dtype=np.float32)})[0]
    pd_.DataFrame({"pd": probs[:, 1]}).to_csv(os.path.join(out, "ort-scored.csv"), index=False)
    csv_s, csv_cpu_s = time.perf_counter() - t, time.process_time() - c
    print(json.dumps({"runtime": f"onnxruntime {ort.__version__}", "rows": n, "load_s": load_s,
                      "run_s": run_s, "run_cpu_s": run_cpu_s, "csv_s": csv_s,
                      "csv_cpu_s": csv_cpu_s,
                      "single_median_us": float(np.median(single) * 1e6),
                      "single_p95_us": float(np.percentile(single, 95) * 1e6)}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "time":
        timed(sys.argv[2])
    else:
        sys.exit(__doc__)
