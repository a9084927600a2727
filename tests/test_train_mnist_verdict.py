"""Exercise 3, part 8: the grader's short replayed SGD runs still tell SGD from every wrong trainer.

The hidden cases train on a few hundred to two thousand training digits for two or three epochs
(``grading.parts.ex03_backpropagation.train_mnist_cases``), not the whole set for five: the
instructor's SGD must pass each of them, and each known wrong trainer (a wrong gradient, a
wrong learning rate, least squares instead of cross-entropy, an order that does not come from
the given generator or is kept across epochs, a short last batch left out) must fail every
one, for several students' seeds. The part's hidden test block runs as in the notebook
(``test_stubs.run_part``), and the part's own judge decides, against the instructor's notebook.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_stubs import run_part, source_path

from grading.parts import PARTS
from grading.parts.ex03_backpropagation import MNIST_BATCH
from grading.verdict import solution_namespace
from lib.exercises.handin import decode_inputs, encode_inputs

A3, PART = "03_backpropagation", "test-train-mnist"


@pytest.fixture(scope="module")
def solution():
    return solution_namespace(source_path(A3))


def _sgd(solution, *, order, grads_of=None, lr=None, drop_short_batch=False):
    """A trainer shaped like the notebook's, with one piece swapped: ``order(rng, n, epoch,
    seed)`` gives an epoch's order, ``grads_of(params, X, t)`` the gradients."""
    init, hidden = solution["init_two_layer"], solution["MNIST_HIDDEN"]
    batch, alpha = solution["MNIST_BATCH"], solution["MNIST_LR"] if lr is None else lr
    grads_of = grads_of or (lambda p, X, t: solution["two_layer_loss_and_grads"](p, X, t)[1])

    def train_mnist(X, t, seed=0, epochs=solution["MNIST_EPOCHS"]):
        rng = np.random.default_rng(seed)
        params = init(784, hidden, 10, rng)
        for epoch in range(epochs):
            perm = order(rng, len(X), epoch, seed)
            end = len(X) - len(X) % batch if drop_short_batch else len(X)
            for start in range(0, end, batch):
                rows = perm[start : start + batch]
                grads = grads_of(params, X[rows], t[rows])
                params = {k: params[k] - alpha * grads[k] for k in ("W1", "b1", "W2", "b2")}
        return params

    return train_mnist


def _least_squares(solution):
    """The gradients of 0.5 ||softmax(z) - onehot(t)||^2, averaged over the batch."""

    def grads_of(params, X, t):
        Z1 = X @ params["W1"].T + params["b1"]
        A1 = np.maximum(Z1, 0)
        Z2 = A1 @ params["W2"].T + params["b2"]
        Y = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
        Y /= Y.sum(axis=1, keepdims=True)
        dY = (Y - np.eye(10)[t]) / len(X)
        dZ2 = Y * (dY - np.sum(dY * Y, axis=1, keepdims=True))
        dZ1 = (dZ2 @ params["W2"]) * (Z1 > 0)
        return {"W2": dZ2.T @ A1, "b2": dZ2.sum(0), "W1": dZ1.T @ X, "b1": dZ1.sum(0)}

    return grads_of


def _summed(solution):
    """The batch's gradients added up instead of averaged."""

    def grads_of(params, X, t):
        grads = solution["two_layer_loss_and_grads"](params, X, t)[1]
        return {k: g * len(X) for k, g in grads.items()}

    return grads_of


def _no_hidden_layer_bias(solution):
    """b1's gradient forgotten (left at zero)."""

    def grads_of(params, X, t):
        grads = dict(solution["two_layer_loss_and_grads"](params, X, t)[1])
        grads["b1"] = np.zeros_like(grads["b1"])
        return grads

    return grads_of


GIVEN_ORDER = lambda rng, n, epoch, seed: rng.permutation(n)  # noqa: E731
_KEPT: dict = {}


def _kept_order(rng, n, epoch, seed):
    """One order drawn from the given generator, then kept for every epoch."""
    if epoch == 0:
        _KEPT[n, seed] = rng.permutation(n)
    return _KEPT[n, seed]


WRONG = {
    "gradients summed, not averaged": lambda s: _sgd(s, order=GIVEN_ORDER, grads_of=_summed(s)),
    "hidden bias gradient forgotten": lambda s: _sgd(
        s, order=GIVEN_ORDER, grads_of=_no_hidden_layer_bias(s)
    ),
    "least squares": lambda s: _sgd(s, order=GIVEN_ORDER, grads_of=_least_squares(s)),
    "learning rate halved": lambda s: _sgd(s, order=GIVEN_ORDER, lr=s["MNIST_LR"] / 2),
    "learning rate 0.1 off": lambda s: _sgd(s, order=GIVEN_ORDER, lr=s["MNIST_LR"] * 1.1),
    "no shuffling": lambda s: _sgd(s, order=lambda rng, n, epoch, seed: np.arange(n)),
    "order from NumPy's legacy generator": lambda s: _sgd(
        s, order=lambda rng, n, epoch, seed: np.random.RandomState(seed).permutation(n)
    ),
    "order from a new generator of the seed": lambda s: _sgd(
        s, order=lambda rng, n, epoch, seed: np.random.default_rng(seed).permutation(n)
    ),
    "one order kept for every epoch": lambda s: _sgd(s, order=_kept_order),
    "short last batch left out": lambda s: _sgd(s, order=GIVEN_ORDER, drop_short_batch=True),
}


def _hidden_cases(seed):
    part = PARTS[A3][PART]
    return decode_inputs(encode_inputs(part.cases(np.random.default_rng(seed))))


def _passed(solution, trainer, seed):
    """The hidden cases (1-based) the part's judge accepts from ``trainer``."""
    part, inputs = PARTS[A3][PART], _hidden_cases(seed)
    got = run_part(A3, PART, inputs, {"train_mnist": trainer})
    return [
        i + 1
        for i in range(part.visible, len(inputs))
        if i in got and not part.judge(inputs[i], got[i], solution)
    ]


def test_the_grader_knows_the_notebooks_batch_size(solution):
    assert solution["MNIST_BATCH"] == MNIST_BATCH


def test_every_hidden_run_is_short_leaves_a_short_last_batch_and_has_several_epochs(solution):
    for seed in range(20):
        for case in _hidden_cases(seed):
            n, epochs = int(case["n"]), int(case["epochs"])
            assert n % solution["MNIST_BATCH"] != 0 and epochs >= 2
            assert n < len(solution["MNIST"].X_train)


@pytest.mark.parametrize("seed", [3, 17, 2024])
def test_the_instructors_sgd_passes_every_hidden_case(solution, seed):
    assert _passed(solution, solution["train_mnist"], seed) == [1, 2]
    # and so does this file's trainer with nothing swapped: the wrong ones fail for their swap
    assert _passed(solution, _sgd(solution, order=GIVEN_ORDER), seed) == [1, 2]


@pytest.mark.parametrize("name", sorted(WRONG))
def test_each_wrong_trainer_fails_every_hidden_case(solution, name):
    for seed in (3, 17):
        assert _passed(solution, WRONG[name](solution), seed) == [], name


def test_the_visible_tests_whole_run_reaches_90_percent_for_every_seed_tried(solution):
    """What the replay implies: the instructor's SGD on the whole training set for MNIST_EPOCHS
    epochs reaches the 90% the exercise asks for (the visible test's seed 0 and others)."""
    mnist = solution["MNIST"]
    X = mnist.X_train.astype(np.float64)
    for seed in (0, 1, 4821, 9999):
        params = solution["train_mnist"](X, mnist.t_train, seed)
        assert solution["two_layer_accuracy"](params, mnist.X_test, mnist.t_test) >= 0.90
