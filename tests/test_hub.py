"""A term through nbgrader's exchange, as on a JupyterHub: students are real Unix users.

The instructor (this process, root, as a hub's grading account may be) runs only the Makefile's
targets: ``make release``, ``make hub-release``, ``make hub-collect``, ``make autograde`` (in the
sandbox), ``make hub-feedback``, ``make export``. Each student is an ordinary user made with
``useradd``, with their own home and their own ``~/.jupyter/nbgrader_config.py`` naming the
exchange, and runs nbgrader's student commands as themselves: ``fetch_assignment``, an edit of the
notebook, ``submit``, ``fetch_feedback``. Two students: one hands in every answer, one the first
part only, and then submits his notebook under the first student's name; a third, on the roster,
hands in nothing. Exercise 2 is released for the book but never set (no due date, no
submission): nobody misses it. Every instructor command runs with an ``npm`` that fails first on
the PATH: feedback needs neither npm nor the network.

Expected points come from the sources' cell metadata, never from the grader's output.
"""
from __future__ import annotations

import csv
import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from nbgrader_course import nbg_meta, points, source_nb
from notebook_runner import ROOT
from solution_leaks import document_text

from grading.variants import model_answer, released

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="making Unix users needs root"),
]

A1, A2 = "01_neurons_perceptron", "02_losses_softmax"
COURSE_ID = "shallow-to-deep"
PYTHON = ROOT / ".venv" / "bin" / "python"
NBGRADER = ROOT / ".venv" / "bin" / "nbgrader"
NOISE = ("not recognized by", "display_data_priority", "Unwritable directory", "Traceback")

# run as the student: put the given answers (grade_id -> source) into the fetched notebook
EDIT = """
import json, sys, nbformat
path, answers = sys.argv[1], json.load(open(sys.argv[2]))
nb = nbformat.read(path, 4)
for cell in nb.cells:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id in answers:
        cell.source = answers[grade_id]
nbformat.write(nb, path)
"""


def make(course: Path, target: str, *args: str) -> str:
    no_npm = course.parent / "no-npm"
    if not (no_npm / "npm").exists():
        no_npm.mkdir(exist_ok=True)
        (no_npm / "npm").write_text("#!/bin/sh\necho 'npm: not available here' >&2\nexit 127\n")
        (no_npm / "npm").chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"COURSE={course}", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800,
        env=dict(os.environ, PATH=f"{no_npm}:{os.environ['PATH']}"),
    )
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout[-6000:]}"
    return result.stdout


class Student:
    """An ordinary Unix user with a home of their own, who runs nbgrader's student commands."""

    def __init__(self, name: str, homes: Path, exchange: Path):
        self.name, self.home = name, homes / name
        subprocess.run(["useradd", "--create-home", "--home-dir", str(self.home),
                        "--shell", "/bin/sh", "--user-group", name], check=True)
        self.uid = pwd.getpwnam(name).pw_uid
        config = self.home / ".jupyter" / "nbgrader_config.py"
        self.run("mkdir", "-p", str(config.parent))
        self.run("sh", "-c", f"cat > {config}", input=(
            f"c.Exchange.root = {str(exchange)!r}\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"))

    def run(self, *command: str, input: str | None = None, check: bool = True):
        user = pwd.getpwnam(self.name)
        env = {"HOME": str(self.home), "USER": self.name, "LOGNAME": self.name,
               "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8"}
        result = subprocess.run(
            ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
             "--", *command],
            cwd=self.home, env=env, input=input, capture_output=True, text=True, timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{self.name}: {' '.join(command)} failed:\n"
                                 f"{result.stdout}\n{result.stderr[-4000:]}")
        return result

    def nbgrader(self, *args: str, check: bool = True):
        return self.run(str(NBGRADER), *args, check=check)

    def python(self, code: str, *args: str, check: bool = True):
        return self.run(str(PYTHON), "-c", code, *args, check=check)

    def remove(self) -> None:
        subprocess.run(["userdel", "--remove", self.name], capture_output=True)


def answers(course: Path, grade_ids) -> dict[str, str]:
    """The instructor's solution of each given answer cell, for the variant the course released
    (what a student who knows it writes: the numbers in, ``VARIANT`` not read)."""
    variant = released(course, A1)
    return {nbg_meta(c)["grade_id"]: model_answer(c.source, variant) for c in source_nb(A1).cells
            if nbg_meta(c).get("solution") and nbg_meta(c)["grade_id"] in grade_ids}


@pytest.fixture
def hub(tmp_path):
    """An exchange and two students' homes in a folder they can reach; removed afterwards."""
    shared = Path(tempfile.mkdtemp(prefix="nn-hub-"))
    shared.chmod(0o755)
    exchange = shared / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)             # as an administrator makes it (README)
    (shared / "homes").mkdir(mode=0o755)
    tag = uuid.uuid4().hex[:6]
    students = []
    try:
        for who in ("a", "b"):
            students.append(Student(f"nnc{tag}{who}", shared / "homes", exchange))
        yield shared, exchange, students
    finally:
        for student in students:
            student.remove()
        shutil.rmtree(shared, ignore_errors=True)


def test_a_term_through_the_exchange(tmp_path, hub):
    shared, exchange, (alice, bob) = hub
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "source", course / "solutions" / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "deadlines.toml").write_text(f"{A1} = 2099-01-01T12:00:00Z\n")
    (tmp_path / "students.csv").write_text(
        f"id,first_name,last_name,email\n{alice.name},A,A,a@x.org\n{bob.name},B,B,b@x.org\n"
        "carol,C,C,c@x.org\n")
    hub_args = (f"ASSIGNMENT={A1}", f"EXCHANGE={exchange}")

    make(course, "release", f"ASSIGNMENT={A1} {A2}")
    make(course, "roster", f"ROSTER={tmp_path / 'students.csv'}")
    out = make(course, "hub-release", *hub_args)
    assert f"{A1}: released to {exchange}" in out
    course_dir = exchange / COURSE_ID
    assert stat.S_IMODE((course_dir / "inbound").stat().st_mode) & 0o777 == 0o733

    # -- the students fetch, work and submit, each as themselves -----------------------------------
    everything = [nbg_meta(c)["grade_id"] for c in source_nb(A1).cells
                  if nbg_meta(c).get("solution") and c.cell_type == "code"]
    for student, ids in ((alice, everything), (bob, ["affine"])):
        student.nbgrader("fetch_assignment", A1)
        notebook = student.home / A1 / f"{A1}.ipynb"
        assert notebook.stat().st_uid == student.uid
        plan = shared / f"{student.name}.json"
        plan.write_text(json.dumps(answers(course, ids)))
        plan.chmod(0o644)
        student.python(EDIT, str(notebook), str(plan))
        student.nbgrader("submit", A1)

    # bob can neither list the inbound folder nor find alice's submission in it
    listing = bob.python(f"import os; os.listdir({str(course_dir / 'inbound')!r})", check=False)
    assert listing.returncode != 0 and "PermissionError" in listing.stderr
    found = bob.python(f"import glob; print(glob.glob({str(course_dir / 'inbound')!r} + '/*'))")
    assert found.stdout.strip() == "[]"
    # ... and his notebook, submitted later under alice's name, is refused at collection
    bob.nbgrader("submit", A1, f"--student={alice.name}")

    # -- the instructor collects, grades in the sandbox and returns the feedback -------------------
    out = make(course, "hub-collect", *hub_args)
    assert f"{alice.name}/{A1}: new" in out and f"{bob.name}/{A1}: new" in out, out
    assert f"refused {alice.name}+{A1}+" in out
    assert f"made by {bob.name}, not by {alice.name}" in out
    for student in (alice, bob):
        submitted = course / "submitted" / student.name / A1
        assert (submitted / "timestamp.txt").read_text().strip()
        assert len(list((course / "arrivals" / student.name / A1).iterdir())) == 1
    assert "2 unchanged" in make(course, "hub-collect", *hub_args)  # a second collect: nothing new

    out = make(course, "autograde", f"ASSIGNMENT={A1}")
    assert not any(noise in out for noise in NOISE), out
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        got = {s.student_id: s.score for s in gb.assignment_submissions(A1)}
    assert got == {alice.name: points(A1), bob.name: points(A1, ["test-affine"])}

    out = make(course, "hub-feedback", *hub_args)
    assert not any(noise in out for noise in NOISE), out
    assert f"{A1}: feedback of 2 student(s) in the exchange" in out
    listing = bob.python(f"import os; os.listdir({str(course_dir / 'feedback')!r})", check=False)
    assert listing.returncode != 0 and "PermissionError" in listing.stderr

    pages = {}
    for student in (alice, bob):
        student.nbgrader("fetch_feedback", A1)
        fetched = list((student.home / A1 / "feedback").glob("*/*.html"))
        assert len(fetched) == 1, fetched       # their own page, and only it
        pages[student.name] = fetched[0].read_text(encoding="utf-8")
    from grading.feedback import MATHJAX
    assert "node_modules" not in str(MATHJAX)
    for student, score in ((alice, points(A1)), (bob, points(A1, ["test-affine"]))):
        html = pages[student.name]
        assert 'src="mathjax/' not in html and "MathJax" in html, "the page needs MathJax beside it"
        text = document_text_of(html, tmp_path / f"{student.name}.html")
        assert f"{A1} (Score: {score:.1f} / {points(A1):.1f})" in text, text[:400]
        assert "No response." not in text

    # the export: exercise 1, set and due; exercise 2 was never set, so nobody misses it
    out = make(course, "export")
    assert "2 graded, 0 awaiting hand grading, 1 missing" in out, out
    rows = list(csv.DictReader((course / "grades.csv").open()))
    assert {(r["student_id"], r["assignment"], r["status"], r["score"]) for r in rows} == {
        (alice.name, A1, "graded", str(points(A1))),
        (bob.name, A1, "graded", str(points(A1, ["test-affine"]))),
        ("carol", A1, "missing", "")}
    make(course, "export", f"ASSIGNMENT={A2}")
    assert list(csv.DictReader((course / "grades.csv").open())) == []


def document_text_of(html: str, path: Path) -> str:
    path.write_text(html, encoding="utf-8")
    return document_text(path)
