"""Broken and hostile models the loader must refuse, with their manifest."""

import json

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from .config import BANDS, DATA, FIXTURES, SCALING, SCHEMA_KEY, SEED, L
from .export import finish_model, t
from .files import write_bytes, write_json
from .fixtures import seeded_weights


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
    g = logistic(inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [0, 4])])
    put("zero_batch.onnx", finish_model(g), "input declared [0, 4]: a batch dimension fixed to 0, so no applicant can ever be scored")
    memory_bombs(put)
    write_json(out / "manifest.json", manifest)
    return manifest


def memory_bombs(put):
    """Tiny graphs that grow a tensor past any memory by shape alone (issue 21, item 1): refused
    from tract's shape inference for a batch of 1,024 rows (src/engine/tract.rs), never run."""
    axes = t("axes", [1], np.int64)

    def squash(top, nodes, inits, name, axes_input=True):
        """`nodes` make `top` [N, wide]; its row sum's sigmoid is the probability (`axes_input`:
        ReduceSum's axes as an input, opset 13 on, else as an attribute)."""
        reduce = (helper.make_node("ReduceSum", [top, "axes"], ["s"], keepdims=1) if axes_input
                  else helper.make_node("ReduceSum", [top], ["s"], keepdims=1, axes=[1]))
        return helper.make_graph(
            nodes + [reduce, helper.make_node("Sigmoid", ["s"], ["pd"])],
            name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
            [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])],
            ([axes] if axes_input else []) + inits,
        )

    g = squash("p", [helper.make_node("Pad", ["x", "pads"], ["p"])],
               [t("pads", [0, 0, 0, 400_000_000], np.int64)], "pad_bomb")
    put("pad_bomb.onnx", finish_model(g), "Pad widens the input [N,4] by 400 million columns (1.6 GB a row; tract aborted the process)")
    nodes = [helper.make_node("Concat", ["x", "x"], ["c1"], axis=1)]
    nodes += [helper.make_node("Concat", [f"c{i}", f"c{i}"], [f"c{i + 1}"], axis=1) for i in range(1, 22)]
    put("concat_bomb.onnx", finish_model(squash("c22", nodes, [], "concat_bomb")),
        "Concat doubles the input's width 22 times: [N, 16777216] (64 MiB a row; accepted before, 2.5 GB for one row)")
    g = squash("r", [helper.make_node("Resize", ["x", "", "scales"], ["r"], mode="nearest")],
               [t("scales", [1.0, 1.0e8])], "resize_bomb")
    put("resize_bomb.onnx", finish_model(g), "Resize scales the input's width by 1e8: [N, 400000000]")
    g = squash("u", [helper.make_node("Upsample", ["x", "scales"], ["u"], mode="nearest")],
               [t("scales", [1.0, 1.0e8])], "upsample_bomb", axes_input=False)
    put("upsample_bomb.onnx", finish_model(g, opset=9), "Upsample (opset 9) scales the input's width by 1e8: [N, 400000000] (tract has no Upsample: refused as unsupported before any size is computed)")
    # A constant padded: tract evaluates nodes of constants while reading the model, before any
    # size check of its own (it aborted asking for 1.6 GB).
    nodes = [
        helper.make_node("Pad", ["c", "pads"], ["p"]),
        helper.make_node("ReduceSum", ["p", "axes"], ["ps"], keepdims=1),
        helper.make_node("MatMul", ["x", "w"], ["z0"]),
        helper.make_node("Add", ["z0", "ps"], ["s"]),
        helper.make_node("Sigmoid", ["s"], ["pd"]),
    ]
    g = helper.make_graph(
        nodes, "pad_constant_bomb",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("pd", TensorProto.FLOAT, ["N", 1])],
        [axes, t("c", [[0.0]]), t("pads", [0, 0, 0, 400_000_000], np.int64), t("w", np.ones((4, 1)))],
    )
    put("pad_constant_bomb.onnx", finish_model(g),
        "Pad widens a [1,1] constant by 400 million columns (tract folds constants while reading the model: it aborted asking for 1.6 GB)")
    # 24 MatMuls [N,4096] x [4096,4096]: each 16 MiB for 1,024 rows, 448 MiB together.
    nodes = [
        helper.make_node("MatMul", ["x", "w0"], ["h0"]),
        helper.make_node("Expand", ["one", "square"], ["w"]),
    ]
    nodes += [helper.make_node("MatMul", [f"h{i}", "w"], [f"h{i + 1}"]) for i in range(24)]
    inits = [t("w0", np.full((4, 4096), 1e-4)), t("one", [[1e-4]]), t("square", [4096, 4096], np.int64)]
    put("matmul_chain.onnx", finish_model(squash("h24", nodes, inits, "matmul_chain")),
        "24 MatMuls of [N,4096] by a [4096,4096] weight (expanded from one value): 16 MiB each for 1,024 rows, 448 MiB together")
