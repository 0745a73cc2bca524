"""Shared fixtures: paths into the repository and the reference model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_MODEL = ROOT / "www" / "models" / "german-credit-mlp.onnx"


def cli_path() -> Path:
    """The CLI the parity tests compare with: CREDIT_SCORER_CLI, else the debug build."""
    if "CREDIT_SCORER_CLI" in os.environ:
        return Path(os.environ["CREDIT_SCORER_CLI"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "credit-scorer"


@pytest.fixture(scope="session")
def model_bytes() -> bytes:
    return REFERENCE_MODEL.read_bytes()


@pytest.fixture(scope="session")
def scorer(model_bytes):
    from credit_scorer import Scorer

    return Scorer(model_bytes)


@pytest.fixture(scope="session")
def golden() -> dict:
    return json.loads((ROOT / "tests" / "fixtures" / "reference_golden.json").read_text())


@pytest.fixture(scope="session")
def cli() -> Path:
    path = cli_path()
    if not path.exists():
        pytest.fail(f"the CLI {path} is missing: `cargo build` it or set CREDIT_SCORER_CLI")
    return path


def js_number(x: float) -> str:
    """A number as JavaScript's String() writes it (the e2e tests' CSV files): 42, not 42.0."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def applicants_csv(golden: dict, rows: int) -> str:
    """The e2e batch test's generated file (tests/e2e/batch.test.mjs, `generate`): the golden rows
    in turn, every 101st with the amount `12k`, a quoted `"a, b"` note every 13th, a blank line
    every 10,000, CRLF line ends."""
    lines = [f"id,{','.join(golden['features'])},note"]
    g_rows = golden["rows"]
    for i in range(rows):
        x = [js_number(v) for v in g_rows[i % len(g_rows)]["x"]]
        if i % 101 == 7:
            x[6] = "12k"
        note = '"a, b"' if i % 13 == 0 else ""
        lines.append(f"r{i},{','.join(x)},{note}")
        if i % 10_000 == 9_999:
            lines.append("")
    return "\r\n".join(lines) + "\r\n"
