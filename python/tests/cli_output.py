"""Comparing score_arrow's columns with the CLI's CSV output, row by row."""

from __future__ import annotations

import csv
import io
import re

import numpy as np

SCORED = ["pd", "points", "band", "reason_1", "reason_2", "reason_3", "reason_4", "error"]


def read_cli_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def without_line(message: str) -> str:
    """The CLI's `line 1,204, …` / `line 9: …` prefix, which a record batch's rows do not have."""
    return re.sub(r"^line [0-9,]+[,:] ", "", message)


def mismatches(cli_rows: list[dict[str, str]], scored: dict[str, list]) -> list[str]:
    """Every difference between the CLI's rows and score_arrow's columns (as `to_pydict()`):
    the PD as the same float32 (so the same printed digits), the points as printed, band,
    reasons and error text; an empty CLI cell is a null."""
    problems = []
    if len(cli_rows) != len(scored["pd"]):
        return [f"the CLI wrote {len(cli_rows)} rows, score_arrow {len(scored['pd'])}"]
    for i, row in enumerate(cli_rows):
        want_pd = np.float32(row["pd"]) if row["pd"] else None
        got_pd = scored["pd"][i]
        if (want_pd is None) != (got_pd is None) or (
            want_pd is not None and np.float32(got_pd) != want_pd
        ):
            problems.append(f"row {i}: pd {got_pd!r}, the CLI printed {row['pd']!r}")
        want_points = float(row["points"]) if row["points"] else None
        if scored["points"][i] != want_points:
            problems.append(
                f"row {i}: points {scored['points'][i]!r}, the CLI printed {row['points']!r}"
            )
        for column in SCORED[2:]:
            want = row[column] or None
            if column == "error" and want is not None:
                want = without_line(want)
            if scored[column][i] != want:
                problems.append(f"row {i}: {column} {scored[column][i]!r}, the CLI wrote {want!r}")
        if len(problems) > 20:
            break
    return problems
