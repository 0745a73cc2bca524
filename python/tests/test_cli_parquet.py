"""The CLI's Parquet output (`score --format parquet`, or `-o *.parquet`) read back with pyarrow, a
reader independent of the Rust writer: the CSV output's rows and columns, typed, in row groups,
with the audit trail of `--summary` in its key-value metadata."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli_output import read_cli_csv
from conftest import REFERENCE_MODEL, applicants_csv

# src/cli/parquet.rs, ROW_GROUP_ROWS.
ROW_GROUP_ROWS = 65_536
TEXT = {"band", "reason_1", "reason_2", "reason_3", "reason_4", "error"}
AUDIT = ["tool.name", "tool.version", "tool.build", "model.name", "model.version",
         "model.sha256", "model.engine", "started_at", "finished_at"]


def score(cli, input_path, *flags) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [str(cli), "score", "-q", "--model", str(REFERENCE_MODEL), str(input_path), *flags],
        capture_output=True,
    )
    assert run.returncode == 0, run.stderr.decode()
    return run


def number_type(name: str):
    if name == "pd":
        return pa.float32()
    if name == "points" or name.startswith("contribution_"):
        return pa.float64()
    return None


def mismatches(csv_rows: list[dict[str, str]], table: pa.Table, input_columns: set[str]) -> list[str]:
    """Every difference between the CSV's rows and the Parquet table: input cells the same
    strings; the PD the same float32 (the CSV prints the shortest digits that read back to it);
    points and contributions the numbers the CSV prints; text the same; an empty scored cell null."""
    problems = []
    columns = table.to_pydict()
    for i, row in enumerate(csv_rows):
        for name, cell in row.items():
            got = columns[name][i]
            if name in input_columns:
                ok = got == cell
            elif cell == "":
                ok = got is None
            elif name == "pd":
                ok = got is not None and np.float32(got) == np.float32(cell)
            elif number_type(name) is not None:
                ok = got == float(cell)
            else:
                ok = got == cell
            if not ok:
                problems.append(f"row {i}: {name} is {got!r} in Parquet, {cell!r} in the CSV")
        if len(problems) > 20:
            break
    return problems


@pytest.mark.parametrize(
    ("rows", "flags"),
    [
        (ROW_GROUP_ROWS + 4_000, ["--contributions"]),
        (3_000, ["--keep-columns", "id", "--no-reasons"]),
        (3_000, ["--keep-columns", "none", "--threads", "1"]),
    ],
)
def test_parquet_holds_the_csv_rows_and_columns_typed(cli, golden, tmp_path, rows, flags):
    source = tmp_path / "applicants.csv"
    text = applicants_csv(golden, rows)
    source.write_text(text, newline="")
    input_header = text.split("\r\n", 1)[0].split(",")
    score(cli, source, *flags, "-o", tmp_path / "scored.csv")
    csv_rows = read_cli_csv((tmp_path / "scored.csv").read_bytes())
    csv_header = list(csv_rows[0].keys())
    score(cli, source, *flags, "-o", tmp_path / "scored.parquet")

    parquet = pq.ParquetFile(tmp_path / "scored.parquet")
    table = parquet.read()
    assert table.column_names == csv_header
    assert table.num_rows == len(csv_rows) == rows
    assert parquet.metadata.num_row_groups == math.ceil(rows / ROW_GROUP_ROWS)
    assert parquet.metadata.row_group(0).column(0).compression == "SNAPPY"
    input_columns = {n for n in csv_header if n in input_header}
    for field in table.schema:
        if field.name in input_columns:
            assert (field.type, field.nullable) == (pa.string(), False), field
        elif field.name in TEXT:
            assert (field.type, field.nullable) == (pa.string(), True), field
        else:
            assert (field.type, field.nullable) == (number_type(field.name), True), field
    assert mismatches(csv_rows, table, input_columns) == []

    # A refused row keeps its error and has no score; a scored row has no error.
    errors = table.column("error").to_pylist()
    refused = [i for i, e in enumerate(errors) if e is not None]
    assert 0 < len(refused) < rows
    for column in ["pd", "points", "band"] + [n for n in csv_header if n.startswith("contribution_")]:
        values = table.column(column).to_pylist()
        assert all(values[i] is None for i in refused), column
        assert all(v is not None for i, v in enumerate(values) if errors[i] is None), column
    first = refused[0]
    assert "12k" in errors[first] and errors[first] == csv_rows[first]["error"]


def test_parquet_metadata_is_the_summarys_audit_trail(cli, golden, tmp_path):
    source = tmp_path / "applicants.csv"
    source.write_text(applicants_csv(golden, 500), newline="")
    out = tmp_path / "scored.parquet"
    score(cli, source, "-o", out, "--summary", tmp_path / "summary.json")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["output"]["format"] == "parquet"
    metadata = {k.decode(): v.decode() for k, v in pq.read_metadata(out).metadata.items()}
    want = {
        f"credit_scorer.{path}": str(summary[path] if "." not in path
                                     else summary[path.split(".")[0]][path.split(".")[1]])
        for path in AUDIT
    }
    assert {k: metadata.get(k) for k in want} == want
    assert metadata["credit_scorer.model.sha256"] == hashlib.sha256(
        REFERENCE_MODEL.read_bytes()).hexdigest()
    assert metadata["credit_scorer.model.engine"] == "direct"
    assert metadata["credit_scorer.model.name"] != ""
    assert metadata["credit_scorer.started_at"] <= metadata["credit_scorer.finished_at"]


def test_parquet_on_stdout_is_the_same_table(cli, golden, tmp_path):
    source = tmp_path / "applicants.csv"
    source.write_text(applicants_csv(golden, 2_000), newline="")
    out = tmp_path / "scored.parquet"
    score(cli, source, "-o", out)
    stdout = score(cli, source, "--format", "parquet").stdout
    assert stdout[:4] == b"PAR1" and stdout[-4:] == b"PAR1"
    assert pq.read_table(pa.BufferReader(stdout)).equals(pq.read_table(out))
