"""credit-scorer: the Rust core that scores loan applicants in the browser and the CLI, in Python.

>>> from credit_scorer import Scorer
>>> scorer = Scorer(open("german-credit-mlp.onnx", "rb").read())
>>> scorer.assess({"checking_status": 1, ...})["pd"]
>>> scored = scorer.score_arrow(record_batch)   # + pd, points, band, reason_1..4, error

``credit_scorer.spark.score(df, model)`` scores a Spark DataFrame with the same core.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from . import _native
from ._errors import CreditScorerError

__all__ = ["Scorer", "CreditScorerError", "OUTPUT_COLUMNS"]

#: The columns :meth:`Scorer.score_arrow` appends, in order (the CLI's output columns).
OUTPUT_COLUMNS: tuple[str, ...] = tuple(_native.OUTPUT_COLUMNS)


class Scorer:
    """A credit-risk model loaded from the bytes of its ``.onnx`` file.

    Loading checks the model (size, structure, weights, schema) and optimizes it once; a model
    the core refuses raises :class:`CreditScorerError` with the core's ``kind`` and message.
    A ``Scorer`` is safe to share between threads: scoring releases the GIL.
    """

    __slots__ = ("_native", "_schema")

    def __init__(self, model: bytes):
        if not isinstance(model, (bytes, bytearray, memoryview)):
            raise TypeError(
                "Scorer() takes the bytes of an .onnx file: Scorer(open(path, 'rb').read())"
            )
        self._native = _native.Scorer(bytes(model))
        self._schema = json.loads(self._native.schema_json)

    @property
    def schema(self) -> dict[str, Any]:
        """The model's schema: features (names, labels, kinds, ranges, baseline), scaling, bands
        and model card, as in ``credit-scorer schema``. A fresh copy on every access."""
        return json.loads(self._native.schema_json)

    @property
    def feature_names(self) -> list[str]:
        """The model's features, in the order the model takes them."""
        return [f["name"] for f in self._schema["features"]]

    @property
    def engine(self) -> str:
        """``"direct"`` (the row-chain evaluator, checked against tract on load) or ``"tract"``."""
        return self._native.engine

    def assess(self, applicant: Mapping[str, Any]) -> dict[str, Any]:
        """Validates, scores and explains one applicant, as ``credit-scorer assess`` does.

        ``applicant`` maps feature names to numbers, text (codes or category values) or ``None``
        (missing). Returns ``pd``, ``points``, ``band``, ``reasons`` (up to four, worst first),
        ``contributions`` (every feature, exact Shapley values in points), ``baseline_points``,
        ``points_unclamped`` and ``approximate``. An invalid applicant raises
        :class:`CreditScorerError` of kind ``input`` listing every field error in ``errors``.
        """
        if not isinstance(applicant, dict):
            applicant = dict(applicant)
        return json.loads(self._native.assess_json(applicant))

    def feature_columns(self, names) -> list[str]:
        """For each feature (in :attr:`feature_names` order), the name among ``names`` of the
        column that holds it, matched as :meth:`score_arrow` and the CLI match a header. Raises
        :class:`CreditScorerError` (kind ``csv``) where ``score_arrow`` would."""
        return self._native.feature_columns(list(names))

    def score_arrow(self, batch, reasons: bool = True):
        """Scores a ``pyarrow.RecordBatch`` (a ``pyarrow.Table`` gives a ``Table``) as
        ``credit-scorer score`` scores a CSV file.

        Columns are matched to features as the CLI matches a header (exact name, else name or
        source column ignoring case, spaces, ``_``, ``-``, ``.``); feature columns may hold
        integers, floats, decimals or text, ``null`` being an empty cell. The result has the
        input's columns (the same buffers) and then ``pd`` (float32, the value whose shortest
        digits the CLI prints), ``points`` (float64, one decimal as printed), ``band``,
        ``reason_1`` … ``reason_4`` (feature names, worst first; the exact Shapley values
        against the baseline that ``assess`` gives) and ``error``: every input row is one output row; a refused row has its error
        (without the CLI's line number) and nulls for the score. ``reasons=False`` skips the
        reasons (several times faster). A header that lacks a feature, or
        names one twice, raises :class:`CreditScorerError` of kind ``csv``.
        """
        to_batches = getattr(batch, "to_batches", None)
        if to_batches is None:
            return self._native.score_arrow(batch, reasons)
        # A pyarrow.Table (what Polars' and DuckDB's `.to_arrow()` give): batch by batch.
        import pyarrow as pa

        batches = to_batches() or [pa.RecordBatch.from_pylist([], schema=batch.schema)]
        scored = [self._native.score_arrow(b, reasons) for b in batches]
        return pa.Table.from_batches(scored, schema=scored[0].schema)

    def __repr__(self) -> str:
        model = self._schema.get("model", {})
        return (
            f"Scorer(model={model.get('name')!r}, version={model.get('version')!r}, "
            f"features={len(self._schema['features'])}, engine={self.engine!r})"
        )
