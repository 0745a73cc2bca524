"""The training pipeline of credit-scorer as a package; `training/train.py` runs it.

Modules, in the order a run uses them: `config` (paths, seeds, scaling, bands, characteristics),
`data` (load and encode), `binning` (Weight of Evidence), `network` (the models), `scorecard`
(points and bands), `metrics` (the model card's figures), `export` (ONNX graph, metadata, schema),
`files` (byte-reproducible writes), `fixtures` and `hostile` (test files), `report` (README),
`pipeline` (the run).
"""

import os

# Single-threaded BLAS and onnxruntime so that every float is reproducible. Set here, before any
# submodule imports numpy.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
