"""Rows per second in Spark local mode, same run, same data: credit-scorer (`credit_scorer.spark.score`,
with points, bands and reasons) against onnxruntime in a pandas UDF (bare PDs, the route a data
engineer takes today). Writes a JSON and a Markdown table; prints the ratio.

    python bench/spark_vs_onnxruntime.py OUT_DIR [--rows 1000000] [--cores 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "www" / "models" / "german-credit-mlp.onnx"


def make_book(path: Path, rows: int) -> None:
    """`rows` applicants: the golden rows in turn (valid values of every feature), as Parquet
    with the types a bank's table would have (integers and doubles)."""
    golden = json.loads((ROOT / "tests" / "fixtures" / "reference_golden.json").read_text())
    x = np.array([r["x"] for r in golden["rows"]], dtype=np.float64)
    take = np.arange(rows) % len(x)
    columns = {"id": pa.array(np.arange(rows, dtype=np.int64))}
    for j, name in enumerate(golden["features"]):
        values = x[take, j]
        columns[name] = pa.array(values.astype(np.int64) if np.all(values == np.round(values)) else values)
    pq.write_table(pa.table(columns), path, row_group_size=100_000)


_sessions: dict = {}


def _ort_session(model: bytes):
    import onnxruntime as ort

    session = _sessions.get("s")
    if session is None:
        options = ort.SessionOptions()
        # One core per Spark task, as credit-scorer uses.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        _sessions["s"] = session
    return session


def ort_route(df, model: bytes, features: list[str]):
    """The pandas UDF a data engineer writes: stack the feature columns, run onnxruntime, keep
    the probability of default."""
    from pyspark.sql.functions import pandas_udf, struct

    broadcast = df.sparkSession.sparkContext.broadcast(model)

    @pandas_udf("float")
    def pd_of(rows: pd.DataFrame) -> pd.Series:
        session = _ort_session(broadcast.value)
        x = rows.to_numpy(dtype=np.float32)
        outputs = session.run(None, {session.get_inputs()[0].name: x})
        for o in outputs:
            o = np.asarray(o)
            if o.ndim == 2 and o.shape[1] == 2:
                return pd.Series(o[:, 1])
            if o.ndim == 2 and o.shape[1] == 1 or o.ndim == 1:
                return pd.Series(o.reshape(-1))
        raise RuntimeError("no probability output")

    return df.withColumn("pd", pd_of(struct(*features)))


def _unchanged(batches):
    yield from batches


def timed(df) -> float:
    start = time.perf_counter()
    df.write.format("noop").mode("overwrite").save()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    import credit_scorer
    from credit_scorer.spark import score

    book = args.out / f"book-{args.rows}.parquet"
    if not book.exists():
        make_book(book, args.rows)
    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .appName("credit-scorer-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    model = MODEL.read_bytes()
    features = credit_scorer.Scorer(model).feature_names
    df = spark.read.parquet(str(book))
    # Spread the rows over the cores, once, outside the timed runs.
    df = df.repartition(args.cores).cache()
    assert df.count() == args.rows

    routes = {
        "credit-scorer (pd, points, band, 4 reasons)": lambda: score(df, model),
        "onnxruntime pandas UDF (pd only)": lambda: ort_route(df, model, features),
        # Spark's own cost of the route credit-scorer takes: every column to Python and back.
        "mapInArrow returning its input (no scoring)": lambda: df.mapInArrow(_unchanged, df.schema),
    }
    # Warm-up: Python workers started, models loaded, JIT warm.
    for make in routes.values():
        timed(make())
    seconds: dict[str, list[float]] = {name: [] for name in routes}
    for _ in range(args.runs):
        # Alternate the routes so that load on the machine hits both alike.
        for name, make in routes.items():
            seconds[name].append(timed(make()))
    spark.stop()

    best = {name: min(s) for name, s in seconds.items()}
    rate = {name: args.rows / s for name, s in best.items()}
    cs, ort_name, _ = list(routes)
    ratio = rate[cs] / rate[ort_name]
    import onnxruntime
    import pyspark

    result = {
        "rows": args.rows,
        "cores": args.cores,
        "runs": args.runs,
        "seconds": seconds,
        "rows_per_second": rate,
        "ratio": ratio,
        "versions": {
            "python": platform.python_version(),
            "pyspark": pyspark.__version__,
            "pyarrow": pa.__version__,
            "onnxruntime": onnxruntime.__version__,
            "java": os.popen("java -version 2>&1").read().splitlines()[0],
        },
    }
    (args.out / "python.json").write_text(json.dumps(result, indent=1))
    lines = [
        f"Spark local[{args.cores}], {args.rows:,} rows from Parquet, best of {args.runs} runs "
        "(alternating), write to Spark's `noop` sink",
        "",
        "| route | rows/s | best run |",
        "|---|---|---|",
    ]
    for name in routes:
        lines.append(f"| {name} | {rate[name]:,.0f} | {best[name]:.2f} s |")
    lines += ["", f"credit-scorer / onnxruntime throughput: **{ratio:.2f}×**"]
    (args.out / "python.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
