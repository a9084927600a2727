"""Exercises 1 and 4 released and graded for variants other than the default: real nbgrader runs.

(Exercise 2's drawn variant is graded in test_variants.py, exercise 3's in
test_backprop_variants_grading.py.) Two throw-away courses each release both exercises with a
variant other than the default, their record saying which (what `make release` writes after
drawing), so the release, the hidden cases and the grader's reference all follow it; each
exercise's class: the variant's model answer as a student writes it (the numbers written in),
the upstream (default) model answer, a partial and a blank submission. Expected points come
from the source's metadata; which parts a parameter changes is stated here, and the upstream
answer must lose exactly those.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbgrader_course import (
    cell_scores,
    fill,
    nbg_meta,
    nbgrader,
    points,
    source_nb,
    submit,
)
from notebook_runner import ROOT

from grading.variants import cell_variant, default, write_record

pytestmark = pytest.mark.slow

A1, A4 = "01_neurons_perceptron", "04_approximation_depth"
# assignment -> parameter -> the graded parts whose answer depends on it (the perceptron's
# training calls the student's own update, so it follows the learning rate)
TOUCHES = {
    A1: {"weights": ["test-affine"],
         "learning_rate": ["test-perceptron-update", "test-perceptron-train"]},
    A4: {"activation": ["test-bump-network"], "peak": ["test-tent-network"]},
}
# assignment -> (answer cells a partial submission fills in, the parts that earns)
PARTIAL = {A1: (["affine"], ["test-affine"]),
           A4: (["count-regions"], ["test-count-regions"])}
# two courses, each releasing both exercises with a variant other than the default: every
# parameter changed, and one parameter alone
COURSES = [
    {A1: {"weights": "columns", "learning_rate": 0.5}, A4: {"activation": "relu", "peak": 0.25}},
    {A1: {"weights": "rows", "learning_rate": 0.25}, A4: {"activation": "sigmoid", "peak": 0.75}},
]
ASSIGNMENTS = [A1, A4]
# what each parameter's value looks like in the released text (the markdown the site renders)
SHOWN = {
    "weights": lambda v: "one neuron per " + {"rows": "row", "columns": "column"}[v],
    "learning_rate": lambda v: f"\\eta = {v}",
    "activation": lambda v: f"are {v} units",
    "peak": lambda v: f"p = {v}",
}


@pytest.fixture(scope="module", params=COURSES,
                ids=lambda c: "_".join("-".join(map(str, v.values())) for v in c.values()))
def graded(request, tmp_path_factory):
    """(course, {assignment: its variant}): released, handed in and graded."""
    variants = request.param
    course = tmp_path_factory.mktemp("variant_course") / "course"
    for assignment, variant in variants.items():
        shutil.copytree(ROOT / "solutions" / "source" / assignment,
                        course / "solutions" / "source" / assignment)
        write_record(course, assignment, variant)  # what `make release` records after drawing
        nbgrader(course, "generate_assignment", assignment)
        ids, _ = PARTIAL[assignment]
        students = {
            "own": fill(course, assignment),
            "upstream": fill(course, assignment, variant=default(assignment)),
            "partial": fill(course, assignment, ids=ids),
            "blank": fill(course, assignment, ids=[]),
        }
        for student, nb in students.items():
            submit(course, student, assignment, nb)
    nbgrader(course, "autograde", "*")
    return course, variants


def scores(course, assignment, student) -> dict[str, float]:
    return {g: s for g, (s, top) in cell_scores(course, assignment, student).items() if top}


def autograded(assignment) -> set[str]:
    """The autograded test cells' ids, from the source's metadata."""
    return {nbg_meta(c)["grade_id"] for c in source_nb(assignment).cells
            if nbg_meta(c).get("grade") and not nbg_meta(c).get("solution")}


def full(assignment, grade_ids) -> dict[str, float]:
    return {g: points(assignment, [g]) for g in grade_ids}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_shows_the_variant(graded, assignment):
    course, variants = graded
    variant = variants[assignment]
    nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    (cell,) = [c for c in nb.cells if nbg_meta(c).get("grade_id") == "variant"]
    assert cell_variant(cell.source) == variant
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name, value in variant.items():
        assert SHOWN[name](value) in text, (name, value)
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_variants_own_answer_scores_full_and_the_upstream_one_loses_what_changed(
        graded, assignment):
    course, variants = graded
    variant = variants[assignment]
    every = autograded(assignment)
    changed = {g for name, parts in TOUCHES[assignment].items()
               if variant[name] != default(assignment)[name] for g in parts}
    assert changed, "the variant differs from the default somewhere"
    assert scores(course, assignment, "own") == full(assignment, every)
    assert scores(course, assignment, "upstream") == {
        **full(assignment, every - changed), **dict.fromkeys(changed, 0.0)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_partial_and_blank_submissions_get_what_they_earned(graded, assignment):
    course, _ = graded
    _, earned = PARTIAL[assignment]
    every = autograded(assignment)
    assert scores(course, assignment, "partial") == {
        **full(assignment, earned), **dict.fromkeys(every - set(earned), 0.0)}
    assert scores(course, assignment, "blank") == dict.fromkeys(every, 0.0)
