"""Numerically stable element-wise and row-wise functions of the lecture.

Every function takes NumPy arrays of any float dtype and returns the same dtype.
They stay finite, with no overflow warning, for inputs up to +-1e4 in float32 and float64:
exponentials are only ever taken of non-positive numbers.

Row-wise functions (``softmax``, ``log_softmax``, ``logsumexp``) work along ``axis``
(default the last axis, i.e. over the k classes of a batch of logits of shape (n, k)).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["sigmoid", "sigmoid_derivative", "softmax", "log_softmax", "logsumexp", "relu",
           "relu_derivative", "tanh", "log_sigmoid", "softplus"]


def _float_array(x: ArrayLike) -> np.ndarray:
    """Return ``x`` as a floating array (integers are promoted to float64)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def sigmoid(x: ArrayLike) -> np.ndarray:
    """f_sigma(x) = 1 / (1 + e^-x) = e^x / (e^x + 1), stable in both tails.

    For x >= 0 we use the first form, for x < 0 the second, so ``exp`` only ever sees
    -|x| <= 0 and cannot overflow.
    """
    x = _float_array(x)
    e = np.exp(-np.abs(x))                  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def sigmoid_derivative(x: ArrayLike) -> np.ndarray:
    """d sigma / dx = sigma(x) (1 - sigma(x)): the "simple derivative" of the lecture."""
    s = sigmoid(x)
    return s * (1.0 - s)


def log_sigmoid(x: ArrayLike) -> np.ndarray:
    """log sigma(x) = -softplus(-x), finite for any finite x."""
    return -softplus(-_float_array(x))


def softplus(x: ArrayLike) -> np.ndarray:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|."""
    x = _float_array(x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def logsumexp(x: ArrayLike, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log sum_j e^{x_j}, computed as m + log sum_j e^{x_j - m} with m = max_j x_j."""
    x = _float_array(x)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)      # a row of -inf stays -inf, not NaN
    with np.errstate(divide="ignore"):      # ... and log(0) = -inf there is the answer, silently
        out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """log f_sm(x)_j = x_j - log sum_l e^{x_l}: the right-hand side of the lecture's formula."""
    x = _float_array(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """f_sm(x)_j = e^{x_j} / sum_l e^{x_l}, shifted by the row maximum so nothing overflows."""
    x = _float_array(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def relu(x: ArrayLike) -> np.ndarray:
    """f_relu(x) = max(0, x), point-wise."""
    x = _float_array(x)
    return np.maximum(x, 0)


def relu_derivative(x: ArrayLike) -> np.ndarray:
    """1 where x > 0, else 0. At x = 0 ReLU has no derivative; like most libraries we use 0."""
    x = _float_array(x)
    return (x > 0).astype(x.dtype)


def tanh(x: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent, 2 sigma(2x) - 1 (NumPy's is already stable)."""
    return np.tanh(_float_array(x))
