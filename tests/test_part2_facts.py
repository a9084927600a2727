"""Facts Part II of the book states: dead ReLUs, vanishing gradients, ReLU at 0, depth vs width."""
from __future__ import annotations

import warnings
from math import comb

import numpy as np
import pytest

from lib.data import make_dataset
from lib.lessons.depth_separation import shallow_tent_network, tent_map_network
from lib.lessons.diagnostics import (
    count_dead_relus,
    dead_relu_masks,
    gradient_norms_per_layer,
    relu_pre_activations,
)
from lib.lessons.regions import (
    activation_patterns,
    affine_fit_residual,
    count_linear_regions,
    random_relu_network,
)
from lib.losses import BinaryCrossEntropy
from lib.nn import Linear, ReLU, Sequential, Sigmoid, mlp
from lib.optim import SGD
from lib.train import fit


def test_dead_relus_counted_on_a_constructed_case():
    # 5 units on inputs in [-1, 1]^2 with |W| <= 1: a bias of -3 keeps z <= -1 for units 0 and 3
    rng = np.random.default_rng(0)
    layer = Linear(2, 5, init="zeros")
    layer.params["W"][...] = rng.uniform(-0.5, 0.5, (5, 2))
    layer.params["b"][...] = [-3.0, 0.0, 0.1, -3.0, 0.2]
    net = Sequential(layer, ReLU(), Linear(5, 1, rng=0))
    X = rng.uniform(-1, 1, (500, 2))
    assert count_dead_relus(net, X) == [2]
    # a dead unit gets no gradient, so gradient descent cannot bring it back
    loss = BinaryCrossEntropy()
    loss.forward(net(X), (X[:, 0] > 0).astype(float))
    net.backward(loss.backward())
    assert np.all(layer.grads["W"][[0, 3]] == 0) and np.all(layer.grads["b"][[0, 3]] == 0)
    assert np.any(layer.grads["W"][[1, 2, 4]] != 0)


def test_dead_first_layer_units_stay_dead_deeper_ones_can_revive():
    # kill 8 units per hidden layer just barely (largest z on the data = -0.05), train plainly
    X, t = make_dataset("moons", n=400, noise=0.1, rng=0)
    net = mlp([2, 32, 32, 1], ReLU, rng=1)
    for linear, which in ((net[0], 0), (net[2], 1)):
        z = relu_pre_activations(net, X)[which]
        linear.params["b"][:8] -= z[:, :8].max(axis=0) + 0.05
    W1, b1 = net[0].params["W"][:8].copy(), net[0].params["b"][:8].copy()
    assert all(m[:8].all() for m in dead_relu_masks(net, X))
    fit(net, BinaryCrossEntropy(), SGD(net, lr=0.3), X, t, epochs=20, batch_size=32,
        progress=False)
    first, second = (m[:8] for m in dead_relu_masks(net, X))
    assert first.all()                                            # no gradient, fixed input
    np.testing.assert_array_equal(net[0].params["W"][:8], W1)    # not one bit moved
    np.testing.assert_array_equal(net[0].params["b"][:8], b1)
    assert not second.all()                                       # the layer below moved them


def test_relu_network_is_affine_on_an_activation_region_not_on_a_first_layer_cell():
    net = random_relu_network([2, 8, 8, 8, 1], rng=0, bias_std=0.5)
    g = np.linspace(-1, 1, 120)
    P = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    patterns = activation_patterns(net, P)
    _, region = np.unique(patterns, axis=0, return_inverse=True)
    _, cell = np.unique(patterns[:, :8], axis=0, return_inverse=True)
    region, cell = region.ravel(), cell.ravel()
    for r in np.unique(region):
        if np.sum(region == r) > 10:
            assert affine_fit_residual(net, P[region == r]) < 1e-10
    biggest_cell = np.bincount(cell).argmax()
    assert len(np.unique(region[cell == biggest_cell])) > 1
    assert affine_fit_residual(net, P[cell == biggest_cell]) > 1e-3
    with pytest.raises(ValueError, match="n > n_in \\+ 1"):
        affine_fit_residual(net, P[:3])


def test_a_huge_learning_rate_kills_relus_during_training():
    X, t = make_dataset("moons", n=400, noise=0.1, rng=0)
    dead = {}
    for lr in (0.1, 10.0):
        net = mlp([2, 32, 32, 1], ReLU, rng=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            h = fit(net, BinaryCrossEntropy(), SGD(net, lr=lr), X, t, epochs=5, batch_size=32,
                    progress=False)
        dead[lr] = sum(count_dead_relus(net, X))
        if lr == 10.0:
            assert h.train_accuracy[-1] == pytest.approx(0.5)    # the network is stuck
    assert dead[0.1] < 16
    assert dead[10.0] >= 60                                       # of 64 units


def test_relu_gradient_at_zero_is_zero_in_lib():
    relu = ReLU()
    z = np.array([[-1.0, 0.0, 2.0]])
    relu(z)
    np.testing.assert_array_equal(relu.backward(np.ones_like(z)), [[0.0, 0.0, 1.0]])


def test_sigmoid_stack_gradients_vanish_relu_stack_gradients_do_not():
    # 10 hidden layers of 32, mlp's default init (lecun for sigmoid, he for relu), seed 0
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 16))
    t = (X[:, 0] > 0).astype(float)
    sig = gradient_norms_per_layer(mlp([16] + [32] * 10 + [1], Sigmoid, rng=0),
                                   BinaryCrossEntropy(), X, t)
    rel = gradient_norms_per_layer(mlp([16] + [32] * 10 + [1], ReLU, rng=0),
                                   BinaryCrossEntropy(), X, t)
    assert len(sig) == len(rel) == 11
    assert sig[0] / sig[-1] < 1e-4          # first layer gets a vanishing share
    assert rel[0] / rel[-1] > 1e-2          # within two orders of magnitude
    # sigmoid: each layer back shrinks the gradient (sigma' <= 1/4)
    assert all(a < b for a, b in zip(sig[:-1], sig[1:]))


def test_depth_wins_tent_map_units():
    for L in range(1, 8):
        deep, shallow = tent_map_network(L), shallow_tent_network(L)
        deep_units = sum(layer.n_out for layer in deep.layers[:-1] if isinstance(layer, Linear))
        assert deep_units == 2 * L
        assert shallow[0].n_out == 2 ** L
        assert count_linear_regions(deep, line=(0.0, 1.0), count="pieces") == 2 ** L


def test_one_layer_of_n_lines_in_the_plane_at_most_zaslavsky():
    for seed in range(3):
        # mlp starts biases at 0: n distinct lines all through the origin cut it into 2n sectors
        net = mlp([2, 10, 1], ReLU, rng=seed)
        assert count_linear_regions(net, grid=((-1, 1), (-1, 1)), resolution=300) == 2 * 10
        # n lines in general position: regions met <= 1 + n + C(n, 2)
        net = random_relu_network([2, 10, 1], rng=seed)
        n = count_linear_regions(net, grid=((-1, 1), (-1, 1)), resolution=300)
        assert n <= 1 + 10 + comb(10, 2)
