"""The perceptron learning algorithm, exactly as on the lecture's slide.

    P <- inputs with label 1;  N <- inputs with label 0;  initialise w randomly
    while not converged:
        pick a random x in P u N
        if x in P and w.x < 0:  w <- w + x
        if x in N and w.x >= 0: w <- w - x
    (converged when every input is classified correctly)

The bias is folded into w with the bias trick: every x gets x_0 := 1, so w.x = sum_{i=0}^d w_i x_i.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["perceptron_learning", "PerceptronResult", "add_bias_input", "perceptron_predict"]


@dataclass
class PerceptronResult:
    """What a run of the algorithm did.

    w : (d + 1,) weights, w[0] is the bias (it multiplies x_0 = 1).
    converged : every input classified correctly when it stopped.
    picks : number of random picks made; updates : how many of them changed w.
    w_history : w after each update, starting with the random initial w, shape (updates + 1, d + 1).
    """
    w: np.ndarray
    converged: bool
    picks: int
    updates: int
    w_history: np.ndarray = field(repr=False)


def add_bias_input(X) -> np.ndarray:
    """(n, d) -> (n, d + 1) with a first column of ones: the bias trick x_0 := 1."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([np.ones((X.shape[0], 1)), X])


def perceptron_predict(w, X) -> np.ndarray:
    """Labels 1 where w.x >= 0 (with x_0 = 1 prepended), else 0, as the slide's test implies."""
    return (add_bias_input(X) @ np.asarray(w) >= 0).astype(np.int64)


def perceptron_learning(X, labels, rng=0, max_picks: int = 10_000) -> PerceptronResult:
    """Run the slide's algorithm on inputs X (n, d) with labels in {0, 1}.

    Stops when every input is classified correctly (``converged=True``) or after
    ``max_picks`` random picks (``converged=False``: on data that no hyperplane separates,
    such as XOR, that is the only way it stops).
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"perceptron_learning: X must have shape (n, d) with n >= 1, got "
                         f"{X.shape}.")
    if labels.shape != (len(X),) or not np.all(np.isin(labels, (0, 1))):
        raise ValueError("perceptron_learning: labels must be n values, each 0 or 1.")
    rng = np.random.default_rng(rng)
    Xb = add_bias_input(X)
    positive = labels == 1
    w = rng.standard_normal(Xb.shape[1])
    history = [w.copy()]
    picks = 0

    def all_correct() -> bool:
        s = Xb @ w
        return bool(np.all(s[positive] >= 0) and np.all(s[~positive] < 0))

    while not all_correct():
        if picks >= max_picks:
            return PerceptronResult(w, False, picks, len(history) - 1, np.array(history))
        i = rng.integers(len(Xb))
        picks += 1
        x = Xb[i]
        if positive[i] and w @ x < 0:
            w = w + x
            history.append(w.copy())
        elif not positive[i] and w @ x >= 0:
            w = w - x
            history.append(w.copy())
    return PerceptronResult(w, True, picks, len(history) - 1, np.array(history))
