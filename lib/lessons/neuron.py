"""One artificial neuron, and many of them in parallel: a loop of neurons or one matrix product.

The lecture's neuron computes a weighted sum plus a bias,

    z = sum_{i=1}^d w_i x_i + b        or, with the bias trick x_0 := 1,   z = sum_{i=0}^d w_i x_i,

an affine projection whose zero set {x : w.x + b = 0} is a hyperplane (a line in 2-D).
A layer is n_out such neurons reading the same input: z = W x + b. This module computes the
layer both ways, neuron by neuron in a Python loop and as one matrix product, so that a chapter
can check they agree and time them ("highly optimizable": the matrix product wins).
"""
from __future__ import annotations

import time

import numpy as np

from lib.lessons.perceptron import add_bias_input

__all__ = ["neuron", "neuron_bias_trick", "layer_as_loop_of_neurons", "layer_as_matrix_product",
           "hyperplane_segment", "time_loop_against_matrix_product"]


def _as_inputs(x, d: int, where: str) -> np.ndarray:
    """x as float (d,) or (n, d); a clear error when the feature count is not d."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[-1] != d:
        raise ValueError(f"{where}: x has shape {x.shape} but the weights have {d} entries; "
                         f"give one input of shape ({d},) or a batch of shape (n, {d}).")
    return x


def neuron(x, w, b: float = 0.0) -> np.ndarray:
    """z = sum_i w_i x_i + b for one input x (d,) -> scalar, or a batch (n, d) -> (n,)."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"neuron: w must be a vector (d,), got shape {w.shape}.")
    x = _as_inputs(x, len(w), "neuron")
    return x @ w + float(b)


def neuron_bias_trick(x, w_tilde) -> np.ndarray:
    """z = sum_{i=0}^d w_i x_i with x_0 := 1, so w_tilde = (b, w_1, ..., w_d) has d + 1 entries.

    x : (d,) or (n, d). Gives exactly ``neuron(x, w_tilde[1:], w_tilde[0])``.
    """
    w_tilde = np.asarray(w_tilde, dtype=np.float64)
    if w_tilde.ndim != 1 or len(w_tilde) < 2:
        raise ValueError(f"neuron_bias_trick: w_tilde must be (d + 1,) with the bias first, "
                         f"got shape {w_tilde.shape}.")
    x = _as_inputs(x, len(w_tilde) - 1, "neuron_bias_trick")
    x_tilde = add_bias_input(np.atleast_2d(x))          # prepend the constant input x_0 = 1
    z = x_tilde @ w_tilde
    return z if x.ndim == 2 else z[0]


def _check_layer(X, W, b, where: str):
    W = np.asarray(W)
    b = np.asarray(b)
    X = np.asarray(X)
    if W.ndim != 2 or b.shape != (W.shape[0],):
        raise ValueError(f"{where}: W must be (n_out, n_in) and b (n_out,), got W {W.shape} "
                         f"and b {b.shape}.")
    if X.ndim != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(f"{where}: X must be a batch (n, {W.shape[1]}) (samples as rows), "
                         f"got shape {X.shape}.")
    return X, W, b


def layer_as_loop_of_neurons(X, W, b) -> np.ndarray:
    """Z[:, j] = neuron j applied to every row of X, one neuron at a time (a Python loop).

    X (n, n_in), W (n_out, n_in), b (n_out,) -> Z (n, n_out). Deliberately a loop: it is the
    slow way the chapter times against :func:`layer_as_matrix_product`.
    """
    X, W, b = _check_layer(X, W, b, "layer_as_loop_of_neurons")
    Z = np.empty((X.shape[0], W.shape[0]), dtype=np.result_type(X, W, b))
    for j in range(W.shape[0]):          # one neuron per iteration: n_out dot products
        Z[:, j] = X @ W[j] + b[j]
    return Z


def layer_as_matrix_product(X, W, b) -> np.ndarray:
    """Z = X W^T + b: the lecture's f_linear(x, W, b) = W x + b for every row x of X at once.

    X (n, n_in), W (n_out, n_in), b (n_out,) -> Z (n, n_out).
    """
    X, W, b = _check_layer(X, W, b, "layer_as_matrix_product")
    return X @ W.T + b


def hyperplane_segment(w, b: float, xlim=(-1.5, 1.5), ylim=(-1.5, 1.5)) -> np.ndarray | None:
    """The part of the line w_1 x_1 + w_2 x_2 + b = 0 inside the box xlim x ylim.

    Returns a (2, 2) array of its two end points (rows), or None when the line misses the box
    or w = 0 (then the neuron is constant and there is no line at all).
    """
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (2,):
        raise ValueError(f"hyperplane_segment: w must have 2 entries (a line in 2-D), got "
                         f"{w.shape}.")
    (x0, x1), (y0, y1) = xlim, ylim
    points = []
    if abs(w[1]) > 1e-12:                # crossings with the left and right edges
        for x in (x0, x1):
            y = -(w[0] * x + b) / w[1]
            if y0 - 1e-9 <= y <= y1 + 1e-9:
                points.append((x, y))
    if abs(w[0]) > 1e-12:                # crossings with the bottom and top edges
        for y in (y0, y1):
            x = -(w[1] * y + b) / w[0]
            if x0 - 1e-9 <= x <= x1 + 1e-9:
                points.append((x, y))
    if not points:
        return None
    points = np.unique(np.round(np.array(points), 12), axis=0)
    if len(points) < 2:                  # the line only touches a corner
        return None
    # the two points farthest apart (a corner crossing can be found twice)
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    return points[[i, j]]


def time_loop_against_matrix_product(widths, n_in: int = 256, n_samples: int = 256,
                                     repeats: int = 5, rng=0,
                                     blas_threads: int | None = 1) -> list[dict]:
    """Wall-clock time of a layer computed neuron by neuron and as one product, per width.

    For each layer width n_out in ``widths``, draws X (n_samples, n_in) and W (n_out, n_in),
    times both functions (best of ``repeats`` runs, in seconds) and returns one dict per width:
    ``{"width", "loop_s", "matmul_s", "speedup", "max_abs_difference"}``.
    A demonstration for the chapter, not a test: timings depend on the machine.

    blas_threads : run the linear algebra on this many threads (1 by default, so that the
        comparison measures the algorithm on one core and is not thrown off by other programs
        competing for the cores); None leaves the library's default. Needs ``threadpoolctl``;
        without it the default is used.
    """
    rng = np.random.default_rng(rng)
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}.")
    try:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(blas_threads, user_api="blas") if blas_threads else None
    except ImportError:                  # optional: without it, time with the default threads
        limit = None
    try:
        return _time_widths(widths, n_in, n_samples, repeats, rng)
    finally:
        if limit is not None:
            limit.restore_original_limits()


def _time_widths(widths, n_in, n_samples, repeats, rng) -> list[dict]:
    rows = []
    for width in widths:
        X = rng.standard_normal((n_samples, n_in))
        W = rng.standard_normal((int(width), n_in))
        b = rng.standard_normal(int(width))
        best = {}
        for name, f in (("loop_s", layer_as_loop_of_neurons),
                        ("matmul_s", layer_as_matrix_product)):
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                Z = f(X, W, b)
                times.append(time.perf_counter() - start)
            best[name] = min(times)
            best[name.replace("_s", "_Z")] = Z
        rows.append({"width": int(width), "loop_s": best["loop_s"], "matmul_s": best["matmul_s"],
                     "speedup": best["loop_s"] / best["matmul_s"],
                     "max_abs_difference":
                         float(np.max(np.abs(best["loop_Z"] - best["matmul_Z"])))})
    return rows
