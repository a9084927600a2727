"""The facts chapters 1-3 state, asserted against ``lib`` (fixed seeds, no timing).

Each expected value comes from mathematics (Cover's count, the truth table, closed forms),
not from running the code under test.
"""
from __future__ import annotations

from math import comb

import numpy as np
import pytest
from test_mnist import sha256, write_idx

from lib import functional as F
from lib.data import load_mnist, xor_truth_table
from lib.data.mnist import FILES, full_mnist_in_cache
from lib.lessons.confusion import confusion_matrix
from lib.lessons.linear_separability import (
    best_linear_accuracy,
    is_linearly_separable,
    linear_dichotomies,
)
from lib.lessons.mnist_softmax_regression import digits_for_the_chapter, train_softmax_regression
from lib.lessons.naive_losses import (
    naive_binary_cross_entropy,
    naive_softmax,
    naive_softmax_cross_entropy,
)
from lib.lessons.neuron import (
    hyperplane_segment,
    layer_as_loop_of_neurons,
    layer_as_matrix_product,
    neuron,
    neuron_bias_trick,
)
from lib.lessons.perceptron import perceptron_learning, perceptron_predict
from lib.lessons.two_layer_xor import (
    hand_crafted_xor_network,
    hidden_representation,
    train_xor_network,
)
from lib.losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from lib.nn import Linear

XOR_X, XOR_T = xor_truth_table()


# --- chapter 1: neurons, the perceptron, layers ---------------------------------------------

def test_neuron_is_weighted_sum_plus_bias_and_bias_trick_agrees():
    x, w, b = np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.25, -1.0]), 2.0
    assert neuron(x, w, b) == 0.5 - 0.5 - 3.0 + 2.0
    assert neuron_bias_trick(x, np.r_[b, w]) == neuron(x, w, b)
    X = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(neuron_bias_trick(X, np.r_[b, w]), X @ w + b)


def test_neuron_rejects_mismatched_input():
    with pytest.raises(ValueError, match="shape"):
        neuron(np.ones(4), np.ones(3))


def test_loop_of_neurons_and_matrix_product_agree():
    rng = np.random.default_rng(0)
    # small integers: every product and sum is exact in float64, so both orders agree exactly
    X = rng.integers(-5, 6, size=(7, 9)).astype(float)
    W = rng.integers(-5, 6, size=(4, 9)).astype(float)
    b = rng.integers(-5, 6, size=4).astype(float)
    expected = np.array([[sum(W[j, i] * X[s, i] for i in range(9)) + b[j] for j in range(4)]
                         for s in range(7)])
    np.testing.assert_array_equal(layer_as_loop_of_neurons(X, W, b), expected)
    np.testing.assert_array_equal(layer_as_matrix_product(X, W, b), expected)
    # and on random floats to rounding
    X, W, b = rng.standard_normal((50, 30)), rng.standard_normal((20, 30)), rng.standard_normal(20)
    np.testing.assert_allclose(layer_as_loop_of_neurons(X, W, b), layer_as_matrix_product(X, W, b),
                               rtol=1e-12, atol=1e-12)


def test_layer_matrix_product_is_the_engine_linear_layer():
    rng = np.random.default_rng(1)
    layer = Linear(5, 3, rng=2)
    layer.params["b"][...] = rng.standard_normal(3)
    X = rng.standard_normal((6, 5))
    np.testing.assert_allclose(layer.forward(X),
                               layer_as_matrix_product(X, layer.params["W"], layer.params["b"]))


def test_layer_functions_reject_bad_shapes():
    with pytest.raises(ValueError, match="n_out, n_in"):
        layer_as_matrix_product(np.ones((2, 3)), np.ones((4, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        layer_as_loop_of_neurons(np.ones((2, 5)), np.ones((4, 3)), np.ones(4))


def test_hyperplane_segment_lies_on_the_line_and_in_the_box():
    w, b = np.array([1.0, 2.0]), -0.5
    seg = hyperplane_segment(w, b, (-1, 1), (-1, 1))
    np.testing.assert_allclose(seg @ w + b, 0, atol=1e-12)
    assert np.all(np.abs(seg) <= 1 + 1e-9)
    assert hyperplane_segment([1.0, 0.0], -5.0, (-1, 1), (-1, 1)) is None   # x1 = 5: outside
    assert hyperplane_segment([0.0, 0.0], 1.0) is None                      # no line at all


def _separable_data(seed=0, n=40):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    t = (X @ np.array([1.0, -2.0]) + 0.3 > 0).astype(int)
    return X, t


def test_perceptron_converges_on_separable_data():
    X, t = _separable_data()
    result = perceptron_learning(X, t, rng=0)
    assert result.converged
    np.testing.assert_array_equal(perceptron_predict(result.w, X), t)
    assert result.updates == len(result.w_history) - 1 >= 1
    # and the AND / OR truth tables, separable by a line, too
    for labels in ((0, 0, 0, 1), (0, 1, 1, 1)):
        assert perceptron_learning(XOR_X, np.array(labels), rng=3).converged


def test_perceptron_never_converges_on_xor():
    for seed in range(5):
        result = perceptron_learning(XOR_X, XOR_T, rng=seed, max_picks=5000)
        assert not result.converged
        assert result.picks == 5000
        assert np.mean(perceptron_predict(result.w, XOR_X) == XOR_T) <= 0.75


# --- linear separability: exhaustive, checked against Cover's count -----------------------

def _cover_count(n, d=2):
    """Number of dichotomies of n points in general position in R^d realisable by
    affine hyperplanes (Cover, 1965): 2 sum_{k=0}^{d} C(n-1, k)."""
    return 2 * sum(comb(n - 1, k) for k in range(d + 1))


@pytest.mark.parametrize("n", range(1, 10))
def test_dichotomy_count_matches_covers_theorem(n):
    X = np.random.default_rng(n).standard_normal((n, 2))    # general position almost surely
    assert len(linear_dichotomies(X)) == _cover_count(n)


def test_collinear_points_give_only_thresholds():
    X = np.column_stack([np.arange(6.0), 3 * np.arange(6.0) - 2])
    assert len(linear_dichotomies(X)) == 2 * 6      # 5 inner cuts and 2 outer, both directions


def test_xor_has_exactly_two_labellings_no_line_realises():
    D = {tuple(row) for row in linear_dichotomies(XOR_X)}
    every = {tuple(int(c) for c in f"{i:04b}") for i in range(16)}
    assert every - D == {(0, 1, 1, 0), (1, 0, 0, 1)}    # XOR and its complement, XNOR


def test_single_layer_best_xor_accuracy_is_three_quarters():
    assert best_linear_accuracy(XOR_X, XOR_T) == 0.75
    assert not is_linearly_separable(XOR_X, XOR_T)
    assert is_linearly_separable(XOR_X, [0, 0, 0, 1])      # AND
    assert is_linearly_separable(XOR_X, [0, 1, 1, 1])      # OR


def test_no_random_line_beats_three_quarters_on_xor():
    """An independent check of the enumeration: 200,000 random lines never do better."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((200_000, 2))
    b = rng.uniform(-3, 3, 200_000)
    acc = np.mean(((XOR_X @ W.T + b) >= 0).astype(int) == XOR_T[:, None], axis=0)
    assert acc.max() == 0.75


# --- chapter 2: sigmoid, cross-entropy, softmax ---------------------------------------------

def test_naive_bce_breaks_at_p_0_and_1_where_stable_logit_form_is_finite():
    # wrong and certain: log 0 -> inf; right and certain: 0 * log 0 -> nan
    assert naive_binary_cross_entropy(np.array([0.0]), np.array([1.0])) == np.inf
    assert naive_binary_cross_entropy(np.array([1.0]), np.array([0.0])) == np.inf
    assert np.isnan(naive_binary_cross_entropy(np.array([1.0]), np.array([1.0])))
    assert np.isnan(naive_binary_cross_entropy(np.array([0.0]), np.array([0.0])))
    # sigma(40) is exactly 1.0 in float64, so a logit of 40 already breaks the naive form ...
    assert F.sigmoid(np.array(40.0)) == 1.0
    for z, t in ((40.0, 0), (40.0, 1), (-800.0, 1), (-800.0, 0)):
        naive = naive_binary_cross_entropy(F.sigmoid(np.array([z])), np.array([float(t)]))
        assert not np.isfinite(naive)
    # ... while the form on logits gives the closed-form values log(1 + e^z) - t z
    bce = BinaryCrossEntropy(reduction="sum")
    assert bce.forward(np.array([40.0]), np.array([0])) == pytest.approx(40.0, rel=1e-15)
    assert bce.forward(np.array([40.0]), np.array([1])) == pytest.approx(np.exp(-40.0), rel=1e-9)
    assert bce.forward(np.array([-800.0]), np.array([1])) == pytest.approx(800.0, rel=1e-15)
    assert bce.forward(np.array([-800.0]), np.array([0])) == 0.0


def test_naive_and_stable_bce_agree_where_both_are_defined():
    z = np.linspace(-10, 10, 41)
    t = (np.arange(41) % 2).astype(float)
    naive = naive_binary_cross_entropy(1 / (1 + np.exp(-z)), t)
    assert BinaryCrossEntropy(reduction="sum").forward(z, t) == pytest.approx(naive, rel=1e-12)


def test_cross_entropy_is_additive_over_samples():
    rng = np.random.default_rng(0)
    z, t = rng.standard_normal(10), rng.integers(0, 2, 10)
    bce = BinaryCrossEntropy(reduction="sum")
    parts = sum(bce.forward(z[i:i + 1], t[i:i + 1]) for i in range(10))
    assert bce.forward(z, t) == pytest.approx(parts, rel=1e-13)
    assert BinaryCrossEntropy().forward(z, t) == pytest.approx(parts / 10, rel=1e-13)


def test_sigmoid_derivative_peaks_at_a_quarter_and_vanishes_in_the_tails():
    x = np.linspace(-20, 20, 4001)
    d = F.sigmoid_derivative(x)
    assert d.max() == 0.25 and x[np.argmax(d)] == 0.0
    assert F.sigmoid_derivative(np.array(10.0)) < 5e-5     # e^-10 ~ 4.5e-5


def test_softmax_of_x_and_zero_is_sigmoid_and_its_complement():
    x = np.linspace(-30, 30, 6001)
    p = F.softmax(np.column_stack([x, np.zeros_like(x)]), axis=1)
    sig = 1 / (1 + np.exp(-x))                          # the slide's formula, safe on this range
    np.testing.assert_allclose(p[:, 0], sig, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p[:, 1], 1 - sig, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p[:, 0], F.sigmoid(x), rtol=0, atol=1e-12)


def test_naive_softmax_cross_entropy_overflows_at_1000_and_stable_one_does_not():
    z = np.array([[1000.0, 0.0, -1000.0]])
    t = np.array([[0.0, 1.0, 0.0]])
    p = naive_softmax(z)
    assert np.isnan(p[0, 0])                           # e^1000 = inf, and inf / inf = nan
    np.testing.assert_array_equal(p[0, 1:], [0.0, 0.0])  # 1 / inf = 0: log 0 = -inf next
    assert not np.isfinite(naive_softmax_cross_entropy(z, t))
    # stable: -[z_1 - log sum e^z] = -(0 - 1000 - log(1 + e^-1000 + e^-2000)) = 1000
    assert SoftmaxCrossEntropy(reduction="sum").forward(z, np.array([1])) == pytest.approx(1000.0)
    assert F.logsumexp(z) == pytest.approx(1000.0)
    np.testing.assert_allclose(F.softmax(z), [[1.0, 0.0, 0.0]], atol=1e-300)


def test_both_softmax_cross_entropy_forms_agree_on_moderate_logits():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    T = np.eye(4)[labels]
    assert SoftmaxCrossEntropy(reduction="sum").forward(z, labels) == pytest.approx(
        naive_softmax_cross_entropy(z, T), rel=1e-12)


def test_confusion_matrix_counts():
    C = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], k=3)
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    with pytest.raises(ValueError):
        confusion_matrix([0, 1], [0])


# The band of the shipped-MNIST softmax regression (chapter 2's configuration), from
# `python scripts/measure_mnist_band.py`: over shuffle seeds 0-7 the test accuracy was
# 0.9055-0.9120 (mean 0.908, standard deviation 0.002). Runs that train worse fall below it:
# 1 epoch gave 0.885, a learning rate 10 times smaller 0.897. The band keeps 0.005 below the
# lowest seed and 0.004 above the highest (about 2 standard deviations, for other BLAS builds).
MNIST_BAND = (0.900, 0.916)
# The band on the full 70,000 digits: the lecture's "about 92%" give or take 1.5 points. It has
# not been measured with this engine yet (the machine the band was written on could not reach
# the mirrors); `python scripts/measure_mnist_band.py --full` measures it where the full set is
# cached, and the band is to be narrowed to what it prints, as for the shipped set.
FULL_MNIST_BAND = (0.905, 0.935)


def _softmax_regression_accuracy(epochs=10, lr=0.5, seed=0, data=None):
    data = load_mnist() if data is None else data
    run = train_softmax_regression(data, epochs=epochs, lr=lr, batch_size=64, rng=seed)
    return run.test_accuracy, run.predicted, data


def test_softmax_regression_on_the_shipped_mnist():
    """The chapter's configuration: one Linear(784, 10), softmax + CE, 10 epochs of SGD."""
    acc, predictions, data = _softmax_regression_accuracy()
    assert MNIST_BAND[0] <= acc <= MNIST_BAND[1], acc
    C = confusion_matrix(data.t_test, predictions, k=10)
    assert C.sum() == 2000 and C.trace() / C.sum() == acc


def test_the_mnist_band_rejects_undertrained_softmax_regression():
    # one epoch instead of ten: still far above chance, and below the band
    acc, _, _ = _softmax_regression_accuracy(epochs=1)
    assert 0.5 < acc < MNIST_BAND[0], acc


def test_the_chapter_uses_the_shipped_digits_without_a_full_cache(tmp_path):
    digits = digits_for_the_chapter(cache_dir=tmp_path)
    assert not digits.full and "shipped" in digits.description
    assert "8,000 training and 2,000 test digits" in digits.description
    assert np.array_equal(digits.data.t_test, load_mnist().t_test)


def _cache_of_the_shipped_digits(folder):
    """The shipped 10,000 real digits written in the full set's IDX format and file names: the
    full-set code path on real data (the real 70,000 cannot be fetched everywhere)."""
    raw = load_mnist(flatten=False, normalize=False)
    arrays = {"train-images-idx3-ubyte.gz": raw.X_train,
              "train-labels-idx1-ubyte.gz": raw.t_train.astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": raw.X_test,
              "t10k-labels-idx1-ubyte.gz": raw.t_test.astype(np.uint8)}
    assert set(arrays) == set(FILES)
    return {name: sha256(write_idx(folder / name, array)) for name, array in arrays.items()}


def test_the_chapter_takes_a_verified_full_cache_and_the_band_holds(tmp_path):
    files = _cache_of_the_shipped_digits(tmp_path)
    digits = digits_for_the_chapter(cache_dir=tmp_path, files=files)
    assert digits.full and digits.description.startswith("the full MNIST set")
    shipped = load_mnist()
    for got, expected in zip(digits.data, shipped):
        np.testing.assert_array_equal(got, expected)
    acc, _, _ = _softmax_regression_accuracy(data=digits.data)
    assert MNIST_BAND[0] <= acc <= MNIST_BAND[1], acc


def test_a_cache_that_does_not_verify_is_not_used(tmp_path):
    files = _cache_of_the_shipped_digits(tmp_path)
    name = "t10k-labels-idx1-ubyte.gz"
    original = (tmp_path / name).read_bytes()
    (tmp_path / name).write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    digits = digits_for_the_chapter(cache_dir=tmp_path, files=files)
    assert not digits.full
    assert (tmp_path / name).read_bytes() != original      # inspected, neither fixed nor deleted
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    assert not full_mnist_in_cache(tmp_path, files)


@pytest.mark.skipif(not full_mnist_in_cache(), reason="the full MNIST set is not in the cache "
                    "(`make mnist-full` fetches it)")
def test_softmax_regression_on_the_full_mnist():
    digits = digits_for_the_chapter()
    assert digits.full and len(digits.data.X_train) == 60_000 and len(digits.data.X_test) == 10_000
    acc, _, _ = _softmax_regression_accuracy(data=digits.data)
    assert FULL_MNIST_BAND[0] <= acc <= FULL_MNIST_BAND[1], acc


# --- chapter 3: XOR and the two-layer network -------------------------------------------------

def test_hand_crafted_network_solves_xor_through_its_hidden_space():
    model = hand_crafted_xor_network(steepness=10)
    assert np.array_equal((model.forward(XOR_X)[:, 0] > 0).astype(int), XOR_T)
    A = hidden_representation(model, XOR_X)
    assert np.all((A >= 0) & (A <= 1))
    np.testing.assert_allclose(A[1], A[2])             # (0,1) and (1,0) land on the same point
    assert is_linearly_separable(A, XOR_T)             # one line separates them in hidden space
    assert not is_linearly_separable(XOR_X, XOR_T)     # and none in input space


def test_learned_two_layer_network_reaches_full_accuracy():
    model, history = train_xor_network(hidden=2, rng=0)
    assert history.train_accuracy[-1] == 1.0
    assert np.array_equal((model.forward(XOR_X)[:, 0] > 0).astype(int), XOR_T)
    assert history.train_loss[-1] < 0.05
    assert is_linearly_separable(hidden_representation(model, XOR_X), XOR_T)


# --- input checks and helpers the chapters rely on ---------------------------------------------

def test_speed_measurement_reports_each_width_and_agreeing_outputs():
    """Structure only: timings are machine-dependent and never asserted."""
    from lib.lessons.neuron import time_loop_against_matrix_product
    rows = time_loop_against_matrix_product([3, 7], n_in=5, n_samples=4, repeats=1, rng=0)
    assert [r["width"] for r in rows] == [3, 7]
    for r in rows:
        assert r["loop_s"] > 0 and r["matmul_s"] > 0
        assert r["max_abs_difference"] < 1e-12
    with pytest.raises(ValueError, match="repeats"):
        time_loop_against_matrix_product([3], repeats=0)


def test_linear_separability_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        linear_dichotomies(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="labels"):
        best_linear_accuracy(XOR_X, [0, 1, 2, 0])


def test_duplicate_points_get_the_same_label():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    D = linear_dichotomies(X)
    assert np.all(D[:, 0] == D[:, 1])
    assert len(D) == 4                 # two distinct points: both same, or either one alone


def test_naive_losses_check_shapes_and_reduction():
    with pytest.raises(ValueError, match="shape"):
        naive_binary_cross_entropy(np.array([0.5, 0.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="reduction"):
        naive_binary_cross_entropy(np.array([0.5]), np.array([1.0]), reduction="max")
    terms = naive_binary_cross_entropy(np.array([0.5, 0.25]), np.array([1.0, 0.0]),
                                       reduction="none")
    np.testing.assert_allclose(terms, [np.log(2), -np.log(0.75)])
