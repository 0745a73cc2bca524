"""Writing outputs byte-reproducibly."""

import hashlib
import json

import numpy as np


def f32(v):
    """Full-precision decimal of a float32 value."""
    return float(np.float32(v))


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def write_bytes(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
