"""The Spark recipe of docs/SCALE.md, run as written in a local[2] session: the e2e batch test's
100,000-row file, via Parquet, scored as the CLI scores the CSV, row for row."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cli_output import mismatches, read_cli_csv
from conftest import REFERENCE_MODEL, ROOT, applicants_csv

ROWS = 100_000


def recipe() -> str:
    """The python block after `<!-- recipe: spark -->` in docs/SCALE.md."""
    text = (ROOT / "docs" / "SCALE.md").read_text()
    found = re.search(r"<!-- recipe: spark -->\s*```python\n(.*?)```", text, re.S)
    assert found, "docs/SCALE.md has no `<!-- recipe: spark -->` python block"
    return found.group(1)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # The workers run this interpreter (the venv with credit_scorer in it).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("credit-scorer-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_recipe_scores_like_the_cli(spark, golden, cli, tmp_path):
    csv_path = tmp_path / "applicants.csv"
    csv_path.write_bytes(applicants_csv(golden, ROWS).encode())
    result = subprocess.run(
        [str(cli), "score", "--quiet", "--model", str(REFERENCE_MODEL), str(csv_path)],
        capture_output=True,
        check=True,
    )
    cli_rows = read_cli_csv(result.stdout)
    assert len(cli_rows) == ROWS

    # The book as a bank has it: typed Parquet (amounts with `12k` in them stay strings).
    book = tmp_path / "book.parquet"
    spark.read.csv(str(csv_path), header=True, inferSchema=True).write.parquet(str(book))

    scored_path = tmp_path / "scored.parquet"
    exec(recipe(), {"BOOK": str(book), "MODEL": str(REFERENCE_MODEL), "SCORED": str(scored_path)})

    table = pq.read_table(scored_path)
    assert table.num_rows == ROWS
    # Spark writes the rows in partitions; put them back in file order by id.
    order = pc.sort_indices(pc.cast(pc.utf8_slice_codeunits(table["id"], 1), "int64"))
    table = table.take(order)
    assert table["id"].to_pylist() == [row["id"] for row in cli_rows]
    assert table.schema.field("pd").type == "float"
    assert mismatches(cli_rows, table.to_pydict()) == []
    refused = sum(1 for row in cli_rows if row["error"])
    assert refused == len(range(7, ROWS, 101))
    assert table["error"].null_count == ROWS - refused
