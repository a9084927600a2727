"""Stubs score zero: every part of every assignment, against answers that do no work.

For each graded part, each function its test cell calls is replaced by a stub -- a constant, zero,
the identity ("return the input", every argument in turn), and "return the visible test's answer"
(what the instructor's solution returns for the part's first visible case) -- and the part's
hidden test block, run on the hidden cases the grader draws, hands the stub's values to the
part's trusted judge (``grading.parts``), with the instructor's solution as the reference. Every
hidden case of every part must fail. Real nbgrader runs (the suite's shared graded class,
tests/graded_class.py) grade notebooks of such stubs end to end and must give them 0 points.
"""

from __future__ import annotations

import re
import types

import nbformat
import numpy as np
import pytest
from nbgrader_course import ASSIGNMENTS, auto_score, fill
from notebook_runner import ROOT

from grading.parts import PARTS
from grading.parts.ex01_neurons_perceptron import VARIANTS as VARIANTS_01
from grading.parts.ex01_neurons_perceptron import _trained
from grading.verdict import solution_namespace
from lib.exercises.handin import decode_inputs, encode_inputs, flatten

HIDDEN_BLOCK = re.compile(r"^(?P<code>.*?)### END HIDDEN TESTS", re.DOTALL)


def source_path(assignment):
    return ROOT / "solutions" / "source" / assignment / f"{assignment}.ipynb"


def hidden_blocks(assignment) -> dict[str, str]:
    """{grade_id: the test cell's code up to the end of its hidden tests}."""
    blocks = {}
    for cell in nbformat.read(source_path(assignment), 4).cells:
        meta = cell.metadata.get("nbgrader", {})
        match = HIDDEN_BLOCK.match(cell.source)
        if meta.get("grade") and not meta.get("solution") and match:
            blocks[meta["grade_id"]] = match["code"]
    return blocks


class _Case:
    """Stands in for lib.exercises.handin.Case: keeps what is reported instead of displaying."""

    def __init__(self, inputs, reports, index):
        self.inputs, self.reports, self.index = inputs, reports, index

    def __getitem__(self, name):
        return self.inputs[name].copy()

    def report(self, value):
        self.reports[self.index] = {p: np.asarray(v) for p, v in flatten(value)}

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        return kind is not None and issubclass(kind, Exception)


class _Handin:
    def __init__(self, inputs):
        self.inputs, self.reports = inputs, {}

    def cases(self, grade_id):
        return [_Case(case, self.reports, i) for i, case in enumerate(self.inputs)]


def run_part(assignment, grade_id, inputs, replace):
    """What the part's hidden test block hands out on ``inputs`` with ``replace`` swapped in."""
    namespace = dict(solution_namespace(source_path(assignment)))
    namespace.update(replace, handin=_Handin(inputs))
    with np.errstate(all="ignore"):
        exec(compile(hidden_blocks(assignment)[grade_id], grade_id, "exec"), namespace)
    return namespace["handin"].reports


def stubs(example_args, visible_answer):
    """(name, stub) pairs: the answers that do no work."""
    yield "constant", lambda *args, **kwargs: 1.0
    yield "zero", lambda *args, **kwargs: 0
    yield "zeros like the input", lambda *args, **kwargs: np.zeros_like(np.asarray(args[0]))
    for i in range(example_args):
        yield f"argument {i + 1} returned", lambda *args, i=i, **kwargs: args[min(i, len(args) - 1)]
    yield "the visible test's answer", lambda *args, **kwargs: visible_answer


def _cases(part, seed):
    return decode_inputs(encode_inputs(part.cases(np.random.default_rng(seed))))


STUB_PARTS = [(a, g) for a in ASSIGNMENTS for g in PARTS[a]]


@pytest.mark.parametrize("assignment, grade_id", STUB_PARTS)
def test_every_stub_fails_every_hidden_case(assignment, grade_id):
    part = PARTS[assignment][grade_id]
    solution = solution_namespace(source_path(assignment))
    inputs = _cases(part, 1)
    # the visible test's answer: the solution's on the first visible case (or on a case of
    # another student's, for parts without visible cases)
    example = _cases(part, 2)[0] if part.visible == 0 else inputs[0]
    answer = run_part(assignment, grade_id, [example], {})[0]
    assert answer, f"the solution hands nothing out for {grade_id}"
    answer_value = _unflatten(answer)
    for function in part.may_use.functions:
        for kind, stub in stubs(4, answer_value):
            got = run_part(assignment, grade_id, inputs, {function: stub})
            passed = [
                i + 1
                for i in range(part.visible, len(inputs))
                if i in got and not part.judge(inputs[i], got[i], solution)
            ]
            assert not passed, f"{grade_id}: `{function}` as a stub ({kind}) passes cases {passed}"


def test_training_with_a_broken_update_fails_every_hidden_case_whatever_the_secret():
    """Part 3 of exercise 1 trains with the student's own ``perceptron_update``: an update that
    raises, or does nothing, must cost every hidden training case, for every course's secret (a
    hidden start that already separated its data once passed a student whose update raised)."""
    assignment, grade_id = "01_neurons_perceptron", "test-perceptron-train"
    part = PARTS[assignment][grade_id]
    solution = solution_namespace(source_path(assignment))

    def raises(w, x, label):
        raise ValueError("oops")

    for seed in range(25):
        inputs = _cases(part, seed)
        for kind, update in [("raises", raises), ("unchanged", lambda w, x, label: w)]:
            # the model answer's training loop, calling this update
            calls = dict(solution, perceptron_update=update)
            train = solution["perceptron_train"]
            student = types.FunctionType(train.__code__, calls, train.__name__, train.__defaults__)
            got = run_part(assignment, grade_id, inputs, {"perceptron_train": student})
            passed = [
                i + 1
                for i in range(part.visible, len(inputs))
                if i in got and not part.judge(inputs[i], got[i], solution)
            ]
            assert not passed, f"secret {seed}: an update that {kind} passes cases {passed}"


@pytest.mark.parametrize("learning_rate", VARIANTS_01["learning_rate"])
def test_the_hidden_training_cases_replay_the_instructors_perceptron(learning_rate):
    """The hidden cases pick their starts with the grader's own replay of the perceptron rule
    (``_trained``): it must give the instructor's weights, for every learning rate a variant has,
    or the choice of starts proves nothing."""
    assignment = "01_neurons_perceptron"
    variant = {"weights": "rows", "learning_rate": learning_rate}
    train = solution_namespace(source_path(assignment), variant)["perceptron_train"]
    for case in PARTS[assignment]["test-perceptron-train"].cases(np.random.default_rng(3)):
        X, labels = np.asarray(case["X"], dtype=float), np.asarray(case["labels"])
        _, replayed = _trained(X, labels, case["seed"], case["max_epochs"], learning_rate)
        w, _ = train(X, labels, np.random.default_rng(case["seed"]), max_epochs=case["max_epochs"])
        np.testing.assert_allclose(replayed, w, rtol=1e-12, atol=1e-12)


def _unflatten(values: dict):
    """The returned value rebuilt from its flattened paths (tuples, lists by index, dicts)."""
    if list(values) == ["out"]:
        return values["out"]
    tree: dict = {}
    for path, value in values.items():
        node, keys = tree, path.split(".")[1:]
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value

    def build(node):
        if not isinstance(node, dict):
            return node
        if all(k.isdigit() for k in node):
            return tuple(build(node[k]) for k in sorted(node, key=int))
        return {k: build(v) for k, v in node.items()}

    return build(tree)


# -- end to end: one class per assignment, stubs as a student would write them ----------------

DEF = re.compile(r"^def \w+\((?P<first>\w+)", re.MULTILINE)


def stubbed(returns: str):
    """An edit of an answer cell: every ``raise NotImplementedError()`` becomes ``return ...``,
    where ``{first}`` stands for the enclosing function's first parameter."""

    def edit(source):
        out, first = [], "None"
        for line in source.splitlines():
            match = DEF.match(line)
            first = match["first"] if match else first
            out.append(
                line.replace("raise NotImplementedError()", "return " + returns.format(first=first))
            )
        return "\n".join(out)

    return edit


STUB_STUDENTS = {
    "constant": "1.0",
    "zeros": "np.zeros_like(np.asarray({first}, dtype=float))",
    "first_argument": "{first}",
}


def hand_in(course) -> dict:
    """This file's students of the shared graded class (tests/graded_class.py): every answer of
    every assignment a stub."""
    out = {}
    for assignment in ASSIGNMENTS:
        answers = [
            c.metadata["nbgrader"]["grade_id"]
            for c in nbformat.read(source_path(assignment), 4).cells
            if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
        ]
        for student, returns in STUB_STUDENTS.items():
            edits = {g: stubbed(returns) for g in answers}
            out[student, assignment] = fill(course, assignment, ids=[], edits=edits)
    return out


@pytest.mark.slow
def test_a_notebook_of_stubs_scores_zero_in_a_real_grading_run(graded_class):
    for assignment in ASSIGNMENTS:
        scores = auto_score(graded_class.course, assignment)
        assert all(scores[s] == 0.0 for s in STUB_STUDENTS), (assignment, scores)
