"""Losses: ``forward(z, t) -> float`` and ``backward() -> dL/dz``.

Each loss takes the network's last output ``z`` (logits, before any sigmoid or softmax)
and the targets ``t``. It averages over the batch by default (``reduction="mean"``);
``reduction="sum"`` gives the lecture's sum over samples, L = sum_i l(z_i, t_i).
The sigmoid or softmax lives inside the loss so that it can be computed stably.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import functional as F
from .nn import ShapeError, as_float_batch

__all__ = ["Loss", "MeanSquaredError", "BinaryCrossEntropy", "SoftmaxCrossEntropy"]


class Loss:
    """Common parts: reduction, caching, the call syntax and readable errors."""

    def __init__(self, reduction: str = "mean"):
        if reduction not in ("mean", "sum"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean' or 'sum', "
                             f"not {reduction!r}.")
        self.reduction = reduction
        self._cache = None

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, z: ArrayLike, t: ArrayLike) -> float:
        return self.forward(z, t)

    def __repr__(self) -> str:
        return f"{self.name}(reduction={self.reduction!r})"

    def _scale(self, n: int) -> float:
        return 1.0 / n if self.reduction == "mean" else 1.0

    def _check_backward(self):
        if self._cache is None:
            raise RuntimeError(f"{self.name}.backward was called before forward: call "
                               "loss.forward(z, t) (or loss(z, t)) first; it stores what the "
                               "gradient needs.")
        return self._cache

    def predict(self, z: np.ndarray) -> np.ndarray | None:
        """Class predictions from outputs, or None when the loss is not a classifier's."""
        return None


def _as_2d_outputs(z, where: str) -> np.ndarray:
    """Accept (n,) as (n, 1) for single-output networks; otherwise insist on (n, k)."""
    z = np.asarray(z)
    if z.ndim == 1:
        z = z.reshape(-1, 1)
    return as_float_batch(z, where)


class MeanSquaredError(Loss):
    """L = (1/n) sum_i ||y_i - t_i||^2 ;  dL/dy = 2 (y - t) / n.

    Shapes: y and t both (n, k) (or both (n,)).
    """

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        y2 = _as_2d_outputs(y, f"{self.name}.forward (predictions)")
        t2 = np.asarray(t)
        t2 = t2.reshape(-1, 1) if t2.ndim == 1 else t2
        if t2.shape != y2.shape:
            raise ShapeError(f"{self.name}: predictions have shape {np.shape(y)} but targets "
                             f"have shape {np.shape(t)}; they must match.")
        diff = y2 - t2.astype(y2.dtype)
        self._cache = (diff, np.shape(y))
        return float(np.sum(diff * diff) * self._scale(y2.shape[0]))

    def backward(self) -> np.ndarray:
        diff, shape = self._check_backward()
        return (2.0 * diff * self._scale(diff.shape[0])).reshape(shape)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on logits z (p = sigma(z)), stable for any z.

    l(p, t) = -[t log p + (1 - t) log(1 - p)] = max(z, 0) - t z + log(1 + e^-|z|)
    dl/dz = sigma(z) - t.   Shapes: z (n,) or (n, 1); t the same, values in [0, 1].
    """

    def forward(self, z: ArrayLike, t: ArrayLike) -> float:
        z2 = _as_2d_outputs(z, f"{self.name}.forward (logits)")
        if z2.shape[1] != 1:
            raise ShapeError(f"{self.name}: logits have shape {np.shape(z)}; binary "
                             "cross-entropy needs one output per sample, (n,) or (n, 1). For k "
                             "classes use SoftmaxCrossEntropy.")
        t = np.asarray(t)
        if t.size != z2.shape[0]:
            raise ShapeError(f"{self.name}: {z2.shape[0]} logits but targets of shape "
                             f"{t.shape}; give one target per sample.")
        t = t.reshape(z2.shape).astype(z2.dtype)
        if np.any((t < 0) | (t > 1)) or np.any(np.isnan(t)):
            raise ValueError(f"{self.name}: targets must lie in [0, 1] (labels 0 or 1); got "
                             f"values from {np.nanmin(t)} to {np.nanmax(t)}.")
        self._cache = (z2, t, np.shape(z))
        losses = F.softplus(z2) - t * z2
        return float(np.sum(losses) * self._scale(z2.shape[0]))

    def backward(self) -> np.ndarray:
        z, t, shape = self._check_backward()
        return ((F.sigmoid(z) - t) * self._scale(z.shape[0])).reshape(shape)

    def predict(self, z: np.ndarray) -> np.ndarray:
        return (np.asarray(z).reshape(len(z), -1)[:, 0] > 0).astype(np.int64)


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused through log-sum-exp.

    l(z, t) = -sum_j t_j log f_sm(z)_j = -sum_j t_j [z_j - log sum_l e^{z_l}]
    dl/dz = f_sm(z) - t.
    Shapes: z (n, k); t either integer labels (n,) in 0..k-1 or one-hot / probabilities (n, k).
    """

    def forward(self, z: ArrayLike, t: ArrayLike) -> float:
        z = as_float_batch(z, f"{self.name}.forward (logits)")
        n, k = z.shape
        labels, T = self._labels_or_matrix(t, n, k, z.dtype)
        log_p = F.log_softmax(z, axis=1)
        self._cache = (log_p, labels, T)
        if labels is not None:      # sum_j t_j log p_j with one-hot t picks one entry per row
            return float(-np.sum(log_p[np.arange(n), labels]) * self._scale(n))
        return float(-np.sum(T * log_p) * self._scale(n))

    def backward(self) -> np.ndarray:
        log_p, labels, T = self._check_backward()
        n = log_p.shape[0]
        grad = np.exp(log_p)                    # f_sm(z)
        if labels is not None:
            grad[np.arange(n), labels] -= 1     # - t, without building the one-hot matrix
        else:
            grad -= T
        grad *= self._scale(n)
        return grad

    def predict(self, z: np.ndarray) -> np.ndarray:
        return np.argmax(z, axis=1)

    def _labels_or_matrix(self, t, n: int, k: int, dtype):
        """(labels, None) for integer labels (n,), (None, T) for (n, k) targets; else raise."""
        t = np.asarray(t)
        if t.ndim == 1:
            if t.shape[0] != n:
                raise ShapeError(f"{self.name}: {n} rows of logits but {t.shape[0]} labels.")
            if not np.issubdtype(t.dtype, np.integer):
                if np.issubdtype(t.dtype, np.floating) and np.all(t == np.round(t)):
                    t = t.astype(np.int64)
                else:
                    raise TypeError(f"{self.name}: labels must be integers 0..{k - 1}, got dtype "
                                    f"{t.dtype}.")
            if t.min() < 0 or t.max() >= k:
                raise ValueError(f"{self.name}: labels must lie in 0..{k - 1} for {k} classes "
                                 f"(logits of shape {(n, k)}); got labels from {t.min()} to "
                                 f"{t.max()}.")
            return t, None
        if t.shape != (n, k):
            raise ShapeError(f"{self.name}: logits have shape {(n, k)} but targets have shape "
                             f"{t.shape}; give labels of shape ({n},) or one-hot ({n}, {k}).")
        return None, t.astype(dtype, copy=False)
