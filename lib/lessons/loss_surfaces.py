"""Two-dimensional loss surfaces with exact gradients, and plain gradient descent on them.

The lecture's update rule, theta_{t+1} = theta_t - alpha_t grad L(theta_t), is easiest to
*see* when theta has two entries: the loss is a landscape over the plane and the run of
gradient descent is a path on it. Two landscapes:

* :class:`Quadratic` -- a convex bowl L(theta) = 1/2 (theta - c)^T A (theta - c) whose
  Hessian A has the eigenvalues you choose. Along the eigenvector of eigenvalue lambda one
  step multiplies the distance to the minimum by (1 - alpha lambda), so gradient descent
  converges exactly when alpha < 2 / lambda_max (see :meth:`Quadratic.max_stable_lr`).
  The ratio lambda_max / lambda_min (the condition number) decides how slowly the flat
  direction is crawled at a learning rate that is still stable for the steep one.
* :class:`GaussianWells` -- a non-convex landscape: a wide shallow bowl with several
  Gaussian dips of different depths. Each dip holds a local minimum; where gradient descent
  ends depends on where it starts.

Every surface evaluates ``loss(theta)`` for ``theta`` of shape ``(..., 2)`` (one point or a
whole grid, for contour plots) and ``grad(theta)`` of the same shape.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lib.data.grid import grid_points

__all__ = ["LossSurface", "Quadratic", "GaussianWells", "gradient_descent"]


def _as_points(theta, where: str) -> np.ndarray:
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim == 0 or theta.shape[-1] != 2:
        raise ValueError(f"{where}: theta must have shape (2,) or (..., 2) (points in the "
                         f"plane), got shape {theta.shape}.")
    return theta


class LossSurface:
    """A loss L: R^2 -> R with its gradient; subclasses define ``loss`` and ``grad``.

    ``extent`` = (x_min, x_max, y_min, y_max) is a window that shows the interesting part.
    """

    extent: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0)

    def loss(self, theta) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad(self, theta) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, theta) -> np.ndarray:
        return self.loss(theta)

    def grid(self, n: int = 200, extent=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(T1, T2, L) on an n x n grid over ``extent``, ready for ``plt.contour(T1, T2, L)``."""
        x0, x1, y0, y1 = self.extent if extent is None else extent
        points, (T1, T2) = grid_points([(x0, x1), (y0, y1)], n)
        return T1, T2, self.loss(points).reshape(T1.shape)


class Quadratic(LossSurface):
    """The convex bowl L(theta) = 1/2 (theta - c)^T A (theta - c), A = R diag(lambda) R^T.

    Parameters
    ----------
    eigenvalues : (lambda_1, lambda_2), both > 0: the curvatures along the two principal
        axes. Their ratio is the condition number.
    angle : rotation of the principal axes, in radians (0: axes along theta_1, theta_2).
    center : the minimum c, shape (2,).

    ``A`` is the Hessian (2, 2); the gradient is A (theta - c).
    """

    def __init__(self, eigenvalues=(1.0, 10.0), angle: float = 0.0, center=(0.0, 0.0)):
        lam = np.asarray(eigenvalues, dtype=np.float64)
        if lam.shape != (2,) or not np.all(lam > 0):
            raise ValueError(f"Quadratic: eigenvalues must be two positive numbers (a convex "
                             f"bowl), got {eigenvalues!r}.")
        self.center = np.asarray(center, dtype=np.float64)
        if self.center.shape != (2,):
            raise ValueError(f"Quadratic: center must have shape (2,), got {self.center.shape}.")
        self.angle = float(angle)
        c, s = np.cos(self.angle), np.sin(self.angle)
        self.R = np.array([[c, -s], [s, c]])           # columns: the principal directions
        self.eigenvalues = np.sort(lam)
        self.A = self.R @ np.diag(lam) @ self.R.T
        self.extent = (self.center[0] - 3, self.center[0] + 3,
                       self.center[1] - 3, self.center[1] + 3)

    def __repr__(self) -> str:
        return (f"Quadratic(eigenvalues={tuple(self.eigenvalues)}, angle={self.angle:.3g}, "
                f"center={tuple(self.center)})")

    @property
    def condition_number(self) -> float:
        """lambda_max / lambda_min: how elongated the bowl is."""
        return float(self.eigenvalues[1] / self.eigenvalues[0])

    def max_stable_lr(self) -> float:
        """2 / lambda_max: gradient descent converges for every start iff alpha is below it."""
        return float(2.0 / self.eigenvalues[1])

    def optimal_lr(self) -> float:
        """alpha* = 2 / (lambda_min + lambda_max): the fixed step whose slowest factor
        |1 - alpha lambda| is smallest (both factors equal (kappa - 1) / (kappa + 1))."""
        return float(2.0 / (self.eigenvalues[0] + self.eigenvalues[1]))

    def contraction_factors(self, lr: float) -> np.ndarray:
        """|1 - alpha lambda_i| for both eigenvalues: the factor one step shrinks (< 1) or
        stretches (> 1) the distance to the minimum along each principal direction."""
        return np.abs(1.0 - float(lr) * self.eigenvalues)

    def loss(self, theta) -> np.ndarray:
        d = _as_points(theta, "Quadratic.loss") - self.center
        return 0.5 * np.einsum("...i,ij,...j->...", d, self.A, d)

    def grad(self, theta) -> np.ndarray:
        d = _as_points(theta, "Quadratic.grad") - self.center
        return d @ self.A.T


class GaussianWells(LossSurface):
    """A non-convex landscape: a wide bowl with Gaussian dips of different depths,

        L(theta) = bowl/2 ||theta||^2 - sum_k depth_k exp(-||theta - mu_k||^2 / (2 width^2)).

    The default has three dips: a deep one (the global minimum) and two shallower ones
    (local minima) -- enough to show that gradient descent stops wherever the start leads it.

    Parameters
    ----------
    centers : (k, 2) positions mu_k of the dips.
    depths : (k,) how deep each dip is (> 0).
    width : common width of the dips (standard deviation, > 0).
    bowl : curvature of the wide bowl that keeps every run bounded (>= 0).
    """

    extent = (-3.0, 3.0, -3.0, 3.0)

    def __init__(self, centers=((-1.5, -0.5), (1.4, 1.2), (1.2, -1.6)),
                 depths=(2.0, 1.4, 1.0), width: float = 0.7, bowl: float = 0.2):
        self.centers = np.asarray(centers, dtype=np.float64)
        self.depths = np.asarray(depths, dtype=np.float64)
        if self.centers.ndim != 2 or self.centers.shape[1] != 2:
            raise ValueError(f"GaussianWells: centers must have shape (k, 2), got "
                             f"{self.centers.shape}.")
        if self.depths.shape != (len(self.centers),) or not np.all(self.depths > 0):
            raise ValueError(f"GaussianWells: depths must be {len(self.centers)} positive "
                             f"numbers (one per center), got shape {self.depths.shape}.")
        if not width > 0 or not bowl >= 0:
            raise ValueError(f"GaussianWells: need width > 0 and bowl >= 0, got width={width}, "
                             f"bowl={bowl}.")
        self.width, self.bowl = float(width), float(bowl)

    def __repr__(self) -> str:
        return (f"GaussianWells(k={len(self.centers)}, depths={tuple(self.depths)}, "
                f"width={self.width}, bowl={self.bowl})")

    def _dips(self, theta):
        diff = theta[..., None, :] - self.centers            # (..., k, 2)
        g = self.depths * np.exp(-np.sum(diff * diff, axis=-1) / (2 * self.width ** 2))
        return diff, g                                          # g: (..., k)

    def loss(self, theta) -> np.ndarray:
        theta = _as_points(theta, "GaussianWells.loss")
        _, g = self._dips(theta)
        return 0.5 * self.bowl * np.sum(theta * theta, axis=-1) - np.sum(g, axis=-1)

    def grad(self, theta) -> np.ndarray:
        theta = _as_points(theta, "GaussianWells.grad")
        diff, g = self._dips(theta)
        # d/dtheta of -depth exp(-r^2 / 2w^2) is +depth exp(...) (theta - mu) / w^2
        return self.bowl * theta + np.sum(g[..., None] * diff, axis=-2) / self.width ** 2


def gradient_descent(grad_fn: Callable[[np.ndarray], np.ndarray], theta0, lr, steps: int,
                     max_norm: float = 1e6, momentum: float = 0.0) -> np.ndarray:
    """Run theta_{t+1} = theta_t - alpha_t grad_fn(theta_t) and return the whole path.

    With ``momentum`` beta > 0 it is Polyak's heavy ball,
    theta_{t+1} = theta_t - alpha_t grad_fn(theta_t) + beta (theta_t - theta_{t-1}):
    the step remembers the previous step (the velocity v_t = theta_t - theta_{t-1}, v_0 = 0).
    ``lib.optim.SGD(momentum=beta)`` takes the same steps for a constant alpha.

    Parameters
    ----------
    grad_fn : theta (d,) -> gradient (d,).
    theta0 : the start, shape (d,).
    lr : the learning rate alpha: a positive number, or a function t -> alpha_t (a schedule).
    steps : number of updates.
    max_norm : a run whose ||theta|| exceeds this has diverged; it stops there (no overflow).
    momentum : beta in [0, 1); 0 is plain gradient descent.

    Returns
    -------
    trajectory : (steps + 1, d) array, row t is theta_t (row 0 the start). A diverged run
        stops early, so it has fewer rows; its last row is the first theta beyond ``max_norm``.
    """
    theta = np.array(theta0, dtype=np.float64)
    if theta.ndim != 1:
        raise ValueError(f"gradient_descent: theta0 must be a 1-D vector of parameters, got "
                         f"shape {theta.shape}.")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"gradient_descent: steps must be a non-negative integer, got {steps!r}.")
    if not 0 <= momentum < 1:
        raise ValueError(f"gradient_descent: momentum must be in [0, 1), got {momentum!r}.")
    schedule = lr if callable(lr) else (lambda t: lr)
    velocity = np.zeros_like(theta)
    path = [theta.copy()]
    for t in range(int(steps)):          # each step needs the previous one: a loop is the point
        alpha = float(schedule(t))
        if not alpha > 0:
            raise ValueError(f"gradient_descent: the learning rate must be positive, got "
                             f"{alpha!r} at step {t}.")
        g = np.asarray(grad_fn(theta), dtype=np.float64)
        if g.shape != theta.shape:
            raise ValueError(f"gradient_descent: grad_fn returned shape {g.shape} for theta of "
                             f"shape {theta.shape}; they must match.")
        velocity = momentum * velocity - alpha * g
        theta = theta + velocity
        path.append(theta.copy())
        if not np.all(np.isfinite(theta)) or np.linalg.norm(theta) > max_norm:
            break
    return np.array(path)
