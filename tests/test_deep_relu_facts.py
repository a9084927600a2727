"""Chapter 4's measured claims about deep ReLU stacks: the gradient ratio across depths, and
when ReLU's derivative at exactly z = 0 matters."""
from __future__ import annotations

import numpy as np
import pytest

from lib.lessons.gradient_depth_sweep import gradient_ratio_sweep
from lib.lessons.relu_at_zero import (
    ReLUDerivativeOneAtZero,
    bias_gradient_norms_per_layer,
    count_exact_zero_pre_activations,
    with_derivative_one_at_zero,
)
from lib.losses import BinaryCrossEntropy
from lib.nn import ReLU, Sigmoid, mlp


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 8))
    return X, (X[:, 0] > 0).astype(float)


def test_the_sigmoid_ratio_falls_with_depth_and_the_relu_ratio_does_not(batch):
    X, t = batch
    depths = (2, 6, 10)
    sig = gradient_ratio_sweep(Sigmoid, depths, range(2), X, t, width=16, epochs=3)
    rel = gradient_ratio_sweep(ReLU, depths, range(2), X, t, width=16, epochs=3)
    for sweep in (sig, rel):
        assert sweep.before.shape == sweep.after.shape == (2, 3) and sweep.diverged == 0
        assert np.all(sweep.before > 0) and not np.array_equal(sweep.before, sweep.after)
    # every seed: each four more sigmoid layers cost at least a factor 10, before and after
    for ratios in (sig.before, sig.after):
        assert np.all(ratios[:, 1:] < ratios[:, :-1] / 10)
    assert np.all(np.abs(np.log10(rel.before)) < 2) and np.all(np.abs(np.log10(rel.after)) < 2)


def test_the_sweep_ratio_is_first_over_last_layer_of_that_network(batch):
    X, t = batch
    sweep = gradient_ratio_sweep(Sigmoid, [3], [5], X, t, width=4, epochs=1)
    net = mlp([8, 4, 4, 4, 1], Sigmoid, rng=5)
    net.forward(X)
    loss = BinaryCrossEntropy()
    loss.forward(net.forward(X), t)
    net.backward(loss.backward())
    first, last = net.layers[0].grads["W"], net.layers[-1].grads["W"]
    assert sweep.before[0, 0] == pytest.approx(np.linalg.norm(first) / np.linalg.norm(last))


def test_the_sweep_rejects_an_empty_or_zero_depth(batch):
    X, t = batch
    for depths, seeds in (([], [0]), ([2], []), ([0], [0])):
        with pytest.raises(ValueError):
            gradient_ratio_sweep(ReLU, depths, seeds, X, t)


def test_the_other_derivative_at_zero_passes_the_gradient_there():
    relu = ReLUDerivativeOneAtZero()
    z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu(z), [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.backward(np.ones_like(z)), [[0.0, 1.0, 1.0]])


def test_zero_biases_and_a_zero_input_give_exact_zeros_where_the_choice_matters():
    # mlp starts biases at exactly 0: the input x = 0 makes every pre-activation exactly 0
    net = mlp([3, 5, 5, 1], ReLU, rng=0)
    X = np.zeros((4, 3))
    t = np.ones(4)          # all of one class, so the output errors do not cancel
    assert count_exact_zero_pre_activations(net, X) == [20, 20]
    other = with_derivative_one_at_zero(net)
    np.testing.assert_array_equal(net.forward(X), other.forward(X))
    with_0 = bias_gradient_norms_per_layer(net, BinaryCrossEntropy(), X, t)
    with_1 = bias_gradient_norms_per_layer(other, BinaryCrossEntropy(), X, t)
    assert with_0[0] == with_0[1] == 0.0            # lib's choice: nothing passes at z = 0
    assert with_1[0] > 0 and with_1[1] > 0          # the other choice: the biases learn
    assert with_0[-1] == with_1[-1]                 # the output layer has no ReLU after it


def test_away_from_exact_zeros_both_choices_agree():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 3))
    t = (X[:, 1] > 0).astype(float)
    net = mlp([3, 8, 8, 1], ReLU, rng=2)
    assert sum(count_exact_zero_pre_activations(net, X)) == 0
    assert bias_gradient_norms_per_layer(net, BinaryCrossEntropy(), X, t) == \
        bias_gradient_norms_per_layer(with_derivative_one_at_zero(net), BinaryCrossEntropy(), X, t)
