"""A 40-characteristic model for the wide-form tests (issue 19 item 4), with a grouped schema.

The 17 German credit characteristics the reference model may use (training/credit_training/
config.py: age, sex and marital status, foreign-worker status left out) plus 23 synthetic
credit-bureau and income characteristics drawn from the label with noise, a
`Pipeline(StandardScaler, LogisticRegression)` exported by skl2onnx with its default options
(`Scaler`, `LinearClassifier`, `Normalizer`, `ZipMap`), and a schema whose features sit in five
`groups` (labels in English and Chinese). Writes to tests/fixtures/wide/:
  wide40.onnx   the model with `credit_scorer.schema` and `credit_scorer.reference_scores`
                (the baseline, every feature at both range ends or every code; scored by
                onnxruntime), so the page's lite engine runs it
  wide40.json   the applicant the browser tests type in (raw values by feature name), its
                onnxruntime P(default), and 50 test rows with theirs

Run: python3 -m venv training/.venv-wide && training/.venv-wide/bin/pip install -r
training/requirements-wide.txt && training/.venv-wide/bin/python training/wide_model.py
"""

import json
import os
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "training"))
from credit_training.config import CHARACTERISTICS  # noqa: E402
from bank_models import coverage_rows  # noqa: E402  (numpy, onnx and onnxruntime only)

DATA = os.path.join(ROOT, "training", "data", "germancredit.csv")
OUT = os.path.join(ROOT, "tests", "fixtures", "wide")
SEED = 40
SCHEMA_KEY = "credit_scorer.schema"
REFERENCE_KEY = "credit_scorer.reference_scores"


def L(en, zh):
    return {"en": en, "zh": zh}


GROUPS = [
    {"id": "applicant", "label": L("Personal details", "个人情况")},
    {"id": "loan", "label": L("Loan", "贷款")},
    {"id": "employment", "label": L("Employment and income", "就业与收入")},
    {"id": "accounts", "label": L("Accounts at this bank", "本行账户")},
    {"id": "bureau", "label": L("Credit bureau report", "征信报告")},
]

# The German characteristics: group, and texts where config.py has none (the reference model
# does not use them, so it writes none).
GERMAN = {
    "checking_status": ("accounts", None),
    "duration_months": ("loan", None),
    "credit_history": ("accounts", None),
    "purpose": ("loan", None),
    "credit_amount": ("loan", None),
    "savings": ("accounts", None),
    "employment_since": ("employment", None),
    "installment_rate": ("loan", (L("Instalment rate", "分期付款占比"), L("%", "%"),
                                  L("Instalment as a share of disposable income (1 = under 20 %, "
                                    "4 = 35 % or more)", "分期付款占可支配收入的比例（1 = 20% 以下，"
                                    "4 = 35% 及以上）"))),
    "other_debtors": ("loan", (L("Other debtors or guarantors", "其他债务人或担保人"), None, None)),
    "residence_since": ("applicant", (L("Present residence since", "现住址居住年限"),
                                      L("years", "年"), None)),
    "property": ("applicant", None),
    "other_installment_plans": ("accounts", None),
    "housing": ("applicant", None),
    "existing_credits": ("accounts", (L("Credits at this bank", "本行现有贷款笔数"), None, None)),
    "job": ("employment", (L("Job", "职业"), None, None)),
    "dependants": ("applicant", (L("Dependants", "受抚养人数"), L("people", "人"), None)),
    "telephone": ("applicant", (L("Telephone", "电话"), None, None)),
}
CATEGORY_TEXTS = {
    "other_debtors": [L("None", "无"), L("Co-applicant", "共同申请人"), L("Guarantor", "担保人")],
    "job": [L("Unskilled, non-resident", "非技术工人（非本地居民）"),
            L("Unskilled, resident", "非技术工人（本地居民）"),
            L("Skilled employee or official", "技术员工或公务员"),
            L("Management, self-employed or highly qualified", "管理层、自雇或高级专业人员")],
    "telephone": [L("None", "无"), L("Yes, in the applicant's name", "有，登记在申请人名下")],
}

# Synthetic characteristics: (name, group, label, unit, min, max, risk slope, noise, categories).
# Each is drawn as `centre + slope · z + noise`, with z = the label plus noise, then rounded and
# clipped; a categorical one bins that value into its codes.
SYNTHETIC = [
    ("bureau_score", "bureau", L("Bureau score", "征信评分"), L("points", "分"), 300, 900, -60, 60, None),
    ("bureau_file", "bureau", L("Bureau file depth", "征信档案厚度"), None, 0, 2, -0.4, 0.7,
     [L("Thin (under 3 accounts)", "薄（少于 3 个账户）"), L("Standard", "一般"),
      L("Thick (10 accounts or more)", "厚（10 个账户及以上）")]),
    ("open_accounts", "bureau", L("Open accounts", "未结清账户数"), None, 0, 40, 2, 4, None),
    ("open_revolving", "bureau", L("Open revolving accounts", "未结清循环账户数"), None, 0, 20, 1.5, 3, None),
    ("inquiries_6m", "bureau", L("Inquiries in the last 6 months", "近 6 个月查询次数"), None, 0, 20, 1.5, 1.5, None),
    ("inquiries_12m", "bureau", L("Inquiries in the last 12 months", "近 12 个月查询次数"), None, 0, 30, 2, 2.5, None),
    ("delinquencies_24m", "bureau", L("Delinquencies in the last 24 months", "近 24 个月逾期次数"), None, 0, 15, 1.2, 1.2, None),
    ("months_since_delinquency", "bureau", L("Months since the last delinquency", "距上次逾期月数"),
     L("months", "个月"), 0, 120, -25, 30, None),
    ("worst_status_12m", "bureau", L("Worst payment status, last 12 months", "近 12 个月最差还款状态"),
     None, 0, 3, 0.8, 0.8,
     [L("Always current", "一直正常"), L("30 days late", "逾期 30 天"), L("60 days late", "逾期 60 天"),
      L("90 days late or more", "逾期 90 天及以上")]),
    ("public_records", "bureau", L("Public records", "公共记录数"), None, 0, 5, 0.6, 0.6, None),
    ("collections", "bureau", L("Accounts in collection", "催收账户数"), None, 0, 10, 0.8, 0.8, None),
    ("oldest_account_months", "bureau", L("Age of the oldest account", "最早账户账龄"),
     L("months", "个月"), 0, 600, -60, 80, None),
    ("newest_account_months", "bureau", L("Age of the newest account", "最新账户账龄"),
     L("months", "个月"), 0, 240, -8, 12, None),
    ("revolving_utilization", "bureau", L("Revolving utilization", "循环额度使用率"), L("%", "%"),
     0, 150, 20, 20, None),
    ("total_balance", "bureau", L("Total balance owed", "欠款总额"), L("EUR", "欧元"), 0, 500000, 20000, 30000, None),
    ("monthly_income", "employment", L("Monthly net income", "月净收入"), L("EUR", "欧元"), 0, 50000, -600, 900, None),
    ("income_verified", "employment", L("Income verification", "收入核实"), None, 0, 2, 0.5, 0.7,
     [L("Verified with documents", "已凭文件核实"), L("Stated, not verified", "自报，未核实"),
      L("Not given", "未提供")]),
    ("other_monthly_debt", "employment", L("Other monthly debt payments", "其他月还款额"), L("EUR", "欧元"),
     0, 20000, 250, 400, None),
    ("debt_to_income", "employment", L("Debt-to-income ratio", "负债收入比"), L("%", "%"), 0, 100, 8, 10, None),
    ("housing_cost", "employment", L("Monthly rent or mortgage", "月租金或房贷"), L("EUR", "欧元"), 0, 10000, 150, 300, None),
    ("employer_months", "employment", L("Months with the current employer", "现雇主任职月数"),
     L("months", "个月"), 0, 600, -25, 50, None),
    ("months_as_customer", "accounts", L("Months as a customer", "成为本行客户月数"), L("months", "个月"),
     0, 600, -20, 60, None),
    ("overdrafts_12m", "accounts", L("Overdrafts in the last 12 months", "近 12 个月透支次数"), None,
     0, 24, 1.5, 1.8, None),
]
CENTRES = {"bureau_score": 680, "bureau_file": 1, "open_accounts": 8, "open_revolving": 4,
           "inquiries_6m": 1, "inquiries_12m": 2, "delinquencies_24m": 0.3,
           "months_since_delinquency": 70, "worst_status_12m": 0.2, "public_records": 0.1,
           "collections": 0.2, "oldest_account_months": 160, "newest_account_months": 20,
           "revolving_utilization": 35, "total_balance": 40000, "monthly_income": 2800,
           "income_verified": 0.6, "other_monthly_debt": 300, "debt_to_income": 25,
           "housing_cost": 800, "employer_months": 70, "months_as_customer": 80,
           "overdrafts_12m": 0.8}


def german():
    """The 17 characteristics as schema features (without baseline) and their columns."""
    import csv
    with open(DATA, newline="") as f:
        rows = list(csv.DictReader(f))
    y = np.array([1 if r["creditability"] == "bad" else 0 for r in rows], dtype=np.int64)
    features, cols = [], []
    for c in CHARACTERISTICS:
        name = c["name"]
        group, texts = GERMAN[name]
        raw = [r[c["source_column"]] for r in rows]
        f = {"name": name, "source_column": c["source_column"], "group": group, "kind": c["kind"]}
        if texts:
            label, unit, help_ = texts
        else:
            label, unit, help_ = c["label"], c.get("unit"), c.get("help")
        f["label"] = label
        f["reason"] = c.get("reason", label)
        if help_:
            f["help"] = help_
        if c["kind"] == "numeric":
            nums = [float(v) for v in raw]
            f.update({"min": min(nums), "max": max(nums), "step": c.get("step", 1)})
            if unit:
                f["unit"] = unit
            cols.append(np.array(nums))
        else:
            values = [v for v, _ in c["categories"]]
            texts_ = CATEGORY_TEXTS.get(name) or [t for _, t in c["categories"]]
            f["categories"] = [{"code": i, "value": v, "label": t}
                               for i, (v, t) in enumerate(zip(values, texts_))]
            cols.append(np.array([float(values.index(v)) for v in raw]))
        features.append(f)
    return features, np.stack(cols, axis=1), y


def synthetic(y, rng):
    features, cols = [], []
    z = y + rng.normal(0, 0.8, len(y))
    for name, group, label, unit, lo, hi, slope, noise, cats in SYNTHETIC:
        v = CENTRES[name] + slope * z + rng.normal(0, noise, len(y))
        v = np.clip(np.round(v), lo, hi)
        f = {"name": name, "group": group, "kind": "categorical" if cats else "numeric",
             "label": label, "reason": label}
        if cats:
            f["categories"] = [{"code": i, "label": t} for i, t in enumerate(cats)]
        else:
            f.update({"min": float(lo), "max": float(hi), "step": 1})
            if unit:
                f["unit"] = unit
        features.append(f)
        cols.append(v)
    return features, np.stack(cols, axis=1)


def ort_pd(model_bytes, X):
    """onnxruntime's P(default = 1) from the ZipMap output."""
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    got = sess.run(["output_probability"], {sess.get_inputs()[0].name: X})[0]
    return np.array([m[1] for m in got], dtype=np.float64)


def add_meta(model, key, value):
    e = model.metadata_props.add()
    e.key = key
    e.value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def main():
    warnings.filterwarnings("ignore")
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(SEED)
    gf, gx, y = german()
    sf, sx = synthetic(y, rng)
    features = gf + sf
    X = np.concatenate([gx, sx], axis=1).astype(np.float32)
    assert X.shape[1] == 40, X.shape
    order = rng.permutation(len(X))
    te, tr = order[:50], order[50:]
    pipe = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=5000))])
    pipe.fit(X[tr], y[tr])
    model = to_onnx(pipe, X[:1], target_opset={"": 17, "ai.onnx.ml": 3})
    # Reruns must be byte-identical: skl2onnx names the graph with a random UUID and lists opsets
    # in set order.
    model.graph.name = "wide40"
    opsets = sorted((o.domain, o.version) for o in model.opset_import)
    del model.opset_import[:]
    model.opset_import.extend(helper.make_opsetid(d, v) for d, v in opsets)
    plain = model.SerializeToString()

    # Baseline: the most favourable value of each characteristic (the model is linear in each).
    coef = pipe.named_steps["lr"].coef_[0] / pipe.named_steps["scale"].scale_
    baseline = []
    for f, w in zip(features, coef):
        ends = ([c["code"] for c in f["categories"]] if f["kind"] == "categorical"
                else [f["min"], f["max"]])
        baseline.append(float(min(ends, key=lambda v: w * v)))
        f["baseline"] = baseline[-1]
    schema = {
        "schema_version": 1,
        "model": {"name": "Wide test scorecard (40 characteristics)", "version": "1.0.0"},
        "output": {"pd": "output_probability", "meaning": L(
            "Probability that the applicant defaults", "申请人违约的概率")},
        "features": features,
        "groups": GROUPS,
        "model_card": {"dataset": "German credit (Statlog) with 23 synthetic bureau and income "
                       "characteristics", "note": "test fixture for wide forms, issue 19 item 4"},
    }
    ref_rows = coverage_rows(features, baseline)
    labelled = onnx.load_from_string(plain)
    add_meta(labelled, SCHEMA_KEY, schema)
    add_meta(labelled, REFERENCE_KEY, {"runtime": f"onnxruntime {ort.__version__}",
                                       "rows": ref_rows.tolist(),
                                       "pd": [float(p) for p in ort_pd(plain, ref_rows)]})
    os.makedirs(OUT, exist_ok=True)
    onnx.save(labelled, os.path.join(OUT, "wide40.onnx"))

    # The applicant the browser tests fill in: the first test row whose PD is between 10 % and
    # 90 % (so reasons and band are not at an end).
    pd_test = ort_pd(plain, X[te])
    i = next(i for i, p in enumerate(pd_test) if 0.1 < p < 0.9)
    applicant = {f["name"]: int(v) for f, v in zip(features, X[te][i])}
    fixture = {
        "model": "wide40.onnx", "runtime": f"onnxruntime {ort.__version__}",
        "applicant": applicant, "applicant_pd": round(float(pd_test[i]), 9),
        "rows": X[te].tolist(), "pd": [round(float(p), 9) for p in pd_test],
    }
    with open(os.path.join(OUT, "wide40.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    print(f"wide40.onnx: {os.path.getsize(os.path.join(OUT, 'wide40.onnx'))} bytes, "
          f"applicant pd {pd_test[i]:.6f}, test AUC-free sanity: mean pd {pd_test.mean():.3f}")


if __name__ == "__main__":
    main()
