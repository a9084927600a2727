"""The 2-D data sets of playground.tensorflow.org (and scikit-learn's moons).

Every generator returns ``(X, t)``: X of shape (n, 2), float64, roughly in [-1, 1]^2 (the
spiral and gaussians slightly beyond), and labels t of shape (n,), int64, in {0, 1}.
``noise`` is the standard deviation of Gaussian noise added to the points (0 = clean);
``rng`` a seed or ``numpy.random.Generator`` so that every figure is reproducible.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["xor", "xor_truth_table", "circle", "gaussians", "spiral", "moons",
           "train_test_split", "make_dataset", "DATASETS"]


def xor_truth_table() -> tuple[np.ndarray, np.ndarray]:
    """The four points of p XOR q: X (4, 2) in {0, 1}^2 and t = p XOR q."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.array([0, 1, 1, 0], dtype=np.int64)


def _start(n: int, noise: float, rng: int | np.random.Generator | None) -> np.random.Generator:
    """Check the common arguments; the Generator every data set draws from."""
    if int(n) < 2:
        raise ValueError(f"need at least 2 points, got n={n}.")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and cannot be negative, got {noise}.")
    return np.random.default_rng(rng)


def _halves(n: int) -> np.ndarray:
    """Labels 1 for the first n // 2 points, 0 for the rest: (n,) int64."""
    return (np.arange(n) < n // 2).astype(np.int64)


def xor(n: int = 200, noise: float = 0.0,
        rng: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]^2, label 1 where x1 * x2 < 0 (opposite quadrants)."""
    rng = _start(n, noise, rng)
    X = rng.uniform(-1, 1, size=(n, 2))
    X += np.sign(X) * 0.05                  # a small margin around the axes, as on the playground
    t = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return X + noise * rng.standard_normal(X.shape), t


def circle(n: int = 200, noise: float = 0.0,
           rng: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A disc of label 1 (radius < 0.5) inside a ring of label 0 (radius 0.7 to 1)."""
    rng = _start(n, noise, rng)
    t = _halves(n)
    radius = np.where(t == 1, rng.uniform(0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X + noise * rng.standard_normal(X.shape), t


def gaussians(n: int = 200, noise: float = 0.0,
              rng: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs centred at (0.5, 0.5) (label 1) and (-0.5, -0.5) (label 0)."""
    rng = _start(n, noise, rng)
    t = _halves(n)
    centres = np.where(t[:, None] == 1, 0.5, -0.5)
    X = centres + (0.2 + noise) * rng.standard_normal((n, 2))
    return X, t


def spiral(n: int = 200, noise: float = 0.0,
           rng: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, 1.75 turns each, radius growing from 0 to 1."""
    rng = _start(n, noise, rng)
    t = _halves(n)
    r = np.concatenate([np.linspace(0, 1, n - n // 2), np.linspace(0, 1, n // 2)])
    angle = 1.75 * 2 * np.pi * r + np.pi * t
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    return X + noise * rng.standard_normal(X.shape), t


def moons(n: int = 200, noise: float = 0.0,
          rng: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``), scaled into [-1, 1]^2."""
    rng = _start(n, noise, rng)
    t = _halves(n)
    angle = rng.uniform(0, np.pi, n)
    X = np.where(t[:, None] == 0,
                 np.column_stack([np.cos(angle), np.sin(angle)]),
                 np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)]))
    X = (X - [0.5, 0.25]) / 1.5
    return X + noise * rng.standard_normal(X.shape), t


DATASETS = {"xor": xor, "circle": circle, "gaussians": gaussians, "spiral": spiral, "moons": moons}


def make_dataset(name: str, n: int = 200, noise: float = 0.0,
                 rng: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """``make_dataset("spiral", 300, noise=0.1, rng=1)``: any playground set by name."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}.")
    return DATASETS[name](n, noise, rng)


def train_test_split(X: ArrayLike, t: ArrayLike, test_fraction: float = 0.5,
                     rng: int | np.random.Generator | None = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split: returns X_train, X_test, t_train, t_test (test gets the fraction)."""
    X, t = np.asarray(X), np.asarray(t)
    if len(X) != len(t):
        raise ValueError(f"train_test_split: {len(X)} inputs but {len(t)} targets.")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}.")
    order = np.random.default_rng(rng).permutation(len(X))
    n_test = max(1, int(round(test_fraction * len(X))))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], t[train], t[test]
