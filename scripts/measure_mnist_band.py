"""Measure the spread of chapter 2's softmax regression on MNIST.

    .venv/bin/python scripts/measure_mnist_band.py [n_seeds] [--full]

Trains the chapter's configuration (``lib.lessons.mnist_softmax_regression``: Linear(784, 10)
from zeros, softmax + cross-entropy, SGD lr 0.5, batch 64, 10 epochs) once per shuffle seed and
prints each test accuracy, their mean and standard deviation, and two deliberately worse runs
(1 epoch; lr / 10). Without ``--full`` it uses the shipped 10,000 digits; with it, the full
70,000 from the cache (``make mnist-full`` first). ``tests/test_part1_facts.py::MNIST_BAND``
and ``FULL_MNIST_BAND`` are set from this output.
"""
from __future__ import annotations

import sys

import numpy as np

from lib.data import load_mnist
from lib.lessons.mnist_softmax_regression import train_softmax_regression


def test_accuracy(data, seed: int, lr: float = 0.5, epochs: int = 10) -> float:
    return train_softmax_regression(data, epochs=epochs, lr=lr, batch_size=64,
                                    rng=seed).test_accuracy


def main(n_seeds: int = 8, full: bool = False) -> None:
    data = load_mnist(full=full, download=False)
    print("full MNIST" if full else "shipped MNIST", len(data.X_train), "training digits")
    accs = np.array([test_accuracy(data, seed) for seed in range(n_seeds)])
    for seed, acc in enumerate(accs):
        print(f"seed {seed}: test accuracy {acc:.4f}")
    print(f"min {accs.min():.4f}  max {accs.max():.4f}  mean {accs.mean():.4f}  "
          f"std {accs.std():.4f}")
    print(f"1 epoch: {test_accuracy(data, 0, epochs=1):.4f}   "
          f"lr 0.05: {test_accuracy(data, 0, lr=0.05):.4f}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--full"]
    main(int(args[0]) if args else 8, full="--full" in sys.argv[1:])
