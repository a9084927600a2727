"""Exercise 2, losses and softmax: the graded parts.

"Stable" is graded by values that every naive form gets wrong: logits where exp overflows
(|z| up to 1e5), and sigmoid(z) for z in [-725, -710], where the true value is a tiny positive
number (1e-315 to 1e-308) that 1 / (1 + exp(-z)) and 0.5 (1 + tanh(z / 2)) round to 0 (compared
with a relative tolerance only: the stable forms keep 6 digits there). The test cells also run
the student's function under ``np.errstate(over="raise")``, which stops the forms that overflow
in a branch ``np.where`` throws away.

Variants (``grading.variants``): the sigmoid's slope k (part 1: sigma(k z)), the positive class's
weight w of the binary cross-entropy (part 2), the softmax's temperature tau (parts 3 to 5:
softmax(Z / tau), its log, and the cross-entropy whose gradient gains a 1 / tau). The judges
compare with the instantiated reference, so they follow the variant by themselves; the cases
hold the extreme inputs of every slope.
"""
from __future__ import annotations

import numpy as np

from grading.parts import MayUse, Part, compare_all, paths

# parameter -> its options, the upstream default first (the source's VARIANT cell)
VARIANTS = {
    "slope": (1, 2, 0.5),
    "pos_weight": (1, 2, 3),
    "temperature": (1, 2, 0.5),
}

EXACT = {"rtol": 1e-6, "atol": 0.0}
# the parts teach the stable forms: NumPy's routines that compute them are off-limits
STABLE_FORMS = frozenset({"logaddexp", "logaddexp2"})


def _may_use(function: str) -> MayUse:
    return MayUse((function,), not_numpy=STABLE_FORMS)


def sigmoid_cases(rng):
    visible = [
        {"z": [0.0, np.log(3), -np.log(3)]},
        {"z": np.zeros((2, 2))},
        {"z": [-1000.0, 1000.0]},
    ]
    extremes = np.concatenate(
        [
            np.linspace(-40, 40, 41),
            [-720.0, -712.5, -800.0, 710.0, 1e5, -1e5],
            rng.uniform(-725, -710, 4),
            # where sigma(k z) is tiny for the other slopes (k z in [-725, -710])
            rng.uniform(-362.5, -355, 2),
            rng.uniform(-1450, -1420, 2),
        ]
    )
    return visible + [
        {"z": rng.permutation(extremes).reshape(1, -1, 1)},
        {"z": rng.standard_normal((3, 4)) * 300},
        {"z": rng.integers(-30, 30, 5)},
    ]


def sigmoid_judge(case, got, solution):
    return compare_all(got, paths(solution["sigmoid"](case["z"])), **EXACT)


def bce_cases(rng):
    visible = [
        {"z": [0.0], "t": [1]},
        {"z": [np.log(3), np.log(3)], "t": [1, 0]},
        {"z": [1000.0], "t": [1]},
        {"z": [-1000.0], "t": [1]},
    ]
    hidden = []
    for n, scale in [(1, 1.0), (10, 3.0), (37, 50.0), (int(rng.integers(3, 9)), 800.0)]:
        z, t = rng.standard_normal(n) * scale, rng.integers(0, 2, n)
        i = rng.integers(n)             # a misclassified positive in every case: its weight
        z[i], t[i] = -abs(z[i]), 1      # counts, even where the logits are huge
        hidden.append({"z": z, "t": t})
    return visible + hidden


def bce_judge(case, got, solution):
    return compare_all(got, paths(solution["binary_cross_entropy"](case["z"], case["t"])), **EXACT)


def _logits(rng, sizes):
    return [{"Z": rng.standard_normal((n, K)) * scale} for n, K, scale in sizes]


def _huge_logits(rng, n, K, offset):
    """Logits of a few units apart around huge values (+- ``offset``, a different one per row):
    exp overflows unless the maximum is subtracted, and the probabilities are not all 0 or 1
    (the temperature changes them)."""
    return rng.standard_normal((n, K)) * 2 + rng.uniform(-offset, offset, (n, 1))


def softmax_cases(rng):
    visible = [{"Z": [[0.0, np.log(2)]]}, {"Z": [[1000.0, 1000.0], [0.0, np.log(2)]]}]
    return visible + _logits(rng, [(1, 2, 1.0), (4, 3, 2.0)]) + [
        {"Z": _huge_logits(rng, 6, 10, 300.0)}, {"Z": _huge_logits(rng, 3, 2, 1e4)}]


def softmax_judge(case, got, solution):
    return compare_all(got, paths(solution["softmax"](case["Z"])), rtol=1e-9, atol=1e-300)


def log_softmax_cases(rng):
    visible = [{"Z": [[0.0, np.log(2)]]}, {"Z": [[0.0, -1000.0]]}]
    # (no K = 1 case: its answer, 0, is a constant anyone can return)
    return visible + _logits(rng, [(1, 2, 1.0), (5, 4, 3.0)]) + [
        {"Z": _huge_logits(rng, 4, 7, 5000.0)}]


def log_softmax_judge(case, got, solution):
    return compare_all(got, paths(solution["log_softmax"](case["Z"])), rtol=1e-9, atol=1e-9)


def softmax_ce_cases(rng):
    visible = [
        {"Z": np.zeros((2, 3)), "t": [0, 2]},
        {"Z": np.random.default_rng(0).standard_normal((4, 5)), "t": [1, 0, 4, 1]},
    ]
    hidden = []
    for n, K, scale in [(1, 2, 1.0), (7, 4, 2.0), (3, 10, 400.0), (2, 3, 1e4)]:
        Z = rng.standard_normal((n, K)) * scale if scale < 100 else _huge_logits(rng, n, K, scale)
        hidden.append({"Z": Z, "t": rng.integers(0, K, n)})
    return visible + hidden


def softmax_ce_judge(case, got, solution):
    return compare_all(
        got, paths(solution["softmax_cross_entropy"](case["Z"], case["t"])), rtol=1e-8, atol=1e-12
    )


PARTS = {
    "test-sigmoid": Part(sigmoid_cases, sigmoid_judge, visible=3, may_use=_may_use("sigmoid")),
    "test-bce": Part(bce_cases, bce_judge, visible=4, may_use=_may_use("binary_cross_entropy")),
    "test-softmax": Part(softmax_cases, softmax_judge, visible=2, may_use=_may_use("softmax")),
    "test-log-softmax": Part(
        log_softmax_cases, log_softmax_judge, visible=2, may_use=_may_use("log_softmax")
    ),
    "test-softmax-ce": Part(
        softmax_ce_cases, softmax_ce_judge, visible=2, may_use=_may_use("softmax_cross_entropy")
    ),
}
