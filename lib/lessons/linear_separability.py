"""Which labellings of a finite set of 2-D points can one line produce? All of them, exactly.

A single neuron with a threshold labels a point 1 where w.x + b >= 0 and 0 otherwise. On n
points it can realise only some of the 2^n labellings ("dichotomies"). This module lists them
*exhaustively* (no random search), so that "no line gets more than 3 of the 4 XOR points right"
is a computed fact rather than a failed search.

Why a finite list is complete. Think of (b, w_1, w_2) as a point of parameter space; each data
point x_k splits that space by the plane b + w.x_k = 0, and a labelling is realisable exactly
when its cell of this arrangement is not empty. Every cell touches a vertex of the arrangement
(where two planes meet: a line through two data points x_i, x_j), so every realisable labelling
is obtained by taking the line through two data points, labelling the points off the line by
their side, and tilting / shifting the line a little to decide the points on it; a small tilt
sorts those collinear points by a threshold along the line, in either direction.
"""
from __future__ import annotations

import numpy as np

__all__ = ["linear_dichotomies", "best_linear_accuracy", "is_linearly_separable"]

_TOL = 1e-9


def _check_points(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"expected n >= 1 points in the plane, shape (n, 2); got {X.shape}.")
    if len(X) > 20:
        raise ValueError(f"{len(X)} points: the exhaustive enumeration is meant for small sets "
                         "(at most 20 points).")
    return X


def _threshold_labellings(s: np.ndarray) -> list[np.ndarray]:
    """All labellings of points at positions s (1-D) that one threshold produces: s > c or s < c."""
    values = np.unique(s)
    cuts = np.concatenate([[values[0] - 1], (values[:-1] + values[1:]) / 2, [values[-1] + 1]])
    out = []
    for c in cuts:
        out.append((s > c).astype(np.int64))
        out.append((s < c).astype(np.int64))
    return out


def linear_dichotomies(X) -> np.ndarray:
    """Every labelling of the points X (n, 2) that some line w.x + b >= 0 produces.

    Returns an (m, n) int64 array of distinct rows in {0, 1}^n, sorted. For n points in general
    position (no three on a line) m = 2 [C(n-1, 0) + C(n-1, 1) + C(n-1, 2)] (Cover, 1965):
    14 of the 16 labellings of 4 points.
    """
    X = _check_points(X)
    n = len(X)
    found = {tuple([0] * n), tuple([1] * n)}           # a line far away from every point
    for i in range(n):
        for j in range(i + 1, n):
            direction = X[j] - X[i]
            if np.linalg.norm(direction) < _TOL:        # the same point twice: no line
                continue
            normal = np.array([-direction[1], direction[0]])
            side = (X - X[i]) @ normal                  # signed distance (times |d|) to the line
            on_line = np.abs(side) <= _TOL * max(1.0, np.abs(side).max())
            position = (X[on_line] - X[i]) @ direction  # where the collinear points sit on it
            for orientation in (1.0, -1.0):             # which side of the line is labelled 1
                base = (orientation * side > 0).astype(np.int64)
                for along in _threshold_labellings(position):
                    labels = base.copy()
                    labels[on_line] = along
                    found.add(tuple(labels))
    return np.array(sorted(found), dtype=np.int64)


def best_linear_accuracy(X, t) -> float:
    """The highest accuracy any single line (any w, b) reaches on the labelled points (X, t)."""
    X = _check_points(X)
    t = np.asarray(t).reshape(-1)
    if t.shape != (len(X),) or not np.all(np.isin(t, (0, 1))):
        raise ValueError(f"t must hold one label 0 or 1 per point: {len(X)} labels, got shape "
                         f"{np.shape(t)}.")
    return float(np.max(np.mean(linear_dichotomies(X) == t, axis=1)))


def is_linearly_separable(X, t) -> bool:
    """True when one line puts every point with t = 1 on one side and every t = 0 on the other."""
    return best_linear_accuracy(X, t) == 1.0
