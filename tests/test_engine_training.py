"""The engine learns: XOR, the perceptron, optimiser updates by hand, divergence, MNIST.

Everything runs with fixed seeds. BLAS is held to one thread here (threadpoolctl): the
results do not depend on it, but on a loaded 2-core machine (or under ``pytest -n 2``) a
multi-threaded OpenBLAS spends most of its time waiting for the other thread.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from lib.data import circle, load_mnist, xor_truth_table
from lib.lessons.perceptron import perceptron_learning, perceptron_predict
from lib.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from lib.nn import Linear, ReLU, Sigmoid, Tanh, mlp
from lib.optim import SGD, Adam
from lib.train import TrainingDiverged, evaluate, fit, train_epoch


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# ----------------------------------------------------------------------------- XOR
def test_two_two_one_sigmoid_network_learns_xor():
    X, t = xor_truth_table()
    model = mlp([2, 2, 1], Sigmoid, rng=0)
    history = fit(model, BinaryCrossEntropy(), SGD(model, lr=1.0), X, t, epochs=2000,
                  batch_size=4, progress=False)
    assert not history.diverged and history.epochs == 2000
    assert history.train_accuracy[-1] == 1.0
    # the network's own outputs, read directly: logits > 0 exactly on (0,1) and (1,0)
    z = model.forward(X).ravel()
    np.testing.assert_array_equal(z > 0, [False, True, True, False])
    assert history.train_loss[-1] < 0.05 < history.train_loss[0]


# ----------------------------------------------------------------------------- the perceptron
def separable_points(n=60, seed=3):
    """Points on both sides of the line 0.3 + x1 - 2 x2 = 0, none closer than 0.1 to it."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(4 * n, 2))
    s = 0.3 + X[:, 0] - 2 * X[:, 1]
    keep = np.abs(s) / np.sqrt(1 + 4) > 0.1
    X, s = X[keep][:n], s[keep][:n]
    return X, (s >= 0).astype(np.int64)


def test_perceptron_converges_on_separable_data_and_separates_it():
    X, labels = separable_points()
    assert 0 < labels.sum() < len(labels)           # both classes present
    result = perceptron_learning(X, labels, rng=0, max_picks=100_000)
    assert result.converged
    w = result.w
    score = w[0] + X @ w[1:]                        # w . (1, x): the bias trick, by hand
    assert np.all(score[labels == 1] >= 0) and np.all(score[labels == 0] < 0)
    np.testing.assert_array_equal(perceptron_predict(w, X), labels)
    assert result.updates >= 1 and result.picks >= result.updates
    assert result.w_history.shape == (result.updates + 1, 3)
    np.testing.assert_array_equal(result.w_history[-1], w)


def test_perceptron_reports_non_convergence_on_xor():
    X, t = xor_truth_table()
    result = perceptron_learning(X, t, rng=0, max_picks=2000)
    assert not result.converged
    assert result.picks == 2000
    score = result.w[0] + X @ result.w[1:]
    assert np.any((score >= 0) != (t == 1))         # some point is still misclassified


# ----------------------------------------------------------------------------- one epoch
def test_train_epoch_takes_one_step_per_mini_batch_with_the_hook_before_each():
    """23 samples in batches of 5: 5 steps; the hook runs after backward, before the step."""
    X, t = circle(23, rng=0)
    model = mlp([2, 4, 1], Tanh, rng=0)
    W = model[0].params["W"]
    seen = []                                 # (grad of W at the hook, W at the hook)
    result = train_epoch(model, BinaryCrossEntropy(), SGD(model, lr=0.1), X, t, 5,
                         np.random.default_rng(0),
                         before_step=lambda: seen.append((model[0].grads["W"].copy(), W.copy())))
    assert result is None and len(seen) == 5
    for (grad, before), (_, after) in zip(seen[:-1], seen[1:]):
        np.testing.assert_allclose(after, before - 0.1 * grad)     # the step came after the hook


def test_train_epoch_stops_at_the_first_non_finite_loss_and_returns_it():
    X, t = circle(40, rng=0)
    model = mlp([2, 4, 1], Tanh, rng=0)
    model[0].params["W"][0, 0] = np.nan
    steps = []
    result = train_epoch(model, MeanSquaredError(), SGD(model, lr=0.1), X,
                         t.reshape(-1, 1).astype(float), 10, np.random.default_rng(0),
                         before_step=lambda: steps.append(1))
    assert np.isnan(result) and steps == []


# ----------------------------------------------------------------------------- divergence
def test_fit_stops_with_training_diverged_on_a_huge_learning_rate():
    X, t = circle(100, rng=0)
    model = mlp([2, 8, 1], Tanh, rng=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(model, MeanSquaredError(), SGD(model, lr=1e3), X,
                      t.reshape(-1, 1).astype(float), epochs=50, batch_size=10, progress=False)
    assert history.diverged
    assert history.epochs < 50
    assert "learning rate" in history.message and "1000.0" in history.message
    # exactly one warning, ours: no stream of NumPy overflow warnings before it
    assert [w.category for w in caught] == [TrainingDiverged]
    fresh = mlp([2, 8, 1], Tanh, rng=0)
    with pytest.warns(TrainingDiverged, match="too large"):
        fit(fresh, MeanSquaredError(), SGD(fresh, lr=1e3), X, t.reshape(-1, 1).astype(float),
            epochs=5, batch_size=10, progress=False)


def test_fit_history_on_a_normal_run():
    X, t = circle(100, rng=0)
    model = mlp([2, 8, 1], Tanh, rng=0)
    history = fit(model, BinaryCrossEntropy(), SGD(model, lr=0.5), X, t, epochs=30,
                  batch_size=10, X_test=X[:20], t_test=t[:20], progress=False)
    assert not history.diverged and history.message == ""
    assert history.epochs == 30 == len(history.test_loss) == len(history["test_accuracy"])
    assert history.train_loss[-1] < history.train_loss[0]
    # the recorded numbers are what evaluate says about the final model
    loss, acc = evaluate(model, BinaryCrossEntropy(), X, t)
    assert history.train_loss[-1] == pytest.approx(loss) and history.train_accuracy[-1] == acc


# ----------------------------------------------------------------------------- optimisers
def tiny_layer():
    layer = Linear(2, 1, rng=0)
    layer.params["W"][...] = [[1.0, -2.0]]
    layer.params["b"][...] = [0.5]
    return layer


GRADIENTS = [(np.array([[0.5, -1.0]]), np.array([0.25])),
             (np.array([[0.5, 2.0]]), np.array([-1.0])),
             (np.array([[-0.3, 0.1]]), np.array([0.7]))]


def run(optimizer, layer):
    for gW, gb in GRADIENTS:
        layer.grads["W"][...] = gW
        layer.grads["b"][...] = gb
        optimizer.step()
    return layer.params["W"].copy(), layer.params["b"].copy()


def test_sgd_with_momentum_and_weight_decay_by_hand():
    lr, mu, wd = 0.1, 0.9, 0.1
    # first step written out: g' = 0.5 + 0.1 * 1 = 0.6, v = 0.6, w = 1 - 0.1 * 0.6 = 0.94
    layer = tiny_layer()
    opt = SGD(layer, lr=lr, momentum=mu, weight_decay=wd)
    layer.grads["W"][...] = [[0.5, -1.0]]
    layer.grads["b"][...] = [0.25]
    opt.step()
    np.testing.assert_allclose(layer.params["W"], [[0.94, -2.0 - 0.1 * (-1.0 - 0.2)]], rtol=1e-15)
    # three steps against the formulas: g' = g + wd p; v = mu v + g'; p = p - lr v
    layer = tiny_layer()
    W, b = run(SGD(layer, lr=lr, momentum=mu, weight_decay=wd), layer)
    p, v = np.array([1.0, -2.0, 0.5]), np.zeros(3)
    for gW, gb in GRADIENTS:
        g = np.concatenate([gW.ravel(), gb]) + wd * p
        v = mu * v + g
        p = p - lr * v
    np.testing.assert_allclose(np.concatenate([W.ravel(), b]), p, rtol=1e-14)


def test_plain_sgd_by_hand():
    layer = tiny_layer()
    W, b = run(SGD(layer, lr=0.5), layer)
    # p - lr * (g1 + g2 + g3)
    np.testing.assert_allclose(W, [[1.0 - 0.5 * 0.7, -2.0 - 0.5 * 1.1]], rtol=1e-15)
    np.testing.assert_allclose(b, [0.5 - 0.5 * (-0.05)], rtol=1e-15)


def test_adam_by_hand():
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.01
    layer = tiny_layer()
    W, b = run(Adam(layer, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd), layer)
    # Kingma & Ba, Algorithm 1, with an L2 term in the gradient
    p, m, v = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.zeros(3)
    for step, (gW, gb) in enumerate(GRADIENTS, start=1):
        g = np.concatenate([gW.ravel(), gb]) + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** step), v / (1 - b2 ** step)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(np.concatenate([W.ravel(), b]), p, rtol=1e-13)


def test_adam_first_step_moves_every_parameter_by_the_learning_rate():
    # m_hat = g and v_hat = g^2 after one step, so the update is lr * g / (|g| + eps), that
    # is lr * sign(g) up to eps / |g| (5e-6 for the smallest gradient here)
    layer = tiny_layer()
    opt = Adam(layer, lr=0.01)
    layer.grads["W"][...] = [[3.0, -0.002]]
    layer.grads["b"][...] = [40.0]
    opt.step()
    np.testing.assert_allclose(layer.params["W"], [[0.99, -1.99]], rtol=1e-7)
    np.testing.assert_allclose(layer.params["W"][0, 1], -2 + 0.01 * 0.002 / (0.002 + 1e-8),
                               rtol=1e-13)
    np.testing.assert_allclose(layer.params["b"], [0.49], rtol=1e-8)


# ----------------------------------------------------------------------------- MNIST
# Measured once (numpy 2.4, this commit): softmax regression 0.8985 test accuracy after
# 5 epochs; the 784-64-10 ReLU MLP 0.9135. The margins leave room for BLAS summation order.
@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def train_on_mnist(sizes, mnist, epochs=5):
    model = mlp(sizes, ReLU, rng=0, dtype=np.float32)
    history = fit(model, SoftmaxCrossEntropy(), SGD(model, lr=0.1), mnist.X_train,
                  mnist.t_train, epochs=epochs, batch_size=64, X_test=mnist.X_test,
                  t_test=mnist.t_test, rng=0, progress=False)
    assert not history.diverged
    return history


def test_softmax_regression_on_the_shipped_mnist(mnist):
    history = train_on_mnist([784, 10], mnist)
    assert history.test_accuracy[-1] > 0.88          # measured 0.8985
    assert history.train_accuracy[-1] > 0.89        # measured 0.9086
    assert history.test_loss[-1] < history.test_loss[0]


def test_small_mlp_on_the_shipped_mnist(mnist):
    history = train_on_mnist([784, 64, 10], mnist)
    assert history.test_accuracy[-1] > 0.90          # measured 0.9135
    assert history.train_accuracy[-1] > 0.92        # measured 0.9330
