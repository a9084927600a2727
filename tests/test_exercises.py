"""The graded exercises, end to end: real nbgrader runs on real notebooks in a temporary course.

A synthetic class is built from the sources in solutions/source (full solutions, the blank
release, one correct piece, and every kind of broken submission), graded with the suite's shared
class (tests/graded_class.py: one autograde batch for exercise 1, one for the others), then fed
back and exported. Expected points come from the sources' cell
metadata, never from the grader's output.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from graded_class import copy_course
from nbgrader_course import (
    A1,
    ALL_01,
    ASSIGNMENTS,
    BIN,
    BROKEN_01,
    ENV,
    auto_score,
    body,
    cell_scores,
    fill,
    first_line_of_body,
    graded_cell,
    nbg_meta,
    nbgrader,
    points,
    submit,
)
from notebook_runner import ROOT
from solution_leaks import SecretIndex, document_text, find_leaks, read_secrets

from grading.variants import cell_variant, default, variant_cell, write_record

pytestmark = pytest.mark.slow


def secrets_of(assignment: str) -> SecretIndex:
    """The source's distinctive solution and hidden-test lines, read by the leak scanner."""
    index = read_secrets(ROOT / "solutions" / "source" / assignment, ROOT)
    assert {"solution", "hidden test"} <= {s.kind for s in index.secrets}, \
        f"{assignment}: no solution or hidden test found in the source"
    return index


# -- the synthetic class -------------------------------------------------------------------------

NOTES = {
    "kernel_dies": "kernel died",
    "infinite_loop": "time limit",
    "stubborn_loop": "time limit",
    "renamed": "submitted as",
    "missing": "No notebook",
    "edited_test": "had been edited",
    "deleted_test": "was missing",
    "huge_output": "truncated",
    "warns": "printed warnings",
    "syntax_error": "syntax error",
}


def hand_in(course: Path) -> dict:
    """This file's students of the shared graded class (tests/graded_class.py): exercise 1's
    every kind of submission (graded with a cell time limit of 8 s, for the infinite loops);
    for exercises 2-4 full and blank; a correct answer that warns; a softmax (part 3) that hands
    the work to the library; exactly one correct piece of the backpropagation exercise. The
    roster's ``absent`` student hands in nothing."""
    out = {}
    for student, (build, _) in BROKEN_01.items():
        nb = build(course)
        out[student, A1] = (nb, f"{A1}-Copy1.ipynb") if student == "renamed" else nb
    for assignment in ASSIGNMENTS[1:]:
        out["full", assignment] = fill(course, assignment)
        out["blank", assignment] = fill(course, assignment, ids=[])
    out["warns", "02_losses_softmax"] = fill(
        course,
        "02_losses_softmax",
        edits={
            "sigmoid": first_line_of_body("import warnings; warnings.warn('a harmless warning')")
        },
    )
    out["uses_lib", "02_losses_softmax"] = fill(
        course, "02_losses_softmax", edits={"softmax": body("return F.softmax(Z)")}
    )
    out["one_piece", "03_backpropagation"] = fill(
        course, "03_backpropagation", ids=["linear-backward"]
    )
    return out


@pytest.fixture
def course(graded_class):
    """The course with the four assignments released and the class graded (read only)."""
    return graded_class.course


@pytest.fixture
def own_course(graded_class, tmp_path):
    """A copy of the graded course, for a test that changes it."""
    return copy_course(graded_class, tmp_path)


def released_variant(tmp_path: Path, assignment: str, variant: dict):
    """``assignment`` released (nbgrader) with ``variant`` recorded, in a course of its own."""
    other = tmp_path / f"variant-{assignment}"
    shutil.copytree(ROOT / "solutions" / "source" / assignment,
                    other / "solutions" / "source" / assignment)
    write_record(other, assignment, variant)
    nbgrader(other, "generate_assignment", assignment)
    return nbformat.read(other / "release" / assignment / f"{assignment}.ipynb", 4)


def test_released_notebooks_are_generated_from_the_sources_and_hold_no_solution(course, tmp_path):
    for assignment in ASSIGNMENTS:
        committed = nbformat.read(ROOT / "chapters" / "exercises" / f"{assignment}.ipynb", 4)
        fresh = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
        # the repository's exercises are the upstream variant; a course's own copy may show the
        # variant its `make release` drew (generated again here, with that variant)
        cell = variant_cell(committed)
        variant = cell_variant(cell.source) if cell is not None else {}
        if variant and variant != default(assignment):
            fresh = released_variant(tmp_path, assignment, variant)
        simplify = lambda nb: [(c.cell_type, c.source, nbg_meta(c)) for c in nb.cells]
        assert simplify(committed) == simplify(fresh), (
            f"chapters/exercises/{assignment}.ipynb differs from what solutions/ generates: "
            "run `make release`"
        )
        assert committed.metadata.get("mystnb", {}).get("execution_mode") == "off", (
            "released notebooks must not be executed by the book build"
        )
        leaks = find_leaks(
            secrets_of(assignment), [ROOT / "chapters" / "exercises" / f"{assignment}.ipynb"], ROOT
        )
        assert not leaks, "\n".join(map(str, leaks))


def test_full_solutions_get_full_marks_and_blank_releases_get_zero(course):
    for assignment in ASSIGNMENTS:
        got = auto_score(course, assignment)
        assert got["full"] == points(assignment) > 0, (assignment, got)
        assert got["blank"] == 0.0, (assignment, got)


def test_one_correct_piece_gets_exactly_its_points(course):
    assert auto_score(course, A1)["one_piece"] == points(A1, ["test-affine"]) == 3.0
    got = auto_score(course, "03_backpropagation")["one_piece"]
    assert got == points("03_backpropagation", ["test-linear-backward"]) == 3.0


def test_a_correct_answer_that_prints_warnings_keeps_its_points(course):
    assert auto_score(course, "02_losses_softmax")["warns"] == points("02_losses_softmax")
    test_cell = graded_cell(course, "warns", "02_losses_softmax", "test-sigmoid")
    printed = "".join(o.get("text", "") for o in test_cell.outputs)
    assert "[stderr]" in printed and "a harmless warning" in printed, printed[:500]


def test_calling_the_library_earns_nothing_for_the_parts_that_reach_it(course):
    scores = cell_scores(course, "02_losses_softmax", "uses_lib")
    # the part that calls the library scores 0, and so does the part whose function calls it
    # (softmax_cross_entropy calls softmax); the others keep their points
    assert scores == {
        g: (0.0 if g in ("test-softmax", "test-softmax-ce") else top, top)
        for g, (_, top) in scores.items()
    }, scores
    test_cell = graded_cell(course, "uses_lib", "02_losses_softmax", "test-softmax")
    printed = "".join(o.get("text", "") for o in test_cell.outputs)
    assert "lib.functional.softmax" in printed and "no credit" in printed, printed[:800]
    notes = (
        nbformat.read(
            course / "autograded" / "uses_lib" / "02_losses_softmax" / "02_losses_softmax.ipynb", 4
        )
        .cells[0]
        .source
    )
    assert "uses `F`, which this part may not use" in notes, notes


def test_every_broken_submission_is_graded_as_what_it_is_and_the_batch_goes_on(course):
    got = auto_score(course, A1)
    for student, (_, expected) in BROKEN_01.items():
        assert got.get(student) == expected, (
            f"{student}: got {got.get(student)}, expected {expected}"
        )
    assert got.get("absent") == 0.0, "a student of the roster without a submission is graded 0"
    for student, phrase in NOTES.items():
        graded = nbformat.read(course / "autograded" / student / A1 / f"{A1}.ipynb", 4)
        assert phrase in graded.cells[0].source, (student, graded.cells[0].source)
    full = nbformat.read(course / "autograded" / "full" / A1 / f"{A1}.ipynb", 4)
    assert "autograder-notes" not in full.cells[0].source, "a clean submission gets no notes"


def test_rerunning_autograde_changes_only_what_is_graded_again(own_course):
    course = own_course
    before = auto_score(course, A1)
    graded = course / "autograded" / "blank" / A1 / f"{A1}.ipynb"
    mtime = graded.stat().st_mtime
    nbgrader(course, "autograde", A1, check=False)  # nothing new: nothing changes
    assert auto_score(course, A1) == before and graded.stat().st_mtime == mtime
    submit(course, "one_piece", A1, fill(course, A1))  # a resubmission, graded again
    nbgrader(course, "autograde", A1, "--student=one_piece", "--force")
    after = auto_score(course, A1)
    assert after["one_piece"] == ALL_01
    assert {k: v for k, v in after.items() if k != "one_piece"} == {
        k: v for k, v in before.items() if k != "one_piece"
    }


def test_feedback_never_shows_hidden_tests(own_course):
    course = own_course
    # the pages read below, every student's; of exercises 2 and 4, a full solution's
    nbgrader(course, "generate_feedback", "0[13]_*")
    nbgrader(course, "generate_feedback", "0[24]_*", "--student=full")
    assert len(list((course / "feedback" / "full").glob("0[24]_*/*.html"))) == 2
    for assignment in (A1, "03_backpropagation"):
        hidden = [s.line for s in secrets_of(assignment).secrets if s.kind == "hidden test"]
        pages = sorted((course / "feedback").glob(f"*/{assignment}/*.html"))
        assert len(pages) >= 3
        for page in pages:
            text = document_text(page)
            assert "BEGIN HIDDEN TESTS" not in text
            leaked = [line for line in hidden if line in text]
            assert not leaked, f"{page}: hidden test code in feedback: {leaked[:3]}"
    # the same reading finds visible test code and the autograder's notes in the feedback
    text = document_text(course / "feedback" / "kernel_dies" / A1 / f"{A1}.html")
    assert 'with forbid(lib.nn.Linear.forward, piece="affine"):' in text
    assert "kernel died" in text
    # and the hidden tests, with the inputs drawn for this student, were really in the graded
    # notebook the feedback was made from; the feedback shows neither
    graded = (course / "autograded" / "full" / A1 / f"{A1}.ipynb").read_text()
    assert "BEGIN HIDDEN TESTS" in graded
    drawn = re.search(r'handin\.cases\(\\"test-affine\\", \\"([A-Za-z0-9+/=]{40})', graded)
    assert drawn, "the hidden inputs were filled in"
    feedback = (course / "feedback" / "full" / A1 / f"{A1}.html").read_text()
    assert drawn.group(1) not in feedback and "vnd.nn-course.values" not in feedback


def test_export_lists_every_student(course, tmp_path):
    out = tmp_path / "grades.csv"
    nbgrader(course, "export", f"--to={out}")
    rows = list(csv.DictReader(out.open()))
    students = {r["student_id"] for r in rows}
    assert set(BROKEN_01) | {"absent", "warns", "one_piece"} <= students
    full = [r for r in rows if r["student_id"] == "full" and r["assignment"] == A1]
    assert float(full[0]["score"]) == ALL_01


def _validate(course: Path, paths: list[Path]) -> str:
    """nbgrader validate's log and report, interleaved as printed."""
    return subprocess.run(
        [str(BIN / "nbgrader"), "validate", *map(str, paths), f"--CourseDirectory.root={course}"],
        cwd=ROOT,
        env=ENV,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=900,
    ).stdout


def test_validate_passes_on_solutions_and_fails_on_blank_releases(course):
    solutions = [course / "solutions" / "source" / a / f"{a}.ipynb" for a in ASSIGNMENTS]
    blanks = [course / "release" / a / f"{a}.ipynb" for a in ASSIGNMENTS]
    out = _validate(course, solutions + blanks)
    # nbgrader validate reports each notebook in turn, in the order given
    reports = re.split(r"\[ValidateApp \| INFO\] Validating '", out)[1:]
    assert len(reports) == 8, out[-3000:]
    for path, report in zip(solutions + blanks, reports):
        passed = "Success! Your notebook passes all the tests." in report
        assert passed == (path in solutions), f"{path}:\n{report[-1500:]}"


# -- the checks students read (fast, no nbgrader) ------------------------------------------------


def test_checks_report_type_then_shape_then_values():
    import numpy as np

    from lib.exercises.checks import check_array

    expected = np.zeros((2, 3))
    for got, phrase in [
        (None, "forget to `return`"),
        ([[0.0] * 3] * 2, "should be a NumPy array"),
        (np.zeros((2, 3), dtype=int), "integer dtype"),
        (np.zeros((3, 2)), "transposed"),
        (np.full((2, 3), np.nan), "contains nan"),
        (np.eye(2, 3), "wrong values"),
    ]:
        with pytest.raises(AssertionError, match=re.escape(phrase)):
            check_array("Z", got, expected)
    check_array("Z", np.zeros((2, 3)) + 1e-12, expected)


def test_check_gradients_names_the_wrong_gradient_and_by_how_much():
    import numpy as np

    from lib.exercises.checks import check_gradients

    rng = np.random.default_rng(0)
    ref = {
        "dx": rng.standard_normal((4, 3)),
        "dW": rng.standard_normal((2, 3)),
        "db": rng.standard_normal(2),
    }
    got = dict(ref, dW=2 * ref["dW"])
    with pytest.raises(AssertionError) as info:
        check_gradients(got, ref)
    message = str(info.value)
    assert "dW is wrong" in message and "2 times" in message and "dx, db are right" in message
    assert "dx is wrong" not in message and "db is wrong" not in message
    with pytest.raises(AssertionError, match="wrong sign"):
        check_gradients(dict(ref, db=-ref["db"]), ref)
    with pytest.raises(AssertionError, match=r"db has shape \(1, 2\)"):
        check_gradients(dict(ref, db=ref["db"].reshape(1, 2)), ref)
    check_gradients(ref, ref)


def test_forbid_catches_every_route_to_the_library_and_restores_it():
    import numpy as np

    import lib.functional
    import lib.nn
    from lib.exercises.checks import UsedLibraryImplementation, forbid
    from lib.functional import softmax  # bound before the block

    class MyLinear(lib.nn.Linear):
        def backward(self, grad_out):
            return super().backward(grad_out)

    layer = MyLinear(2, 3, rng=0)
    layer.forward(np.ones((1, 2)))
    with forbid(lib.functional.softmax, lib.nn.Linear.backward, piece="this part"):
        with pytest.raises(UsedLibraryImplementation, match="lib.functional.softmax"):
            softmax(np.zeros((1, 2)))
        with pytest.raises(UsedLibraryImplementation, match="Linear.backward"):
            layer.backward(np.ones((1, 3)))
    assert np.allclose(softmax(np.zeros((1, 2))), 0.5)
    assert layer.backward(np.ones((1, 3))).shape == (1, 2)


def test_zip_collect_files_a_canvas_download_under_each_student(course, tmp_path):
    import zipfile

    other = tmp_path / "course"
    shutil.copytree(course / "release", other / "release")
    archive = other / "downloaded" / A1 / "archive"
    archive.mkdir(parents=True)
    notebook = (course / "release" / A1 / f"{A1}.ipynb").read_text()
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zf:
        zf.writestr(f"jdoe_1234_5678_{A1}.ipynb", notebook)
        zf.writestr(f"asmith_LATE_1235_5679_{A1}-1.ipynb", notebook)  # a resubmission
    nbgrader(other, "zip_collect", A1)
    for student in ("jdoe", "asmith"):
        assert (other / "submitted" / student / A1 / f"{A1}.ipynb").read_text() == notebook
