"""Scoring a Spark DataFrame with the credit-scorer core, on the executors, with ``mapInArrow``.

>>> from credit_scorer.spark import score
>>> scored = score(spark.read.parquet("s3://bank/book/"), "german-credit-mlp.onnx")
>>> scored.write.parquet("s3://bank/book-scored/")

The model's bytes are broadcast once; each Python worker loads them into a :class:`Scorer` once
and scores every Arrow batch Spark hands it (``spark.sql.execution.arrow.maxRecordsPerBatch``
rows, 10,000 by default) with the GIL released.
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


def output_schema(df_schema, reasons: bool = True):
    """The Spark schema of ``score``'s result: the input's columns, then ``pd`` (float),
    ``points`` (double), ``band``, ``reason_1`` … ``reason_4`` and ``error`` (strings)."""
    from pyspark.sql.types import DoubleType, FloatType, StringType, StructField, StructType

    types = {"pd": FloatType(), "points": DoubleType()}
    return StructType(
        list(df_schema.fields)
        + [StructField(name, types.get(name, StringType()), True) for name in OUTPUT_COLUMNS]
    )


def score(df, model: Union[str, os.PathLike, bytes], reasons: bool = True):
    """Scores every row of ``df`` as ``credit-scorer score`` scores a CSV file's rows.

    ``model`` is the path of an ``.onnx`` file on the driver, or its bytes. Columns are matched
    to the model's features as the CLI matches a CSV header; a mismatch raises
    :class:`credit_scorer.CreditScorerError` (kind ``csv``) here, on the driver, before any job
    runs. Rows are never dropped: a refused row has its ``error`` and no score.
    """
    data = _model_bytes(model)
    # Loads and checks the model on the driver, and checks the columns, before any task starts.
    driver_scorer = Scorer(data)
    empty = pa.RecordBatch.from_arrays(
        [pa.nulls(0) for _ in df.columns], names=list(df.columns)
    )
    driver_scorer.score_arrow(empty, reasons)

    broadcast = df.sparkSession.sparkContext.broadcast(data)
    # Names this model in the workers' caches (a Broadcast has no id on the executors).
    key = hashlib.sha256(data).hexdigest()

    def score_partition(batches):
        scorer = _scorer_for(key, broadcast)
        for batch in batches:
            yield scorer.score_arrow(batch, reasons)

    return df.mapInArrow(score_partition, output_schema(df.schema, reasons))
