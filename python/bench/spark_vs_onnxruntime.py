"""Rows per second in Spark local mode, same run, same data: credit-scorer (`credit_scorer.spark.score`,
with points, bands and reasons) against onnxruntime in a pandas UDF (bare PDs, the route a data
engineer takes today), and Spark's own floor: an Arrow UDF over the same feature columns that
returns the scored columns filled with constants, i.e. what any scorer on that route costs before
it scores anything. Also, in one process without Spark, the time per row of `score_arrow` and of
onnxruntime's `session.run` on the same batches. Writes a JSON and a Markdown table; prints the
ratios.

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

from credit_scorer import OUTPUT_COLUMNS

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


def _input_and_constants(reasons: list):
    def add(batches):
        for batch in batches:
            scored = _constant_scores(batch.num_rows, reasons)
            yield pa.RecordBatch.from_arrays(
                batch.columns + scored.flatten(),
                names=batch.schema.names + list(OUTPUT_COLUMNS),
            )

    return add


def map_floor_route(df, features: list[str]):
    """Spark's floor for the mapInArrow route: every column to Python and back, plus the scored
    columns filled with constants."""
    from credit_scorer.spark import output_schema

    return df.mapInArrow(_input_and_constants(features[:4]), output_schema(df.schema))


_constants: dict = {}


def _constant_scores(n: int, reasons: list):
    """The scored columns of `n` rows filled with constants: a PD, points, a band, four reasons
    (feature names, as credit-scorer writes them) and no error."""
    made = _constants.get(n)
    if made is None:
        arrays = [
            pa.array(np.full(n, 0.125, dtype=np.float32)),
            pa.array(np.full(n, 512.5)),
            pa.repeat(pa.scalar("B"), n),
            *[pa.repeat(pa.scalar(r), n) for r in reasons],
            pa.nulls(n, pa.string()),
        ]
        made = pa.StructArray.from_arrays(arrays, names=list(OUTPUT_COLUMNS))
        _constants[n] = made
    return made


def floor_route(df, features: list[str], struct_of_features: bool = False):
    """Spark's floor for the Arrow UDF route: an Arrow UDF over the feature columns (as
    credit-scorer's) returning the same struct of scored columns, filled with constants.
    `struct_of_features` takes one struct(features) argument instead."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType, StringType, StructField, StructType

    types = {"pd": FloatType(), "points": DoubleType()}
    out_type = StructType(
        [StructField(n, types.get(n, StringType()), True) for n in OUTPUT_COLUMNS]
    )
    reasons = features[:4]

    @F.arrow_udf(out_type)
    def constants(*cells: pa.Array) -> pa.Array:
        return _constant_scores(len(cells[0]), reasons)

    args = [F.struct(*features)] if struct_of_features else features
    held = "_held"
    return (
        df.select("*", constants(*args).alias(held))
        .select("*", F.col(held + ".*"))
        .drop(held)
    )


def in_process(book: Path, model: bytes, rows: int) -> dict:
    """CPU microseconds per row in this process (`time.process_time`: the shared machine's load
    moves it less than the wall clock), one thread, 10,000-row batches (Spark's default
    `maxRecordsPerBatch`) of the book: `score_arrow` with and without reasons, and onnxruntime's
    `session.run` on the float32 matrix of the same rows (building the matrix included)."""
    import credit_scorer

    scorer = credit_scorer.Scorer(model)
    table = pq.read_table(book).slice(0, rows)
    batches = table.to_batches(max_chunksize=10_000)
    features = scorer.feature_names
    session = _ort_session(model)
    input_name = session.get_inputs()[0].name
    out = {}

    def best_of(fn) -> float:
        times = []
        for _ in range(2):
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        return min(times) / table.num_rows * 1e6

    out["score_arrow, reasons"] = best_of(lambda: [scorer.score_arrow(b) for b in batches])
    out["score_arrow, no reasons"] = best_of(
        lambda: [scorer.score_arrow(b, reasons=False) for b in batches]
    )

    def ort():
        for b in batches:
            x = np.column_stack(
                [b.column(f).to_numpy(zero_copy_only=False) for f in features]
            ).astype(np.float32)
            session.run(None, {input_name: x})

    out["onnxruntime session.run"] = best_of(ort)
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds() -> float:
    """CPU seconds (user + system, with reaped children's) of this process and every process
    under it: the JVM that py4j started and Spark's Python workers. On a shared machine the load
    stretches the wall clock; the CPU a route needs moves much less."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        pid = int(entry)
        parent[pid] = int(fields[1])
        ticks[pid] = sum(int(x) for x in fields[11:15])
    me = os.getpid()

    def under_me(pid: int) -> bool:
        while pid > 1:
            if pid == me:
                return True
            pid = parent.get(pid, 0)
        return False

    return sum(t for pid, t in ticks.items() if under_me(pid)) / _TICK


def timed(df) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process tree) to write `df` to Spark's `noop` sink."""
    cpu = tree_cpu_seconds()
    start = time.perf_counter()
    df.write.format("noop").mode("overwrite").save()
    return time.perf_counter() - start, tree_cpu_seconds() - cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    load_start = open("/proc/loadavg").read().split()[:3]
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    import credit_scorer
    from credit_scorer import spark as cs_spark

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

    cs = "credit-scorer (pd, points, band, 4 reasons)"
    ort_name = "onnxruntime pandas UDF (pd only)"
    floor = "Arrow UDF over the feature columns returning constants (no scoring): Spark's floor"
    routes = {
        cs: lambda: cs_spark.score(df, model),
        ort_name: lambda: ort_route(df, model, features),
        floor: lambda: floor_route(df, features),
    }
    struct_floor = "Arrow UDF over struct(features) returning constants (no scoring)"
    routes[struct_floor] = lambda: floor_route(df, features, struct_of_features=True)
    if hasattr(cs_spark, "score_with_map_in_arrow"):
        routes["credit-scorer with mapInArrow (pyspark < 4.1)"] = (
            lambda: cs_spark.score_with_map_in_arrow(df, model)
        )
    # Spark's floor for the mapInArrow route: every column to Python and back, and the scored
    # columns as constants.
    routes["mapInArrow returning its input + constants (no scoring): floor of mapInArrow"] = (
        lambda: map_floor_route(df, features)
    )
    # Warm-up: Python workers started, models loaded, JIT warm.
    for make in routes.values():
        timed(make())
    seconds: dict[str, list[float]] = {name: [] for name in routes}
    cpu_seconds: dict[str, list[float]] = {name: [] for name in routes}
    for _ in range(args.runs):
        # Alternate the routes so that load on the machine hits both alike.
        for name, make in routes.items():
            wall, cpu = timed(make())
            seconds[name].append(wall)
            cpu_seconds[name].append(cpu)
    spark.stop()

    best = {name: min(s) for name, s in seconds.items()}
    rate = {name: args.rows / s for name, s in best.items()}
    cpu_best = {name: min(s) for name, s in cpu_seconds.items()}
    cpu_ratio = cpu_best[ort_name] / cpu_best[cs]
    ratio = rate[cs] / rate[ort_name]
    # The most any scorer on the Arrow UDF route could reach against onnxruntime: the floor's.
    floor_ratio = rate[floor] / rate[ort_name]
    map_floor = [name for name in routes if name.endswith("floor of mapInArrow")][0]
    map_floor_ratio = rate[map_floor] / rate[ort_name]
    struct_floor_ratio = rate[struct_floor] / rate[ort_name]
    per_row = in_process(book, model, min(args.rows, 200_000))
    import onnxruntime
    import pyspark

    result = {
        "rows": args.rows,
        "cores": args.cores,
        "runs": args.runs,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "cpu_ratio": cpu_ratio,
        "rows_per_second": rate,
        "ratio": ratio,
        "floor_ratio": floor_ratio,
        "map_in_arrow_floor_ratio": map_floor_ratio,
        "struct_floor_ratio": struct_floor_ratio,
        "credit_scorer_share_of_floor": rate[cs] / rate[floor],
        "in_process_us_per_row": per_row,
        "loadavg": {"start": load_start, "end": open("/proc/loadavg").read().split()[:3]},
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
        "| route | rows/s | best run | CPU s (JVM + Python, least) | rows per CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in routes:
        lines.append(
            f"| {name} | {rate[name]:,.0f} | {best[name]:.2f} s | {cpu_best[name]:.2f} | "
            f"{args.rows / cpu_best[name]:,.0f} |"
        )
    lines += [
        "",
        f"credit-scorer / onnxruntime throughput: **{ratio:.2f}×**",
        f"Spark's floor (Arrow UDF, constants, no scoring) / onnxruntime: **{floor_ratio:.2f}×**; "
        f"over struct(features): {struct_floor_ratio:.2f}×; "
        f"mapInArrow's floor / onnxruntime: **{map_floor_ratio:.2f}×** "
        + (
            "(all below 2×: no scorer on these routes can reach 2× onnxruntime here)"
            if max(floor_ratio, map_floor_ratio, struct_floor_ratio) < 2
            else "(2× is not above every floor)"
        ),
        f"credit-scorer / floor: {rate[cs] / rate[floor]:.2f}×",
        f"By CPU seconds (onnxruntime's ÷ the route's): credit-scorer {cpu_ratio:.2f}×, "
        f"Arrow UDF floor {cpu_best[ort_name] / cpu_best[floor]:.2f}×, over struct(features) "
        f"{cpu_best[ort_name] / cpu_best[struct_floor]:.2f}×, mapInArrow floor "
        f"{cpu_best[ort_name] / cpu_best[map_floor]:.2f}×",
        "",
        f"In one process without Spark, one thread, best of 2, 10,000-row batches of the first {min(args.rows, 200_000):,} rows:",
        "",
        "| | CPU µs per row |",
        "|---|---:|",
        *[f"| {name} | {us:.2f} |" for name, us in per_row.items()],
        "",
        f"load average (1, 5, 15 min) at start {' '.join(result['loadavg']['start'])}, "
        f"at end {' '.join(result['loadavg']['end'])}",
    ]
    (args.out / "python.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
