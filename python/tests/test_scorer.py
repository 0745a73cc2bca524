"""The Python package against onnxruntime's golden values, the hostile-model corpus, bad rows
and the CLI's output."""

from __future__ import annotations

import json
import math
import re
import subprocess
import threading
import time

import numpy as np
import pyarrow as pa
import pytest

from conftest import ROOT, REFERENCE_MODEL
from cli_output import mismatches, read_cli_csv
from credit_scorer import OUTPUT_COLUMNS, CreditScorerError, Scorer


def points_of(schema: dict, logit: float) -> float:
    """Scorecard points from a logit, from the scaling's definition (docs/SCHEMA.md)."""
    s = schema["scaling"]
    factor = s["pdo"] / math.log(2)
    offset = s["base_points"] - factor * math.log(s["base_odds"])
    return min(max(offset - factor * logit, s["min_points"]), s["max_points"])


def shown_pd(pd: float) -> float:
    """The PD rounded to 0.01 percentage point (half up), as bands compare it (docs/SCHEMA.md)."""
    return math.floor(pd / 1e-4 + 0.5) * 1e-4


def band_of(schema: dict, pd: float) -> str:
    for band in schema["bands"]:
        if shown_pd(pd) <= shown_pd(band["max_pd"]):
            return band["id"]
    return schema["bands"][-1]["id"]


def near_band_edge(schema: dict, pd: float) -> bool:
    """Within 1e-5 of where the rounded PD crosses a cut-off (engines may differ that much)."""
    return any(abs(pd - (b["max_pd"] + 5e-5)) < 1e-5 for b in schema["bands"])


def golden_batch(golden: dict) -> pa.RecordBatch:
    xs = np.array([r["x"] for r in golden["rows"]], dtype=np.float64)
    return pa.RecordBatch.from_arrays(
        [pa.array([r["id"] for r in golden["rows"]])]
        + [pa.array(xs[:, j]) for j in range(xs.shape[1])],
        names=["id", *golden["features"]],
    )


def test_assess_matches_onnxruntime(scorer, golden):
    schema = scorer.schema
    assert [f["name"] for f in schema["features"]] == golden["features"]
    for row in golden["rows"]:
        a = scorer.assess(dict(zip(golden["features"], row["x"])))
        assert a["pd"] == pytest.approx(row["pd"], abs=1e-5), row["id"]
        assert a["points"] == pytest.approx(points_of(schema, row["logit"]), abs=1e-3), row["id"]
        if not near_band_edge(schema, row["pd"]):
            assert a["band"]["id"] == band_of(schema, row["pd"]), row["id"]
        assert len(a["contributions"]) == len(golden["features"])
        # Exact Shapley values: they add up to the points against the baseline applicant.
        total = sum(c["contribution"] for c in a["contributions"])
        assert total == pytest.approx(a["points_unclamped"] - a["baseline_points"], abs=1e-6)
        assert len(a["reasons"]) <= 4
        assert all(c["contribution"] < 0 for c in a["reasons"])


def test_score_arrow_matches_onnxruntime(scorer, golden):
    """PD, points, band and reasons of every golden row; the reasons are the four most negative
    exact Shapley values against the baseline, recomputed here by brute force over all 2^k
    coalitions with onnxruntime."""
    import onnxruntime as ort

    schema = scorer.schema
    out = scorer.score_arrow(golden_batch(golden)).to_pydict()
    assert out["error"] == [None] * len(golden["rows"])

    session = ort.InferenceSession(str(REFERENCE_MODEL), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = np.array([r["x"] for r in golden["rows"]], dtype=np.float32)
    baseline = np.array(golden["baseline"], dtype=np.float32)
    k = x.shape[1]
    masks = np.arange(1 << k)
    bits = (masks[:, None] >> np.arange(k)) & 1
    size = bits.sum(axis=1)
    weight = np.array(
        [math.factorial(s) * math.factorial(k - 1 - s) / math.factorial(k) for s in range(k)]
    )

    def logits(rows):
        pd = ort_pd(session, name, rows).astype(np.float64)
        return np.log(pd / (1 - pd))

    def shapley(row):
        v = logits(np.where(bits == 1, row, baseline).astype(np.float32))
        phi = []
        for j in range(k):
            without = masks[bits[:, j] == 0]
            phi.append(np.sum(weight[size[without]] * (v[without | (1 << j)] - v[without])))
        return phi

    factor = schema["scaling"]["pdo"] / math.log(2)
    checked_reasons = 0
    for i, row in enumerate(golden["rows"]):
        assert out["pd"][i] == pytest.approx(row["pd"], abs=1e-5), row["id"]
        # The printed points: one decimal of the exact value.
        assert abs(out["points"][i] - points_of(schema, row["logit"])) <= 0.05 + 1e-3, row["id"]
        assert out["points"][i] == round(out["points"][i], 1)
        if not near_band_edge(schema, row["pd"]):
            assert out["band"][i] == band_of(schema, row["pd"]), row["id"]
        costs = sorted(
            (-factor * phi, golden["features"][j])
            for j, phi in enumerate(shapley(x[i]))
            if -factor * phi < 0
        )
        want = [f for _, f in costs[:4]]
        got = [out[f"reason_{n}"][i] for n in range(1, 5)]
        got = [g for g in got if g is not None]
        # Near ties (1e-3 points) may order either way between two runtimes.
        tied = any(abs(a[0] - b[0]) < 1e-3 for a, b in zip(costs, costs[1:5]))
        if not tied:
            assert got == want, row["id"]
            checked_reasons += 1
    assert checked_reasons > len(golden["rows"]) / 2


def ort_pd(session, name, rows: np.ndarray) -> np.ndarray:
    outputs = session.run(None, {name: rows})
    for o in outputs:
        o = np.asarray(o)
        if o.ndim == 2 and o.shape[1] == 2:
            return o[:, 1]
        if o.ndim == 2 and o.shape[1] == 1 or o.ndim == 1:
            return o.reshape(-1)
    raise AssertionError(f"no probability output in {[np.shape(o) for o in outputs]}")


@pytest.mark.parametrize("name", ["logreg", "gbm", "mlp_dynamic", "symmetric", "ignore_feature"])
def test_foreign_models_match_onnxruntime(name):
    """Models exported by skl2onnx and others, with their onnxruntime golden PDs."""
    base = ROOT / "tests" / "fixtures" / "models"
    expected = json.loads((base / f"{name}.json").read_text())
    if expected.get("expect", "load") != "load":
        pytest.skip(f"{name} is expected to be refused")
    scorer = Scorer((base / f"{name}.onnx").read_bytes())
    features = scorer.feature_names
    rows = [r["x"] for r in expected["rows"]]
    batch = pa.RecordBatch.from_arrays(
        [pa.array([float(r[j]) for r in rows]) for j in range(len(features))], names=features
    )
    out = scorer.score_arrow(batch, reasons=False).to_pydict()
    for i, r in enumerate(expected["rows"]):
        assert out["pd"][i] == pytest.approx(r["pd"], abs=1e-5), (name, i)


def hostile_kinds() -> dict[str, str]:
    """`expected_kind` of tests/hostile_models.rs, read from the Rust test, so both suites hold
    each file to the same kind."""
    source = (ROOT / "tests" / "hostile_models.rs").read_text()
    body = source[source.index("fn expected_kind") :]
    body = body[: body.index("\n}\n")]
    snake = lambda kind: re.sub(r"(?<!^)([A-Z])", r"_\1", kind).lower()  # noqa: E731
    kinds: dict[str, str] = {}
    for names, kind in re.findall(r"((?:\"[a-z0-9_]+\"\s*\|?\s*)+)=>\s*ErrorKind::(\w+)", body):
        for n in re.findall(r"\"([a-z0-9_]+)\"", names):
            kinds[n] = snake(kind)
    prefix = re.search(r"starts_with\(\"(\w+)\"\)\s*=>\s*ErrorKind::(\w+)", body)
    fallback = re.search(r"_\s*=>\s*ErrorKind::(\w+)", body)
    assert kinds and prefix and fallback, "cannot read expected_kind in tests/hostile_models.rs"
    kinds[f"{prefix.group(1)}*"] = snake(prefix.group(2))
    kinds["*"] = snake(fallback.group(1))
    return kinds


def expected_kind(kinds: dict[str, str], file: str) -> str:
    stem = file.removesuffix(".onnx")
    if stem in kinds:
        return kinds[stem]
    for key, kind in kinds.items():
        if key.endswith("*") and key != "*" and stem.startswith(key[:-1]):
            return kind
    return kinds["*"]


def test_hostile_models_are_refused_with_the_rust_kinds():
    kinds = hostile_kinds()
    manifest = json.loads((ROOT / "tests" / "fixtures" / "hostile" / "manifest.json").read_text())
    assert len(manifest) >= 20
    seen = set()
    for entry in manifest:
        data = (ROOT / "tests" / "fixtures" / "hostile" / entry["file"]).read_bytes()
        start = time.monotonic()
        with pytest.raises(CreditScorerError) as caught:
            Scorer(data)
        assert time.monotonic() - start < 10, entry["file"]
        want = expected_kind(kinds, entry["file"])
        assert caught.value.kind == want, f"{entry['file']} ({entry['what']}): {caught.value!r}"
        assert len(caught.value.message) > 30, entry["file"]
        assert str(caught.value) == caught.value.message
        seen.add(want)
    assert len(seen) >= 5


def test_not_bytes_is_a_type_error():
    with pytest.raises(TypeError):
        Scorer(str(REFERENCE_MODEL))


def test_invalid_applicant_lists_every_field(scorer, golden):
    applicant = dict(zip(golden["features"], golden["rows"][0]["x"]))
    applicant["credit_amount"] = "12k"
    applicant["duration_months"] = None
    with pytest.raises(CreditScorerError) as caught:
        scorer.assess(applicant)
    e = caught.value
    assert e.kind == "input"
    assert e.message.startswith("the applicant is invalid:\n")
    assert sorted(f["field"] for f in e.errors) == ["credit_amount", "duration_months"]
    assert all(f["code"] and f["message"] for f in e.errors)
    for bad in (float("nan"), float("inf"), True):
        applicant = dict(zip(golden["features"], golden["rows"][0]["x"]))
        applicant["credit_amount"] = bad
        with pytest.raises(CreditScorerError) as caught:
            scorer.assess(applicant)
        assert [f["field"] for f in caught.value.errors] == ["credit_amount"], bad


def bad_rows_table(golden: dict):
    """Valid rows and each kind of bad cell, as typed Arrow columns and as the CSV the CLI reads."""
    features = golden["features"]
    good = [golden["rows"][i]["x"] for i in range(6)]
    amount = features.index("credit_amount")
    duration = features.index("duration_months")
    rows = [list(r) for r in good]
    cells = [[("%d" % v if float(v).is_integer() else repr(v)) for v in r] for r in rows]
    rows[1][amount] = None
    cells[1][amount] = "12k"
    rows[2][duration] = None
    cells[2][duration] = ""
    rows[3][duration] = -5.0
    cells[3][duration] = "-5"
    rows[4][0] = 99.0
    cells[4][0] = "99"
    rows[5] = [None] * len(features)
    cells[5] = [""] * len(features)
    amount_text = [c[amount] for c in cells]
    columns = {"id": [f"a{i}" for i in range(len(rows))], "note": ['say "hi", then', None, "", "x\ny", "é", None]}
    arrays = [pa.array(columns["id"])]
    names = ["id"]
    for j, f in enumerate(features):
        names.append(f)
        if j == amount:
            arrays.append(pa.array([c or None for c in amount_text], pa.string()))
        elif j == duration:
            arrays.append(pa.array([r[j] for r in rows], pa.float32()))
        elif j == 0:
            arrays.append(pa.array([None if r[j] is None else int(r[j]) for r in rows], pa.int64()))
        else:
            arrays.append(pa.array([r[j] for r in rows], pa.float64()))
    names.append("note")
    arrays.append(pa.array(columns["note"], pa.string()))
    batch = pa.RecordBatch.from_arrays(arrays, names=names)

    def quote(s):
        return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\r\n') else s

    lines = [",".join(names)]
    for i in range(len(rows)):
        note = columns["note"][i] or ""
        lines.append(",".join([columns["id"][i], *cells[i], quote(note)]))
    return batch, "\n".join(lines) + "\n"


def test_bad_rows_are_accounted_for_as_the_cli_does(scorer, golden, cli, tmp_path):
    batch, text = bad_rows_table(golden)
    out = scorer.score_arrow(batch)
    assert out.num_rows == batch.num_rows
    assert out.schema.names == batch.schema.names + list(OUTPUT_COLUMNS)
    d = out.to_pydict()
    refused = [i for i, e in enumerate(d["error"]) if e is not None]
    assert refused == [1, 2, 3, 4, 5]
    for i in range(batch.num_rows):
        assert (d["pd"][i] is None) == (i in refused)
        assert (d["band"][i] is None) == (i in refused)
    assert "credit_amount" in d["error"][1] and "12k" in d["error"][1]
    assert "duration_months" in d["error"][2]
    assert not d["error"][1].startswith("line ")

    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [str(cli), "score", "--quiet", "--model", str(REFERENCE_MODEL), str(path)],
        capture_output=True,
        check=True,
    )
    assert mismatches(read_cli_csv(result.stdout), d) == []


def test_input_columns_are_passed_through_without_a_copy(scorer, golden):
    batch = golden_batch(golden)
    out = scorer.score_arrow(batch)
    for name in batch.schema.names:
        before, after = batch.column(name), out.column(name)
        assert after.equals(before)
        assert [b.address for b in after.buffers() if b] == [
            b.address for b in before.buffers() if b
        ], name


def test_header_matching_and_refusals_are_the_clis(scorer, golden, cli, tmp_path):
    batch = golden_batch(golden)
    # Case, spaces and `_`/`-`/`.` do not matter, as in a CSV header.
    loose = batch.rename_columns(
        ["id"] + [f.upper().replace("_", " ") for f in golden["features"]]
    )
    assert scorer.score_arrow(loose).column("pd").equals(scorer.score_arrow(batch).column("pd"))

    missing = batch.drop_columns(["credit_amount"])
    with pytest.raises(CreditScorerError) as caught:
        scorer.score_arrow(missing)
    assert caught.value.kind == "csv"
    path = tmp_path / "missing.csv"
    path.write_text(",".join(missing.schema.names) + "\n")
    result = subprocess.run(
        [str(cli), "score", "--quiet", "--model", str(REFERENCE_MODEL), str(path)],
        capture_output=True,
    )
    assert result.returncode != 0
    assert caught.value.message in result.stderr.decode()

    with pytest.raises(CreditScorerError) as caught:
        scorer.score_arrow(batch.append_column("pd", pa.array([0.5] * batch.num_rows)))
    assert caught.value.kind == "csv" and "`pd`" in caught.value.message

    with pytest.raises(CreditScorerError) as caught:
        scorer.score_arrow(
            batch.set_column(1, golden["features"][0], pa.array([True] * batch.num_rows))
        )
    assert caught.value.kind == "csv" and golden["features"][0] in caught.value.message


def test_empty_batch_and_table(scorer, golden):
    batch = golden_batch(golden)
    empty = scorer.score_arrow(batch.slice(0, 0))
    assert empty.num_rows == 0
    assert empty.schema.names == batch.schema.names + list(OUTPUT_COLUMNS)
    table = pa.Table.from_batches([batch.slice(0, 100), batch.slice(100)])
    scored = scorer.score_arrow(table)
    assert isinstance(scored, pa.Table)
    assert scored.column("pd").to_pylist() == scorer.score_arrow(batch).column("pd").to_pylist()


def test_scoring_releases_the_gil(scorer, golden):
    """Another Python thread keeps running while a large batch is scored."""
    batch = golden_batch(golden)
    big = pa.Table.from_batches([batch] * 400).combine_chunks().to_batches()[0]
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())

    started = time.perf_counter()
    thread = threading.Thread(target=count)
    thread.start()
    try:
        scorer.score_arrow(big)
    finally:
        finished = time.perf_counter()
        done.set()
        thread.join()
    during = [t for t in ticks if started + 0.05 < t < finished - 0.05]
    assert finished - started > 0.2, "the batch scored too fast to tell"
    # Holding the GIL, the counting thread would not run at all during the call.
    assert len(during) > 1000
