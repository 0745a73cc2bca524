"""The package's one exception type (kept apart so the native module can raise it)."""

from __future__ import annotations


class CreditScorerError(Exception):
    """An error of the credit-scorer core.

    ``kind`` is the core's error kind as the page and the CLI name it (``model_format``,
    ``model_too_large``, ``model_contract``, ``model_unsupported``, ``model_invalid``, ``schema``,
    ``input``, ``csv``, ``io``, ``inference``); ``message`` says what was wrong and what to do.
    ``errors`` lists ``(field, code, message)`` for an invalid applicant, else is empty.
    """

    def __init__(self, kind: str, message: str, errors=()):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.errors = [
            {"field": field, "code": code, "message": text} for field, code, text in errors
        ]

    def __repr__(self) -> str:
        return f"CreditScorerError(kind={self.kind!r}, message={self.message!r})"
