"""A whole term of teaching through the Makefile's instructor targets and real nbgrader runs.

Two deadlines (exercises 1 and 3), a class of four (one never hands anything in), a late
resubmission arriving in an LMS zip, a late first submission, a part graded by hand (through
nbgrader's gradebook API, as the formgrader's grade box does), a written part left blank (0 at
once, named "left blank" on the page, in the table and in the export), feedback before and after
hand grading, a too-strict hidden test fixed mid-term (README, "Fixing a test during the term"),
and the export (exercise 2, released for the book but never set, is not in it). Expected points
come from the sources' cell metadata and the late policy's rule (10 % of the points per started
day), never from the grader's output.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
from notebook_runner import ROOT
from solution_leaks import document_text
from test_exercises import fill, nbg_meta, points

pytestmark = pytest.mark.slow

A1, A3 = "01_neurons_perceptron", "03_backpropagation"
DUE1 = dt.datetime(2027, 2, 12, 23, 59, tzinfo=dt.UTC)
DUE3 = dt.datetime(2027, 3, 12, 23, 59, tzinfo=dt.UTC)
WRITTEN = "written-linear-depth"
ROSTER = "id,first_name,last_name,email\nalice,Alice,A,a@x.org\nbob,Bob,B,b@x.org\n" \
         "carol,Carol,C,c@x.org\ndave,Dave,D,d@x.org\n"
STRICT = 'assert False, "a too-strict hidden test"\n'
A2 = "02_losses_softmax"        # released, never set: no due date, no submission
BLANK_WRITTEN = "Part 9 — Why is backpropagation linear in depth? (left blank)"
# nbgrader's and traitlets' noise that the course's own configuration used to cause
NOISE = ("not recognized by", "display_data_priority", "No response.")


def make(course: Path, target: str, *args: str, check: bool = True) -> str:
    """Run one instructor target of the Makefile on the course in ``course``; its whole output."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"COURSE={course}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1800,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"make {target} {' '.join(args)} failed:\n{result.stdout[-6000:]}")
    return result.stdout


def hand_in(inbox: Path, student: str, assignment: str, nb, at: dt.datetime) -> None:
    """A submission folder as a student's download would be: the notebook, last saved at ``at``."""
    folder = inbox / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    os.utime(path, (at.timestamp(), at.timestamp()))


def with_written_answer(nb, text: str):
    for cell in nb.cells:
        if nbg_meta(cell).get("grade_id") == WRITTEN:
            cell.source = text
    return nb


def gradebook(course: Path):
    from nbgrader.api import Gradebook
    return Gradebook(f"sqlite:///{course / 'gradebook.db'}")


def scores(course: Path, assignment: str) -> dict[str, tuple[float, float]]:
    """student -> (score before the late penalty, late penalty), read from the gradebook."""
    with gradebook(course) as gb:
        return {s.student_id: (s.score, s.late_submission_penalty or 0.0)
                for s in gb.assignment_submissions(assignment)}


def written_grade(course: Path, student: str):
    with gradebook(course) as gb:
        g = gb.find_grade(WRITTEN, A3, A3, student)
        return g.manual_score, g.needs_manual_grade


def page(course: Path, student: str, assignment: str) -> Path:
    return course / "feedback" / student / assignment / f"{assignment}.html"


def penalty(points_: float, late: dt.timedelta) -> float:
    """The course's late policy, from its definition: 10 % of the points per started day."""
    return min(1.0, 0.1 * -(-late.total_seconds() // 86400)) * points_


def assert_offline_page(path: Path) -> str:
    """A feedback page that renders its maths offline and names its parts; its text."""
    html = path.read_text()
    assert "cdnjs" not in html and 'src="http' not in html, (
        f"{path} loads a script from another host"
    )
    assert (
        'src="mathjax/tex-svg.js"' in html
        and (path.parent / "mathjax" / "tex-svg.js").stat().st_size > 10**6
    )
    text = document_text(path)
    assert "Test cell" not in text and "Part 1 —" in text
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def formgrader_page(course: Path, submission_id: str) -> str:
    """Start `make formgrader` on the course, fetch a submission's grading page, stop the server."""
    port, token = free_port(), "term-test"
    server = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(ROOT), "formgrader", f"COURSE={course}",
         f"PORT={port}", f"FORMGRADER_TOKEN={token}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/formgrader/submissions/{submission_id}/?token={token}"
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    return response.read().decode()
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(1)
    finally:
        stop_group(server)


def stop_group(process: subprocess.Popen) -> None:
    """Stop ``make`` and the Jupyter server it started (its own process group), and wait for
    both."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)
    deadline = time.monotonic() + 60
    while True:
        try:
            os.killpg(process.pid, signal.SIGKILL if time.monotonic() > deadline else 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)


def test_a_whole_term_never_loses_a_grade(tmp_path):
    course, inbox = tmp_path / "course", tmp_path / "inbox"
    shutil.copytree(ROOT / "solutions" / "source", course / "solutions" / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)  # a course folder, as the repository is
    (course / "deadlines.toml").write_text(
        f"{A1} = {DUE1:%Y-%m-%dT%H:%M:%SZ}\n{A3} = {DUE3:%Y-%m-%dT%H:%M:%SZ}\n"
    )
    # a hidden test of exercise 3 that fails every answer (fixed mid-term, below)
    source3 = course / "solutions" / "source" / A3 / f"{A3}.ipynb"
    nb = nbformat.read(source3, 4)
    strict = next(c for c in nb.cells if nbg_meta(c).get("grade_id") == "test-linear-backward")
    strict.source = strict.source.replace(
        "### BEGIN HIDDEN TESTS\n", "### BEGIN HIDDEN TESTS\n" + STRICT, 1
    )
    assert STRICT in strict.source
    nbformat.write(nb, source3)
    (tmp_path / "students.csv").write_text(ROSTER)

    exercises = {p: p.stat().st_mtime for p in (ROOT / "chapters" / "exercises").glob("*.ipynb")}
    make(course, "release", f"ASSIGNMENT={A1} {A2} {A3}")
    make(course, "roster", f"ROSTER={tmp_path / 'students.csv'}")
    assert {p: p.stat().st_mtime for p in exercises} == exercises, (
        "releasing another course touched the book"
    )

    # -- deadline 1: exercise 1 from a folder, on time ---------------------------------------------
    full1, affine_only = fill(course, A1), fill(course, A1, ids=["affine"])
    broken = fill(
        course,
        A1,
        edits={"affine": lambda s: s.replace("def affine(X, W, b):", "def affine(X, W, b)")},
    )
    on_time = DUE1 - dt.timedelta(hours=3)
    hand_in(inbox, "alice", A1, full1, on_time)
    hand_in(inbox, "bob", A1, affine_only, on_time)
    hand_in(inbox, "carol", A1, broken, on_time)
    out = make(course, "collect", f"FROM={inbox}")
    assert "collected: 3 new" in out, out
    assert (course / "submitted" / "bob" / A1 / "timestamp.txt").exists()

    out = make(course, "autograde")           # no ASSIGNMENT: the whole class, every assignment
    all1 = points(A1)
    assert scores(course, A1) == {"alice": (all1, 0.0), "bob": (points(A1, ["test-affine"]), 0.0),
                                  "carol": (all1 - points(A1, ["test-affine"]), 0.0)}
    # nothing invented: no submission of exercise 3 yet, none ever for dave
    assert (
        not list((course / "submitted").glob(f"*/{A3}"))
        and not (course / "submitted" / "dave").exists()
    )
    assert not (course / "autograded" / "dave").exists()
    assert f"== {A1}" in out and f"== {A3}" in out and f"{A3}: no submissions" in out
    # a quiet log: no false tampering alarms, no SQLAlchemy noise; a table of where everyone stands
    assert "checksum" not in out and "SAWarning" not in out, out
    table = {tuple(line.split()[:2]): line for line in out.splitlines() if line.split()[:1] in
             (["alice"], ["bob"], ["carol"], ["dave"])}
    assert "missing" in table[("dave", A1)] and "missing" in table[("alice", A3)]
    assert (
        "lost points: Part 2 — One step of the perceptron learning algorithm" in table[("bob", A1)]
    )

    # -- a late resubmission in an LMS zip (Canvas names; the LMS's time on each file) -------------
    late = dt.timedelta(hours=30)
    lms = tmp_path / "submissions.zip"
    handed_in = lambda student: (inbox / student / A1 / f"{A1}.ipynb").read_bytes()
    with zipfile.ZipFile(lms, "w") as zf:
        for name, data, at in [(f"alice_11_21_{A1}.ipynb", handed_in("alice"), on_time),
                               (f"bob_12_22_{A1}.ipynb", handed_in("bob"), on_time),
                               (f"bob_LATE_12_23_{A1}-1.ipynb", handed_in("alice"), DUE1 + late)]:
            zf.writestr(zipfile.ZipInfo(name, at.timetuple()[:6]), data)
    graded_alice = course / "autograded" / "alice" / A1 / f"{A1}.ipynb"
    mtime = graded_alice.stat().st_mtime
    out = make(course, "collect", f"ZIP={lms}", f"ASSIGNMENT={A1}")
    assert (
        "alice/01_neurons_perceptron: unchanged" in out
        and "bob/01_neurons_perceptron: resubmitted" in out
    )
    # the first version is kept
    assert len(list((course / "arrivals" / "bob" / A1).iterdir())) == 2
    out = make(course, "autograde")
    assert f"{A1}: bob: resubmitted" in out and f"{A1}: alice:" not in out
    assert graded_alice.stat().st_mtime == mtime, "an unchanged submission was graded again"
    got = scores(course, A1)
    assert got["bob"] == (all1, pytest.approx(penalty(all1, late)))
    assert got["alice"] == (all1, 0.0) and got["carol"][0] == all1 - points(A1, ["test-affine"])

    out = make(course, "feedback", f"ASSIGNMENT={A1}")
    assert not any(noise in out for noise in NOISE), out
    assert sorted(
        p.parent.parent.name for p in (course / "feedback").glob(f"*/{A1}/{A1}.html")
    ) == ["alice", "bob", "carol"]
    text = assert_offline_page(page(course, "carol", A1))
    assert "failed only because affine was never defined" in text and "syntax error" in text
    text = assert_offline_page(page(course, "bob", A1))
    assert f"Late submission penalty (Score: -{penalty(all1, late):.1f})" in text
    assert "Part 3 — The perceptron learning algorithm (Score: 3.0 / 3.0)" in text

    # -- deadline 2: exercise 3, with a written part graded by hand --------------------------------
    answer = "Backpropagation reuses each delta once, from the output back: O(k)."
    # every part but the two training runs (they would only make the test slower)
    quick = ["linear-backward", "activations-backward", "softmax-ce-backward", "two-layer-backward",
             "numerical-gradient", "check-linear-layer"]
    hand_in(
        inbox, "alice", A3, with_written_answer(fill(course, A3, ids=quick), answer), DUE3 - late
    )
    hand_in(
        inbox,
        "carol",
        A3,
        with_written_answer(fill(course, A3, ids=quick), answer),
        DUE3 + dt.timedelta(hours=2),
    )
    # bob hands in the code parts and leaves the written answer as released
    hand_in(inbox, "bob", A3, fill(course, A3, ids=quick), DUE3 - late)
    out = make(course, "collect", f"FROM={inbox}", f"ASSIGNMENT={A3}")
    assert "collected: 3 new" in out, out
    out = make(course, "autograde", f"ASSIGNMENT={A3}")
    auto3 = points(A3, [f"test-{c}" for c in quick if c != "activations-backward"] +
                   ["test-sigmoid-backward", "test-relu-backward", "test-tanh-backward"])
    strict_loss = points(A3, ["test-linear-backward"])
    max3 = points(A3, auto_only=False)
    got = scores(course, A3)
    assert got["alice"] == (auto3 - strict_loss, 0.0)
    assert got["carol"] == (
        auto3 - strict_loss,
        pytest.approx(penalty(max3, dt.timedelta(hours=2))),
    )
    assert written_grade(course, "alice") == (None, True)
    assert "awaiting: Part 9 — Why is backpropagation linear in depth?" in out
    # a blank written answer: 0 at once, final, and named so in the table
    assert got["bob"] == (auto3 - strict_loss, 0.0)
    assert written_grade(course, "bob") == (None, False)
    table = {line.split()[0]: line for line in out.splitlines() if line.startswith("bob ")}
    assert BLANK_WRITTEN in table["bob"] and " graded " in table["bob"], table

    # the grader sees the model answer and rubric next to the student's answer in the formgrader
    with gradebook(course) as gb:
        submission_id = gb.find_submission_notebook(A3, A3, "alice").id
    html = formgrader_page(course, submission_id)
    assert answer in html and "For the grader only" in html and "Rubric (2 points)" in html

    # feedback before hand grading: the written part is awaiting a person, not 0 points
    out = make(course, "feedback", f"ASSIGNMENT={A3}")
    assert not any(noise in out for noise in NOISE), out
    text = assert_offline_page(page(course, "bob", A3))
    assert "Part 9 — Why is backpropagation linear in depth? (Score: 0.0 / 2.0, left blank)" in text
    assert "still awaiting grading" not in text and "No response." not in text
    text = assert_offline_page(page(course, "alice", A3))
    assert (
        "Part 9 — Why is backpropagation linear in depth? (awaiting grading (2.0 points))" in text
    )
    assert "still awaiting grading by a person" in text
    assert "Rubric" not in text and "Model answer" not in text and answer in text

    # hand grading, as the formgrader's grade box does it (nbgrader's GradeHandler)
    with gradebook(course) as gb:
        for student, score in (("alice", 2.0), ("carol", 1.0)):
            grade = gb.find_grade(WRITTEN, A3, A3, student)
            grade.manual_score, grade.needs_manual_grade = score, False
        gb.find_comment(WRITTEN, A3, A3, "carol").manual_comment = "Say why (b) is O(P) passes."
        gb.db.commit()
    before = page(course, "alice", A3).read_text()
    out = make(course, "feedback", f"ASSIGNMENT={A3}", check=False)
    assert "REFUSED" in out and "alice, carol" in out, out
    assert page(course, "alice", A3).read_text() == before, "a stale page was replaced silently"
    make(course, "feedback", f"ASSIGNMENT={A3}", "REGENERATE=1")
    text = assert_offline_page(page(course, "alice", A3))
    assert "Part 9 — Why is backpropagation linear in depth? (Score: 2.0 / 2.0)" in text
    assert "awaiting" not in text
    assert "Say why (b) is O(P) passes." in assert_offline_page(page(course, "carol", A3))

    # -- mid-term: the too-strict hidden test is fixed (README: "Fixing a test during the term") ---
    nb = nbformat.read(source3, 4)
    cell = next(c for c in nb.cells if nbg_meta(c).get("grade_id") == "test-linear-backward")
    cell.source = cell.source.replace(STRICT, "")
    nbformat.write(nb, source3)
    out = make(course, "release", f"ASSIGNMENT={A3}")
    assert f"WARNING: {A3} already has 3 graded submission(s)" in out
    out = make(course, "autograde", f"ASSIGNMENT={A3}")
    assert f"{A3}: alice: tests changed" in out and f"{A3}: carol: tests changed" in out
    assert f"{A3}: bob: tests changed" in out
    got = scores(course, A3)
    assert got["alice"] == (auto3 + 2.0, 0.0)
    assert got["carol"] == (auto3 + 1.0, pytest.approx(penalty(max3, dt.timedelta(hours=2))))
    assert written_grade(course, "alice") == (2.0, False), (
        "the hand grade was lost or flagged again"
    )
    out = make(course, "feedback", f"ASSIGNMENT={A3}", check=False)
    assert "REFUSED" in out
    make(course, "feedback", f"ASSIGNMENT={A3}", "REGENERATE=1")
    text = assert_offline_page(page(course, "alice", A3))
    assert f"Part 1 — The linear layer (Score: {strict_loss:.1f} / {strict_loss:.1f})" in text
    assert f"{A3}: 3 up to date" in make(course, "autograde", f"ASSIGNMENT={A3}")

    # -- the export: every student and assignment, missing ones as missing, never as 0 -------------
    out = make(course, "export")
    assert "6 graded, 0 awaiting hand grading, 2 missing" in out, out
    rows = {
        (r["student_id"], r["assignment"]): r
        for r in csv.DictReader((course / "grades.csv").open())
    }
    assert len(rows) == 8
    assert not any(a == A2 for _, a in rows), "an assignment never set was exported"
    for key in (("dave", A1), ("dave", A3)):
        assert rows[key]["status"] == "missing" and rows[key]["score"] == "", rows[key]
    assert rows[("bob", A3)]["status"] == "graded"
    assert BLANK_WRITTEN in rows[("bob", A3)]["failing_parts"].split("; ")
    bob = rows[("bob", A1)]
    assert bob["status"] == "graded" and float(bob["hours_late"]) == pytest.approx(30.0)
    assert float(bob["score"]) == pytest.approx(all1 - penalty(all1, late))
    assert (
        float(rows[("alice", A3)]["score"]) == auto3 + 2.0
        and rows[("alice", A3)]["status"] == "graded"
    )
    assert float(rows[("carol", A3)]["score"]) == pytest.approx(
        auto3 + 1.0 - penalty(max3, dt.timedelta(hours=2))
    )
    assert rows[("carol", A1)]["failing_parts"] == "Part 1 — A layer of neurons on a batch"
    # ASSIGNMENT=: that assignment alone
    make(course, "export", f"ASSIGNMENT={A1}")
    rows = list(csv.DictReader((course / "grades.csv").open()))
    assert sorted((r["student_id"], r["assignment"]) for r in rows) == [
        (student, A1) for student in ("alice", "bob", "carol", "dave")]
