"""Grades nobody can fake: a class of attackers graded by real nbgrader runs on real notebooks.

Every attack here runs *inside the student's kernel* (file-system, network and resource attacks
are the sandbox's tests). Each must score no more than an empty answer; honest work in the same
batch keeps its grade (full = full marks, half = partial credit); the course's files are the same
before and after. Exercise 2 is graded twice: once with the static reading of the student's code
(``grading.own_work``) turned OFF, to show that the verdict computed outside the kernel holds by
itself against tampering, then with the course's configuration, where calling the library earns
nothing. The class is graded with the suite's shared class (tests/graded_class.py), which also
hashes what grades depend on before and after. Expected points come from the sources'
metadata, never from the grader.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from graded_class import copy_course
from nbformat.v4 import new_code_cell
from nbgrader_course import (
    ASSIGNMENTS,
    auto_score,
    body,
    cell_scores,
    fill,
    graded_cell,
    nbg_meta,
    nbgrader,
    points,
)
from notebook_runner import ROOT

pytestmark = pytest.mark.slow

A1, A2, A3, A4 = ASSIGNMENTS
FUNCTIONS_02 = {"sigmoid": "z", "bce": "z", "softmax": "Z", "log-softmax": "Z", "softmax-ce": "Z"}


def with_cell(nb, code: str, after: str = "imports"):
    """The notebook with a cell of the student's own added after the cell ``after``."""
    index = next(i for i, c in enumerate(nb.cells) if nbg_meta(c).get("grade_id") == after)
    nb.cells.insert(index + 1, new_code_cell(code))
    return nb


def every_answer(code: str) -> dict:
    """Edits that make every answer of exercise 2 run ``code``."""
    return {grade_id: body(code) for grade_id in FUNCTIONS_02}


# -- exercise 2, tampering inside the kernel: blank answers plus one attack each -------------------
TAMPER = {
    # the visible checks and their private failure helper, rebound and patched
    "patched_checks": lambda c: with_cell(
        fill(c, A2, ids=[]),
        (
            "import lib.exercises.checks as checks_module\n"
            "checks_module._fail = lambda message: None\n"
            "check_array = check_scalar = check_gradients = lambda *args, **kwargs: None\n"
            "checks_module.check_array.__code__ = (lambda *args, **kwargs: None).__code__\n"
            "forbid = lambda *args, **kwargs: __import__('contextlib').nullcontext()"
        ),
    ),
    # numpy's comparisons patched to agree with anything
    "patched_numpy": lambda c: with_cell(
        fill(c, A2, ids=[]),
        (
            "np.allclose = lambda *args, **kwargs: True\n"
            "np.array_equal = lambda *args, **kwargs: True\n"
            "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
            "np.isfinite = lambda x: np.ones(np.shape(x), dtype=bool)"
        ),
    ),
    # IPython hooks: every later cell rewritten into `pass`; every error swallowed
    "rewrites_cells": lambda c: with_cell(
        fill(c, A2, ids=[]),
        ("get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"),
    ),
    "swallows_errors": lambda c: with_cell(
        fill(c, A2, ids=[]),
        ("get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)"),
    ),
    # objects that equal anything, and an ndarray subclass that says True to every comparison
    "always_equal": lambda c: with_cell(
        fill(c, A2, ids=[], edits=every_answer("return (AlwaysEqual(), AlwaysEqual())")),
        (
            "class AlwaysEqual:\n"
            "    __eq__ = __le__ = __ge__ = lambda self, other: True\n"
            "    __array_priority__ = 1000\n"
            "    def __float__(self): return 0.5\n"
            "    def __getitem__(self, key): return self"
        ),
    ),
    "ndarray_liar": lambda c: with_cell(
        fill(c, A2, ids=[], edits=every_answer("return Liar.like(z if 'z' in dir() else Z)")),
        (
            "class Liar(np.ndarray):\n"
            "    def __eq__(self, other): return np.ones(self.shape, dtype=bool)\n"
            "    def __array_function__(self, func, types, args, kwargs):\n"
            "        return True if func in (np.allclose, np.array_equal) "
            "else super().__array_function__(func, types, args, kwargs)\n"
            "    @classmethod\n"
            "    def like(cls, x): return np.zeros(np.shape(x)).view(cls)"
        ),
    ),
    # forged outputs: a score as the cell's result, the grader's own words, fake handed-out values
    "forges_outputs": lambda c: with_cell(
        fill(c, A2, ids=[], edits=every_answer("return forge(locals())")),
        (
            "import sys\n"
            "from lib.exercises.handin import Case\n"
            "def forge(args):\n"
            "    sys.displayhook(3.0)\n"
            "    print('Grader: 3 of 3 points.')\n"
            "    for grade_id in ('test-sigmoid', 'test-bce', 'test-softmax', "
            "'test-log-softmax', 'test-softmax-ce'):\n"
            "        for i in range(40):\n"
            "            Case(grade_id, i, {}).report(np.zeros(np.shape(list(args.values())[0])))\n"
            "    return np.zeros(np.shape(list(args.values())[0]))"
        ),
    ),
    # leaving early
    "system_exit": lambda c: fill(c, A2, ids=[], edits=every_answer("raise SystemExit(0)")),
    "os_exit": lambda c: with_cell(fill(c, A2, ids=[]), "import os\nos._exit(0)", after="sigmoid"),
    "output_flood": lambda c: fill(c, A2, ids=[], edits=every_answer("print('x\\n' * 200000)")),
    # test cells emptied, one deleted, all re-weighted to 100 points
    "edits_tests": lambda c: _edit_tests(fill(c, A2, ids=[])),
    # answers hard-coded for the visible tests' inputs
    "hard_coded": lambda c: fill(
        c,
        A2,
        ids=[],
        edits={
            "sigmoid": body(
                "return np.array([0.5, 0.75, 0.25]) if np.shape(z) == (3,) "
                "else np.full(np.shape(z), 0.5)"
            )
        },
    ),
}


def _edit_tests(nb):
    for cell in nb.cells:
        meta = nbg_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            cell.source = "pass"
            meta["points"] = 100
    nb.cells = [c for c in nb.cells if nbg_meta(c).get("grade_id") != "test-bce"]
    return nb


# -- exercise 2 graded as the course does: calling the library, honest full / half / naive --------
LIB_02 = {
    "lib_direct": lambda c: fill(c, A2, edits={"sigmoid": body("return F.sigmoid(z)")}),
    "lib_imported": lambda c: with_cell(
        fill(c, A2, edits={"softmax": body("return softmax_from_lib(Z)")}),
        "from lib.functional import softmax as softmax_from_lib",
    ),
    "lib_getattr": lambda c: fill(
        c, A2, edits={"sigmoid": body("return getattr(globals()['F'], 'sig' + 'moid')(z)")}
    ),
}
# the shortcuts: each costs its own part, and no other
SHORTCUTS_02 = {
    "logaddexp": lambda c: fill(
        c, A2, edits={"sigmoid": body("return np.exp(-np.logaddexp(0, -np.asarray(z, float)))")}
    ),
    "hidden_cell_metadata": lambda c: _with_metadata(
        with_cell(
            fill(c, A2, edits={"softmax": body("return softmax_from_lib(Z)")}),
            "from lib.functional import softmax as softmax_from_lib",
        ),
        {"solution": False, "grade": False, "locked": True, "grade_id": "imports"},
    ),
    "shadowed_guard": lambda c: with_cell(
        fill(c, A2, edits={"sigmoid": body("return F.sigmoid(z)")}),
        "class forbid:\n    def __init__(self, *args, **kwargs): pass\n"
        "    def __enter__(self): return self\n    def __exit__(self, *args): return False",
    ),
}


def _with_metadata(nb, metadata):
    """The cell the student added, given nbgrader metadata of their own choosing."""
    added = next(c for c in nb.cells if "softmax_from_lib" in c.source and "def " not in c.source)
    added.metadata["nbgrader"] = metadata
    return nb


HONEST_02 = {
    "full": lambda c: fill(c, A2),
    "blank": lambda c: fill(c, A2, ids=[]),
    "half": lambda c: fill(c, A2, ids=["sigmoid", "bce", "softmax"]),
    # overflows in the branch np.where throws away: the graded runs raise on overflow
    "where_overflows": lambda c: fill(
        c,
        A2,
        edits={
            "sigmoid": body(
                "return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))"
            )
        },
    ),
    # no warning ever, but sigmoid(-720) = 1e-313 comes out as 0
    "tanh_form": lambda c: fill(
        c,
        A2,
        edits={"sigmoid": body("return 0.5 * (1 + np.tanh(0.5 * np.asarray(z, dtype=float)))")},
    ),
}

# -- exercises 1, 3, 4 ---------------------------------------------------------------------------
XOR_BY_HAND = (
    "params = {'W1': np.array([[20.0, 20.0], [-20.0, -20.0]] + [[0.0, 0.0]] * (XOR_HIDDEN - 2)),\n"
    "          'b1': np.array([-10.0, 30.0] + [0.0] * (XOR_HIDDEN - 2)),\n"
    "          'W2': np.zeros((2, XOR_HIDDEN)), 'b2': np.zeros(2)}\n"
    "params['W2'][1, :2], params['W2'][0, :2], params['b2'][:] = 20.0, -20.0, [30.0, -30.0]\n"
    "return params, np.array([0.7, 0.3, 0.01])"
)
# backpropagation by central differences (tests/test_finite_differences_attack.py grades it)
FD_TWO_LAYER = (
    "def fd(f, x, eps=1e-5):                 # central differences, one entry at a time\n"
    "    g = np.zeros(x.shape)\n"
    "    for i in np.ndindex(x.shape):\n"
    "        old = x[i]\n"
    "        x[i] = old + eps; up = f()\n"
    "        x[i] = old - eps; down = f()\n"
    "        x[i] = old\n"
    "        g[i] = (up - down) / (2 * eps)\n"
    "    return g\n"
    "Z2, (Z1, A1) = two_layer_forward(params, X)\n"
    "p = {k: v.copy() for k, v in params.items()}\n"
    "f = lambda: softmax_ce_loss(two_layer_forward(p, X)[0], t)\n"
    "grads = {k: fd(f, p[k]) for k in ('W1', 'b1', 'W2', 'b2')}\n"
    "grads['Z2'] = fd(lambda: softmax_ce_loss(Z2, t), Z2)\n"
    "grads['A1'] = fd(lambda: softmax_ce_loss(A1 @ p['W2'].T + p['b2'], t), A1)\n"
    "grads['Z1'] = fd(lambda: softmax_ce_loss(np.tanh(Z1) @ p['W2'].T + p['b2'], t), Z1)\n"
    "return f(), grads"
)
OTHERS = {
    A1: {
        "full": lambda c: fill(c, A1),
        "blank": lambda c: fill(c, A1, ids=[]),
        "half": lambda c: fill(c, A1, ids=["affine", "perceptron-update"]),
        "lib_call": lambda c: fill(
            c,
            A1,
            edits={
                "perceptron-train": body(
                    "return lib.lessons.perceptron.perceptron_learning(X, labels, rng, max_epochs)"
                )
            },
        ),
        # a least-squares fit that classifies the data without the perceptron rule
        "least_squares": lambda c: fill(
            c,
            A1,
            edits={
                "perceptron-train": body(
                    "X1 = np.hstack([np.ones((len(X), 1)), X])\n"
                    "w = np.linalg.solve(X1.T @ X1 + 1e-9 * np.eye(X1.shape[1]), "
                    "X1.T @ (2.0 * np.asarray(labels) - 1))\n"
                    "return w, bool(np.all(perceptron_predict(w, X) == labels))"
                )
            },
        ),
    },
    A3: {
        "full": lambda c: fill(c, A3),
        "blank": lambda c: fill(c, A3, ids=[]),
        "half": lambda c: fill(c, A3, ids=["linear-backward", "activations-backward"]),
        "lib_call": lambda c: fill(
            c,
            A3,
            ids=["linear-backward"],
            edits={
                "linear-backward": body(
                    "layer = lib.nn.Linear.from_weights(W, np.zeros(len(W)))\n"
                    "layer.forward(X)\n"
                    "return layer.backward(dZ), layer.grads['W'], layer.grads['b']"
                )
            },
        ),
        "xor_by_hand": lambda c: fill(c, A3, edits={"train-xor": body(XOR_BY_HAND)}),
    },
    A4: {
        "full": lambda c: fill(c, A4),
        "blank": lambda c: fill(c, A4, ids=[]),
        "half": lambda c: fill(c, A4, ids=["bump-network"]),
        # sampling the segment densely instead of finding where units switch
        "dense_sampling": lambda c: fill(
            c,
            A4,
            edits={
                "count-regions": body(
                    "s = np.linspace(0, 1, 400001)[:, None]\n"
                    "x0, x1 = np.asarray(x0, float), np.asarray(x1, float)\n"
                    "A = x0 + s * (x1 - x0)\n"
                    "patterns = []\n"
                    "for W, b in layers[:-1]:\n"
                    "    Z = A @ np.asarray(W, float).T + b\n"
                    "    patterns.append(Z > 0)\n"
                    "    A = np.maximum(Z, 0)\n"
                    "P = np.hstack(patterns)\n"
                    "return 1 + int(np.any(P[1:] != P[:-1], axis=1).sum())"
                )
            },
        ),
        "lib_call": lambda c: with_cell(
            fill(
                c,
                A4,
                edits={
                    "tent-network": body(
                        "net = lib.lessons.depth_separation.tent_map_network(q)\n"
                        "return [(layer.params['W'], layer.params['b']) "
                        "for layer in net.layers if layer.params]"
                    )
                },
            ),
            "import lib.lessons.depth_separation",
        ),
    },
}


def hand_in(course: Path) -> dict:
    """This file's students of the shared graded class (tests/graded_class.py): the
    ``tamper_*`` students of exercise 2 are graded with the static reading of the code off, the
    rest with the course's configuration."""
    out = {(f"tamper_{student}", A2): build(course) for student, build in TAMPER.items()}
    out["tamper_control_full", A2] = fill(course, A2)
    for student, build in {**LIB_02, **SHORTCUTS_02, **HONEST_02}.items():
        out[student, A2] = build(course)
    for assignment, students in OTHERS.items():
        for student, build in students.items():
            out[student, assignment] = build(course)
    return out


@pytest.fixture
def course(graded_class):
    """(the graded course, what grades depend on before grading, the same after)."""
    return graded_class.course, graded_class.before, graded_class.after


def test_tampering_inside_the_kernel_scores_no_more_than_an_empty_answer(course):
    course, _, _ = course
    got = auto_score(course, A2)
    assert got["tamper_control_full"] == points(A2), "the same batch grades honest work right"
    for student in TAMPER:
        assert got[f"tamper_{student}"] == 0.0, (
            student,
            cell_scores(course, A2, f"tamper_{student}"),
        )


def test_edited_and_reweighted_test_cells_keep_their_points(course):
    course, _, _ = course
    scores = cell_scores(course, A2, "tamper_edits_tests")
    assert {g: m for g, (_, m) in scores.items()} == {
        nbg_meta(c)["grade_id"]: float(nbg_meta(c)["points"])
        for c in nbformat.read(ROOT / "solutions" / "source" / A2 / f"{A2}.ipynb", 4).cells
        if nbg_meta(c).get("grade") and not nbg_meta(c).get("solution")
    }


def test_forged_outputs_are_shown_but_not_scored(course):
    course, _, _ = course
    cell = graded_cell(course, "tamper_forges_outputs", A2, "test-sigmoid")
    kinds = [o.output_type for o in cell.outputs]
    assert "display_data" not in kinds, "handed-out values are removed once judged"
    assert kinds[-1] == "error" and "Grader: 0 of 2 points" in cell.outputs[-1].evalue
    assert "execute_result" not in kinds, "the kernel's own result (a fake score) is dropped"


def test_calling_the_library_earns_nothing(course):
    course, _, _ = course
    got = {
        **auto_score(course, A2),
        **{f"{a}:{s}": v for a in OTHERS for s, v in auto_score(course, a).items()},
    }
    # the part that calls the library scores 0, the others keep their points; a cell that
    # imports the library voids every later part
    for student, part in [("lib_direct", "test-sigmoid"), ("lib_getattr", "test-sigmoid")]:
        assert got[student] == points(A2) - points(A2, [part]), cell_scores(course, A2, student)
    assert got["lib_imported"] == 0.0, cell_scores(course, A2, "lib_imported")
    assert got[f"{A1}:lib_call"] == points(A1) - points(A1, ["test-perceptron-train"])
    assert got[f"{A3}:lib_call"] == 0.0
    assert got[f"{A4}:lib_call"] == 0.0
    notes = (
        nbformat.read(course / "autograded" / "lib_direct" / A2 / f"{A2}.ipynb", 4).cells[0].source
    )
    assert "uses `F`, which this part may not use" in notes, notes


def test_each_shortcut_costs_its_part_and_nothing_else(course):
    course, _, _ = course
    scores = cell_scores(course, A2, "logaddexp")
    assert scores.pop("test-sigmoid")[0] == 0.0
    assert all(score == top for score, top in scores.values()), scores
    # an added cell is read whatever its metadata says; a cell that shadows the guard voids
    # every later part
    assert auto_score(course, A2)["hidden_cell_metadata"] == 0.0
    assert auto_score(course, A2)["shadowed_guard"] == 0.0
    for assignment, student, part in [
        (A1, "least_squares", "test-perceptron-train"),
        (A4, "dense_sampling", "test-count-regions"),
    ]:
        scores = cell_scores(course, assignment, student)
        assert scores.pop(part)[0] == 0.0, (student, part)
        assert all(score == top for score, top in scores.values()), (student, scores)


def test_honest_work_full_half_and_blank(course):
    course, _, _ = course
    got = auto_score(course, A2)
    assert got["full"] == points(A2) and got["blank"] == 0.0
    assert got["half"] == points(A2, ["test-sigmoid", "test-bce", "test-softmax"])
    for assignment, half in [
        (A1, ["test-affine", "test-perceptron-update"]),
        (
            A3,
            [
                "test-linear-backward",
                "test-sigmoid-backward",
                "test-relu-backward",
                "test-tanh-backward",
            ],
        ),
        (A4, ["test-bump-network"]),
    ]:
        got = auto_score(course, assignment)
        assert got["full"] == points(assignment) > 0, (assignment, got)
        assert got["blank"] == 0.0 and got["half"] == points(assignment, half), (assignment, got)


def test_unstable_forms_lose_points_where_they_are_wrong(course):
    course, _, _ = course
    for student in ("where_overflows", "tanh_form"):
        scores = cell_scores(course, A2, student)
        sigmoid, _ = scores.pop("test-sigmoid")
        assert sigmoid < points(A2, ["test-sigmoid"]), (student, sigmoid)
        assert all(score == top for score, top in scores.values()), (student, scores)
    # the np.where form is right wherever nothing overflows: partial credit, not none
    assert cell_scores(course, A2, "where_overflows")["test-sigmoid"][0] > 0


def test_backprop_must_be_done_and_xor_really_trained(course):
    course, _, _ = course
    scores = cell_scores(course, A3, "xor_by_hand")
    assert scores.pop("test-train-xor")[0] == 0.0
    scores.pop("written-linear-depth")  # graded by hand
    assert all(score == top for score, top in scores.values()), scores
    # central differences instead of backpropagation: tests/test_finite_differences_attack.py


def test_the_course_files_are_unchanged_by_grading(course):
    _, before, after = course
    for name in before:
        changed = sorted(
            k
            for k in set(before[name]) | set(after[name])
            if before[name].get(k) != after[name].get(k)
        )
        assert not changed, f"grading changed {name} files: {changed[:10]}"


def test_regrading_one_student_reproduces_the_grade_and_touches_no_one_else(graded_class,
                                                                           tmp_path):
    course = copy_course(graded_class, tmp_path)
    before = auto_score(course, A2)
    inputs_before = graded_cell(course, "half", A2, "test-sigmoid").source
    nbgrader(course, "autograde", A2, "--student=half", "--force")
    assert auto_score(course, A2) == before
    assert graded_cell(course, "half", A2, "test-sigmoid").source == inputs_before, (
        "a re-grade draws the same hidden inputs"
    )
    other = graded_cell(course, "full", A2, "test-sigmoid").source
    assert other != inputs_before, "each student gets hidden inputs of their own"
