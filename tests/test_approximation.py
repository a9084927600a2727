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


def _product(X):
    return np.prod(np.sin(2 * np.pi * X), axis=1)


def _training_points(width, d, n_samples, seed):
    """The points random_feature_network fits on, re-drawn from its documented recipe."""
    rng = np.random.default_rng(seed)
    rng.standard_normal((width, d))
    rng.uniform(1.0, 8.0, (width, 1))
    rng.uniform(0.0, 1.0, (width, d))
    return rng.uniform(0.0, 1.0, (n_samples, d))


def test_random_features_get_the_same_number_of_points_whatever_the_width():
    from lib.lessons.approximation import random_feature_network
    for width in (5, 60):                  # wider than n_samples / 10: no longer tied to width
        net = random_feature_network(_product, d=2, width=width, n_samples=300, seed=3)
        X = _training_points(width, 2, 300, seed=3)
        r = _product(X) - net(X)[:, 0]    # least squares on exactly these 300 points
        np.testing.assert_allclose(np.maximum(net[0](X), 0.0).T @ r, 0.0, atol=1e-8)
    with pytest.raises(ValueError, match="n_samples"):
        random_feature_network(_product, d=2, width=5, n_samples=0)


def test_search_width_finds_the_first_width_below_eps_and_grows_for_the_sine_product():
    from lib.lessons.approximation import random_feature_network, relative_rms_error
    from lib.lessons.dimension_cost import search_over_seeds, search_width
    widths = (4, 8, 16, 32, 64, 128, 256)
    found = search_width(_product, 1, 0.2, widths, n_samples=1000)
    assert found.width is not None and found.errors[-1] < 0.2
    assert len(found.errors) == widths.index(found.width) + 1
    smaller = widths[widths.index(found.width) - 1]
    # the width below it fails, recomputed here from the network itself
    net = random_feature_network(_product, 1, smaller, n_samples=1000)
    assert relative_rms_error(net, _product, 1) >= 0.2
    # the product of sines over 2 axes has 4 lobes of alternating sign (one over 1 axis has 2):
    # random units need more of them to resolve it, for every seed
    w1 = search_over_seeds(_product, 1, 0.2, widths, seeds=(0, 1, 2), n_samples=1000)
    w2 = search_over_seeds(_product, 2, 0.2, widths, seeds=(0, 1, 2), n_samples=1000)
    assert None not in w1 + w2 and min(w2) >= 4 * max(w1)
    # the best constant has relative error 1; nothing reaches 0.2 with 4 units in 3 dimensions
    miss = search_width(_product, 3, 0.2, (4,), n_samples=1000)
    assert miss.width is None and miss.errors[0] == pytest.approx(1.0, abs=0.1)


def test_training_moves_the_hidden_units_and_lowers_the_training_error():
    from lib.lessons.dimension_cost import fitted_network
    bump = lambda X: np.exp(-np.sum((X - 0.5) ** 2, axis=1) / 0.125)
    start = fitted_network(bump, 2, 16, "random", n_samples=500, seed=2)
    trained = fitted_network(bump, 2, 16, "trained", n_samples=500, seed=2, epochs=200,
                             lr=0.01)
    assert [type(layer) for layer in trained.layers] == [Linear, ReLU, Linear]
    assert not np.allclose(trained[0].params["W"], start[0].params["W"])
    X = _training_points(16, 2, 500, seed=2)
    mse = lambda net: np.mean((net(X)[:, 0] - bump(X)) ** 2)
    assert mse(trained) < 0.5 * mse(start)


def test_width_search_rejects_bad_arguments():
    from lib.lessons.dimension_cost import fitted_network, search_width
    with pytest.raises(ValueError, match="eps"):
        search_width(_product, 1, 0.0, (4, 8))
    with pytest.raises(ValueError, match="increasing"):
        search_width(_product, 1, 0.2, (8, 4))
    with pytest.raises(ValueError, match="method"):
        fitted_network(_product, 1, 4, "guessed", n_samples=100)


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
