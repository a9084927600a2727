"""Where gradient descent slows down or stops: minimum, saddle or plateau, told apart by numbers.

At a point theta of a loss L, two things decide what kind of place it is:

* the gradient norm ||grad L(theta)||: zero at a critical point, tiny on a plateau;
* the eigenvalues of the Hessian (the curvatures along its eigenvectors): all > 0 at a
  minimum; some > 0 and some < 0 at a saddle (downhill along the negative ones); all close
  to 0 on a plateau, where the loss is flat in almost every direction.

``network_loss`` turns a network, a loss and a data set into functions of one flat parameter
vector, so that a network's loss can be examined like the 2-D surfaces of
``lib.lessons.loss_surfaces``; ``newton_critical_point`` finds the critical point (minimum *or*
saddle) near a start, which gradient descent cannot do for a saddle.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lib.gradcheck import numerical_hessian
from lib.losses import Loss
from lib.nn import Layer, parameters_of

__all__ = ["network_loss", "newton_critical_point", "curvatures"]


def network_loss(model: Layer, loss: Loss, X, t):
    """The network's loss as functions of one parameter vector theta (P,).

    Returns ``(theta, loss_fn, grad_fn)``: a copy of the current parameters, theta -> L and
    theta -> dL/dtheta (by the model's own backward pass). Both functions write theta into
    the model's parameters before they evaluate, so the model ends holding the last theta.
    """
    slots = list(parameters_of(model))
    sizes = [layer.params[key].size for layer, key in slots]

    def load(theta) -> None:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (sum(sizes),):
            raise ValueError(f"network_loss: theta must have shape ({sum(sizes)},), the model's "
                             f"number of parameters; got {theta.shape}.")
        for (layer, key), piece in zip(slots, np.split(theta, np.cumsum(sizes)[:-1])):
            layer.params[key][...] = piece.reshape(layer.params[key].shape)

    def loss_fn(theta) -> float:
        load(theta)
        return float(loss.forward(model.forward(X), t))

    def grad_fn(theta) -> np.ndarray:
        load(theta)
        loss.forward(model.forward(X), t)
        model.backward(loss.backward())
        return np.concatenate([layer.grads[key].ravel() for layer, key in slots])

    theta = np.concatenate([layer.params[key].ravel() for layer, key in slots])
    return theta, loss_fn, grad_fn


def curvatures(grad_fn: Callable[[np.ndarray], np.ndarray], theta) -> np.ndarray:
    """Eigenvalues of the Hessian at theta, smallest first (central differences of grad_fn)."""
    return np.linalg.eigvalsh(numerical_hessian(grad_fn, theta))


def newton_critical_point(grad_fn: Callable[[np.ndarray], np.ndarray], theta0,
                          steps: int = 50, tol: float = 1e-12) -> np.ndarray:
    """A point where the gradient vanishes, found by Newton's method from theta0 (d,).

    theta <- theta - H(theta)^{-1} grad(theta) jumps to the critical point of the local
    quadratic model, whatever its kind: unlike gradient descent it converges to saddles too.
    Stops when ||grad|| < tol; raises if it does not get there in ``steps`` steps.
    """
    theta = np.array(theta0, dtype=np.float64)
    for _ in range(int(steps)):
        g = np.asarray(grad_fn(theta))
        if np.linalg.norm(g) < tol:
            return theta
        theta = theta - np.linalg.solve(numerical_hessian(grad_fn, theta), g)
    raise ValueError(f"newton_critical_point: no critical point within {steps} steps of "
                     f"{np.asarray(theta0)} (||grad|| = {np.linalg.norm(grad_fn(theta)):.1e}); "
                     "start closer to one.")
