"""How the gradient reaching the first layer compares with the last layer's, across depths.

``gradient_ratio_sweep`` builds stacks of ``depth`` hidden layers for every depth and seed,
measures ||dL/dW^[1]|| / ||dL/dW^[L]|| (first hidden layer over output layer) at
initialisation, trains each network a little and measures it again. A ratio far below 1 is a
vanishing gradient: the layers next to the input learn orders of magnitude more slowly than
the output layer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.lessons.diagnostics import gradient_norms_per_layer
from lib.losses import BinaryCrossEntropy
from lib.nn import Layer, mlp
from lib.optim import SGD
from lib.train import fit

__all__ = ["GradientRatioSweep", "gradient_ratio_sweep"]


@dataclass(frozen=True)
class GradientRatioSweep:
    """Ratios first/last layer gradient norm, each array of shape (seeds, depths)."""
    depths: np.ndarray
    before: np.ndarray          # at initialisation
    after: np.ndarray           # after ``epochs`` of training
    epochs: int
    diverged: int               # runs whose training diverged (their "after" is NaN)


def gradient_ratio_sweep(activation: type[Layer], depths, seeds, X, t, *, width: int = 32,
                         epochs: int = 20, lr: float = 0.1,
                         batch_size: int = 64) -> GradientRatioSweep:
    """First/last gradient-norm ratio of ``mlp([d] + [width] * depth + [1], activation)``.

    X : (n, d) inputs, t : (n,) labels in {0, 1} (binary cross-entropy on one logit). For every
    seed and depth the ratio is measured on the whole of (X, t) at initialisation, then after
    ``epochs`` of SGD (learning rate ``lr``, mini-batches of ``batch_size``, shuffled with the
    same seed).
    """
    depths = np.asarray(list(depths))
    seeds = list(seeds)
    if len(depths) == 0 or len(seeds) == 0 or np.any(depths < 1):
        raise ValueError("need at least one depth >= 1 and one seed.")
    loss = BinaryCrossEntropy()
    before = np.empty((len(seeds), len(depths)))
    after = np.empty_like(before)
    diverged = 0
    for i, seed in enumerate(seeds):
        for j, depth in enumerate(depths):
            net = mlp([X.shape[1]] + [width] * int(depth) + [1], activation, rng=seed)
            norms = gradient_norms_per_layer(net, loss, X, t)
            before[i, j] = norms[0] / norms[-1]
            history = fit(net, loss, SGD(net, lr=lr), X, t, epochs=epochs,
                          batch_size=batch_size, rng=seed, progress=False)
            if history.diverged:
                diverged += 1
                after[i, j] = np.nan
                continue
            norms = gradient_norms_per_layer(net, loss, X, t)
            after[i, j] = norms[0] / norms[-1]
    return GradientRatioSweep(depths, before, after, epochs, diverged)
