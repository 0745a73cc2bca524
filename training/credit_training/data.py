"""The German credit data: loaded with its hash checked, encoded as the model's raw input."""

import csv
import hashlib
import sys

import numpy as np

from .config import CHARACTERISTICS, DATA, DATA_SHA256, EXCLUDED_COLUMNS, TARGET


def load_data():
    raw = DATA.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DATA_SHA256:
        sys.exit(f"training/data/germancredit.csv has sha256 {digest}, expected {DATA_SHA256}")
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    header = list(rows[0].keys())
    expected = {c["source_column"] for c in CHARACTERISTICS} | EXCLUDED_COLUMNS | {TARGET}
    if set(header) != expected:
        sys.exit(f"unexpected columns: {sorted(set(header) ^ expected)}")
    cols = {h: [r[h] for r in rows] for h in header}
    y = np.array([{"good": 0, "bad": 1}[v] for v in cols[TARGET]], dtype=np.int64)
    return cols, y


def encode(cols, specs):
    """Raw model input: categorical -> integer code, numeric -> value (float64 matrix)."""
    out = np.zeros((len(cols[TARGET]), len(specs)))
    for j, s in enumerate(specs):
        values = cols[s["source_column"]]
        if s["kind"] == "categorical":
            index = {v: i for i, (v, _) in enumerate(s["categories"])}
            unknown = sorted(set(values) - set(index))
            if unknown:
                sys.exit(f"{s['source_column']}: values without a code: {unknown}")
            out[:, j] = [index[v] for v in values]
        else:
            out[:, j] = [float(v) for v in values]
    return out
