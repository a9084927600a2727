"""lib.lessons.loss_surfaces: exact gradients, and gradient descent behaving as the theory says.

The expected behaviour is derived independently of the code under test: gradients from
central differences, eigenvalues from numpy.linalg, the step-by-step contraction (1 - alpha
lambda)^t along each eigenvector, local minima checked by gradient and curvature.
"""
from __future__ import annotations

import numpy as np
import pytest

from lib.gradcheck import numerical_gradient, relative_error
from lib.lessons.loss_surfaces import GaussianWells, Quadratic, gradient_descent

BOWLS = [Quadratic((1.0, 10.0)), Quadratic((0.5, 4.0), angle=0.6, center=(1.0, -0.5)),
         Quadratic((2.0, 3.0), angle=-1.1), Quadratic((0.05, 20.0), angle=0.3)]


def _numerical_grad(surface, theta):
    theta = np.array(theta, dtype=np.float64)
    return numerical_gradient(lambda: float(surface.loss(theta)), theta)


@pytest.mark.parametrize("surface", BOWLS + [GaussianWells()], ids=repr)
def test_gradient_matches_finite_differences(surface):
    rng = np.random.default_rng(0)
    for theta in rng.uniform(-2.5, 2.5, size=(10, 2)):
        assert relative_error(surface.grad(theta), _numerical_grad(surface, theta)) < 1e-7


@pytest.mark.parametrize("surface", BOWLS + [GaussianWells()], ids=repr)
def test_loss_and_grad_are_vectorised_over_grids(surface):
    pts = np.random.default_rng(1).uniform(-2, 2, size=(4, 3, 2))
    L, G = surface.loss(pts), surface.grad(pts)
    assert L.shape == (4, 3) and G.shape == (4, 3, 2)
    for i in range(4):
        for j in range(3):
            assert L[i, j] == pytest.approx(float(surface.loss(pts[i, j])), rel=1e-12)
            np.testing.assert_allclose(G[i, j], surface.grad(pts[i, j]), rtol=1e-12)


def test_quadratic_has_the_requested_curvatures():
    q = Quadratic((0.3, 7.0), angle=0.4, center=(1.0, 2.0))
    np.testing.assert_allclose(np.linalg.eigvalsh(q.A), [0.3, 7.0], rtol=1e-12)
    assert q.loss(np.array([1.0, 2.0])) == 0.0
    assert q.condition_number == pytest.approx(7.0 / 0.3)


@pytest.mark.parametrize("surface", BOWLS, ids=repr)
def test_each_step_scales_each_eigen_direction_by_one_minus_alpha_lambda(surface):
    lam, V = np.linalg.eigh(surface.A)         # independent of the class's own bookkeeping
    lr = 1.5 / lam[-1]
    path = gradient_descent(surface.grad, surface.center + np.array([1.3, -0.7]), lr, 30)
    coords = (path - surface.center) @ V       # coordinates along the eigenvectors
    t = np.arange(31)[:, None]
    np.testing.assert_allclose(coords, coords[0] * (1 - lr * lam) ** t, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("surface", BOWLS, ids=repr)
@pytest.mark.parametrize("fraction", [0.2, 0.9, 0.99])
def test_converges_below_two_over_lambda_max(surface, fraction):
    lam_max = np.linalg.eigvalsh(surface.A)[-1]
    lam_min = np.linalg.eigvalsh(surface.A)[0]
    lr = fraction * 2 / lam_max
    # steps enough for the slower of the two directions to shrink by 1e-8
    rate = max(abs(1 - lr * lam_min), abs(1 - lr * lam_max))
    steps = int(np.ceil(np.log(1e-8) / np.log(rate)))
    start = surface.center + np.array([2.0, 1.5])
    path = gradient_descent(surface.grad, start, lr, steps)
    assert len(path) == steps + 1
    assert np.linalg.norm(path[-1] - surface.center) < 1e-7
    assert surface.loss(path[-1]) < 1e-12


@pytest.mark.parametrize("surface", BOWLS, ids=repr)
@pytest.mark.parametrize("fraction", [1.01, 1.1, 2.0])
def test_diverges_above_two_over_lambda_max(surface, fraction):
    lr = fraction * 2 / np.linalg.eigvalsh(surface.A)[-1]
    start = surface.center + np.array([2.0, 1.5])
    path = gradient_descent(surface.grad, start, lr, 5000, max_norm=1e6)
    assert len(path) < 5001, "a diverging run stops early"
    assert np.all(np.isfinite(path))
    assert np.linalg.norm(path[-1]) > 1e6
    assert surface.loss(path[-1]) > 1e6 * surface.loss(start)


def test_max_stable_lr_is_two_over_the_largest_eigenvalue():
    for q in BOWLS:
        assert q.max_stable_lr() == pytest.approx(2 / np.linalg.eigvalsh(q.A)[-1], rel=1e-12)


def test_oscillation_between_one_and_two_over_lambda_max():
    q = Quadratic((1.0, 10.0))                 # axes along theta_1 (flat) and theta_2 (steep)
    path = gradient_descent(q.grad, np.array([2.0, 2.0]), 0.18, 20)   # 1/10 < 0.18 < 2/10
    signs = np.sign(path[:, 1])
    assert np.all(signs[1:] == -signs[:-1]), "the steep coordinate flips sign every step"
    assert np.all(np.abs(np.diff(np.abs(path[:, 1]))) > 0)
    assert np.all(path[:, 0] > 0), "the flat coordinate approaches 0 from one side"


def test_small_learning_rate_crawls():
    q = Quadratic((1.0, 10.0))
    path = gradient_descent(q.grad, np.array([2.0, 2.0]), 0.001, 100)
    # (1 - 0.001)^100 ~ 0.905: after 100 steps the flat coordinate has barely moved
    assert path[-1, 0] == pytest.approx(2.0 * 0.999 ** 100, rel=1e-12)
    good = gradient_descent(q.grad, np.array([2.0, 2.0]), 2 / (1.0 + 10.0), 100)
    assert np.linalg.norm(path[-1]) > 1.5 and np.linalg.norm(good[-1]) < 1e-6


def test_schedule_gives_alpha_t_per_step():
    q = Quadratic((1.0, 1.0))                  # grad = theta
    path = gradient_descent(q.grad, np.array([1.0, -2.0]), lambda t: 0.5 ** (t + 1), 3)
    expected = [np.array([1.0, -2.0])]
    for t in range(3):
        expected.append(expected[-1] * (1 - 0.5 ** (t + 1)))
    np.testing.assert_allclose(path, expected, rtol=1e-15)


def _hessian(surface, theta, h=1e-5):
    H = np.empty((2, 2))
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        H[:, i] = (surface.grad(theta + e) - surface.grad(theta - e)) / (2 * h)
    return 0.5 * (H + H.T)


def test_nonconvex_descent_ends_in_different_local_minima_from_different_starts():
    wells = GaussianWells()
    starts = np.array([[-2.5, 1.0], [2.5, 2.5], [2.0, -2.5], [0.0, 2.8], [-0.5, -2.5]])
    ends = np.array([gradient_descent(wells.grad, s, 0.1, 3000)[-1] for s in starts])
    for end in ends:
        assert np.linalg.norm(wells.grad(end)) < 1e-8, "descent stopped at a critical point"
        assert np.all(np.linalg.eigvalsh(_hessian(wells, end)) > 0), "... which is a minimum"
    distinct = []
    for end in ends:
        if all(np.linalg.norm(end - d) > 0.5 for d in distinct):
            distinct.append(end)
    assert len(distinct) == 3, "three different minima are reached"
    values = sorted(float(wells.loss(d)) for d in distinct)
    assert values[1] - values[0] > 0.1 and values[2] - values[1] > 0.1, \
        "the minima have different losses: only one is global"
    # each minimum sits in its own dip: nearest dip centres are all different
    nearest = {int(np.argmin(np.linalg.norm(wells.centers - d, axis=1))) for d in distinct}
    assert nearest == {0, 1, 2}


def test_the_deepest_dip_holds_the_lowest_minimum():
    wells = GaussianWells()
    ends = [gradient_descent(wells.grad, c, 0.1, 3000)[-1] for c in wells.centers]
    losses = [float(wells.loss(e)) for e in ends]
    assert int(np.argmin(losses)) == int(np.argmax(wells.depths))
    grid_min = float(wells.grid(400)[2].min())
    assert min(losses) <= grid_min + 1e-9, "no grid point is lower than the global minimum"


@pytest.mark.parametrize("bad, message", [
    (dict(theta0=np.zeros((2, 1))), "1-D"),
    (dict(lr=0.0), "positive"),
    (dict(lr=lambda t: -1.0), "positive"),
    (dict(steps=-1), "non-negative"),
    (dict(grad_fn=lambda th: np.zeros(3)), "shape"),
])
def test_gradient_descent_rejects_bad_input(bad, message):
    args = dict(grad_fn=Quadratic().grad, theta0=np.zeros(2), lr=0.1, steps=3)
    args.update(bad)
    with pytest.raises(ValueError, match=message):
        gradient_descent(**args)


def test_surfaces_reject_bad_input():
    with pytest.raises(ValueError, match="positive"):
        Quadratic((0.0, 1.0))
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        Quadratic().loss(np.zeros(3))
    with pytest.raises(ValueError, match="one per center"):
        GaussianWells(depths=(1.0, 2.0))


@pytest.mark.parametrize("surface", BOWLS, ids=repr)
def test_optimal_step_equalises_the_two_factors_at_kappa_minus_one_over_kappa_plus_one(surface):
    lam = np.linalg.eigvalsh(surface.A)
    kappa = lam[-1] / lam[0]
    alpha = surface.optimal_lr()
    assert alpha == pytest.approx(2 / (lam[0] + lam[-1]), rel=1e-12)
    np.testing.assert_allclose(np.abs(1 - alpha * lam), (kappa - 1) / (kappa + 1), rtol=1e-10)
    # no other fixed step has a smaller slowest factor
    others = np.linspace(0.01, 1.99, 199) / lam[-1]
    slowest = np.max(np.abs(1 - np.outer(others, lam)), axis=1)
    assert np.all(slowest >= (kappa - 1) / (kappa + 1) - 1e-12)


def test_heavy_ball_reaches_polyaks_rate_on_a_bowl():
    q = Quadratic((1.0, 100.0), angle=0.4)
    lam_min, lam_max = np.linalg.eigvalsh(q.A)
    root_kappa = np.sqrt(lam_max / lam_min)
    alpha = 4 / (np.sqrt(lam_min) + np.sqrt(lam_max)) ** 2
    beta = ((root_kappa - 1) / (root_kappa + 1)) ** 2
    path = gradient_descent(q.grad, np.array([2.0, -1.0]), alpha, 400, momentum=beta)
    d = np.linalg.norm(path - q.center, axis=1)
    rate = (d[400] / d[200]) ** (1 / 200)
    assert rate == pytest.approx((root_kappa - 1) / (root_kappa + 1), rel=0.02)
    plain = gradient_descent(q.grad, np.array([2.0, -1.0]), 2 / (lam_min + lam_max), 400)
    assert d[400] < 1e-6 * np.linalg.norm(plain[400] - q.center)


def test_heavy_ball_takes_the_same_steps_as_lib_sgd_with_momentum():
    from lib.nn import Linear
    from lib.optim import SGD
    q = Quadratic((0.5, 4.0), angle=0.6, center=(1.0, -0.5))
    layer = Linear(2, 1, init="zeros")                 # its W (1, 2) plays theta
    layer.params["W"][0] = [2.0, 1.5]
    opt = SGD(layer, lr=0.2, momentum=0.7)
    by_sgd = [layer.params["W"][0].copy()]
    for _ in range(25):
        layer.grads["W"][0] = q.grad(layer.params["W"][0])
        layer.grads["b"][...] = 0.0
        opt.step()
        by_sgd.append(layer.params["W"][0].copy())
    path = gradient_descent(q.grad, np.array([2.0, 1.5]), 0.2, 25, momentum=0.7)
    np.testing.assert_allclose(path, by_sgd, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("momentum", [-0.1, 1.0])
def test_gradient_descent_refuses_momentum_outside_zero_one(momentum):
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        gradient_descent(Quadratic().grad, np.zeros(2), 0.1, 3, momentum=momentum)
