"""The own-work reading: an allowlist per part, every cell read whatever its metadata says.

Each construct below is written into the full solution of an exercise, in the answer of one part
or in a cell the student added; the reading must name it for that part (or, at the top level of a
cell, for every later part) and find nothing in the honest solution. The nbgrader runs of
tests/test_grading_attacks.py grade some of them end to end.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from notebook_runner import ROOT

from grading.own_work import read
from grading.parts import PARTS
from grading.variants import default, model_answer

A1, A2, A3, A4 = sorted(PARTS)


def source(assignment):
    return ROOT / "solutions" / "source" / assignment / f"{assignment}.ipynb"


def reading(assignment, answers=None, added=None, metadata=None, verbatim=False):
    """The instructor's notebook, its answers as a student writes them (the default variant's
    numbers written in; ``verbatim``: as the source has them, reading ``VARIANT``), with answers
    (grade_id -> code) replaced and a cell added."""
    nb = nbformat.read(source(assignment), 4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and not verbatim:
            cell.source = model_answer(cell.source, default(assignment))
        if answers and grade_id in answers:
            cell.source = answers[grade_id]
    if added is not None:
        cell = new_code_cell(added)
        if metadata:
            cell.metadata["nbgrader"] = metadata
        at = next(
            i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id")
            == "imports"
        )
        nb.cells.insert(at + 1, cell)
    return read(nb, source(assignment))


def problems(assignment, **kwargs):
    r = reading(assignment, **kwargs)
    parts = PARTS[assignment]
    top = r.top_level_problems([p.may_use for p in parts.values()])
    rules = [p.may_use for p in parts.values()]
    found = {g: r.part_problem(p.may_use, rules) for g, p in parts.items()}
    return top, {g: why for g, why in found.items() if why}


@pytest.mark.parametrize("assignment", sorted(PARTS))
def test_the_solutions_use_only_what_each_part_allows(assignment):
    assert problems(assignment) == ({}, {})


def test_an_answer_that_reads_the_variant_earns_nothing():
    """The public source's answers read this term's numbers from VARIANT: copied as they are,
    each part that does scores 0 (a student writes the numbers of the variant released)."""
    _, found = problems(A2, verbatim=True)
    assert set(found) == set(PARTS[A2])
    assert all("uses `VARIANT`" in why for why in found.values())
    top, _ = problems(A2, added='print(VARIANT["temperature"])')
    assert top == {}        # top-level code may read it (a student looking at the variant)


SIGMOID = 'def sigmoid(z):\n    """doc"""\n    {}\n'
ATTACKS_02 = {
    # another module's attributes lead to sys.modules and the library
    "warnings.sys": SIGMOID.format(
        "import warnings\n    return warnings.sys.modules['lib.functional'].sigmoid(z)"
    ),
    "np.__dict__": SIGMOID.format("return np.__dict__['exp'](z)"),
    "np.lib": SIGMOID.format("return np.lib.scimath.sqrt(z)"),
    "getattr": SIGMOID.format("return getattr(np, 'exp')(z)"),
    "globals": SIGMOID.format("return globals()['F'].sigmoid(z)"),
    "eval": SIGMOID.format("return eval('F.sigmoid')(z)"),
    "type 3 args": SIGMOID.format("return type('T', (), {})"),
    "F": SIGMOID.format("return F.sigmoid(z)"),
    "logaddexp": SIGMOID.format("return np.exp(-np.logaddexp(0, -z))"),
    "module as value": SIGMOID.format("m = np\n    return m.logaddexp(0, z)"),
    "lambda parameter hides a global": SIGMOID.format(
        "g = lambda F: F\n    return F.sigmoid(z)"
    ),
    "comprehension's first iterable": SIGMOID.format("return [F for F in [F.sigmoid]][0](z)"),
    "global": SIGMOID.format("global np\n    return z"),
    "frame": SIGMOID.format("return (x for x in z).gi_frame.f_globals['F'].sigmoid(z)"),
}


@pytest.mark.parametrize("name", ATTACKS_02)
def test_each_construct_costs_its_part_and_no_other(name):
    top, parts = problems(A2, answers={"sigmoid": ATTACKS_02[name]})
    assert set(parts) == {"test-sigmoid"} and not top, (top, parts)


def test_a_default_argument_runs_at_the_top_level_and_voids_the_later_parts():
    default = "def sigmoid(z, f=F.sigmoid):\n    return f(z)\n"
    top, parts = problems(A2, answers={"sigmoid": default})
    assert "test-sigmoid" in parts and ["`F`" in why for why in top.values()] == [True]


def test_a_helper_reached_through_the_call_graph_costs_the_parts_that_call_it():
    helper = "def helper(Z):\n    return F.log_softmax(Z, axis=1)\n"
    top, parts = problems(
        A2,
        answers={"log-softmax": "def log_softmax(Z):\n    return helper(Z)\n"},
        added=helper,
    )
    # softmax_cross_entropy calls log_softmax, which calls the helper
    assert set(parts) == {"test-log-softmax", "test-softmax-ce"} and not top, (top, parts)


@pytest.mark.parametrize(
    "metadata",
    [None, {"solution": False, "grade": False, "locked": True, "grade_id": "imports"}],
)
def test_added_cells_are_read_whatever_their_metadata_says(metadata):
    top, _ = problems(A2, added="import lib.functional as G", metadata=metadata)
    assert list(top.values()) and "imports `lib.functional`" in list(top.values())[0]


@pytest.mark.parametrize(
    "code, name",
    [
        ("class forbid:\n    pass", "forbid"),
        ("def check_array(*args, **kwargs):\n    pass", "check_array"),
        ("print = lambda *args: None", "print"),
        ("handin = None", "handin"),
    ],
)
def test_rebinding_the_course_names_voids_the_later_parts(code, name):
    top, _ = problems(A2, added=code)
    assert [f"rebinds `{name}`" in why for why in top.values()] == [True], top


def test_the_test_set_and_the_library_stay_out_of_the_training_parts():
    mnist = (
        'def train_mnist(X, t, seed=0, epochs=5):\n'
        '    X, t = MNIST.X_test.astype(float), MNIST.t_test\n'
        '    return {}\n'
    )
    _, parts = problems(A3, answers={"train-mnist": mnist})
    assert set(parts) == {"test-train-mnist"} and "`MNIST`" in parts["test-train-mnist"]
    lstsq = (
        "def perceptron_train(X, labels, rng, max_epochs=1000):\n"
        "    X1 = np.hstack([np.ones((len(X), 1)), X])\n"
        "    return np.linalg.lstsq(X1, 2.0 * labels - 1, rcond=None)[0], True\n"
    )
    _, parts = problems(A1, answers={"perceptron-train": lstsq})
    assert set(parts) == {"test-perceptron-train"}


def test_reading_the_test_cells_globals_instead_of_the_arguments_costs_the_part():
    # the test cell sets `x, c = case["x"], case["c"]` before calling numerical_gradient; an
    # answer that reads them works the gradient out by hand: c cos x + x^2
    closed_form = (
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    return c * np.cos(x) + x ** 2\n"
    )
    _, parts = problems(A3, answers={"numerical-gradient": closed_form})
    assert set(parts) == {"test-numerical-gradient", "test-check-linear-layer",
                          "test-find-broken-layer"} and "`c`" in parts["test-numerical-gradient"]
    # the same, with the global bound by the student first so that it looks like their own
    _, parts = problems(A3, answers={"numerical-gradient": closed_form}, added="c = None")
    assert "reads the global `c`" in parts["test-numerical-gradient"], parts


def test_honest_helpers_and_experiments_cost_nothing():
    added = (
        "import math\nimport numpy as np\nimport time; time.sleep(0)\n"
        "from itertools import product\nfrom collections import defaultdict\n"
        "X = np.ones((2, 3))\n"
        "def stable_exp(z):\n    return np.exp(np.minimum(z, 0)) * math.e ** 0\n"
        "print(stable_exp(X).sum(axis=0), [i ** 2 for i in range(3)])"
    )
    sigmoid = SIGMOID.format(
        "e = stable_exp(-np.abs(z))\n    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))"
    )
    assert problems(A2, answers={"sigmoid": sigmoid}, added=added) == ({}, {})


@pytest.mark.parametrize("assignment", sorted(PARTS))
def test_each_part_of_the_text_says_what_its_answer_may_use(assignment):
    from grading.own_work import describe

    text = "\n".join(c.source for c in nbformat.read(source(assignment), 4).cells)
    released = ROOT / "chapters" / "exercises" / f"{assignment}.ipynb"
    student_text = "\n".join(c.source for c in nbformat.read(released, 4).cells)
    for grade_id, part in PARTS[assignment].items():
        line = describe(part.may_use)
        assert line in text and line in student_text, (grade_id, line)


def test_a_test_cell_nbgrader_put_back_is_the_courses_not_the_students():
    nb = nbformat.read(source(A2), 4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test-bce")
    cell.source = (
        "# This cell (id:test-bce) was missing from the submission. It was added back by "
        "nbgrader.\n\n" + cell.source
    )
    r = read(nb, source(A2))
    assert r.top_level_problems([p.may_use for p in PARTS[A2].values()]) == {}
