"""Measure the spread of chapter 2's softmax regression on the shipped MNIST digits.

    .venv/bin/python scripts/measure_mnist_band.py [n_seeds]

Trains the chapter's configuration (Linear(784, 10) from zeros, softmax + cross-entropy, SGD
lr 0.5, batch 64, 10 epochs) once per shuffle seed and prints each test accuracy, their mean
and standard deviation, and two deliberately worse runs (1 epoch; lr / 10). The band of
``tests/test_part1_facts.py::MNIST_BAND`` was set from this output.
"""
from __future__ import annotations

import sys

import numpy as np

from lib.data import load_mnist
from lib.losses import SoftmaxCrossEntropy
from lib.nn import Linear
from lib.optim import SGD
from lib.train import fit


def test_accuracy(data, seed: int, lr: float = 0.5, epochs: int = 10) -> float:
    model = Linear(784, 10, init="zeros")
    fit(model, SoftmaxCrossEntropy(), SGD(model, lr=lr), data.X_train, data.t_train,
        epochs=epochs, batch_size=64, rng=seed, progress=False)
    return float(np.mean(np.argmax(model.forward(data.X_test), axis=1) == data.t_test))


def main(n_seeds: int = 8) -> None:
    data = load_mnist()
    accs = np.array([test_accuracy(data, seed) for seed in range(n_seeds)])
    for seed, acc in enumerate(accs):
        print(f"seed {seed}: test accuracy {acc:.4f}")
    print(f"min {accs.min():.4f}  max {accs.max():.4f}  mean {accs.mean():.4f}  "
          f"std {accs.std():.4f}")
    print(f"1 epoch: {test_accuracy(data, 0, epochs=1):.4f}   "
          f"lr 0.05: {test_accuracy(data, 0, lr=0.05):.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
