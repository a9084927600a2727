"""How many hidden units one hidden layer needed, measured as the input dimension d grows.

Two fitting methods, one protocol, so that their widths can be compared:

* ``"random"``: ``random_feature_network``, hidden units drawn at random and kept, output layer
  solved by least squares (the best output layer for those units);
* ``"trained"``: the same network, then *every* weight trained by full-batch Adam on the mean
  squared error (hidden units moved towards the target, as the theorems of Barron allow).

The protocol: ``n_samples`` uniform training points of [0, 1]^d, the same for every width (so
a larger width is not also given more data); the error is measured on separate test points,
as the RMS error divided by the target's standard deviation (sqrt of MSE / variance: 1 is the
best constant, whatever the scale of the target); the search tries widths in increasing order
and stops at the first below ``eps``; it is repeated over several seeds (new hidden units,
new training points). A width found this way is what *this method* needed, an upper bound on
what one hidden layer needs: no method proves that fewer units cannot do.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lib.lessons.approximation import random_feature_network, relative_rms_error
from lib.losses import MeanSquaredError
from lib.optim import Adam
from lib.train import train_epoch

__all__ = ["METHODS", "WidthSearch", "fitted_network", "search_width", "search_over_seeds"]

METHODS = ("random", "trained")


def fitted_network(f: Callable[[np.ndarray], np.ndarray], d: int, width: int, method: str,
                   n_samples: int, seed: int = 0, epochs: int = 300, lr: float = 0.01):
    """A Linear(d, width) -> ReLU -> Linear(width, 1) network fitted to f on ``n_samples``
    uniform points of [0, 1]^d by ``method`` (``"random"`` or ``"trained"``, see the module).

    ``epochs`` and ``lr``: full-batch Adam steps and their rate, for ``"trained"`` only.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    net = random_feature_network(f, d, width, n_samples=n_samples, seed=seed)
    if method == "trained":
        # the same training points the least-squares fit used (drawn after the hidden units,
        # from the same seed); training starts from that fit, so it can only move from there
        rng = np.random.default_rng(seed)
        rng.standard_normal((width, d))
        rng.uniform(1.0, 8.0, (width, 1))
        rng.uniform(0.0, 1.0, (width, d))
        X = rng.uniform(0.0, 1.0, (n_samples, d))
        y = np.asarray(f(X), dtype=float).reshape(-1, 1)
        # full-batch Adam steps; the bare epoch loop, since no history is needed here
        loss, optimizer, order = MeanSquaredError(), Adam(net, lr=lr), np.random.default_rng(seed)
        for _ in range(epochs):
            if train_epoch(net, loss, optimizer, X, y, n_samples, order) is not None:
                raise FloatingPointError(f"training diverged (lr={lr} too large?)")
    return net


@dataclass(frozen=True)
class WidthSearch:
    """The result of ``search_width``: ``width`` the first width below ``eps`` (None: none of
    ``widths`` reached it) and ``errors`` the relative RMS error of every width tried."""
    width: int | None
    errors: tuple[float, ...]


def search_width(f: Callable[[np.ndarray], np.ndarray], d: int, eps: float, widths: Sequence[int],
                 method: str = "random", n_samples: int = 2000, seed: int = 0,
                 **train) -> WidthSearch:
    """The smallest width in ``widths`` (tried in order) whose network, fitted by ``method`` on
    ``n_samples`` points, has relative RMS error below ``eps`` on test points of [0, 1]^d."""
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a positive number, got {eps}.")
    if list(widths) != sorted(widths) or not widths:
        raise ValueError(f"widths must be a non-empty increasing sequence, got {widths}.")
    errors = []
    for width in widths:
        net = fitted_network(f, d, int(width), method, n_samples, seed, **train)
        errors.append(relative_rms_error(net, f, d))
        if errors[-1] < eps:
            return WidthSearch(int(width), tuple(errors))
    return WidthSearch(None, tuple(errors))


def search_over_seeds(f: Callable[[np.ndarray], np.ndarray], d: int, eps: float,
                      widths: Sequence[int], seeds: Sequence[int], **kwargs) -> list[int | None]:
    """``search_width(...).width`` for every seed: the spread a single seed would hide."""
    return [search_width(f, d, eps, widths, seed=s, **kwargs).width for s in seeds]
