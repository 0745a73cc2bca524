"""Scoring a Spark DataFrame with the credit-scorer core, on the executors.

>>> from credit_scorer.spark import score
>>> scored = score(spark.read.parquet("s3://bank/book/"), "german-credit-mlp.onnx")
>>> scored.write.parquet("s3://bank/book-scored/")

The model's bytes are broadcast once; each Python worker loads them into a :class:`Scorer` once
and scores every Arrow batch Spark hands it (``spark.sql.execution.arrow.maxRecordsPerBatch``
rows, 10,000 by default) with the GIL released. With Spark 4.1 or later this is an Arrow UDF
(``pyspark.sql.functions.arrow_udf``) taking the feature columns only, returning the scored
columns as one struct: Spark ships the features to Python and the scores back, and keeps the other
columns in the JVM. Older Spark takes ``mapInArrow``, which ships every column both ways.
"""

from __future__ import annotations

import hashlib
import os
from typing import Union

import pyarrow as pa

from . import OUTPUT_COLUMNS, Scorer

__all__ = ["score", "output_schema"]

# One Scorer per broadcast per Python worker process: Spark reuses its Python workers
# (spark.python.worker.reuse, on by default), so a model is loaded once per worker, not per task.
_scorers: dict = {}


def _scorer_for(key: str, broadcast) -> Scorer:
    # Top level on purpose: cloudpickle ships a nested function with a copy of the globals it
    # uses, but pickles this one by reference, so the cache is this module's, per worker.
    scorer = _scorers.get(key)
    if scorer is None:
        scorer = Scorer(broadcast.value)
        _scorers[key] = scorer
    return scorer


def _model_bytes(model: Union[str, os.PathLike, bytes]) -> bytes:
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    with open(model, "rb") as f:
        return f.read()


def _scored_fields():
    from pyspark.sql.types import DoubleType, FloatType, StringType, StructField

    types = {"pd": FloatType(), "points": DoubleType()}
    return [StructField(name, types.get(name, StringType()), True) for name in OUTPUT_COLUMNS]


def output_schema(df_schema, reasons: bool = True):
    """The Spark schema of ``score``'s result: the input's columns, then ``pd`` (float),
    ``points`` (double), ``band``, ``reason_1`` … ``reason_4`` and ``error`` (strings)."""
    from pyspark.sql.types import StructType

    return StructType(list(df_schema.fields) + _scored_fields())


def _quoted(name: str) -> str:
    """A column name for ``col()``: dots and spaces in it are part of the name."""
    return "`" + name.replace("`", "``") + "`"


def _prepare(df, model, reasons: bool):
    """Loads and checks the model on the driver, and the columns, before any task starts."""
    data = _model_bytes(model)
    driver_scorer = Scorer(data)
    empty = pa.RecordBatch.from_arrays(
        [pa.nulls(0) for _ in df.columns], names=list(df.columns)
    )
    driver_scorer.score_arrow(empty, reasons)
    broadcast = df.sparkSession.sparkContext.broadcast(data)
    # Names this model in the workers' caches (a Broadcast has no id on the executors).
    key = hashlib.sha256(data).hexdigest()
    return driver_scorer, broadcast, key


def score(df, model: Union[str, os.PathLike, bytes], reasons: bool = True):
    """Scores every row of ``df`` as ``credit-scorer score`` scores a CSV file's rows.

    ``model`` is the path of an ``.onnx`` file on the driver, or its bytes. Columns are matched
    to the model's features as the CLI matches a CSV header; a mismatch raises
    :class:`credit_scorer.CreditScorerError` (kind ``csv``) here, on the driver, before any job
    runs. Rows are never dropped: a refused row has its ``error`` and no score.
    """
    try:
        from pyspark.sql.functions import arrow_udf  # noqa: F401  (Spark 4.1 and later)
    except ImportError:
        return score_with_map_in_arrow(df, model, reasons)
    return score_with_arrow_udf(df, model, reasons)


def score_with_arrow_udf(df, model: Union[str, os.PathLike, bytes], reasons: bool = True):
    """``score`` as an Arrow UDF (Spark 4.1 and later) over the feature columns: only they go
    to Python, only the scored columns (one struct, unnested) come back."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    driver_scorer, broadcast, key = _prepare(df, model, reasons)
    features = driver_scorer.feature_names
    columns = driver_scorer.feature_columns(df.columns)
    k = len(features)
    names = list(OUTPUT_COLUMNS)

    @F.arrow_udf(StructType(_scored_fields()))
    def scored(*cells: pa.Array) -> pa.Array:
        # Named as the features, so the worker's header matching is by exact name.
        batch = pa.RecordBatch.from_arrays(list(cells), names=features)
        out = _scorer_for(key, broadcast).score_arrow(batch, reasons)
        return pa.StructArray.from_arrays(out.columns[k:], names=names)

    # One argument per feature column rather than one struct of them: Spark builds no struct
    # per row (3-7 % less CPU for Spark's part in the runs of docs/BENCHMARKS.md).
    held = "_credit_scorer_" + key[:16]
    return (
        df.select("*", scored(*[F.col(_quoted(c)) for c in columns]).alias(held))
        .select("*", F.col(_quoted(held) + ".*"))
        .drop(held)
    )


def score_with_map_in_arrow(df, model: Union[str, os.PathLike, bytes], reasons: bool = True):
    """``score`` with ``mapInArrow`` (any Spark with it, 3.3 and later): every column goes to
    Python and back."""
    _, broadcast, key = _prepare(df, model, reasons)

    def score_partition(batches):
        scorer = _scorer_for(key, broadcast)
        for batch in batches:
            yield scorer.score_arrow(batch, reasons)

    return df.mapInArrow(score_partition, output_schema(df.schema, reasons))
