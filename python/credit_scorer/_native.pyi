"""Type stubs of the native half of credit_scorer (Rust, PyO3). Use ``credit_scorer.Scorer``."""

from typing import Any

import pyarrow

#: The columns ``score_arrow`` appends, in order.
OUTPUT_COLUMNS: list[str]

class Scorer:
    """A model loaded from ``.onnx`` bytes; raises ``CreditScorerError`` if the core refuses it."""

    def __init__(self, model: bytes) -> None: ...
    @property
    def schema_json(self) -> str:
        """The model's schema as JSON text."""
    @property
    def engine(self) -> str:
        """``"direct"`` or ``"tract"``."""
    def assess_json(self, applicant: dict[str, Any]) -> str:
        """Validates, scores and explains one applicant; the assessment as JSON text."""
    def feature_columns(self, names: list[str]) -> list[str]:
        """For each feature, the name among ``names`` of its column, as score_arrow matches them."""
    def score_arrow(
        self, batch: pyarrow.RecordBatch, reasons: bool = True
    ) -> pyarrow.RecordBatch:
        """The batch's columns, then pd, points, band, reason_1..reason_4 and error."""
