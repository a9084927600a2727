"""count_linear_regions against networks whose number of regions is known by construction."""
from __future__ import annotations

import numpy as np
import pytest

from lib.lessons.depth_separation import shallow_tent_network, tent_map, tent_map_network
from lib.lessons.regions import (
    activation_patterns,
    count_linear_regions,
    random_relu_network,
    regions_on_grid,
    regions_on_line,
)
from lib.nn import Linear, ReLU, Sequential, Sigmoid, mlp


def one_layer_1d(breakpoints, out_weights):
    """y = sum_i c_i relu(x - beta_i): kinks exactly at the given beta_i."""
    k = len(breakpoints)
    return Sequential(Linear.from_weights(np.ones((k, 1)), -np.asarray(breakpoints)),
                      ReLU(), Linear.from_weights(np.asarray(out_weights)[None, :], 0))


@pytest.mark.parametrize("L", range(1, 9))
def test_tent_map_network_has_exactly_2_to_the_L_pieces(L):
    net = tent_map_network(L)
    x = np.linspace(0, 1, 1001)[:, None]
    np.testing.assert_allclose(net(x), tent_map(x, L), atol=1e-12)   # it is the tent map
    r = regions_on_line(net, 0.0, 1.0)
    assert r.n_activation_regions == 2 ** L
    assert r.n_linear_pieces == 2 ** L
    # the kinks of T^L are at i / 2^L
    np.testing.assert_allclose(r.breakpoints, np.arange(1, 2 ** L) / 2 ** L, atol=1e-8)
    assert count_linear_regions(net, line=(0.0, 1.0), count="pieces") == 2 ** L


@pytest.mark.parametrize("L", [1, 3, 6])
def test_shallow_tent_network_computes_the_same_function_with_2_to_the_L_units(L):
    net = shallow_tent_network(L)
    assert net[0].n_out == 2 ** L
    x = np.linspace(0, 1, 4097)[:, None]
    np.testing.assert_allclose(net(x), tent_map(x, L), atol=1e-9)
    assert count_linear_regions(net, line=(0.0, 1.0), count="pieces") == 2 ** L


@pytest.mark.parametrize("k", [1, 2, 5, 17, 60])
def test_one_hidden_layer_with_k_kinks_inside_has_k_plus_1_regions(k):
    rng = np.random.default_rng(k)
    beta = np.sort(rng.uniform(0.05, 0.95, size=k))
    c = rng.choice([-1.0, 1.0], size=k) * rng.uniform(0.5, 2.0, size=k)
    net = one_layer_1d(beta, c)
    r = regions_on_line(net, 0.0, 1.0)
    assert r.n_activation_regions == k + 1
    assert r.n_linear_pieces == k + 1
    np.testing.assert_allclose(r.breakpoints, beta, atol=1e-8)


def test_general_position_random_directions():
    # random weights and biases chosen so every kink -b/w lies inside (-1, 1)
    rng = np.random.default_rng(3)
    k = 12
    w = rng.choice([-1.0, 1.0], size=k) * rng.uniform(0.5, 2.0, size=k)
    kinks = np.sort(rng.uniform(-0.9, 0.9, size=k))
    net = Sequential(Linear.from_weights(w[:, None], -w * kinks), ReLU(),
                     Linear.from_weights(rng.uniform(0.5, 1, (1, k)), 0))
    assert count_linear_regions(net, line=(-1.0, 1.0)) == k + 1


def test_activation_regions_versus_linear_pieces():
    # a unit with output weight 0 changes the pattern but not the function
    net = one_layer_1d([0.25, 0.5, 0.75], [1.0, 0.0, -2.0])
    r = regions_on_line(net, 0.0, 1.0)
    assert r.n_activation_regions == 4
    assert r.n_linear_pieces == 3
    # the slopes on the pieces are those of the construction: 0, 1, 1, -1
    np.testing.assert_allclose(r.slopes[:, 0], [0.0, 1.0, 1.0, -1.0], atol=1e-12)


def test_all_units_on_gives_one_region():
    rng = np.random.default_rng(0)
    net = mlp([3, 8, 8, 1], ReLU, rng=rng)
    for layer in net.layers:
        if isinstance(layer, Linear):
            layer.params["W"][...] = np.abs(layer.params["W"])
            layer.params["b"][...] = 0.1
    # every input with positive coordinates switches every unit on
    assert count_linear_regions(net, line=(np.full(3, 0.1), np.full(3, 2.0))) == 1
    assert activation_patterns(net, np.full((5, 3), 0.5)).all()


def test_grid_three_lines_in_general_position_cut_the_box_into_7_regions():
    # lines x1 = 0, x2 = 0, x1 + x2 = 0.5 cross inside [-1, 1]^2: 1 + 3 + 3 = 7 regions
    net = Sequential(Linear.from_weights([[1, 0], [0, 1], [1, 1]], [0, 0, -0.5]),
                     ReLU(), Linear(3, 1, rng=0))
    assert count_linear_regions(net, grid=((-1, 1), (-1, 1)), resolution=201) == 7
    g = regions_on_grid(net, (-1, 1), (-1, 1), resolution=101)
    assert g.labels.shape == (101, 101)
    # two lines that are parallel give 3 regions, not 4
    net2 = Sequential(Linear.from_weights([[1, 0], [1, 0]], [0, -0.5]), ReLU())
    assert count_linear_regions(net2, grid=((-1, 1), (-1, 1)), resolution=101) == 3


def test_line_and_grid_agree_on_a_random_network_along_a_line():
    # the same network restricted to the segment x2 = 0.3: counting along the line must find
    # at least as many regions as the grid row at x2 = 0.3 shows
    net = mlp([2, 10, 10, 1], ReLU, rng=7)
    r = regions_on_line(net, [-1.0, 0.3], [1.0, 0.3])
    xs = np.linspace(-1, 1, 20001)
    P = activation_patterns(net, np.column_stack([xs, np.full_like(xs, 0.3)]))
    changes = int(np.count_nonzero(np.any(P[1:] != P[:-1], axis=1)))
    assert r.n_activation_regions == changes + 1


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="Linear and ReLU"):
        count_linear_regions(mlp([1, 4, 1], Sigmoid, rng=0), line=(0.0, 1.0))
    with pytest.raises(ValueError, match="exactly one"):
        count_linear_regions(tent_map_network(2))
    with pytest.raises(ValueError, match="2 inputs"):
        regions_on_grid(tent_map_network(2))
    with pytest.raises(ValueError, match="shape"):
        count_linear_regions(mlp([3, 4, 1], ReLU, rng=0), line=([0, 0], [1, 1]))


@pytest.mark.parametrize("seed", range(4))
def test_line_count_does_not_depend_on_the_initial_sampling(seed):
    # regions are convex, so bisecting from only the two end points must find every region
    # that dense sampling finds (the count is exact up to tol, whatever n_samples is)
    net = random_relu_network([3, 12, 12, 12, 1], rng=seed)
    a, b = np.array([-2.0, -1.0, 0.5]), np.array([2.0, 1.5, -0.5])
    coarse = regions_on_line(net, a, b, n_samples=2)
    fine = regions_on_line(net, a, b, n_samples=20001)
    assert coarse.n_activation_regions == fine.n_activation_regions > 5
    np.testing.assert_allclose(coarse.breakpoints, fine.breakpoints, atol=1e-8)
    # and every pattern change seen on a dense grid of 200001 points is one of them
    s = np.linspace(0, 1, 200001)
    P = activation_patterns(net, a + s[:, None] * (b - a))
    assert fine.n_activation_regions >= 1 + np.count_nonzero(np.any(P[1:] != P[:-1], axis=1))


def test_random_relu_network_draws_biases():
    net = random_relu_network([2, 5, 1], rng=0, bias_std=0.5)
    assert np.all(net[0].params["b"] != 0)
    np.testing.assert_array_equal(random_relu_network([2, 5, 1], rng=0)[0].params["b"],
                                  net[0].params["b"])       # reproducible
    with pytest.raises(ValueError, match="bias_std"):
        random_relu_network([2, 5, 1], bias_std=-1)


def test_telgarsky_floor_values_worked_by_hand():
    from lib.lessons.depth_separation import tent_error_lower_bound
    # (1 - (2(k + 1) + 2) / 2^L) / 8: L = 10, k = 256 -> (1 - 516/1024) / 8
    assert tent_error_lower_bound(10, 256) == pytest.approx(508 / 1024 / 8)
    assert tent_error_lower_bound(4, 8) == 0.0                      # 1 - 20/16 < 0: no floor
    with pytest.raises(ValueError, match="n_units"):
        tent_error_lower_bound(4, -1)


@pytest.mark.parametrize("L", [5, 7])
def test_no_one_hidden_layer_network_beats_the_telgarsky_floor(L):
    from lib.lessons.depth_separation import tent_error_lower_bound, tent_least_squares_network
    x = (np.arange(16384) + 0.5) / 16384
    target = tent_map(x, L)
    for k in (2 ** L // 8, 2 ** L // 4):
        floor = tent_error_lower_bound(L, k)
        assert floor > 0
        nets = [tent_least_squares_network(L, k, seed=s) for s in range(3)]
        nets += [mlp([1, k, 1], ReLU, rng=s) for s in range(3)]
        # the exact shallow network of a coarser saw-tooth, T^(L-3), has 2^(L-3) units
        nets.append(shallow_tent_network(L - 3))
        for net in nets:
            assert net[0].n_out <= k
            assert np.mean(np.abs(net(x[:, None])[:, 0] - target)) >= floor
    # the deep network is exact with 2L units
    assert np.abs(tent_map_network(L)(x[:, None])[:, 0] - target).max() < 1e-12


def test_random_networks_make_about_one_region_per_neuron_on_a_line_whatever_the_depth():
    # Hanin and Rolnick (2019): the expected count grows like the total number of neurons N
    # along a line, with a constant that does not depend on the depth
    for widths in ([32], [16, 16], [8, 8, 8, 8]):
        counts = [count_linear_regions(random_relu_network([1] + widths + [1], seed),
                                       line=(-3.0, 3.0), n_samples=1025) for seed in range(5)]
        assert 0.5 * 32 < np.mean(counts) < 1.1 * 32, (widths, counts)
