#!/usr/bin/env python3
"""Training pipeline of credit-scorer (Python is used for training only): the entry point of the
`credit_training` package next to it.

Run from the repository root:

    training/.venv/bin/python training/train.py      (or: cargo xtask train)

It reads training/data/germancredit.csv and writes, deterministically (byte for byte on rerun):

    www/models/german-credit-mlp.onnx          reference model (standard ONNX ops, schema embedded)
    training/metrics.json                      the model card (same object as in the schema)
    training/README.md                         docs with the tables this run printed
    tests/fixtures/reference_golden.json       onnxruntime outputs of the reference model
    tests/fixtures/models/*.onnx + *.json      foreign models with golden outputs
    tests/fixtures/hostile/*.onnx + manifest   broken / hostile models the loader must refuse
"""

from credit_training.pipeline import main

if __name__ == "__main__":
    main()
