"""The universal-approximation constructions: steps, bumps, sums of bumps, towers."""
from __future__ import annotations

import numpy as np
import pytest

from lib.lessons.approximation import (
    bump_network,
    bumps_network,
    max_error,
    relu_interpolation_network,
    rms_error,
    step_network,
    tower_network,
    tower_units,
)
from lib.nn import Linear, ReLU, Sigmoid


def f(x):
    """The chapter's test function; Lipschitz constant K = pi + 1/2."""
    return 0.5 * np.sin(2 * np.pi * x) + 0.5 * x


K = np.pi + 0.5


def test_a_steep_sigmoid_is_a_step_at_minus_b_over_w():
    net = step_network(position=0.3, steepness=1000.0)
    W, b = net[0].params["W"][0, 0], net[0].params["b"][0]
    assert -b / W == pytest.approx(0.3)
    y = net(np.array([[0.0], [0.29], [0.3], [0.31], [1.0]]))[:, 0]
    np.testing.assert_allclose(y, [0, 0, 0.5, 1, 1], atol=1e-4)


def test_two_steps_make_a_bump():
    net = bump_network(0.2, 0.5, height=3.0, steepness=2000.0)
    assert [type(layer) for layer in net.layers] == [Linear, Sigmoid, Linear]
    y = net(np.array([[0.1], [0.3], [0.45], [0.6]]))[:, 0]
    np.testing.assert_allclose(y, [0, 3, 3, 0], atol=1e-6)


def test_sum_of_100_bumps_approximates_f_within_0_02_with_200_sigmoid_units():
    net = bumps_network(f, 100, steepness=4000.0)
    assert net[0].n_out == 200                       # 2 sigmoid units per bump
    err = max_error(net, f)
    # piece-wise constant on cells of width h = 1/100: error <= K h / 2 = 0.0182, plus tails
    assert err < 0.02
    assert err <= K / (2 * 100) + 1e-3


def test_error_falls_like_one_over_the_number_of_bumps():
    errs = [max_error(bumps_network(f, n, steepness=40.0 * n), f) for n in (10, 20, 40, 80)]
    assert all(a > b for a, b in zip(errs, errs[1:]))
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    np.testing.assert_allclose(ratios, 2.0, rtol=0.1)


def test_relu_ramps_do_the_same_job_with_4_units_per_bump():
    net = bumps_network(f, 100, steepness=4000.0, activation="relu")
    assert net[0].n_out == 400 and isinstance(net[1], ReLU)
    assert max_error(net, f) < 0.02


def test_relu_interpolation_is_exact_at_the_knots_and_error_falls_like_one_over_n_squared():
    net = relu_interpolation_network(f, 20)
    knots = np.linspace(0, 1, 21)
    np.testing.assert_allclose(net(knots[:, None])[:, 0], f(knots), atol=1e-12)
    e20, e40 = max_error(net, f), max_error(relu_interpolation_network(f, 40), f)
    # interpolation error <= h^2 max|f''| / 8, f'' = -2 pi^2 sin(2 pi x)
    assert e20 <= (1 / 20) ** 2 * 2 * np.pi ** 2 / 8 + 1e-12
    assert e20 / e40 == pytest.approx(4.0, rel=0.05)
    assert e20 < 0.01


def test_towers_in_2d():
    g = lambda X: 0.5 + 0.25 * (np.sin(2 * np.pi * X[:, 0]) + np.sin(2 * np.pi * X[:, 1]))
    net = tower_network(g, 8, d=2)
    assert [layer.n_out for layer in net.layers if isinstance(layer, Linear)] == [18, 64, 1]
    assert tower_units(8, 2) == 18 + 64
    # at a cell centre the network gives f(centre)
    c = np.array([[0.5 / 8 + 3 / 8, 0.5 / 8 + 5 / 8]])
    assert net(c)[0, 0] == pytest.approx(g(c)[0], abs=1e-6)
    e4 = rms_error(tower_network(g, 4, 2), g, d=2, n_per_axis=64)
    e8 = rms_error(net, g, d=2, n_per_axis=64)
    assert e8 < e4 and e8 < 0.07


def test_bad_arguments():
    with pytest.raises(ValueError, match="left < right"):
        bump_network(0.5, 0.2, 1.0, 10.0)
    with pytest.raises(ValueError, match="steepness"):
        bumps_network(f, 10, steepness=0.0)
    with pytest.raises(ValueError, match="too many"):
        tower_network(lambda X: X[:, 0], 100, d=4)


def test_random_feature_network_has_one_hidden_layer_and_the_least_squares_output_layer():
    from lib.lessons.approximation import random_feature_network
    target = lambda X: np.exp(-np.sum((X - 0.5) ** 2, axis=1) / 0.125)
    net = random_feature_network(target, d=3, width=50, n_samples=400, seed=1)
    assert [type(layer) for layer in net.layers] == [Linear, ReLU, Linear]
    assert net[0].n_out == 50 and net[0].n_in == 3
    # least squares: the residual on the fitting points is orthogonal to every hidden unit and
    # to the constant; the fitting points are re-drawn here from the documented recipe
    rng = np.random.default_rng(1)
    rng.standard_normal((50, 3))                     # directions
    rng.uniform(1.0, 8.0, (50, 1))                   # slopes
    rng.uniform(0.0, 1.0, (50, 3))                   # kink points
    X = rng.uniform(0.0, 1.0, (400, 3))
    H = np.maximum(net[0](X), 0.0)
    r = target(X) - net(X)[:, 0]
    np.testing.assert_allclose(H.T @ r, 0.0, atol=1e-8)
    assert abs(r.sum()) < 1e-8
    # every hidden unit's kink crosses the cube: on some corner it is on, on another off
    corners = np.array(np.meshgrid(*[[0.0, 1.0]] * 3)).reshape(3, -1).T
    Z = net[0](corners)
    assert np.all((Z > 0).any(axis=0) & (Z < 0).any(axis=0))


def test_units_needed_finds_the_first_width_below_eps_and_grows_for_the_sine_product():
    from lib.lessons.approximation import random_feature_network, relative_rms_error, units_needed
    product = lambda X: np.prod(np.sin(2 * np.pi * X), axis=1)
    widths = (4, 8, 16, 32, 64, 128, 256)
    width, err = units_needed(product, 1, 0.2, widths)
    assert err < 0.2
    smaller = widths[widths.index(width) - 1]
    assert relative_rms_error(random_feature_network(product, 1, smaller), product, 1) >= 0.2
    # the product of sines over 2 axes has 4 lobes of alternating sign (one over 1 axis has 2):
    # random units need more of them to resolve it
    width2, _ = units_needed(product, 2, 0.2, widths)
    assert width2 is not None and width2 >= 4 * width
    # the best constant has relative error 1; nothing reaches 0.2 with 4 units in 3 dimensions
    assert units_needed(product, 3, 0.2, (4,)) == (None, pytest.approx(1.0, abs=0.1))
    with pytest.raises(ValueError, match="eps"):
        units_needed(product, 1, 0.0)


def test_towers_are_all_off_at_a_cell_corner_and_half_on_along_an_edge():
    # at a corner each cell's two bumps are half on: sum 1 < 3/2, so every tower's input is
    # s2 (1 - 3/2) = -s2 / 2 = -100 with the default steepness w = 200 N (towers get w / N = 200)
    g = lambda X: 0.5 + 0.25 * (np.sin(2 * np.pi * X[:, 0]) + np.sin(2 * np.pi * X[:, 1]))
    net = tower_network(g, 4, d=2)
    corner = np.array([[0.5, 0.25]])
    towers_in = net[2](net[1](net[0](corner)))
    assert towers_in.max() == pytest.approx(-100.0, abs=1e-6)
    assert net(corner)[0, 0] < 1e-40 and g(corner)[0] > 0.2
    # on an edge (not a corner) the two neighbouring towers are half on: their mean, the output,
    # is the mean of the two cells' heights
    edge = np.array([[0.5, 0.375]])                  # between cells (1, 1) and (2, 1)
    cells = np.array([[0.375, 0.375], [0.625, 0.375]])
    assert net(edge)[0, 0] == pytest.approx(g(cells).mean(), abs=1e-6)
