"""The model card's figures: discrimination with bootstrap intervals, cross-validation, bands,
calibration, the score distribution and the fair-lending check."""

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import RepeatedStratifiedKFold

from .config import BANDS, N_BOOT, SCALING, SEED
from .scorecard import approval_max_pd, band_of, points_of


def r4(v):
    return None if v is None else float(round(float(v), 4))


def ks_stat(y, p):
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def point_metrics(y, p):
    auc = roc_auc_score(y, p)
    return {"auc": auc, "ks": ks_stat(y, p), "gini": 2 * auc - 1, "brier": float(np.mean((p - y) ** 2))}


def metrics_with_ci(y, p, seed):
    point = point_metrics(y, p)
    rng = np.random.default_rng(seed)
    boots = {k: [] for k in point}
    n = len(y)
    for _ in range(N_BOOT):
        idx = rng.integers(0, n, n)
        if y[idx].min() == y[idx].max():
            continue
        for k, v in point_metrics(y[idx], p[idx]).items():
            boots[k].append(v)
    return {
        k: {"value": r4(point[k]), "ci95": [r4(np.percentile(boots[k], 2.5)), r4(np.percentile(boots[k], 97.5))]}
        for k in point
    }


def cv_auc(factory, X, y):
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=5, random_state=SEED)
    aucs = []
    for tr, te in cv.split(X, y):
        m = factory().fit(X[tr], y[tr])
        aucs.append(roc_auc_score(y[te], m.predict_proba(X[te])[:, 1]))
    return {"mean": r4(np.mean(aucs)), "sd": r4(np.std(aucs, ddof=1)), "folds": 25}


def band_table(y, p):
    ids = np.array([band_of(v) for v in p])
    table = []
    for b in BANDS:
        sel = ids == b["id"]
        n = int(sel.sum())
        table.append(
            {
                "band": b["id"],
                "max_pd": b["max_pd"],
                "count": n,
                "share": r4(n / len(y)),
                "bads": int(y[sel].sum()),
                "observed_bad_rate": r4(y[sel].mean()) if n else None,
                "mean_pd": r4(p[sel].mean()) if n else None,
            }
        )
    return table


def calibration_table(y, p):
    order = np.argsort(p, kind="stable")
    rows = []
    for d, idx in enumerate(np.array_split(order, 10)):
        rows.append(
            {
                "decile": d + 1,
                "count": int(len(idx)),
                "min_pd": r4(p[idx].min()),
                "max_pd": r4(p[idx].max()),
                "mean_pd": r4(p[idx].mean()),
                "observed_bad_rate": r4(y[idx].mean()),
            }
        )
    return rows


def score_histogram(y, p):
    pts = points_of(p)
    edges = list(range(SCALING["min_points"], SCALING["max_points"] + 20, 20))
    if edges[-1] < SCALING["max_points"]:
        edges.append(edges[-1] + 20)
    # the last bin is closed so that max_points falls in it
    good = np.histogram(pts[y == 0], bins=edges)[0]
    bad = np.histogram(pts[y == 1], bins=edges)[0]
    return {"edges": edges, "good": [int(v) for v in good], "bad": [int(v) for v in bad]}


def fair_lending(cols, y, p, rows):
    cut = approval_max_pd()
    approved = p <= cut
    sex = np.array([cols["personal_status_and_sex"][i].split(":")[0].strip() for i in rows])
    age = np.array(["under_25" if float(cols["age_in_years"][i]) < 25 else "25_and_over" for i in rows])
    foreign = np.array([cols["foreign_worker"][i] for i in rows])
    out = {}
    for attr, values, order in (
        ("sex", sex, ["female", "male"]),
        ("age", age, ["under_25", "25_and_over"]),
        ("foreign_worker", foreign, ["yes", "no"]),
    ):
        groups = []
        for g in order:
            sel = values == g
            n = int(sel.sum())
            auc = roc_auc_score(y[sel], p[sel]) if n and y[sel].min() != y[sel].max() else None
            groups.append(
                {
                    "group": g,
                    "count": n,
                    "bads": int(y[sel].sum()),
                    "observed_bad_rate": r4(y[sel].mean()) if n else None,
                    "approved": int(approved[sel].sum()),
                    "approval_rate": r4(approved[sel].mean()) if n else None,
                    "auc": r4(auc),
                }
            )
        rates = [approved[values == g["group"]].mean() for g in groups if g["count"]]
        air = min(rates) / max(rates) if max(rates) > 0 else None
        present = [g for g in groups if g["count"]]
        low = min(present, key=lambda g: approved[values == g["group"]].mean())["group"]
        out[attr] = {"groups": groups, "adverse_impact_ratio": r4(air), "four_fifths_ok": bool(air is not None and air >= 0.8),
                     "lowest_approval_group": low}
    return out
