"""The graded parts of every assignment, as the trusted grader knows them.

A :class:`Part` draws the inputs of its cases (the visible tests' inputs first, then hidden ones
from the grader's per-student generator) and judges what the kernel handed out for one case
against the instructor's solution (``solution``: the namespace of the source notebook, run in the
grading process). The test cell in the source notebook runs the student's function on the same
cases and hands the results out (``lib/exercises/handin.py``)::

    for case in handin.cases("test-affine"):
        with case:
            case.report(affine(case["X"], case["W"], case["b"]))

``judge`` returns the problems found (an empty list: the case passes). Messages name paths and
shapes, never the hidden inputs or the reference values.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grading.own_work import MayUse

Cases = Callable[[np.random.Generator], list]
Judge = Callable[[dict, dict, dict], list]


@dataclass(frozen=True)
class Part:
    cases: Cases          # rng -> [inputs of case 0, case 1, ...], the visible tests' first
    judge: Judge          # (inputs, handed-out values by path, solution namespace) -> problems
    visible: int = 0      # how many of the first cases are the visible tests'
    may_use: MayUse | None = None  # what the answer may use (grading.own_work); None: nothing


def real_array(got: dict, path: str, shape: tuple, *, kinds: str = "fiu") -> str | None:
    """None if ``got[path]`` is a finite real array of the given shape, else why not."""
    if path not in got:
        return f"`{path}` is missing"
    value = got[path]
    if value.dtype.kind not in kinds:
        # what the student's values hold is not echoed: feedback must carry nothing the kernel
        # chose (a dtype's field names, a shape's sizes could spell out a hidden test)
        return f"`{path}` is not an array of real numbers"
    if value.shape != tuple(shape):
        return f"`{path}` has the wrong shape ({value.ndim} axes), expected {tuple(shape)}"
    if not np.all(np.isfinite(value)):
        return f"`{path}` contains NaN or inf (an overflow?)"
    return None


def same(got: dict, path: str, expected, *, rtol: float = 1e-7, atol: float = 1e-12,
         kinds: str = "fiu") -> str | None:
    """None if ``got[path]`` is a real array equal to ``expected`` within tolerance.

    Otherwise, why not.
    """
    expected = np.asarray(expected, dtype=np.float64)
    problem = real_array(got, path, expected.shape, kinds=kinds)
    if problem:
        return problem
    wrong = ~(np.abs(got[path].astype(np.float64) - expected) <= atol + rtol * np.abs(expected))
    if wrong.any():
        return f"`{path}`: {int(wrong.sum())} of {wrong.size} entries are wrong"
    return None


def compare_all(got: dict, expected: dict, **tolerance) -> list[str]:
    """Problems of every path of ``expected`` (a dict path -> array)."""
    return [
        p for p in (same(got, path, value, **tolerance) for path, value in expected.items()) if p
    ]


def paths(value, prefix: str = "out") -> dict:
    """The reference value flattened the way the kernel flattens what it hands out."""
    from lib.exercises.handin import flatten

    return dict(flatten(value, prefix))


def scalar(got: dict, path: str, kinds: str = "fiub"):
    """The number at ``path`` if it is one, else None."""
    value = got.get(path)
    if value is None or value.shape != () or value.dtype.kind not in kinds:
        return None
    return value.item()


from grading.named_mistakes import name_all  # noqa: E402
from grading.parts import (  # noqa: E402
    ex01_neurons_perceptron,
    ex02_losses_softmax,
    ex03_backpropagation,
    ex04_approximation_depth,
)

# every judge names the catalogued mistakes (lib/exercises/mistakes.py) of a wrong case
PARTS: dict[str, dict[str, Part]] = name_all({
    "01_neurons_perceptron": ex01_neurons_perceptron.PARTS,
    "02_losses_softmax": ex02_losses_softmax.PARTS,
    "03_backpropagation": ex03_backpropagation.PARTS,
    "04_approximation_depth": ex04_approximation_depth.PARTS,
})
