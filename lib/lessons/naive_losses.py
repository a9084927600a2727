"""The lecture's loss formulas written literally, without the tricks that make them safe.

These exist to be compared with ``lib.losses`` (which is what training uses):

* binary cross-entropy on probabilities, l(p, t) = -[t log p + (1 - t) log(1 - p)], gives
  ``inf`` (log 0) when p reaches 0 or 1 and ``nan`` (0 * log 0) where t is 0 or 1 as well;
  and p = sigma(z) rounds to exactly 1.0 already for z > 36.7 in float64;
* softmax as e^{x_j} / sum_l e^{x_l} overflows (e^1000 = inf) and returns inf / inf = nan.

``lib.losses.BinaryCrossEntropy`` works on the logit z instead, and
``lib.losses.SoftmaxCrossEntropy`` goes through log-sum-exp: both stay finite.
NumPy's floating-point warnings are silenced here because the inf/nan *is* the lesson.
"""
from __future__ import annotations

import numpy as np

__all__ = ["naive_binary_cross_entropy", "naive_softmax", "naive_softmax_cross_entropy"]


def naive_binary_cross_entropy(p, t, reduction: str = "sum") -> float | np.ndarray:
    """-[t log p + (1 - t) log(1 - p)] on probabilities p, summed over samples (the lecture's L_CE).

    p, t : arrays of the same shape (n,), p in [0, 1], t in {0, 1}.
    reduction : "sum" (L, the lecture's sum over samples), "mean", or "none" (the n terms l).
    """
    p, t = np.asarray(p, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if p.shape != t.shape:
        raise ValueError(f"p has shape {p.shape} but t has shape {t.shape}; they must match.")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    if reduction == "none":
        return terms
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum', 'mean' or 'none', not {reduction!r}.")
    return float(terms.sum() if reduction == "sum" else terms.mean())


def naive_softmax(x, axis: int = -1) -> np.ndarray:
    """f_sm(x)_j = e^{x_j} / sum_l e^{x_l}, exactly as written (overflows for x_j > 709)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)


def naive_softmax_cross_entropy(x, t) -> float:
    """-sum_j t_j log f_sm(x)_j with the naive softmax, summed over the rows of a batch.

    x : logits (k,) or (n, k); t : one-hot targets of the same shape.
    """
    x, t = np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if x.shape != t.shape:
        raise ValueError(f"logits have shape {x.shape} but targets {t.shape}; give one-hot "
                         "targets of the same shape.")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.sum(t * np.log(naive_softmax(x))))
