"""``lib.functional`` and the losses at extreme inputs: finite, silent, and right.

Inputs reach +-1e4 in float32 and float64. Every call runs with Python warnings turned into
errors and NumPy's overflow, division-by-zero and invalid-operation flags raising. Underflow
is allowed: e^-10000 rounding to 0 *is* the correct float answer (NumPy ignores it by default,
and no stable formula can avoid it).
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pytest

from lib import functional as F
from lib.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from lib.nn import ReLU, Sigmoid, Tanh

DTYPES = [np.float32, np.float64]
BIG = 1e4


@contextmanager
def strict():
    """Any warning or floating-point overflow / 0-division / NaN-producing step is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


def extremes(dtype):
    return np.array([-BIG, -1e3, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e3, BIG], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_derivative", "log_sigmoid", "softplus",
                                  "relu", "relu_derivative", "tanh"])
def test_elementwise_functions_are_finite_silent_and_keep_the_dtype(name, dtype):
    x = extremes(dtype)
    with strict():
        y = getattr(F, name)(x)
    assert y.dtype == dtype
    assert y.shape == x.shape
    assert np.all(np.isfinite(y)), y


@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_limits(dtype):
    x = np.array([-BIG, BIG], dtype=dtype)
    with strict():
        np.testing.assert_array_equal(F.sigmoid(x), [0.0, 1.0])
        np.testing.assert_array_equal(F.sigmoid_derivative(x), [0.0, 0.0])
        np.testing.assert_array_equal(F.softplus(x), [0.0, BIG])       # log(1 + e^x)
        np.testing.assert_array_equal(F.log_sigmoid(x), [-BIG, 0.0])   # log sigma(x)
        np.testing.assert_array_equal(F.relu(x), [0.0, BIG])
        np.testing.assert_array_equal(F.tanh(x), [-1.0, 1.0])
        # and in the middle, the textbook values
        np.testing.assert_allclose(F.sigmoid(np.array([0.0, np.log(3)], dtype)), [0.5, 0.75],
                                   rtol=1e-6)
        np.testing.assert_allclose(F.softplus(np.array([0.0], dtype)), [np.log(2)], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_tails_are_accurate_not_just_finite(dtype):
    # sigma(-30) = e^-30 / (1 + e^-30) ~ 9.4e-14: the naive 1 - sigma(30) would give 0 (float64)
    x = np.array([-30.0, -80.0], dtype=dtype)
    with strict():
        s = F.sigmoid(x)
    expected = np.exp(np.array([-30.0, -80.0])) / (1 + np.exp(np.array([-30.0, -80.0])))
    np.testing.assert_allclose(s, expected.astype(dtype), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rowwise_functions_at_extreme_logits(dtype):
    z = np.array([[BIG, 0.0, -BIG],
                  [-BIG, -BIG, -BIG],
                  [BIG, BIG, BIG],
                  [1.0, 2.0, 3.0]], dtype=dtype)
    with strict():
        p, log_p, lse = F.softmax(z), F.log_softmax(z), F.logsumexp(z)
    for out in (p, log_p, lse):
        assert out.dtype == dtype and np.all(np.isfinite(out))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(p[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(p[2], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_array_equal(log_p[0], [0.0, -BIG, -2 * BIG])
    np.testing.assert_allclose(lse, [BIG, -BIG + np.log(3), BIG + np.log(3),
                                     np.log(np.e + np.e ** 2 + np.e ** 3)], rtol=1e-6)
    # float32 holds 1e4 to about 1e-3, so log_softmax of a row at -1e4 is only that exact
    np.testing.assert_allclose(np.exp(log_p), p, rtol=1e-3 if dtype == np.float32 else 1e-12,
                               atol=1e-30)


def test_logsumexp_axis_and_keepdims():
    z = np.array([[0.0, np.log(3.0)], [np.log(2.0), np.log(2.0)]])
    np.testing.assert_allclose(F.logsumexp(z, axis=0), [np.log(3.0), np.log(5.0)])
    assert F.logsumexp(z, axis=1, keepdims=True).shape == (2, 1)
    np.testing.assert_allclose(F.softmax(z, axis=0).sum(axis=0), [1.0, 1.0])


def test_logsumexp_of_a_row_of_minus_infinity_is_minus_infinity():
    with strict():
        out = F.logsumexp(np.array([[-np.inf, -np.inf], [0.0, 0.0]]))
    assert out[0] == -np.inf and out[1] == pytest.approx(np.log(2))


def test_two_class_softmax_is_the_sigmoid():
    """softmax([x, 0]) = [sigma(x), 1 - sigma(x)]: the lecture's remark, to 1e-12 in float64."""
    x = np.concatenate([np.linspace(-40, 40, 801), [-BIG, -1e3, 1e3, BIG]])
    with strict():
        p = F.softmax(np.column_stack([x, np.zeros_like(x)]))
        s = F.sigmoid(x)
    np.testing.assert_allclose(p[:, 0], s, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p[:, 1], 1 - s, rtol=0, atol=1e-12)
    # and relatively, in the tails, where 1 - sigma(x) is better computed as sigma(-x)
    np.testing.assert_allclose(p[:, 1], F.sigmoid(-x), rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_losses_are_finite_at_extreme_logits(dtype):
    z = np.array([[BIG], [-BIG], [BIG], [-BIG]], dtype=dtype)
    t = np.array([1, 0, 0, 1])
    with strict():
        bce = BinaryCrossEntropy()
        value = bce.forward(z, t)
        grad = bce.backward()
    # two right with certainty (loss 0), two wrong by 1e4 (loss 1e4 each): mean 5e3
    assert value == pytest.approx(BIG / 2, rel=1e-6)
    np.testing.assert_allclose(grad, np.array([[0], [0], [1], [-1]]) / 4, atol=1e-7)  # sigma(z) - t
    assert grad.dtype == dtype

    logits = np.array([[BIG, -BIG, 0.0], [-BIG, BIG, 0.0], [0.0, 0.0, 0.0]], dtype=dtype)
    labels = np.array([0, 0, 2])
    with strict():
        sce = SoftmaxCrossEntropy(reduction="sum")
        value = sce.forward(logits, labels)
        grad = sce.backward()
    # row 0 right (0), row 1 wrong by 2e4 (2e4), row 2 uniform (log 3)
    assert value == pytest.approx(2 * BIG + np.log(3), rel=1e-6)
    assert np.all(np.isfinite(grad)) and grad.dtype == dtype
    np.testing.assert_allclose(grad[1], [-1, 1, 0], atol=1e-7)

    with strict():
        mse = MeanSquaredError()
        value = mse.forward(np.array([[BIG], [-BIG]], dtype=dtype), np.array([[-BIG], [BIG]]))
    assert value == pytest.approx(4 * BIG ** 2, rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_layers_are_silent_at_extreme_inputs(dtype):
    x = extremes(dtype).reshape(1, -1)
    for layer in (Sigmoid(), Tanh(), ReLU()):
        with strict():
            a = layer.forward(x)
            g = layer.backward(np.ones_like(a))
        assert a.dtype == dtype and g.dtype == dtype
        assert np.all(np.isfinite(a)) and np.all(np.isfinite(g))


@pytest.mark.parametrize("activation", [ReLU, Sigmoid, Tanh])
@pytest.mark.parametrize("loss_name", ["sce", "bce", "mse"])
def test_a_float32_network_stays_float32_end_to_end(activation, loss_name):
    """No silent promotion to float64 anywhere in a step: outputs, gradients, parameters."""
    from lib.nn import mlp
    from lib.optim import SGD, Adam
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 5)).astype(np.float32)
    loss, k, t = {"sce": (SoftmaxCrossEntropy(), 3, np.arange(16) % 3),
                  "bce": (BinaryCrossEntropy(), 1, np.arange(16) % 2),
                  "mse": (MeanSquaredError(), 3, np.zeros((16, 3)))}[loss_name]
    model = mlp([5, 7, k], activation, rng=0, dtype=np.float32)
    for opt in (SGD(model, 0.1, momentum=0.9, weight_decay=0.01),
                Adam(model, 0.01, weight_decay=0.01)):
        z = model.forward(X)
        loss.forward(z, t)
        g = loss.backward()
        grad_x = model.backward(g)
        opt.step()
        assert z.dtype == g.dtype == grad_x.dtype == np.float32
        for name, array in list(model.params.items()) + list(model.grads.items()):
            assert array.dtype == np.float32, name
