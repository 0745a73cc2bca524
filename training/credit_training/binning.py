"""Binning and Weight of Evidence: the encoder every model trains on, and the schema's baselines."""

import math

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .config import SMOOTH


def round_cut(v, unit):
    return float(math.floor(v / unit + 0.5) * unit)


class WoEEncoder(BaseEstimator, TransformerMixin):
    """Bins each raw column and replaces it by the bin's Weight of Evidence.

    Categorical: one bin per code. Numeric: cut points at the training quintiles rounded to
    `round_to`; bin i holds cuts[i-1] <= x < cuts[i]. WoE = ln(share of goods / share of bads) with
    +0.5 smoothing, rounded to 6 decimals (the exported graph uses the same numbers). Unknown codes
    get WoE 0 here; the exported graph is defined on the schema's codes only (it gives a code
    outside them the WoE of the nearest code below), and validation refuses any other value.
    """

    def __init__(self, specs=None):
        self.specs = specs

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.cuts_, self.woe_, self.share_, self.iv_ = [], [], [], []
        for j, s in enumerate(self.specs):
            x = X[:, j]
            if s["kind"] == "categorical":
                cuts = None
                keys = np.arange(len(s["categories"]), dtype=np.float64)
                bins = np.array([np.flatnonzero(keys == v)[0] for v in x])
            else:
                q = np.quantile(x, [0.2, 0.4, 0.6, 0.8])
                cuts = sorted({round_cut(v, s["round_to"]) for v in q})
                cuts = [c for c in cuts if x.min() < c <= x.max()]
                bins = (x[:, None] >= np.array(cuts)[None, :]).sum(axis=1) if cuts else np.zeros(len(x), int)
                keys = np.arange(len(cuts) + 1)
            m = len(keys)
            good = np.array([np.sum((bins == k) & (y == 0)) for k in range(m)], dtype=np.float64)
            bad = np.array([np.sum((bins == k) & (y == 1)) for k in range(m)], dtype=np.float64)
            gs = (good + SMOOTH) / (good.sum() + SMOOTH * m)
            bs = (bad + SMOOTH) / (bad.sum() + SMOOTH * m)
            woe = np.round(np.log(gs / bs), 6)
            self.cuts_.append(cuts)
            self.woe_.append(woe)
            self.share_.append((good + bad) / len(x))
            self.iv_.append(float(np.sum((gs - bs) * woe)))
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        out = np.zeros_like(X)
        for j, s in enumerate(self.specs):
            x = X[:, j]
            woe = self.woe_[j]
            if s["kind"] == "categorical":
                for k in range(len(woe)):
                    out[x == k, j] = woe[k]
            else:
                cuts = self.cuts_[j]
                bins = (x[:, None] >= np.array(cuts)[None, :]).sum(axis=1) if cuts else np.zeros(len(x), int)
                out[:, j] = woe[bins]
        return out


def numeric_baseline(cuts, woe, lo, hi, unit):
    """A round value inside the highest-WoE bin and inside [lo, hi]."""
    b = int(np.argmax(woe))
    left = lo if b == 0 else cuts[b - 1]
    right = hi + 1 if b == len(cuts) else cuts[b]  # exclusive
    left, right = max(left, lo), min(right, hi + 1)
    mid = (left + right) / 2
    for cand in (round_cut(mid, unit), math.ceil(left / unit) * unit, left):
        if left <= cand < right and lo <= cand <= hi:
            return float(cand)
    raise AssertionError("no baseline")
