"""The autograder's notes match the score, and say when a failure follows from an earlier error.

Run on graded notebooks as nbgrader's executor leaves them (outputs in place), no kernel needed.
"""
from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook, new_output

from grading.part_names import part_names
from grading.preprocessors import AutograderNotes, StderrIsNotFailure, consequence_notes


def graded(cell_id: str, source: str, outputs, test: bool):
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade_id": cell_id, "grade": test, "solution": not test,
                                 "locked": test, "points": 3 if test else None, "schema_version": 3}
    return cell


def error(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def warning_text():
    return new_output("stream", name="stderr", text="RuntimeWarning: overflow in exp\n")


def test_warnings_in_a_cell_that_failed_are_not_said_to_cost_nothing():
    passed = graded("test-a", "check()", [warning_text()], test=True)
    failed = graded(
        "test-b", "check()", [warning_text(), error("AssertionError", "wrong values")], test=True
    )
    notes = set()
    for index, cell in enumerate([passed, failed]):
        resources = {}
        StderrIsNotFailure().preprocess_cell(cell, resources, index)
        notes |= resources["grading_notes"]
    assert any("`test-a`" in n and "cost no points" in n for n in notes), notes
    assert any("`test-b`" in n and "lost its points because of its error, not the warnings" in n
               for n in notes), notes
    assert not any("`test-b`" in n and "cost no points" in n for n in notes), notes


def test_a_name_error_after_a_syntax_error_is_called_its_consequence():
    nb = new_notebook(cells=[
        graded("affine", "def affine(X, W, b)\n    return X @ W.T + b",
               [error("SyntaxError", "expected ':'")], test=False),
        graded("helper", "def helper():\n    pass", [], test=False),
        graded("test-affine", "assert affine(1, 1, 0) == 1",
               [error("NameError", "name 'affine' is not defined")], test=True),
        graded("test-other", "assert other() == 1",          # defined nowhere: no cause to name
               [error("NameError", "name 'other' is not defined")], test=True),
    ])
    notes = consequence_notes(nb)
    assert notes == ["`test-affine` failed only because `affine` was never defined: the cell "
                     "`affine`, which defines it, has a syntax error. Fix that first."]
    nb, _ = AutograderNotes().preprocess(nb, {})
    assert notes[0] in nb.cells[0].source and "`affine` has a syntax error" in nb.cells[0].source


def test_the_consequence_is_named_when_the_verdict_turned_the_error_into_text():
    """A graded cell's kernel error no longer scores (VerdictOutside keeps it as text only): the
    notes still name it as a consequence of the earlier syntax error."""
    from grading.verdict import RAISED
    raised = new_output("stream", name="stdout",
                        text=f"{RAISED}NameError: name 'affine' is not defined\n")
    nb = new_notebook(cells=[
        graded("affine", "def affine(X, W, b)\n    return X @ W.T + b",
               [error("SyntaxError", "expected ':'")], test=False),
        graded("test-affine", "for case in handin.cases('test-affine'):\n    affine(*case)",
               [raised], test=True),
    ])
    assert consequence_notes(nb) == [
        "`test-affine` failed only because `affine` was never defined: the cell `affine`, which "
        "defines it, has a syntax error. Fix that first."]


def test_parts_are_named_by_the_notebook_s_headings():
    from nbformat.v4 import new_markdown_cell
    nb = new_notebook(cells=[
        new_markdown_cell("## Part 1 — Softmax (2 points)"), graded("softmax", "", [], test=False),
        graded("test-softmax", "", [], test=True),
        new_markdown_cell("## Part 2 — Activations (3 × 1 point)"),
        graded("test-relu", "", [], test=True), graded("test-tanh", "", [], test=True)])
    assert part_names(nb) == {"test-softmax": "Part 1 — Softmax",
                              "test-relu": "Part 2 — Activations (relu)",
                              "test-tanh": "Part 2 — Activations (tanh)"}
