"""The confusion matrix: which classes a classifier mistakes for which."""
from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix"]


def confusion_matrix(t, y, k: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j.

    t, y : integer labels (n,) in 0..k-1 (true and predicted). k defaults to 1 + the largest
    label seen. Returns (k, k) int64; the diagonal counts the correct predictions, so
    ``C.trace() / C.sum()`` is the accuracy.
    """
    t, y = np.asarray(t).reshape(-1), np.asarray(y).reshape(-1)
    if t.shape != y.shape:
        raise ValueError(f"{t.size} true labels but {y.size} predictions; they must match.")
    if t.size and (t.min() < 0 or y.min() < 0):
        raise ValueError("labels must be non-negative integers 0..k-1.")
    if k is None:
        k = int(max(t.max(initial=-1), y.max(initial=-1))) + 1
    if t.size and max(t.max(), y.max()) >= k:
        raise ValueError(f"labels must lie in 0..{k - 1} for k = {k} classes.")
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t.astype(np.int64), y.astype(np.int64)), 1)   # add.at counts repeated pairs
    return C
