"""Exercise 1, neurons and the perceptron: the graded parts.

Variants (``grading.variants``): the layout of a layer's weights (one neuron per row of W, (m, d),
Z = X W^T + b; or per column, (d, m), Z = X W + b) and the perceptron's learning rate eta
(w <- w +- eta x), which the training of part 3 inherits. The cases hold W one neuron per row;
the test cell and the judge hand it over in the variant's layout.
"""
from __future__ import annotations

import numpy as np

from grading.parts import MayUse, Part, compare_all, paths, real_array, scalar

# parameter -> its options, the upstream default first (the source's VARIANT cell)
VARIANTS = {
    "weights": ("rows", "columns"),
    "learning_rate": (1, 0.5, 0.25),
}


def in_layout(W, solution):
    """The case's weights (one neuron per row) in the layout of the variant graded."""
    W = np.asarray(W, dtype=float)
    return W if solution["VARIANT"]["weights"] == "rows" else W.T


def affine_cases(rng):
    visible = [{"X": [[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]],
                "W": [[1.0, 0.0], [0.0, 1.0], [2.0, -1.0], [0.5, 0.5]], "b": [0.0, 1.0, -1.0, 2.0]}]
    hidden = []
    # (one sample of one feature into two neurons: a 1 x 1 W would be the same in both layouts;
    # d != m in the random shapes, so that a W in the other layout never fits)
    features, neurons = (int(k) for k in rng.choice(np.arange(2, 9), 2, replace=False))
    for n, d, m in [(1, 1, 2), (int(rng.integers(2, 9)), features, neurons),
                    (int(rng.integers(20, 50)), 12, 9)]:
        hidden.append({"X": rng.standard_normal((n, d)), "W": rng.standard_normal((m, d)),
                       "b": rng.standard_normal(m)})
    return visible + hidden


def affine_judge(case, got, solution):
    return compare_all(got, paths(affine_reference(case, solution)))


def affine_reference(case, solution):
    return solution["affine"](case["X"], in_layout(case["W"], solution), case["b"])


def update_cases(rng):
    """Each case is a sequence of steps from a start ``w`` over inputs ``xs`` with ``labels``:
    the test cell hands out the weights after every step. Every hidden sequence has steps that
    update and steps that do not, so no stub (the weights unchanged, zeros, ...) follows it."""
    w0, x = [0.5, -1.0, 2.0], [1.0, 3.0, 1.0]
    visible = [{"w": w0, "xs": [x], "labels": [1]}, {"w": w0, "xs": [x], "labels": [0]},
               {"w": w0, "xs": [[1.0, 0.0, 1.0]], "labels": [0]}]
    # w . x == 0 counts as output 1: label 0 updates, label 1 does not
    hidden = [{"w": [1.0, -1.0], "xs": [[1.0, 1.0], [1.0, 1.0], [1.0, 3.0]], "labels": [1, 0, 0]}]
    while len(hidden) < 6:
        d, steps = int(rng.integers(1, 6)), int(rng.integers(4, 9))
        xs = np.hstack([np.ones((steps, 1)), rng.standard_normal((steps, d))])
        w, labels, updates = rng.standard_normal(d + 1), rng.integers(0, 2, steps), 0
        v = w.copy()
        for xi, label in zip(xs, labels):
            new = _reference_update(v, xi, label)
            updates += int(np.any(new != v))
            v = new
        if 0 < updates < steps:
            hidden.append({"w": w, "xs": xs, "labels": labels})
    return visible + hidden


def _reference_update(w, x, label, eta=1):
    out = w @ x >= 0
    return w + eta * x if label == 1 and not out else w - eta * x if label == 0 and out else w


def update_history(case, solution):
    """The weights after every step of ``case``'s sequence, by ``solution``'s perceptron_update,
    each step from the one before: shape (steps, d + 1)."""
    w, history = case["w"].astype(float), []
    for x, label in zip(case["xs"], case["labels"]):
        w = np.asarray(solution["perceptron_update"](w.copy(), x, int(label)), dtype=float)
        history.append(w)
    return np.array(history)


def update_judge(case, got, solution):
    return compare_all(got, {"out": update_history(case, solution)})


def _separable(rng, d, n=60):
    w_true = rng.standard_normal(d + 1)
    X = rng.uniform(-2, 2, size=(8 * n, d))
    X1 = np.hstack([np.ones((len(X), 1)), X])
    X = X[np.abs(X1 @ w_true) / np.linalg.norm(w_true) > 0.15][:n]     # a margin: converges fast
    labels = (np.hstack([np.ones((len(X), 1)), X]) @ w_true >= 0).astype(int)
    return X, labels


def _trained(X, labels, seed, max_epochs, eta):
    """The perceptron rule as the exercise states it (start ``w = rng.standard_normal(d + 1)``,
    the samples in the order ``rng.permutation(n)`` each epoch, learning rate ``eta``): the
    start weights and the weights it returns, each of shape (d + 1,)."""
    rng = np.random.default_rng(seed)
    X1 = np.hstack([np.ones((len(X), 1)), X])
    start = rng.standard_normal(X1.shape[1])
    w = start
    for _ in range(max_epochs):
        if np.all((X1 @ w >= 0).astype(int) == labels):
            break
        for i in rng.permutation(len(X1)):
            w = _reference_update(w, X1[i], labels[i], eta)
    return start, w


def _seed_that_must_learn(rng, X, labels, max_epochs):
    """A seed from whose start the rule ends elsewhere, for every learning rate of the variants:
    a start that already separates the data, or a run that cycles back to its start, would pass
    a training loop whose update raises or does nothing (back to its start up to rounding counts
    as back: the judge compares to 1e-9)."""
    labels = np.asarray(labels)
    for _ in range(1000):                  # a few draws suffice (tests/test_stubs.py: 25 secrets)
        seed = int(rng.integers(1000))
        runs = [_trained(X, labels, seed, max_epochs, eta) for eta in VARIANTS["learning_rate"]]
        if not any(np.allclose(start, end, rtol=1e-6, atol=1e-6) for start, end in runs):
            return seed
    raise RuntimeError("no start from which the perceptron must learn these data")


def train_cases(rng):
    inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    cases = [
        {"X": inputs, "labels": [0, 0, 0, 1], "seed": 0, "max_epochs": 1000, "separable": True},
        {"X": inputs, "labels": [0, 1, 1, 1], "seed": 0, "max_epochs": 1000, "separable": True},
        {"X": inputs, "labels": [0, 1, 1, 0], "seed": 0, "max_epochs": 50, "separable": False},
    ]
    for d in (1, int(rng.integers(2, 5)), 6):
        X, labels = _separable(rng, d)
        cases.append(
            {
                "X": X,
                "labels": labels,
                "seed": _seed_that_must_learn(rng, X, labels, 2000),
                "max_epochs": 2000,
                "separable": True,
            }
        )
    X, labels = np.array([[0.0], [1.0], [2.0]]), [0, 1, 0]
    cases.append(
        {
            "X": X,
            "labels": labels,
            "seed": _seed_that_must_learn(rng, X, labels, 20),
            "max_epochs": 20,
            "separable": False,
        }
    )
    return cases


def train_judge(case, got, solution):
    """Replayed: the perceptron rule from the given start over the given order of the samples
    (``rng``'s first draws) must give the same weights and the same verdict; weights found any
    other way (least squares, by hand) do not."""
    converged = scalar(got, "out.1")
    if converged is None:
        return ["`converged` (the second item returned) is missing or not one bool"]
    d = case["X"].shape[1]
    problem = real_array(got, "out.0", (d + 1,))
    if problem:
        return [problem]
    w, done = solution["perceptron_train"](
        case["X"], case["labels"], np.random.default_rng(int(case["seed"])),
        max_epochs=int(case["max_epochs"]),
    )
    problems = []
    if bool(converged) != bool(done):
        problems.append(
            "reports convergence on data that no perceptron separates"
            if converged
            else "did not converge where the perceptron rule does"
        )
    if compare_all(got, {"out.0": w}, rtol=1e-9, atol=1e-9):
        problems.append(
            "the weights are not the ones the perceptron rule reaches from w = "
            "rng.standard_normal(d + 1), visiting the inputs in the order rng.permutation(n) "
            "in every epoch"
        )
    return problems


PARTS = {
    "test-affine": Part(affine_cases, affine_judge, visible=1, may_use=MayUse(("affine",))),
    "test-perceptron-update": Part(
        update_cases,
        update_judge,
        visible=3,
        may_use=MayUse(("perceptron_update",), frozenset({"perceptron_predict"})),
    ),
    "test-perceptron-train": Part(
        train_cases,
        train_judge,
        visible=3,
        may_use=MayUse(("perceptron_train",), frozenset({"perceptron_predict"})),
    ),
}
