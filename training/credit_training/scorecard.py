"""The scorecard: points and bands from a PD (the page computes the same from the schema)."""

import math

import numpy as np

from .config import APPROVAL_BAND, BANDS, SCALING


def points_of(pd):
    factor = SCALING["pdo"] / math.log(2)
    offset = SCALING["base_points"] - factor * math.log(SCALING["base_odds"])
    pd = np.clip(np.asarray(pd, dtype=np.float64), 1e-12, 1 - 1e-12)
    pts = offset + factor * np.log((1 - pd) / pd)
    return np.clip(pts, SCALING["min_points"], SCALING["max_points"])


def band_of(pd):
    for b in BANDS:
        if pd <= b["max_pd"]:
            return b["id"]
    return BANDS[-1]["id"]


def approval_max_pd():
    """The PD up to which an applicant is approved: the upper bound of the approval band."""
    return next(b["max_pd"] for b in BANDS if b["id"] == APPROVAL_BAND)
