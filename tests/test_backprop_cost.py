"""lib.lessons.backprop_cost: three ways to the same gradients, and their cost counted exactly.

The expected counts are derived here by hand from the architecture, not read from the code:

* an MLP with L Linear layers (sizes d_0, ..., d_L) has K = 2L - 1 layers (an activation
  between consecutive Linear layers) and P = sum_l (d_{l-1} + 1) d_l parameters;
* backprop: one forward pass and one backward pass, 2K = 4L - 2 layer calls;
* no re-use: for the Linear layer at position p_j = 2j - 1 (j = 1..L), a full forward pass
  (K calls) and backward calls for layers K, ..., p_j (K - p_j + 1 = 2L - 2j + 1 calls):
  sum_j (2L - 1) + sum_j (2L - 2j + 1) = L(2L - 1) + L^2 = 3L^2 - L;
* finite differences: two forward passes (K calls each) per scalar parameter: 2PK.
"""
from __future__ import annotations

import numpy as np
import pytest

from lib.gradcheck import relative_error
from lib.lessons.backprop_cost import (
    Counted,
    OpCounter,
    backprop_gradients,
    counted,
    counted_mlp,
    finite_difference_gradients,
    no_reuse_gradients,
)
from lib.losses import BinaryCrossEntropy, MeanSquaredError
from lib.nn import Linear, Sequential, Sigmoid, Tanh, mlp

ARCHITECTURES = [([3, 2], Tanh), ([3, 4, 2], Tanh), ([2, 5, 4, 3, 1], Sigmoid),
                 ([4, 3, 3, 3, 3, 2], Tanh)]


def _data(sizes, n=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, sizes[0])), rng.standard_normal((n, sizes[-1]))


def _n_params(sizes):
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


@pytest.mark.parametrize("sizes, act", ARCHITECTURES, ids=str)
def test_backprop_equals_finite_differences_and_no_reuse(sizes, act):
    model, _ = counted_mlp(sizes, act, rng=1)
    x, t = _data(sizes)
    bp = backprop_gradients(model, MeanSquaredError(), x, t)
    nr = no_reuse_gradients(model, MeanSquaredError(), x, t)
    fd = finite_difference_gradients(model, MeanSquaredError(), x, t)
    assert list(bp) == list(model.params) == list(nr) == list(fd)
    for name in model.params:
        assert bp[name].shape == model.params[name].shape
        # finite differences are good to ~1e-10 absolute (rounding / eps); deep sigmoid
        # stacks have gradients of ~1e-5, so an absolute floor is needed besides rtol
        np.testing.assert_allclose(fd[name], bp[name], rtol=1e-6, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(nr[name], bp[name], rtol=1e-12, atol=1e-15, err_msg=name)
        assert np.any(bp[name] != 0), f"{name}: a zero gradient would make this test vacuous"


def test_gradients_with_a_classification_loss():
    sizes = [2, 4, 4, 1]
    model, _ = counted_mlp(sizes, Tanh, rng=3)
    x = np.random.default_rng(0).standard_normal((8, 2))
    t = (x[:, :1] * x[:, 1:] > 0).astype(float)
    bp = backprop_gradients(model, BinaryCrossEntropy(), x, t)
    fd = finite_difference_gradients(model, BinaryCrossEntropy(), x, t)
    assert max(relative_error(bp[k], fd[k]) for k in bp) < 1e-6


def test_counted_model_is_the_same_function_with_the_same_parameters():
    plain = mlp([3, 4, 2], Tanh, rng=0)
    model, counter = counted(plain)
    x, _ = _data([3, 4, 2])
    np.testing.assert_array_equal(model.forward(x), plain.forward(x))
    assert counter.forward_calls == 3 and counter.backward_calls == 0
    plain.layers[0].params["W"][0, 0] += 1.0            # shared arrays, not copies
    np.testing.assert_array_equal(model.forward(x), plain.forward(x))
    assert all(model.params[k] is plain.params[k] for k in plain.params)


@pytest.mark.parametrize("L", [1, 2, 3, 5, 8, 13])
def test_layer_call_counts_match_the_formulas(L):
    sizes = [3] + [4] * (L - 1) + [2]
    K, P = 2 * L - 1, _n_params(sizes)
    model, counter = counted_mlp(sizes, Tanh, rng=0)
    x, t = _data(sizes, n=2)

    counter.reset()
    backprop_gradients(model, MeanSquaredError(), x, t)
    assert (counter.forward_calls, counter.backward_calls) == (K, K)
    assert counter.layer_calls == 4 * L - 2
    assert counter.loss_calls == 2

    counter.reset()
    no_reuse_gradients(model, MeanSquaredError(), x, t)
    assert counter.forward_calls == L * K
    assert counter.backward_calls == L ** 2
    assert counter.layer_calls == 3 * L ** 2 - L
    assert counter.loss_calls == 2 * L

    if L <= 5:                                           # finite differences get slow
        counter.reset()
        finite_difference_gradients(model, MeanSquaredError(), x, t)
        assert counter.forward_calls == 2 * P * K
        assert counter.backward_calls == 0
        assert counter.loss_calls == 2 * P


def test_no_reuse_is_quadratic_and_backprop_linear_in_depth():
    depths = [1, 2, 3, 4, 5, 6, 7, 8]
    bp, nr = [], []
    for L in depths:
        model, counter = counted_mlp([2] + [3] * (L - 1) + [1], Tanh, rng=0)
        x, t = _data([2, 1], n=3)
        counter.reset()
        backprop_gradients(model, MeanSquaredError(), x, t)
        bp.append(counter.layer_calls)
        counter.reset()
        no_reuse_gradients(model, MeanSquaredError(), x, t)
        nr.append(counter.layer_calls)
    # constant first differences = linear; constant positive second differences = quadratic
    assert set(np.diff(bp)) == {4}
    assert set(np.diff(nr, n=2)) == {6}
    assert nr[-1] / bp[-1] > 5 and nr[-1] / bp[-1] > nr[3] / bp[3] > nr[0] / bp[0]


@pytest.mark.parametrize("K", [1, 2, 4, 7])
def test_chain_of_parameterised_layers_costs_k_squared_plus_triangle(K):
    """Every layer has parameters: sum_j (K + K - j + 1) = K^2 + K(K+1)/2 layer calls."""
    model, counter = counted(Sequential(*[Linear(3, 3, rng=i) for i in range(K)]))
    x, t = _data([3, 3], n=2)
    no_reuse_gradients(model, MeanSquaredError(), x, t)
    assert counter.layer_calls == K ** 2 + K * (K + 1) // 2
    counter.reset()
    backprop_gradients(model, MeanSquaredError(), x, t)
    assert counter.layer_calls == 2 * K


def test_multiply_add_counts():
    sizes, n = [3, 5, 4, 2], 7
    model, counter = counted_mlp(sizes, Tanh, rng=0)
    x, t = _data(sizes, n=n)
    per_layer = [a * b for a, b in zip(sizes[:-1], sizes[1:])]      # 15, 20, 8
    backprop_gradients(model, MeanSquaredError(), x, t)
    assert counter.madds == 3 * n * sum(per_layer)                    # forward 1x, backward 2x
    counter.reset()
    no_reuse_gradients(model, MeanSquaredError(), x, t)
    # Linear j: a full forward pass, then backward through Linear layers j..L
    expected = sum(n * sum(per_layer) + 2 * n * sum(per_layer[j:]) for j in range(3))
    assert counter.madds == expected


def test_no_reuse_does_not_need_the_previous_layers_results():
    """Each layer's gradient in no_reuse starts from a fresh forward pass: spoiling the
    cached intermediates between calls changes nothing."""
    sizes = [3, 4, 4, 2]
    model, _ = counted_mlp(sizes, Tanh, rng=0)
    x, t = _data(sizes)
    expected = backprop_gradients(model, MeanSquaredError(), x, t)
    model.forward(np.zeros_like(x))                     # leave stale caches behind
    got = no_reuse_gradients(model, MeanSquaredError(), x, t)
    for k in expected:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-12)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="Sequential"):
        counted(Linear(2, 2))
    with pytest.raises(TypeError, match="Layer"):
        Counted("not a layer", OpCounter())
    model, _ = counted_mlp([2, 3, 1], rng=0)
    with pytest.raises(TypeError, match="Loss"):
        backprop_gradients(model, lambda y, t: 0.0, np.zeros((1, 2)), np.zeros((1, 1)))


def test_plain_sequential_works_without_a_counter():
    sizes = [3, 4, 2]
    model = mlp(sizes, Tanh, rng=0)
    x, t = _data(sizes)
    bp = backprop_gradients(model, MeanSquaredError(), x, t)
    nr = no_reuse_gradients(model, MeanSquaredError(), x, t)
    for k in bp:
        np.testing.assert_allclose(nr[k], bp[k], rtol=1e-12)


class _ForgetfulSigmoid(Sigmoid):
    """The chapter's deliberately broken layer: backward forgets the factor (1 - a)."""

    def _backward(self, grad_out, z, a):
        return grad_out * a


def test_gradient_check_catches_the_broken_layer_and_localises_it():
    from lib.gradcheck import check_layer, check_model
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert check_layer(Sigmoid(), x)["x"] < 1e-7
    assert check_layer(_ForgetfulSigmoid(), x)["x"] > 1e-2
    X, T = _data([3, 1])
    net = Sequential(Linear(3, 4, rng=0), Sigmoid(), Linear(4, 4, rng=1), _ForgetfulSigmoid(),
                     Linear(4, 1, rng=2))
    errors = check_model(net, MeanSquaredError(), X, T)
    assert errors["4.W"] < 1e-7 and errors["4.b"] < 1e-7, "above the bug: right"
    assert min(errors[k] for k in ("0.W", "0.b", "2.W", "2.b")) > 1e-2, "below the bug: wrong"
