"""Where a ReLU network flattens its input: the local rank of its hidden layers.

On each activation region a ReLU network is affine, so its last hidden layer maps a small
neighbourhood of x by one matrix, the Jacobian J(x) = D_H W_H ... D_1 W_1 (D_l the 0/1 diagonal
of the units of layer l that are on at x). With inputs in the plane, J(x) has rank 2 where the
layers keep the neighbourhood two-dimensional, and rank 1 or 0 where they squash it onto a
line or a point: points there that differ only along the lost direction become the same point
for every later layer, which therefore cannot tell them apart.

A layer of m >= 2 units does not in itself lose a dimension (its image is a two-dimensional,
piece-wise linear sheet in R^m); it loses one where fewer than two of its units are on, or
where the units that are on point the same way. Narrow layers make that more likely.
"""
from __future__ import annotations

import numpy as np

from lib.nn import Linear, ReLU, Sequential

__all__ = ["hidden_jacobians", "local_rank"]


def hidden_jacobians(model: Sequential, X: np.ndarray) -> np.ndarray:
    """J(x) of the last hidden layer's output with respect to the input, for every row of X.

    model : Linear, ReLU, ..., Linear, ReLU, Linear (an ``mlp`` with ReLU); X : (n, d).
    Returns an array (n, m_H, d), m_H the width of the last hidden layer.
    """
    layers = list(model.layers)
    if (len(layers) < 3 or len(layers) % 2 == 0
            or not all(isinstance(layer, Linear) for layer in layers[0::2])
            or not all(isinstance(layer, ReLU) for layer in layers[1::2])):
        raise ValueError("hidden_jacobians needs Linear, ReLU, ..., ReLU, Linear "
                         f"(at least one hidden ReLU layer); got {model!r}.")
    A = np.asarray(X, dtype=float)
    if A.ndim != 2 or A.shape[1] != layers[0].n_in:
        raise ValueError(f"X must have shape (n, {layers[0].n_in}), got {A.shape}.")
    n, d = A.shape
    J = np.broadcast_to(np.eye(d), (n, d, d))
    for linear in layers[:-1:2]:
        W, b = linear.params["W"], linear.params["b"]
        Z = A @ W.T + b
        on = (Z > 0).astype(float)                     # the unit's derivative, 0 at z = 0
        J = on[:, :, None] * np.einsum("md,nde->nme", W, J)
        A = np.maximum(Z, 0.0)
    return J


def local_rank(model: Sequential, X: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """The rank of J(x) (``hidden_jacobians``) at every row of X: an int array (n,).

    ``tol`` is relative to the largest singular value of all the Jacobians together, so that
    rounding does not count as a direction.
    """
    J = hidden_jacobians(model, X)
    s = np.linalg.svd(J, compute_uv=False)               # (n, min(m, d))
    scale = s.max() if s.size else 0.0
    return np.sum(s > tol * max(scale, np.finfo(float).tiny), axis=1)
