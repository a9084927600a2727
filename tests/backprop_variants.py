"""Exercise 3's source instantiated for a variant, run in-process, and its upstream solution.

The upstream model solution is the source's solution code written for the default variant: every
``VARIANT["..."]`` a solution region reads replaced by the default's value, so that it no longer
follows the variant (what a student finds when the default's answers are published).
"""

from __future__ import annotations

import ast
import itertools

import nbformat
from notebook_runner import ROOT

from grading.parts.ex03_backpropagation import VARIANTS
from grading.variants import instantiate, model_answer

A3 = "03_backpropagation"
SOURCE = ROOT / "solutions" / "source" / A3 / f"{A3}.ipynb"
DEFAULT = {name: options[0] for name, options in VARIANTS.items()}
# the cells that load and train on MNIST: seconds each, left to the nbgrader runs
MNIST_CELLS = {"mnist-data", "train-mnist", "test-train-mnist", "setup-colab"}


def every_variant() -> list[dict]:
    return [dict(zip(VARIANTS, combo)) for combo in itertools.product(*VARIANTS.values())]


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def source() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE, 4)


def source_variant() -> dict:
    """The default written in the source's variant cell."""
    (cell,) = [c for c in source().cells if grade_id(c) == "variant"]
    tree = ast.parse(cell.source)
    (assign,) = tree.body
    return ast.literal_eval(assign.value)


def resolved(code: str, variant: dict) -> str:
    """``code`` as a student of ``variant`` writes it: nothing reads VARIANT."""
    out = model_answer(code, variant)
    assert "VARIANT" not in out, "a solution reads VARIANT in a way this test cannot resolve"
    return out


def solution_regions(nb, variant: dict | None = None) -> dict[str, str]:
    """grade_id -> source of each solution code cell (resolved for ``variant`` if given)."""
    return {
        grade_id(c): c.source if variant is None else resolved(c.source, variant)
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    }


def upstream_solutions() -> dict[str, str]:
    """The default's model solution: the source's solution cells written for the default."""
    return solution_regions(source(), DEFAULT)


def run(
    variant: dict, solutions: dict[str, str] | None = None, skip=MNIST_CELLS, tests: bool = True
) -> dict:
    """The namespace of the source instantiated for ``variant``, run top to bottom in-process
    (MNIST cells skipped); ``solutions`` (grade_id -> code) replaces solution cells; without
    ``tests`` the test cells are left out (a wrong solution fails their asserts)."""
    nb = instantiate(source(), variant)
    namespace: dict = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        graded = cell.metadata.get("nbgrader", {}).get("grade")
        if cell.cell_type != "code" or gid in skip or (graded and not tests):
            continue
        code = solutions[gid] if solutions and gid in solutions else cell.source
        exec(compile(code, f"<{gid}>", "exec"), namespace)
    return namespace
