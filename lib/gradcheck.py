"""Gradient checking: compare ``backward`` with central differences.

    df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

The relative error ||a - b|| / (||a|| + ||b||) (:func:`relative_error`, the one definition the
course uses: chapters, exercise checks and grading) tells right from wrong, in float64:
below 1e-7 the backward pass is right; around 1e-4 something is suspicious (unless the
function has kinks, like ReLU at 0); above 1e-2 it is wrong.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .losses import Loss
from .nn import Layer

__all__ = ["numerical_gradient", "numerical_hessian", "relative_error", "check_layer",
           "check_loss", "check_model"]


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored: ``f`` must read it.
    Costs 2 * x.size evaluations of ``f``: this is why nobody trains with it.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)   # views: writing flat writes x
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array it can perturb in place.")
    for i in range(flat.size):          # one entry at a time is the point of the method
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def numerical_hessian(grad_fn: Callable[[np.ndarray], np.ndarray], theta,
                      eps: float = 1e-5) -> np.ndarray:
    """Hessian (d, d) of a loss at ``theta`` (d,), by central differences of its gradient.

    Column i is (grad(theta + eps e_i) - grad(theta - eps e_i)) / (2 eps); the result is
    symmetrised, (H + H^T) / 2, as every Hessian of a smooth function is. Costs 2 d gradient
    evaluations: fine for the handful of parameters it is used on here.
    """
    theta = np.array(theta, dtype=np.float64)
    if theta.ndim != 1:
        raise ValueError("numerical_hessian: theta must be a vector (d,), "
                         f"got shape {theta.shape}.")
    H = np.empty((theta.size, theta.size))
    for i in range(theta.size):         # one direction at a time, like numerical_gradient
        step = np.zeros_like(theta)
        step[i] = eps
        forward, backward = np.asarray(grad_fn(theta + step)), np.asarray(grad_fn(theta - step))
        H[:, i] = (forward - backward) / (2 * eps)
    return 0.5 * (H + H.T)


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """||a - b|| / (||a|| + ||b||) over all entries (0.0 when both are zero); shapes must agree.

    Scale-free: 1e-7 or less means the two agree to about 7 digits; a wrong gradient gives
    something near 1e-2 or far more. Taken over the whole array, not entry by entry, so entries
    that are tiny (e.g. tanh'(z) at large z, where central differences are all rounding error)
    do not make a right gradient look wrong.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}.")
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def check_layer(layer: Layer, x: np.ndarray, rng: int | np.random.Generator | None = 0,
                eps: float = 1e-6) -> dict[str, float]:
    """Relative errors of ``layer.backward`` for the input ("x") and every parameter.

    Uses the scalar f = sum(layer(x) * G) for a fixed random G, whose gradient with respect
    to the output is G. Works for any layer, including a ``Sequential``.
    """
    rng = np.random.default_rng(rng)
    x = np.array(x, dtype=np.float64)
    G = rng.standard_normal(layer.forward(x).shape)

    def f() -> float:
        return float(np.sum(layer.forward(x) * G))

    layer.forward(x)
    analytic = {"x": layer.backward(G)}
    analytic.update({k: v.copy() for k, v in layer.grads.items()})
    errors = {"x": relative_error(analytic["x"], numerical_gradient(f, x, eps))}
    for key, param in layer.params.items():
        errors[key] = relative_error(analytic[key], numerical_gradient(f, param, eps))
    return errors


def check_loss(loss: Loss, z: np.ndarray, t: ArrayLike, eps: float = 1e-6) -> float:
    """Relative error of ``loss.backward()`` (dL/dz) against central differences."""
    z = np.array(z, dtype=np.float64)
    loss.forward(z, t)
    analytic = loss.backward()
    return relative_error(analytic, numerical_gradient(lambda: loss.forward(z, t), z, eps))


def check_model(model: Layer, loss: Loss, x: np.ndarray, t: ArrayLike,
                eps: float = 1e-6) -> dict[str, float]:
    """Relative error of every parameter's gradient of loss(model(x), t), by name."""
    x = np.asarray(x, dtype=np.float64)

    def f() -> float:
        return loss.forward(model.forward(x), t)

    f()
    model.backward(loss.backward())
    analytic = {k: v.copy() for k, v in model.grads.items()}
    params = model.params
    return {k: relative_error(analytic[k], numerical_gradient(f, params[k], eps)) for k in params}
