"""One class of the four assignments, graded once per test session and read by many tests.

Grading is the slow part of the grading tests (a kernel per notebook, in the sandbox), and most
of them only read what one batch decided. So each test file that needs a graded class hands in
its own students (a function ``hand_in(course) -> {(student, assignment): submission}``, listed
in ``CONTRIBUTORS``), and this module grades together those of the files the session runs
(tests/conftest.py tells it which), as ``make autograde`` grades a
class: ``nbgrader autograde`` per batch, real notebooks, the real sandbox. Students of two files
with the same name and assignment must hand in the same notebook (``full``, ``blank``): one
grading serves both. The batches:

1. exercise 2's ``tamper_*`` students with the static reading of the code OFF
   (``--VerdictOutside.own_work=False``): the verdict computed outside the kernel holds alone;
2. exercise 1 with a cell time limit of 8 s (the infinite loops);
3. exercises 2 to 4 with the course's configuration (the ``tamper_*`` students are not graded
   again: nbgrader skips a graded submission).

Before grading, ``prepare`` runs as ``make autograde`` runs it (a renamed notebook, a missing
one, the roster's ``absent`` student). What the grades depend on is hashed before and after
(``GradedClass.before`` / ``after``): the repository's grading code, engine, sources and
release, ``nbgrader_config.py``, and every file of the course but nbgrader's own output.

Under pytest-xdist the first worker to ask grades, under a lock in the run's shared temporary
folder (``tmp_path_factory.getbasetemp().parent``, pytest-xdist's documented pattern), and every
other worker reuses the result; the Makefile's schedule keeps these tests on one worker, so the
other never waits. The class is read-only: a test that changes anything (a regrade, a
resubmission, feedback, an export) works on ``copy_course(graded_class, tmp_path)``.
"""
from __future__ import annotations

import fcntl
import importlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader_course import ASSIGNMENTS, nbgrader, new_course, tree_digest
from notebook_runner import ROOT

# the test modules whose students are in the class (each defines hand_in(course))
CONTRIBUTORS = ("test_exercises", "test_grading_attacks", "test_stubs")
A1 = ASSIGNMENTS[0]
A2 = ASSIGNMENTS[1]
TAMPERING = "tamper_*"           # exercise 2's students graded with the static reading off
ROSTER_ONLY = ["absent"]         # on the roster, nothing handed in


@dataclass(frozen=True)
class GradedClass:
    """The graded course (read it, never change it) and the hashes of what grading must not
    change: name -> {file -> sha256}, before and after the grading runs."""

    course: Path
    before: dict[str, dict[str, str]]
    after: dict[str, dict[str, str]]
    log: str


def copy_course(graded: GradedClass, parent: Path) -> Path:
    """A private copy of the graded course under ``parent``, for a test that changes it."""
    copy = parent / "course"
    shutil.copytree(graded.course, copy, symlinks=True)
    return copy


def _watched(course: Path) -> dict[str, dict[str, str]]:
    """What grades depend on: the configuration, the grading code, the engine, the sources, the
    release, and the course's own files (not nbgrader's output)."""
    digests = {f"repository {part}": tree_digest(ROOT / part, exclude=("__pycache__",))
               for part in ("grading", "lib", "solutions", "chapters/exercises")}
    digests["nbgrader_config.py"] = {"text": (ROOT / "nbgrader_config.py").read_text()}
    digests["course"] = tree_digest(
        course, exclude=("submitted", "autograded", "gradebook.db", "feedback",
                         ".ipynb_checkpoints"))
    return digests


def _hand_in(course: Path, contributors: tuple[str, ...]) -> None:
    from nbgrader_course import submit
    handed: dict[tuple[str, str], str] = {}
    for name in contributors:
        for (student, assignment), submission in importlib.import_module(name).hand_in(
                course).items():
            nb, filename = submission if isinstance(submission, tuple) else (submission, None)
            text = "missing" if nb is None else nbformat.writes(nb)
            if handed.setdefault((student, assignment), text) != text:
                raise ValueError(f"{name}: {student} hands in another {assignment} than "
                                 "another test file's student of that name: rename one")
            submit(course, student, assignment, nb, name=filename)


def grade(parent: Path, contributors: tuple[str, ...] = CONTRIBUTORS) -> GradedClass:
    """Build the class of ``contributors``' students in ``parent / "course"`` and grade it (see
    the module's docstring)."""
    from grading.course_secret import read_or_create
    from grading.submissions import prepare

    course = new_course(parent)
    nbgrader(course, "db", "student", "add", "absent", "--last-name=Absent", "--first-name=Ann")
    _hand_in(course, contributors)
    for assignment in ASSIGNMENTS:  # what `make autograde` runs first (renamed/missing notebooks)
        prepare(course, assignment, students=ROSTER_ONLY)
    read_or_create(course)      # the course secret, made before grading: a change to it shows
    before = _watched(course)
    runs = [
        nbgrader(course, "autograde", A2, f"--student={TAMPERING}",
                 "--VerdictOutside.own_work=False", check=False),
        nbgrader(course, "autograde", A1, "--Execute.timeout=8", check=False),
        nbgrader(course, "autograde", "0[234]_*", check=False),
    ]
    log = "\n".join(run.stdout + run.stderr for run in runs)
    return GradedClass(course, before, _watched(course), log)


def graded_class(tmp_path_factory, contributors: tuple[str, ...]) -> GradedClass:
    """The session's graded class: made once, whatever the number of xdist workers (each
    collects the same tests, so each names the same ``contributors``)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return grade(tmp_path_factory.mktemp("graded-class"), contributors)
    shared = tmp_path_factory.getbasetemp().parent / "graded-class"
    shared.mkdir(exist_ok=True)
    stamp = shared / "graded.json"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            saved = json.loads(stamp.read_text())
            return GradedClass(shared / "course", saved["before"], saved["after"], saved["log"])
        if (shared / "course").exists():           # a worker that failed half-way
            shutil.rmtree(shared / "course")
        graded = grade(shared, contributors)
        stamp.write_text(json.dumps({"before": graded.before, "after": graded.after,
                                     "log": graded.log}))
        return graded
