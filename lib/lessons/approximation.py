"""The constructive intuition behind universal approximation, as real ``lib`` networks.

Every function here returns a ``Sequential`` whose weights are *set* by a construction (no
training), so the lecture's pictures can be computed, evaluated and measured:

* ``step_network``: one steep sigmoid, sigma(w x + b), a step at x = -b / w;
* ``bump_network``: two steps, sigma(w (x - l)) - sigma(w (x - r)): height h on [l, r];
* ``bumps_network``: a sum of N bumps approximating f on [0, 1] (Linear -> Sigmoid -> Linear,
  2N hidden units), or the same with ReLU ramps instead of sigmoids (4N ReLU units);
* ``relu_interpolation_network``: the piece-wise linear interpolant of f with N ReLU units;
* ``tower_network``: in d dimensions a second layer turns d bumps into one tower per cell,
  N^d towers for N cells per axis: the exponential cost in the input dimension;
* ``max_error``: the sup-norm error on a grid, the measure the theorems talk about;
* ``random_feature_network``: a true one-hidden-layer ReLU network (hidden units drawn at
  random, output weights solved by least squares), and ``relative_rms_error``, its error as a
  share of the target's spread; ``lib.lessons.dimension_cost`` searches the width it needs.

Input is x in [0, 1]^d as rows of shape (n, d); outputs are (n, 1).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lib.data.grid import grid_points
from lib.nn import Linear, ReLU, Sequential, Sigmoid

__all__ = ["step_network", "bump_network", "bumps_network", "relu_interpolation_network",
           "tower_network", "tower_units", "max_error", "rms_error", "random_feature_network",
           "relative_rms_error"]


def _check_positive(name: str, value) -> None:
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value}.")


def step_network(position: float, steepness: float) -> Sequential:
    """sigma(w x + b) with w = steepness and b = -steepness * position: a step at x = -b/w.

    The larger w, the sharper the step (it rises over a width of about 4 / w).
    """
    _check_positive("steepness", steepness)
    return Sequential(Linear.from_weights([[steepness]], [-steepness * position]), Sigmoid())


def bump_network(left: float, right: float, height: float, steepness: float) -> Sequential:
    """h [sigma(w (x - l)) - sigma(w (x - r))]: two hidden sigmoid units, a bump on [l, r]."""
    _check_positive("steepness", steepness)
    if not right > left:
        raise ValueError(f"a bump needs left < right, got left={left}, right={right}.")
    w = steepness
    return Sequential(Linear.from_weights([[w], [w]], [-w * left, -w * right]), Sigmoid(),
                      Linear.from_weights([[height, -height]], [0.0]))


def _bump_edges(n_bumps: int):
    """Edges of N equal cells of [0, 1]; the outer two pushed out by one cell, so that the
    half-height of a step never falls on the ends of the interval."""
    if int(n_bumps) != n_bumps or n_bumps < 1:
        raise ValueError(f"n_bumps must be a positive integer, got {n_bumps}.")
    edges = np.linspace(0.0, 1.0, n_bumps + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    edges[0], edges[-1] = -1.0 / n_bumps, 1.0 + 1.0 / n_bumps
    return edges[:-1], edges[1:], centres


def bumps_network(f: Callable[[np.ndarray], np.ndarray], n_bumps: int, steepness: float,
                  activation: str = "sigmoid") -> Sequential:
    """A sum of ``n_bumps`` bumps of height f(centre) approximating f on [0, 1].

    f : vectorised function of x (m,) -> (m,).
    steepness : w of every step; a step rises over about 4/w (sigmoid) or exactly 1/w (ramp).
    activation : ``"sigmoid"`` (2 units per bump: Linear(1, 2N) -> Sigmoid -> Linear(2N, 1)) or
        ``"relu"`` (each step a ramp relu(w(x - p) + 1/2) - relu(w(x - p) - 1/2): 4 units per bump).
    """
    _check_positive("steepness", steepness)
    left, right, centres = _bump_edges(n_bumps)
    h = np.asarray(f(centres), dtype=float).reshape(-1)
    if h.shape != centres.shape:
        raise ValueError(f"f must map an array of shape (m,) to shape (m,); got {h.shape} for "
                         f"input {centres.shape}.")
    w = float(steepness)
    if activation == "sigmoid":
        pos = np.concatenate([left, right])                       # 2N step positions
        W1, b1 = np.full((2 * n_bumps, 1), w), -w * pos
        W2 = np.concatenate([h, -h])[None, :]
        return Sequential(Linear.from_weights(W1, b1), Sigmoid(), Linear.from_weights(W2, [0.0]))
    if activation == "relu":
        pos = np.concatenate([left, right])
        # ramp(x; p) = relu(w(x-p) + 1/2) - relu(w(x-p) - 1/2): 0 left of p - 1/(2w), 1 right of
        # p + 1/(2w), linear in between: the "hard" sigmoid
        b1 = np.concatenate([-w * pos + 0.5, -w * pos - 0.5])
        W1 = np.full((4 * n_bumps, 1), w)
        sign = np.concatenate([h, -h])                             # + for left steps, - for right
        W2 = np.concatenate([sign, -sign])[None, :]
        return Sequential(Linear.from_weights(W1, b1), ReLU(), Linear.from_weights(W2, [0.0]))
    raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}.")


def relu_interpolation_network(f: Callable[[np.ndarray], np.ndarray], n_units: int) -> Sequential:
    """The piece-wise linear interpolant of f at n_units + 1 equally spaced knots of [0, 1].

    y(x) = f(0) + sum_i (s_i - s_{i-1}) relu(x - x_i),  x_i = i / N,  s_i the slope on
    [x_i, x_{i+1}], s_{-1} = 0. N hidden ReLU units; on [0, 1] relu(x - 0) = x.
    """
    if int(n_units) != n_units or n_units < 1:
        raise ValueError(f"n_units must be a positive integer, got {n_units}.")
    knots = np.linspace(0.0, 1.0, n_units + 1)
    values = np.asarray(f(knots), dtype=float).reshape(-1)
    slopes = np.diff(values) / np.diff(knots)
    changes = np.diff(np.concatenate([[0.0], slopes]))
    return Sequential(Linear.from_weights(np.ones((n_units, 1)), -knots[:-1]), ReLU(),
                      Linear.from_weights(changes[None, :], [values[0]]))


def tower_units(n_per_axis: int, d: int) -> int:
    """Hidden units of ``tower_network``: d (N + 1) steps in layer 1, N^d towers in layer 2."""
    return d * (n_per_axis + 1) + n_per_axis ** d


def tower_network(f: Callable[[np.ndarray], np.ndarray], n_per_axis: int, d: int = 2,
                  steepness: float | None = None) -> Sequential:
    """Approximate f on [0, 1]^d by N^d towers, one per cell of an N x ... x N grid.

    Layer 1 (d (N + 1) sigmoid units): a step at every cell edge along every axis; along axis k
    the bump of cell j is S_{k,j} - S_{k,j+1}. Layer 2 (N^d sigmoid units): the tower of a cell
    fires when all d of its bumps are on, sigma(s2 (sum_k bump_k - (d - 1/2))). Output: the sum
    of towers times f(cell centre).

    steepness : w of every step of layer 1 (default 200 N: a step rises over about 1/50 of a
        cell); the towers of layer 2 get w / N.

    f : vectorised function of points (m, d) -> (m,).
    Layers: Linear(d, d(N+1)), Sigmoid, Linear(d(N+1), N^d), Sigmoid, Linear(N^d, 1).
    """
    if int(n_per_axis) != n_per_axis or n_per_axis < 1:
        raise ValueError(f"n_per_axis must be a positive integer, got {n_per_axis}.")
    if int(d) != d or d < 1:
        raise ValueError(f"d must be a positive integer, got {d}.")
    N = int(n_per_axis)
    w = 200.0 * N if steepness is None else steepness
    _check_positive("steepness", w)
    if N ** d > 200_000:
        raise ValueError(f"{N}^{d} = {N ** d} towers is too many to build here; that is the point "
                         "of the N^d cost. Use tower_units to count them instead.")
    edges = np.linspace(0.0, 1.0, N + 1)
    edges[0], edges[-1] = -1.0 / N, 1.0 + 1.0 / N           # outer steps outside the cube
    # layer 1: unit (k, j) = sigma(w (x_k - edge_j))
    W1 = np.zeros((d * (N + 1), d))
    for k in range(d):
        W1[k * (N + 1):(k + 1) * (N + 1), k] = w
    b1 = -w * np.tile(edges, d)
    # layer 2: cell (j_1..j_d) adds S_{k,j_k} - S_{k,j_k+1} over k
    cells = np.stack(np.meshgrid(*[np.arange(N)] * d, indexing="ij"), axis=-1).reshape(-1, d)
    s2 = w / N
    W2 = np.zeros((len(cells), d * (N + 1)))
    rows = np.arange(len(cells))
    for k in range(d):
        W2[rows, k * (N + 1) + cells[:, k]] += s2
        W2[rows, k * (N + 1) + cells[:, k] + 1] -= s2
    b2 = np.full(len(cells), -s2 * (d - 0.5))
    centres = (cells + 0.5) / N
    h = np.asarray(f(centres), dtype=float).reshape(-1)
    if h.shape != (len(cells),):
        raise ValueError(f"f must map points of shape (m, {d}) to shape (m,); got {h.shape}.")
    return Sequential(Linear.from_weights(W1, b1), Sigmoid(), Linear.from_weights(W2, b2),
                      Sigmoid(), Linear.from_weights(h[None, :], [0.0]))


def max_error(model, f: Callable[[np.ndarray], np.ndarray], d: int = 1,
              n_per_axis: int = 2001) -> float:
    """sup |model(x) - f(x)| over an evenly spaced grid of [0, 1]^d (n_per_axis^d points).

    For d = 1, f takes x of shape (m,); for d > 1, points of shape (m, d).
    """
    X, _ = grid_points([(0.0, 1.0)] * d, n_per_axis)
    target = np.asarray(f(X[:, 0] if d == 1 else X), dtype=float).reshape(-1)
    y = np.asarray(model(X), dtype=float).reshape(-1)
    return float(np.max(np.abs(y - target)))


def rms_error(model, f: Callable[[np.ndarray], np.ndarray], d: int = 1,
              n_per_axis: int = 2001) -> float:
    """Root-mean-square error sqrt(mean (model(x) - f(x))^2) over a grid of [0, 1]^d.

    The L2 error the L^p version of the theorem (Hornik, 1991) speaks about; it tolerates the
    thin "failure windows" near cell corners of ``tower_network`` that the sup error does not.
    The mean is taken over cell centres (the midpoint rule), so no sample sits on a cell edge.
    """
    X, _ = grid_points([(0.0, 1.0)] * d, n_per_axis, midpoints=True)
    target = np.asarray(f(X[:, 0] if d == 1 else X), dtype=float).reshape(-1)
    y = np.asarray(model(X), dtype=float).reshape(-1)
    return float(np.sqrt(np.mean((y - target) ** 2)))


def random_feature_network(f: Callable[[np.ndarray], np.ndarray], d: int, width: int,
                           n_samples: int = 2000, seed: int = 0) -> Sequential:
    """One hidden layer of ``width`` ReLU units fitted to f on [0, 1]^d.

    The hidden units are drawn at random and kept: unit j is relu(s_j (u_j . (x - p_j))), a unit
    direction u_j, a slope s_j in [1, 8] and a kink through a point p_j of the cube (so no unit
    is dead on the whole cube). Only the output layer is fitted, by least squares on
    ``n_samples`` uniform points (a number independent of the width, so that a wider network
    is not also given more data). With the hidden layer fixed this is the best output layer on
    those points, so the error measures what this many random units can do. Hidden units
    *chosen for f* can do better (Barron, 1993, shows that good choices exist, not how to find
    them).

    f : vectorised function of points (m, d) -> (m,).
    Returns Linear(d, width) -> ReLU -> Linear(width, 1).
    """
    if int(width) != width or width < 1:
        raise ValueError(f"width must be a positive integer, got {width}.")
    if int(d) != d or d < 1:
        raise ValueError(f"d must be a positive integer, got {d}.")
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((width, d))
    W1 = u / np.linalg.norm(u, axis=1, keepdims=True) * rng.uniform(1.0, 8.0, (width, 1))
    b1 = -np.sum(W1 * rng.uniform(0.0, 1.0, (width, d)), axis=1)
    n = int(n_samples)
    if n < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}.")
    X = rng.uniform(0.0, 1.0, (n, d))
    y = np.asarray(f(X), dtype=float).reshape(-1)
    if y.shape != (n,):
        raise ValueError(f"f must map points of shape (m, {d}) to shape (m,); got {y.shape}.")
    H = np.hstack([np.maximum(X @ W1.T + b1, 0.0), np.ones((n, 1))])   # (n, width + 1)
    coef = np.linalg.lstsq(H, y, rcond=None)[0]
    return Sequential(Linear.from_weights(W1, b1), ReLU(),
                      Linear.from_weights(coef[None, :-1], [coef[-1]]))


def relative_rms_error(model, f: Callable[[np.ndarray], np.ndarray], d: int,
                       n_points: int = 4000, seed: int = 12345) -> float:
    """RMS error on ``n_points`` uniform test points of [0, 1]^d, divided by the RMS of f - mean f.

    1 is what the best constant achieves; dividing by the spread of f makes targets whose
    values shrink with d (a product of d factors, a narrow bump) comparable across d.
    """
    X = np.random.default_rng(seed).uniform(0.0, 1.0, (n_points, d))
    y = np.asarray(f(X), dtype=float).reshape(-1)
    err = np.asarray(model(X), dtype=float).reshape(-1) - y
    return float(np.sqrt(np.mean(err ** 2)) / np.std(y))
