"""A throw-away nbgrader course for the grading tests: real nbgrader runs on real notebooks.

The course folder is a temporary copy of solutions/source; nbgrader runs from the repository so
that nbgrader_config.py applies. Expected points always come from the sources' cell metadata,
never from the grader's output.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
from notebook_runner import ROOT

from grading.variants import model_answer, released

ASSIGNMENTS = ["01_neurons_perceptron", "02_losses_softmax", "03_backpropagation",
               "04_approximation_depth"]
BIN = ROOT / ".venv" / "bin"
ENV = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run nbgrader on the course in ``course``.

    It runs from the repository, so nbgrader_config.py applies.
    """
    result = subprocess.run(
        [str(BIN / "nbgrader"), *args, f"--CourseDirectory.root={course}"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
        )
    return result


def new_course(parent: Path) -> Path:
    """A course with the four assignments released (and in its gradebook)."""
    course = parent / "course"
    shutil.copytree(ROOT / "solutions" / "source", course / "solutions" / "source")
    nbgrader(course, "generate_assignment", "*")
    return course


def nbg_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def source_nb(assignment: str):
    return nbformat.read(ROOT / "solutions" / "source" / assignment / f"{assignment}.ipynb", 4)


def points(assignment: str, grade_ids=None, auto_only=True) -> float:
    """Points of the given graded cells (all autograded ones by default).

    Read from the source metadata.
    """
    total = 0.0
    for cell in source_nb(assignment).cells:
        m = nbg_meta(cell)
        if m.get("grade") and not (auto_only and m.get("solution")):
            if grade_ids is None or m["grade_id"] in grade_ids:
                total += float(m["points"])
    return total


def fill(course: Path, assignment: str, ids=None, edits=None, variant: dict | None = None):
    """The released notebook with the solution cells ``ids`` (all if None) filled in from the
    source (the model answer of ``variant``, by default the variant the course released), then
    ``edits`` (grade_id -> function of the cell's source) applied."""
    nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    # the model answer as a student writes it (the numbers written in: an answer may not read
    # VARIANT)
    variant = released(course, assignment) if variant is None else variant
    solutions = {
        nbg_meta(c)["grade_id"]: model_answer(c.source, variant)
        for c in source_nb(assignment).cells
        if nbg_meta(c).get("solution") and c.cell_type == "code"
    }
    for cell in nb.cells:
        grade_id = nbg_meta(cell).get("grade_id")
        if grade_id in solutions and (ids is None or grade_id in ids):
            cell.source = solutions[grade_id]
        if edits and grade_id in edits:
            cell.source = edits[grade_id](cell.source)
    return nb

def first_line_of_body(code: str):
    """An edit that inserts ``code`` as the first statement of the cell's function.

    The statement goes right after the function's docstring.
    """
    return lambda s: s.replace('"""\n', '"""\n    ' + code + "\n", 1)


def body(code: str):
    """An edit that replaces the answer region by ``code``.

    The region is the solution, or the released placeholder.
    """

    def edit(source):
        pattern = r"### BEGIN SOLUTION.*### END SOLUTION|raise NotImplementedError\(\)"
        return re.sub(
            pattern, lambda _: code.replace("\n", "\n    "), source, count=1, flags=re.DOTALL
        )

    return edit


def submit(course: Path, student: str, assignment: str, nb, name: str | None = None) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    if nb is None:
        (folder / "notes.txt").write_text("forgot the notebook")
    else:
        nbformat.write(nb, folder / (name or f"{assignment}.ipynb"))


def auto_score(course: Path, assignment: str, db_url: str | None = None) -> dict[str, float]:
    """Each student's autograded points, from the gradebook (default: the course's SQLite)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for s in gb.assignment_submissions(assignment):
            out[s.student_id] = round(
                sum(g.auto_score or 0.0 for nb in s.notebooks for g in nb.grades), 6
            )
        return out


def cell_scores(course: Path, assignment: str, student: str) -> dict[str, tuple[float, float]]:
    """grade_id -> (auto score, max score) of one student's graded cells, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        return {g.name: (g.auto_score, g.max_score) for nb in sub.notebooks for g in nb.grades}


def graded_cell(course: Path, student: str, assignment: str, grade_id: str):
    graded = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", 4)
    return next(c for c in graded.cells if nbg_meta(c).get("grade_id") == grade_id)


def tree_digest(root: Path, exclude=()) -> dict[str, str]:
    """sha256 of every file under ``root`` (relative path -> digest), skipping ``exclude`` parts."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not (set(rel.parts) & set(exclude)):
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# -- exercise 1's class: every kind of submission, with the points each must get ---------------

A1 = "01_neurons_perceptron"
ALL_01 = points(A1)
BROKEN_01 = {  # student -> (how the submission is built, autograded points it must get)
    "full": (lambda c: fill(c, A1), ALL_01),
    "blank": (lambda c: fill(c, A1, ids=[]), 0.0),
    "one_piece": (lambda c: fill(c, A1, ids=["affine"]), points(A1, ["test-affine"])),
    "syntax_error": (
        lambda c: fill(
            c,
            A1,
            edits={"affine": lambda s: s.replace("def affine(X, W, b):", "def affine(X, W, b)")},
        ),
        ALL_01 - points(A1, ["test-affine"]),
    ),
    # perceptron_train calls perceptron_update, so both are lost
    "exception": (
        lambda c: fill(
            c, A1, edits={"perceptron-update": first_line_of_body("raise ValueError('oops')")}
        ),
        points(A1, ["test-affine"]),
    ),
    "infinite_loop": (
        lambda c: fill(c, A1, edits={"perceptron-train": first_line_of_body("while True: pass")}),
        ALL_01 - points(A1, ["test-perceptron-train"]),
    ),
    # an infinite loop that swallows the interrupt sent at the time limit (a bare `except:`)
    "stubborn_loop": (
        lambda c: fill(
            c,
            A1,
            edits={
                "perceptron-train": first_line_of_body(
                    "while True:\n        try:\n            sum(range(10 ** 5))\n"
                    "        except:\n            pass"
                )
            },
        ),
        ALL_01 - points(A1, ["test-perceptron-train"]),
    ),
    "kernel_dies": (
        lambda c: fill(
            c, A1, edits={"perceptron-update": first_line_of_body("import os; os._exit(1)")}
        ),
        points(A1, ["test-affine"]),
    ),
    "huge_output": (
        lambda c: fill(
            c, A1, edits={"affine": first_line_of_body("print('x' * 80 + '\\n' * 20000)")}
        ),
        ALL_01,
    ),
    "warns": (
        lambda c: fill(
            c,
            A1,
            edits={
                "affine": first_line_of_body("import warnings; warnings.warn('a harmless warning')")
            },
        ),
        ALL_01,
    ),
    "deleted_test": (lambda c: _without(fill(c, A1), "test-affine"), ALL_01),
    "edited_test": (
        lambda c: fill(
            c,
            A1,
            ids=["perceptron-update", "perceptron-train"],
            edits={"test-affine": lambda s: "print('all tests pass')"},
        ),
        ALL_01 - points(A1, ["test-affine"]),
    ),
    "renamed": (lambda c: fill(c, A1), ALL_01),
    "missing": (lambda c: None, 0.0),
}


def _without(nb, grade_id):
    nb.cells = [c for c in nb.cells if nbg_meta(c).get("grade_id") != grade_id]
    return nb
