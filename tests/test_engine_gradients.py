"""Every layer, loss and a deep network: ``backward`` agrees with central differences.

The check is ``lib.gradcheck`` in float64 with CS231n's relative error (max over entries of
|a - b| / (|a| + |b|)), which must stay below 1e-6. Shapes and seeds are drawn by
hypothesis (derandomized, so every run draws the same cases).

Central differences carry an absolute rounding error of about 1e-16 |L| / eps; with
eps = 1e-5 (near the optimal step, the cube root of float64's machine epsilon) that is
~1e-11. An entry of a *correct* gradient that happens to be ~1e-6 (a cancellation, a
saturated unit) therefore has a relative error above 1e-6 through no fault of ``backward``.
Deep-network cases where the reference (numerical) gradient has such a tiny entry are
skipped with ``assume``; the condition looks only at central differences, never at
``backward``, so it cannot hide a wrong backward pass. Inputs of ReLU-like layers are
kept at least 0.1 away from 0: at the kink the function has no derivative and central
differences straddling it would measure a slope of about 1/2 instead of 0 or 1.

The last tests give ``gradcheck`` a deliberately wrong backward pass and insist that it
reports a large error: otherwise the tests above could not fail.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lib import gradcheck
from lib.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from lib.nn import Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh

TOLERANCE = 1e-6
EPS = 1e-5          # finite-difference step (see above)

# derandomize: the same examples in every run (the house rule is "deterministic tests")
CASES = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow])

sizes = st.integers(min_value=1, max_value=6)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def away_from_zero(rng, shape, margin=0.1, scale=2.0):
    """Random values with |x| >= margin: no ReLU kink within a finite-difference step."""
    x = rng.uniform(margin, scale, size=shape)
    return x * rng.choice([-1.0, 1.0], size=shape)


def assume_reference_gradient_not_tiny(model, loss, x, t, floor=1e-4):
    """Skip cases whose central-difference gradient has a non-zero entry below ``floor``
    (where the rounding error of the reference itself approaches 1e-6 relative; see the module
    docstring). Exact zeros (dead ReLU units) are fine: both sides agree on 0 exactly."""
    def f():
        return loss.forward(model.forward(x), t)
    for param in model.params.values():
        g = np.abs(gradcheck.numerical_gradient(f, param, EPS))
        assume(np.all((g == 0) | (g > floor)))


# ----------------------------------------------------------------------------- layers
@CASES
@given(n=sizes, n_in=sizes, n_out=sizes, seed=seeds,
       init=st.sampled_from(["he", "lecun", "glorot"]))
def test_linear_gradients(n, n_in, n_out, seed, init):
    rng = np.random.default_rng(seed)
    layer = Linear(n_in, n_out, rng=rng, init=init)
    layer.params["b"][...] = rng.standard_normal(n_out)     # a non-zero bias is checked too
    errors = gradcheck.check_layer(layer, rng.standard_normal((n, n_in)), rng=seed, eps=EPS)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < TOLERANCE, errors


@CASES
@given(n=sizes, d=sizes, seed=seeds,
       layer_type=st.sampled_from([Sigmoid, Tanh, Identity]))
def test_smooth_activation_gradients(n, d, seed, layer_type):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (n, d))        # not saturated: see the module docstring
    errors = gradcheck.check_layer(layer_type(), x, rng=seed, eps=EPS)
    assert errors["x"] < TOLERANCE, errors


@CASES
@given(n=sizes, d=sizes, seed=seeds, slope=st.sampled_from([0.01, 0.1, 0.3]))
def test_relu_and_leaky_relu_gradients(n, d, seed, slope):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, (n, d))
    assert gradcheck.check_layer(ReLU(), x, rng=seed, eps=EPS)["x"] < TOLERANCE
    assert gradcheck.check_layer(LeakyReLU(slope), x, rng=seed, eps=EPS)["x"] < TOLERANCE


def test_relu_gradient_is_zero_on_the_negative_side_and_one_on_the_positive():
    # the check above compares with differences; this pins the values themselves, including
    # lib's documented choice at the kink: derivative 0 at z = 0
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    layer = ReLU()
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(np.full((1, 5), 3.0)), [[0, 0, 0, 3, 3]])
    leaky = LeakyReLU(0.1)
    np.testing.assert_allclose(leaky.forward(x), [[-0.2, -0.05, 0, 0.5, 2]])
    np.testing.assert_allclose(leaky.backward(np.ones((1, 5))), [[0.1, 0.1, 0.1, 1, 1]])


# ----------------------------------------------------------------------------- losses
@CASES
@given(n=sizes, k=sizes, seed=seeds, reduction=st.sampled_from(["mean", "sum"]))
def test_mean_squared_error_gradient(n, k, seed, reduction):
    rng = np.random.default_rng(seed)
    loss = MeanSquaredError(reduction)
    assert gradcheck.check_loss(loss, rng.standard_normal((n, k)),
                                rng.standard_normal((n, k)), eps=EPS) < TOLERANCE


@CASES
@given(n=sizes, seed=seeds, reduction=st.sampled_from(["mean", "sum"]),
       soft=st.booleans(), flat=st.booleans())
def test_binary_cross_entropy_gradient(n, seed, reduction, soft, flat):
    rng = np.random.default_rng(seed)
    z = 2 * rng.standard_normal(n if flat else (n, 1))
    t = rng.uniform(0, 1, n) if soft else rng.integers(0, 2, n)     # soft targets or labels
    assert gradcheck.check_loss(BinaryCrossEntropy(reduction), z, t, eps=EPS) < TOLERANCE


@CASES
@given(n=sizes, k=st.integers(2, 7), seed=seeds, reduction=st.sampled_from(["mean", "sum"]),
       one_hot=st.booleans())
def test_softmax_cross_entropy_gradient(n, k, seed, reduction, one_hot):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, k))
    labels = rng.integers(0, k, n)
    t = np.eye(k)[labels] if one_hot else labels
    assert gradcheck.check_loss(SoftmaxCrossEntropy(reduction), z, t, eps=EPS) < TOLERANCE


def test_softmax_cross_entropy_integer_and_one_hot_targets_agree():
    rng = np.random.default_rng(0)
    z, labels = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    a, b = SoftmaxCrossEntropy(), SoftmaxCrossEntropy()
    assert a.forward(z, labels) == pytest.approx(b.forward(z, np.eye(4)[labels]), rel=1e-14)
    np.testing.assert_allclose(a.backward(), b.backward(), rtol=1e-14)


# ----------------------------------------------------------------------------- deep networks
@CASES
@given(n=st.integers(2, 5), widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       seed=seeds, reduction=st.sampled_from(["mean", "sum"]))
def test_deep_sequential_with_every_smooth_layer(n, widths, seed, reduction):
    """Linear, Tanh, Linear, Sigmoid, ..., Identity, softmax cross-entropy: all parameters."""
    rng = np.random.default_rng(seed)
    sizes_ = [3] + widths + [4]
    layers = []
    for i, (a, b) in enumerate(zip(sizes_[:-1], sizes_[1:])):
        layers.append(Linear(a, b, rng=rng, init="lecun"))
        layers.append([Tanh, Sigmoid, Identity][i % 3]())
    model = Sequential(*layers)
    x, t = rng.standard_normal((n, 3)), rng.integers(0, 4, n)
    loss = SoftmaxCrossEntropy(reduction)
    assume_reference_gradient_not_tiny(model, loss, x, t)
    errors = gradcheck.check_model(model, loss, x, t, eps=EPS)
    assert len(errors) == 2 * (len(sizes_) - 1)
    assert max(errors.values()) < TOLERANCE, errors


@CASES
@given(n=st.integers(2, 5), seed=seeds)
def test_deep_relu_network_input_and_parameter_gradients(n, seed):
    """A 3-5-5-5-1 ReLU / LeakyReLU network with BCE; cases with a pre-activation near 0 are
    skipped (``assume``), since there ReLU has no derivative to check."""
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(3, 5, rng=rng), ReLU(), Linear(5, 5, rng=rng), LeakyReLU(0.1),
                       Linear(5, 5, rng=rng), ReLU(), Linear(5, 1, rng=rng))
    for layer in model.layers:
        if isinstance(layer, Linear):
            layer.params["b"][...] = 0.1 * rng.standard_normal(layer.n_out)
    x = rng.standard_normal((n, 3))
    h = x
    for layer in model.layers:      # every ReLU input must be away from its kink
        if isinstance(layer, (ReLU, LeakyReLU)):
            assume(np.min(np.abs(h)) > 1e-3)
        h = layer.forward(h)
    t = rng.integers(0, 2, n)
    loss = BinaryCrossEntropy()
    assume_reference_gradient_not_tiny(model, loss, x, t)
    errors = gradcheck.check_model(model, loss, x, t, eps=EPS)
    assert max(errors.values()) < TOLERANCE, errors
    # and dL/dx through the whole stack, with check_layer on the Sequential itself
    assert gradcheck.check_layer(model, x, rng=seed, eps=EPS)["x"] < TOLERANCE


# ----------------------------------------------------------------------------- the checker
class WrongSigmoid(Sigmoid):
    """Forgets the (1 - a) factor: a typical student slip."""

    def _backward(self, grad_out, z, a):
        return grad_out * a


class LinearWithoutBiasGradient(Linear):
    def backward(self, grad_out):
        grad_in = super().backward(grad_out)
        self.grads["b"][...] = 0            # forgot dL/db
        return grad_in


class WrongSoftmaxCrossEntropy(SoftmaxCrossEntropy):
    def backward(self):
        return super().backward() * 2       # off by a factor


def test_gradcheck_catches_a_wrong_activation_derivative():
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert gradcheck.check_layer(WrongSigmoid(), x)["x"] > 1e-2
    assert gradcheck.check_layer(Sigmoid(), x)["x"] < TOLERANCE     # same input, right backward


def test_gradcheck_catches_a_missing_parameter_gradient():
    x = np.random.default_rng(1).standard_normal((4, 3))
    layer = LinearWithoutBiasGradient(3, 2, rng=0)
    errors = gradcheck.check_layer(layer, x)
    assert errors["b"] > 0.5 and errors["W"] < TOLERANCE and errors["x"] < TOLERANCE


def test_gradcheck_catches_a_wrong_loss_gradient_inside_a_model():
    rng = np.random.default_rng(2)
    model = Sequential(Linear(3, 4, rng=rng), Tanh(), Linear(4, 3, rng=rng))
    x, t = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    assert max(gradcheck.check_model(model, WrongSoftmaxCrossEntropy(), x, t).values()) > 0.1
    assert gradcheck.check_loss(WrongSoftmaxCrossEntropy(), rng.standard_normal((5, 3)), t) > 0.1


def test_relative_error_and_numerical_gradient_on_known_values():
    # f(x) = sum(x^3): gradient 3 x^2, written here by hand
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    numeric = gradcheck.numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(numeric, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])      # restored afterwards
    assert gradcheck.relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert gradcheck.relative_error([1.0], [3.0]) == pytest.approx(0.5)   # |1-3| / (1+3)
    with pytest.raises(ValueError, match="shapes differ"):
        gradcheck.relative_error(np.zeros(2), np.zeros(3))


# ----------------------------------------------------------------------------- input_grad=False
@pytest.mark.parametrize("first", ["linear", "activation"])
def test_backward_without_the_input_gradient_gives_the_same_parameter_gradients(first):
    """``fit`` calls ``model.backward(g, input_grad=False)``: dL/dX of the data is skipped,
    every parameter gradient must be exactly what the full backward pass gives."""
    rng = np.random.default_rng(5)
    layers = [Linear(4, 6, rng=rng), Tanh(), Linear(6, 3, rng=rng)]
    if first == "activation":
        layers.insert(0, Sigmoid())
    model = Sequential(*layers)
    x, t = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)
    loss = SoftmaxCrossEntropy()
    loss.forward(model.forward(x), t)
    grad_x = model.backward(loss.backward())
    full = {k: v.copy() for k, v in model.grads.items()}
    for g in model.grads.values():      # so that a gradient the second pass skips shows as 0
        g[...] = 0
    loss.forward(model.forward(x), t)
    result = model.backward(loss.backward(), input_grad=False)
    for k, v in model.grads.items():
        np.testing.assert_array_equal(v, full[k])
    if first == "linear":
        assert result is None           # skipped: that is the point
    else:                               # a first layer that cannot skip still answers
        np.testing.assert_array_equal(result, grad_x)


def test_a_linear_subclass_with_the_old_backward_signature_still_trains():
    """A student's ``Linear`` subclass overriding ``backward(self, grad_out)`` keeps working
    as a first layer under ``fit``'s ``input_grad=False``: it is called the plain way."""
    from lib.optim import SGD
    from lib.train import fit
    rng = np.random.default_rng(0)
    model = Sequential(LinearWithoutBiasGradient(2, 3, rng=rng), Tanh(), Linear(3, 1, rng=rng))
    X, t = rng.standard_normal((8, 2)), rng.integers(0, 2, 8)
    history = fit(model, BinaryCrossEntropy(), SGD(model, 0.1), X, t, epochs=2, progress=False)
    assert history.epochs == 2 and np.all(model.layers[0].grads["b"] == 0)
