"""Exercise 1, neurons and the perceptron: the graded parts."""
from __future__ import annotations

import numpy as np

from grading.parts import Part, compare_all, paths, real_array, scalar


def affine_cases(rng):
    visible = [{"X": [[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]],
                "W": [[1.0, 0.0], [0.0, 1.0], [2.0, -1.0], [0.5, 0.5]], "b": [0.0, 1.0, -1.0, 2.0]}]
    hidden = []
    for n, d, m in [(1, 1, 1), tuple(rng.integers(2, 9, 3)), (int(rng.integers(20, 50)), 12, 9)]:
        hidden.append({"X": rng.standard_normal((n, d)), "W": rng.standard_normal((m, d)),
                       "b": rng.standard_normal(m)})
    return visible + hidden


def affine_judge(case, got, solution):
    return compare_all(got, paths(solution["affine"](case["X"], case["W"], case["b"])))


def update_cases(rng):
    visible = [{"w": [0.5, -1.0, 2.0], "x": [1.0, 3.0, 1.0], "label": 1},
               {"w": [0.5, -1.0, 2.0], "x": [1.0, 3.0, 1.0], "label": 0},
               {"w": [0.5, -1.0, 2.0], "x": [1.0, 0.0, 1.0], "label": 0}]
    hidden = [{"w": [1.0, -1.0], "x": [1.0, 1.0], "label": 0},      # w . x == 0 counts as output 1
              {"w": [1.0, -1.0], "x": [1.0, 1.0], "label": 1}]
    for _ in range(8):
        d = int(rng.integers(1, 6))
        hidden.append({"w": rng.standard_normal(d + 1),
                       "x": np.concatenate([[1.0], rng.standard_normal(d)]),
                       "label": int(rng.integers(0, 2))})
    return visible + hidden


def update_judge(case, got, solution):
    expected = solution["perceptron_update"](case["w"].copy(), case["x"], int(case["label"]))
    return compare_all(got, paths(expected))


def _separable(rng, d, n=60):
    w_true = rng.standard_normal(d + 1)
    X = rng.uniform(-2, 2, size=(8 * n, d))
    X1 = np.hstack([np.ones((len(X), 1)), X])
    X = X[np.abs(X1 @ w_true) / np.linalg.norm(w_true) > 0.15][:n]     # a margin: converges fast
    labels = (np.hstack([np.ones((len(X), 1)), X]) @ w_true >= 0).astype(int)
    return X, labels


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
                "seed": int(rng.integers(1000)),
                "max_epochs": 2000,
                "separable": True,
            }
        )
    cases.append(
        {
            "X": [[0.0], [1.0], [2.0]],
            "labels": [0, 1, 0],
            "seed": int(rng.integers(1000)),
            "max_epochs": 20,
            "separable": False,
        }
    )
    return cases


def train_judge(case, got, solution):
    """Judged by behaviour: the returned weights classify separable data; XOR never converges."""
    converged = scalar(got, "out.1")
    if converged is None:
        return ["`converged` (the second item returned) is missing or not one bool"]
    d = case["X"].shape[1]
    problem = real_array(got, "out.0", (d + 1,))
    if problem:
        return [problem]
    if not bool(case["separable"]):
        return ["reports convergence on data that no perceptron separates"] if converged else []
    if not converged:
        return ["did not converge on linearly separable data"]
    predictions = solution["perceptron_predict"](got["out.0"].astype(float), case["X"])
    wrong = int(np.sum(predictions != case["labels"]))
    return (
        [f"the returned weights misclassify {wrong} of {len(predictions)} inputs"] if wrong else []
    )


PARTS = {
    "test-affine": Part(affine_cases, affine_judge, visible=1),
    "test-perceptron-update": Part(update_cases, update_judge, visible=3),
    "test-perceptron-train": Part(train_cases, train_judge, visible=3),
}
