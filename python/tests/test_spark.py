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
from credit_scorer import OUTPUT_COLUMNS

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


def test_both_routes_give_the_same_rows_with_loose_names(spark, golden):
    """The Arrow UDF route (Spark ≥ 4.1) and the mapInArrow one: same columns, same rows, with
    feature columns named loosely (a space, a dash) and a refused row; a dot in a name works in
    the Arrow UDF route (pyspark's own mapInArrow cannot resolve such a column)."""
    from credit_scorer.spark import score_with_arrow_udf, score_with_map_in_arrow

    features = golden["features"]
    loose = {"credit_amount": "Credit Amount", "duration_months": "DURATION-MONTHS"}
    rows = []
    for i in range(300):
        x = dict(zip(features, golden["rows"][i % len(golden["rows"])]["x"]))
        values = [f"r{i}"] + [None if (i == 7 and f == "credit_amount") else x[f] for f in features]
        rows.append(values + ['say "hi", then' if i % 3 else None])
    names = ["id"] + [loose.get(f, f) for f in features] + ["note"]
    df = spark.createDataFrame(rows, names)
    model = REFERENCE_MODEL.read_bytes()
    by_udf = score_with_arrow_udf(df, model).toArrow()
    by_map = score_with_map_in_arrow(df, model).toArrow()
    assert by_udf.schema.names == names + list(OUTPUT_COLUMNS)
    assert by_udf.schema.names == by_map.schema.names
    by_udf = by_udf.take(pc.sort_indices(by_udf, [("id", "ascending")]))
    by_map = by_map.take(pc.sort_indices(by_map, [("id", "ascending")]))
    for name in OUTPUT_COLUMNS:
        assert by_udf[name].to_pylist() == by_map[name].to_pylist(), name
    errors = [e for e in by_udf["error"].to_pylist() if e is not None]
    assert len(errors) == 1 and "credit_amount" in errors[0]
    assert by_udf["pd"].null_count == 1
    dotted = score_with_arrow_udf(df.withColumnRenamed("housing", "hou.sing"), model).toArrow()
    dotted = dotted.take(pc.sort_indices(dotted, [("id", "ascending")]))
    assert dotted["pd"].to_pylist() == by_udf["pd"].to_pylist()
