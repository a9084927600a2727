"""lib.lessons.critical_points and lib.gradcheck.numerical_hessian against functions whose
critical points and curvatures are known by hand."""
from __future__ import annotations

import numpy as np
import pytest

from lib.data import xor_truth_table
from lib.gradcheck import numerical_gradient, numerical_hessian, relative_error
from lib.lessons.critical_points import curvatures, network_loss, newton_critical_point
from lib.lessons.loss_surfaces import GaussianWells, Quadratic
from lib.losses import BinaryCrossEntropy
from lib.nn import Sigmoid, mlp


def double_well_grad(theta):
    """Gradient of L(x, y) = x^2/2 - y^2/2 + y^4/4: a saddle at (0, 0), minima at (0, +-1)."""
    x, y = theta
    return np.array([x, -y + y ** 3])


def test_numerical_hessian_of_a_bowl_is_its_matrix():
    q = Quadratic((0.3, 7.0), angle=0.4, center=(1.0, 2.0))
    np.testing.assert_allclose(numerical_hessian(q.grad, np.array([0.2, -0.3])), q.A, atol=1e-8)


def test_numerical_hessian_by_hand():
    # L = sin(x) y^2: H = [[-sin(x) y^2, 2 cos(x) y], [2 cos(x) y, 2 sin(x)]]
    def grad(th):
        x, y = th
        return np.array([np.cos(x) * y ** 2, 2 * np.sin(x) * y])
    x, y = 0.7, -1.3
    expected = [[-np.sin(x) * y ** 2, 2 * np.cos(x) * y], [2 * np.cos(x) * y, 2 * np.sin(x)]]
    np.testing.assert_allclose(numerical_hessian(grad, np.array([x, y])), expected, atol=1e-8)


def test_newton_finds_the_saddle_and_the_minima_with_their_curvatures():
    saddle = newton_critical_point(double_well_grad, [0.1, 0.2])
    np.testing.assert_allclose(saddle, [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(curvatures(double_well_grad, saddle), [-1.0, 1.0], atol=1e-8)
    minimum = newton_critical_point(double_well_grad, [0.3, 0.8])
    np.testing.assert_allclose(minimum, [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(curvatures(double_well_grad, minimum), [1.0, 2.0], atol=1e-8)


def test_the_wells_have_saddles_between_their_dips():
    wells = GaussianWells()
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        p = newton_critical_point(wells.grad, (wells.centers[i] + wells.centers[j]) / 2)
        c = curvatures(wells.grad, p)
        assert np.linalg.norm(wells.grad(p)) < 1e-10 and c[0] < 0 < c[1]


def test_newton_says_when_it_fails():
    with pytest.raises(ValueError, match="no critical point within 2 steps"):
        newton_critical_point(lambda th: np.exp(th), [0.0], steps=2)   # exp has no zero


def test_network_loss_gradient_is_the_gradient_of_its_loss():
    X, t = xor_truth_table()
    model = mlp([2, 3, 1], Sigmoid, rng=0)
    theta, loss_fn, grad_fn = network_loss(model, BinaryCrossEntropy(), X, t)
    assert theta.shape == (model.num_parameters(),)
    probe = theta + 0.3 * np.random.default_rng(1).standard_normal(theta.shape)
    numeric = numerical_gradient(lambda: loss_fn(probe), probe)
    assert relative_error(grad_fn(probe), numeric) < 1e-7
    np.testing.assert_array_equal(model[0].params["W"].ravel(), probe[:6])   # loaded in order
    with pytest.raises(ValueError, match=r"theta must have shape \(13,\)"):
        loss_fn(np.zeros(12))
