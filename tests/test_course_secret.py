"""The course secret (grading/course_secret.py): made once, kept out of git, one setting for every
seed, and grading refuses a public one. Real nbgrader runs on exercise 1.

The attack it stops: the hidden inputs' seed used to mix in the course id, which the public
repository names, so a student could compute their own hidden inputs offline, compute the answers
(with the course library, or the solutions of the public repository), and hand in a table of them
instead of code. ``mallory`` does exactly that here, with the course id as the secret; the table is
first shown to pass the grader's own judge on those inputs (so the attack is real), then graded.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader_course import ENV, fill, nbgrader, points
from notebook_runner import ROOT

from grading.course_secret import MIN_LENGTH, problem, read_or_create
from grading.parts import PARTS, paths
from grading.verdict import draw_seed, part_inputs, solution_namespace

pytestmark = pytest.mark.slow

A1 = "01_neurons_perceptron"
PUBLIC_ID = "shallow-to-deep"          # nbgrader_config.py's course id
SOURCE = ROOT / "solutions" / "source" / A1 / f"{A1}.ipynb"
FILLED = re.compile(r'handin\.cases\("(?P<grade_id>[\w-]+)", "(?P<inputs>[^"]*)"\)')


def test_the_secret_is_made_once_private_and_reused(tmp_path):
    first = read_or_create(tmp_path)
    path = tmp_path / "course_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and int(first, 16) >= 0
    assert read_or_create(tmp_path) == first
    assert path.read_text().strip() == first
    other = tmp_path / "other"
    other.mkdir()
    assert read_or_create(other) != first, "two courses, two secrets"


def test_a_link_in_place_of_the_secret_is_not_followed(tmp_path):
    (tmp_path / "elsewhere").write_text("a" * 64)
    (tmp_path / "course_secret").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError):
        read_or_create(tmp_path)


def test_public_and_short_secrets_are_refused():
    assert "public" in problem("", PUBLIC_ID)
    assert "public" in problem(PUBLIC_ID, PUBLIC_ID)
    assert "public" in problem("my-course-2027", "my-course-2027")
    assert f"at least {MIN_LENGTH}" in problem("hunter2", PUBLIC_ID)
    assert problem("7f3a" * 8, PUBLIC_ID) is None


def test_the_secret_never_enters_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", "course_secret"], cwd=ROOT)
    assert ignored.returncode == 0, "course_secret is not git-ignored"
    tracked = subprocess.run(["git", "ls-files", "course_secret"], cwd=ROOT, capture_output=True,
                             text=True).stdout
    assert not tracked


def test_the_readme_backs_the_secret_up_with_the_gradebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    backup = next(line for line in readme.splitlines() if "Back up" in line)
    assert "gradebook.db" in backup and "course_secret" in backup


# -- the attack: answers computed offline for the inputs the course id predicts ----------------

def predicted_cases(student: str, secret: str) -> list[dict]:
    """The hidden inputs of ``test-affine`` that ``secret`` gives ``student``, decoded."""
    part = PARTS[A1]["test-affine"]
    _, cases = part_inputs(part, draw_seed(secret, A1, student, "test-affine"))
    return cases[part.visible:]


def _key(X) -> str:
    return repr((np.shape(X), round(float(np.sum(X)), 6)))


def answer_table(student: str) -> dict[str, list]:
    """Offline, from the public repository: the answers to the predicted hidden inputs."""
    affine = solution_namespace(SOURCE)["affine"]
    return {_key(c["X"]): np.asarray(affine(c["X"], c["W"], c["b"])).tolist()
            for c in predicted_cases(student, PUBLIC_ID)}


def table_submission(course: Path, student: str):
    """The blank release whose ``affine`` looks its answer up in the table (no computation)."""
    code = (f"TABLE = {answer_table(student)!r}\n"
            "key = repr((np.shape(X), round(float(np.sum(X)), 6)))\n"
            "return np.array(TABLE[key]) if key in TABLE else np.zeros((len(X), len(b)))")
    return fill(course, A1, ids=[], edits={"affine": lambda s: re.sub(
        r"raise NotImplementedError\(\)", lambda _: code.replace("\n", "\n    "), s, count=1)})


def test_the_table_would_score_with_the_course_id_as_secret():
    """The attack is real: on the inputs the course id predicts, the grader's own judge accepts
    every answer of the table (no nbgrader run: the judge itself, in this process)."""
    part = PARTS[A1]["test-affine"]
    table = answer_table("mallory")
    solution = solution_namespace(SOURCE)
    for case in predicted_cases("mallory", PUBLIC_ID):
        assert part.judge(case, paths(np.array(table[_key(case["X"])])), solution) == []


def new_course(parent: Path) -> Path:
    course = parent / "course"
    shutil.copytree(SOURCE.parent, course / "solutions" / "source" / A1)
    nbgrader(course, "generate_assignment", A1)
    return course


def submit(course: Path, student: str, nb) -> None:
    folder = course / "submitted" / student / A1
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{A1}.ipynb")


def autograde(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "nbgrader"), "autograde", A1,
                           f"--CourseDirectory.root={course}", "--Execute.timeout=30", *args],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=1200)


def scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student_id: s.score for s in gb.assignment_submissions(A1)}


def filled_inputs(course: Path, student: str) -> dict[str, str]:
    """grade_id -> the encoded inputs HiddenInputs filled into the student's graded notebook."""
    nb = nbformat.read(course / "autograded" / student / A1 / f"{A1}.ipynb", 4)
    return {m["grade_id"]: m["inputs"] for c in nb.cells for m in FILLED.finditer(c.source)}


@pytest.fixture(scope="module")
def two_courses(tmp_path_factory):
    """Two courses, each graded twice (the second a forced re-grade): ann (honest), blank, and
    mallory (the answer table)."""
    out = []
    for name in ("one", "two"):
        course = new_course(tmp_path_factory.mktemp(name))
        submit(course, "ann", fill(course, A1))
        submit(course, "blank", fill(course, A1, ids=[]))
        submit(course, "mallory", table_submission(course, "mallory"))
        assert not (course / "course_secret").exists()
        first = autograde(course)
        assert first.returncode == 0, first.stderr[-3000:]
        secret = (course / "course_secret").read_text()
        graded = {s: filled_inputs(course, s) for s in ("ann", "mallory")}
        got = scores(course)
        again = autograde(course, "--force")
        assert again.returncode == 0, again.stderr[-3000:]
        out.append({"course": course, "secret": secret, "scores": got, "inputs": graded,
                    "scores_again": scores(course),
                    "inputs_again": {s: filled_inputs(course, s) for s in ("ann", "mallory")},
                    "secret_again": (course / "course_secret").read_text()})
    return out


def test_grading_makes_the_secret_once_and_a_regrade_is_identical(two_courses):
    for graded in two_courses:
        path = graded["course"] / "course_secret"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert graded["secret_again"] == graded["secret"]
        assert graded["inputs_again"] == graded["inputs"]
        assert graded["scores_again"] == graded["scores"]
        assert set(graded["inputs"]["ann"]) == set(PARTS[A1]), graded["inputs"]["ann"]


def test_two_courses_draw_different_hidden_inputs(two_courses):
    one, two = two_courses
    assert one["secret"] != two["secret"]
    differ = [g for g in one["inputs"]["ann"] if one["inputs"]["ann"][g] != two["inputs"]["ann"][g]]
    # every part draws hidden inputs from the seed (test-affine's shapes, the others' values)
    assert sorted(differ) == sorted(PARTS[A1]), differ


def test_answers_computed_offline_from_the_course_id_score_no_more_than_blank(two_courses):
    for graded in two_courses:
        got = graded["scores"]
        assert got["ann"] == points(A1) > 0, got
        assert got["blank"] == 0.0
        assert got["mallory"] <= got["blank"], got


def refused(run: subprocess.CompletedProcess, course: Path) -> str:
    log = run.stdout + run.stderr
    assert run.returncode != 0, log[-3000:]
    assert "Grading stops" in log, log[-3000:]
    assert not any((course / "autograded").glob(f"*/{A1}")), "nothing half-graded is left"
    return log


def test_grading_refuses_a_public_secret_with_a_clear_message(tmp_path):
    course = new_course(tmp_path)
    submit(course, "ann", fill(course, A1))
    log = refused(autograde(course, f"--CourseSecret.secret={PUBLIC_ID}"), course)
    assert f"the course secret is '{PUBLIC_ID}', which is public" in log
    assert "secrets.token_hex(32)" in log and "course_secret" in log
    log = refused(autograde(course, "--CourseSecret.secret="), course)
    assert "the course secret is empty" in log
    # one setting: the old, separate salt of the verdict alone is refused, not half-applied
    log = refused(autograde(course, "--VerdictOutside.salt=a-long-private-salt-b81c"), course)
    assert "VerdictOutside.salt is no longer a setting" in log and "CourseSecret.secret" in log
    # the file holding the course id is refused too
    (course / "course_secret").write_text(PUBLIC_ID + "\n")
    os.chmod(course / "course_secret", 0o600)
    log = refused(autograde(course), course)
    assert "which is public" in log
    # with the file removed, the same command grades: a random secret is made
    (course / "course_secret").unlink()
    run = autograde(course)
    assert run.returncode == 0, run.stderr[-3000:]
    assert scores(course) == {"ann": points(A1)}
