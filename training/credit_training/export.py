"""The ONNX export: the reference graph (binning, WoE and the network), model assembly with its
metadata, the schema embedded in it, and onnxruntime sessions to check it."""

import sys

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from .binning import numeric_baseline
from .config import BANDS, IR_VERSION, MODEL_NAME, OPSET, PRODUCER, RECOURSE, SCALING, VERSION, L
from .metrics import r4


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


def build_schema(specs, enc, X_all, card):
    unused = set(RECOURSE) - {s["name"] for s in specs}
    if unused:
        sys.exit(f"RECOURSE names characteristics the model does not use: {sorted(unused)}")
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
        recourse = RECOURSE.get(s["name"])
        if recourse is not None:
            f["actionable"] = True
            f["direction"] = recourse["direction"]
            if "recourse_step" in recourse:
                f["recourse_step"] = recourse["recourse_step"]
            if "targets" in recourse:
                values = [v for v, _ in s["categories"]]
                missing = [t for t in recourse["targets"] if t not in values]
                if missing:
                    sys.exit(f"RECOURSE targets of {s['name']} are not among its categories: {missing}")
                f["recourse_targets"] = [values.index(t) for t in recourse["targets"]]
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
