"""Backpropagation replaced by central differences, graded at the course's own cell time limit.

Exercise 3 asks for the backward pass; a student who computes every gradient by central
differences instead gets right numbers on small networks, but a hidden case of part 4 is the
784-256-10 network, where one difference per weight (some 200,000 of them, two forward passes
each) cannot finish in the time limit of ``nbgrader_config.py``. This attempt runs that whole limit
on a core, so it is graded here, in a course of its own, and not in the suite's
shared graded class (tests/graded_class.py): under ``make test`` it runs beside that class
instead of after it. Expected points come from the sources' metadata, never from the grader.
"""
from __future__ import annotations

import shutil

import pytest
from nbgrader_course import body, cell_scores, fill, graded_cell, nbgrader, points, submit
from notebook_runner import ROOT
from test_grading_attacks import A3, FD_TWO_LAYER

pytestmark = pytest.mark.slow

SMALL_PARTS = ["linear-backward", "activations-backward", "softmax-ce-backward",
               "numerical-gradient"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Exercise 3 released, one student's central differences graded with the course's
    configuration (its time limit included)."""
    course = tmp_path_factory.mktemp("finite-differences") / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A3, course / "solutions" / "source" / A3)
    nbgrader(course, "generate_assignment", A3)
    submit(course, "finite_differences", A3,
           fill(course, A3, ids=SMALL_PARTS, edits={"two-layer-backward": body(FD_TWO_LAYER)}))
    nbgrader(course, "autograde", A3)
    return course


def test_central_differences_do_not_finish_the_big_network_in_the_time_limit(course):
    scores = cell_scores(course, A3, "finite_differences")
    assert scores["test-two-layer-backward"][0] == 0.0
    outputs = graded_cell(course, "finite_differences", A3, "test-two-layer-backward").outputs
    assert any("CellTimeoutError" in (o.get("text") or "") for o in outputs), outputs
    # the parts answered honestly keep their points
    for part in ("test-linear-backward", "test-softmax-ce-backward", "test-numerical-gradient"):
        assert scores[part][0] == points(A3, [part]) > 0, (part, scores[part])
