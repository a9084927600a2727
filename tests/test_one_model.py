"""One model across the exercises: what exercise 2 grades as the right sigmoid, the other
exercises' model solutions compute too; and one letter per meaning (L is the loss, never the
depth or a layer index)."""

from __future__ import annotations

import re

import nbformat
import numpy as np
from notebook_runner import ROOT

from grading.parts import PARTS
from grading.verdict import solution_namespace

SOURCE = ROOT / "solutions" / "source"


def solution(assignment):
    return solution_namespace(SOURCE / assignment / f"{assignment}.ipynb")


def sigmoid_inputs():
    """Exercise 2's hidden sigmoid inputs (tails where the tanh form rounds to 0 included)."""
    part = PARTS["02_losses_softmax"]["test-sigmoid"]
    return [np.asarray(c["z"], dtype=float).ravel() for c in part.cases(np.random.default_rng(5))]


def test_the_sigmoid_of_exercises_3_and_4_is_the_one_exercise_2_grades_right():
    judge = PARTS["02_losses_softmax"]["test-sigmoid"].judge
    ex2, ex3, ex4 = (solution(a) for a in sorted(PARTS)[1:])
    for z in sigmoid_inputs():
        net = {"activation": "sigmoid", "w": np.ones(1), "b": np.zeros(1), "c": np.ones(1)}
        from_ex4 = ex4["evaluate_shallow"](dict(net, c0=0.0), z)
        assert not judge({"z": z}, {"out": from_ex4}, ex2), "exercise 4's sigmoid"
        # sigma' = sigma (1 - sigma), with exercise 2's sigma: the same digits in the tails
        s = ex2["sigmoid"](z)
        with np.errstate(over="raise"):
            from_ex3 = ex3["sigmoid_backward"](np.ones_like(z), z)
        assert np.allclose(from_ex3, s * (1 - s), rtol=1e-6, atol=0), "exercise 3's sigmoid"


def test_no_exercise_uses_one_letter_for_the_loss_and_the_depth_or_a_layer():
    for notebook in SOURCE.glob("*/*.ipynb"):
        for cell in nbformat.read(notebook, 4).cells:
            if cell.cell_type != "markdown":
                continue
            # L as a number of layers or compositions, or as a layer's superscript
            assert not re.search(r"\$L\$ (layers|times)|\[L\]|\\ell", cell.source), (
                notebook.name,
                cell.source[:200],
            )
