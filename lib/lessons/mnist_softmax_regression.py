"""Chapter 2's softmax regression on MNIST: which digits it trains on, and the training itself.

``digits_for_the_chapter`` takes the full MNIST set (60,000 training and 10,000 test digits)
when it is already in the cache and verifies against its SHA-256 sums (``make mnist-full``
puts it there), and otherwise the 10,000 digits shipped with the course; it never downloads.
It says which one it took, so the page can say which data set its numbers come from.
``train_softmax_regression`` is the chapter's model: one ``Linear(784, 10)`` with softmax +
cross-entropy, trained by mini-batch SGD from zero weights.
"""
from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from lib.data.mnist import MNIST, full_mnist_in_cache, load_mnist
from lib.losses import SoftmaxCrossEntropy
from lib.nn import Linear
from lib.optim import SGD
from lib.train import History, fit

__all__ = ["ChapterDigits", "SoftmaxRegressionRun", "digits_for_the_chapter",
           "train_softmax_regression"]


class ChapterDigits(NamedTuple):
    data: MNIST
    full: bool              # True: the full 70,000; False: the shipped 10,000
    description: str        # for the page, e.g. "the full MNIST set (60,000 training ...)"


class SoftmaxRegressionRun(NamedTuple):
    model: Linear
    history: History
    predicted: np.ndarray   # (n_test,) predicted digit of every test image
    test_accuracy: float


def digits_for_the_chapter(cache_dir: str | os.PathLike | None = None,
                           files: dict[str, str] | None = None) -> ChapterDigits:
    """The full MNIST set if it is in ``cache_dir`` and verifies (see ``full_mnist_in_cache``),
    else the shipped 10,000 digits. ``files`` (name -> SHA-256) defaults to the real set's."""
    if full_mnist_in_cache(cache_dir, files):
        data = load_mnist(full=True, cache_dir=cache_dir, files=files, download=False)
        kind = "the full MNIST set"
    else:
        data = load_mnist()
        kind = "the MNIST digits shipped with the course"
    n_train, n_test = len(data.X_train), len(data.X_test)
    description = (f"{kind} ({n_train:,} training and {n_test:,} test digits, "
                   f"{n_train + n_test:,} in all)")
    return ChapterDigits(data, full=kind == "the full MNIST set", description=description)


def train_softmax_regression(data: MNIST, *, epochs: int = 10, lr: float = 0.5,
                             batch_size: int = 64, rng: int = 0) -> SoftmaxRegressionRun:
    """One Linear(784, 10) from zero weights, softmax + cross-entropy, mini-batch SGD.

    data : MNIST with X_* of shape (n, 784) in [0, 1] and labels t_* of shape (n,).
    """
    model = Linear(data.X_train.shape[1], 10, init="zeros")
    history = fit(model, SoftmaxCrossEntropy(), SGD(model, lr=lr), data.X_train, data.t_train,
                  epochs=epochs, batch_size=batch_size, X_test=data.X_test, t_test=data.t_test,
                  rng=rng, progress=False)
    predicted = np.argmax(model.forward(data.X_test), axis=1)
    return SoftmaxRegressionRun(model, history, predicted,
                                float(np.mean(predicted == data.t_test)))
