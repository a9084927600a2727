"""A small class through the instructor's commands: named mistakes in the feedback pages, the
class report after ``make autograde``, and the similarity report of ``make similarity``.

Exercise 1, five students on the roster, each answer written in the student's own style:

* alice: right;
* bob: the affine layer without its bias, and the perceptron update with the wrong sign;
* erin: bob's answers copied, the names changed;
* carol: w . x = 0 counted as output 0 (the visible tests pass, a hidden case fails), a day late;
* dave: nothing handed in.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import body, nbg_meta
from notebook_runner import ROOT

pytestmark = pytest.mark.slow

A1 = "01_neurons_perceptron"
DUE = dt.datetime(2027, 2, 12, 23, 59, tzinfo=dt.UTC)
ROSTER = "id,first_name,last_name,email\n" + "".join(
    f"{s},{s.title()},X,{s}@x.org\n" for s in ("alice", "bob", "carol", "dave", "erin"))

AFFINE = {
    "alice": "Z = np.einsum('nd,md->nm', X, W)\nreturn Z + b[None, :]",
    "bob": "out = np.zeros((X.shape[0], W.shape[0]))\nfor i in range(X.shape[0]):\n"
           "    for j in range(W.shape[0]):\n        out[i, j] = np.dot(W[j], X[i])\nreturn out",
    "carol": "return np.dot(X, W.T) + b",
}
UPDATE = {
    "alice": "w = np.asarray(w, dtype=float)\ny = 1 if w @ x >= 0 else 0\n"
             "return w + (label - y) * np.asarray(x, dtype=float)",
    "bob": "weights = np.array(w, dtype=float)\nscore = float(np.dot(weights, x))\n"
           "guess = int(score >= 0)\nif guess == label:\n    return weights\n"
           "if label == 1:\n    return weights - x\nreturn weights + x",
    "carol": "w = np.array(w, dtype=float)\nfired = np.dot(w, x) > 0\n"
             "if fired and label == 0:\n    w = w - x\nelif not fired and label == 1:\n"
             "    w = w + x\nreturn w",
}
TRAIN = {
    "alice": "X1 = np.column_stack([np.ones(len(X)), X])\nw = rng.standard_normal(X1.shape[1])\n"
             "for epoch in range(max_epochs):\n"
             "    if np.array_equal(perceptron_predict(w, X), labels):\n        return w, True\n"
             "    for i in rng.permutation(len(X1)):\n"
             "        w = perceptron_update(w, X1[i], labels[i])\n"
             "return w, bool(np.array_equal(perceptron_predict(w, X), labels))",
    "bob": "ones = np.ones((X.shape[0], 1))\ndata = np.hstack((ones, X))\n"
           "weights = rng.standard_normal(data.shape[1])\nfor _ in range(max_epochs):\n"
           "    mistakes = 0\n    for k in rng.permutation(data.shape[0]):\n"
           "        new = perceptron_update(weights, data[k], labels[k])\n"
           "        mistakes += int(not np.array_equal(new, weights))\n        weights = new\n"
           "    if mistakes == 0:\n        return weights, True\nreturn weights, False",
}
TRAIN["carol"] = TRAIN["alice"].replace("X1", "inputs").replace("epoch", "_")


def erin_copies(code: str) -> str:
    """bob's answer with the names changed, as a copy is disguised."""
    for old, new in [("weights", "params"), ("out", "result"), ("data", "Xb"), ("guess", "pred"),
                     ("score", "act"), ("mistakes", "errs"), ("new", "upd"), ("ones", "col")]:
        code = re.sub(rf"\b{old}\b", new, code)
    return code


for table in (AFFINE, UPDATE, TRAIN):
    table["erin"] = erin_copies(table["bob"])


def make(course: Path, target: str, *args: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"COURSE={course}", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800)
    assert done.returncode == 0, f"make {target} failed:\n{done.stdout[-6000:]}"
    return done.stdout


def notebook(course: Path, student: str):
    nb = nbformat.read(course / "release" / A1 / f"{A1}.ipynb", 4)
    answers = {"affine": AFFINE, "perceptron-update": UPDATE, "perceptron-train": TRAIN}
    for cell in nb.cells:
        grade_id = nbg_meta(cell).get("grade_id")
        if grade_id in answers:
            cell.source = body(answers[grade_id][student])(cell.source)
    return nb


def test_named_mistakes_class_report_and_similarity(tmp_path):
    course, inbox = tmp_path / "course", tmp_path / "inbox"
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "deadlines.toml").write_text(f"{A1} = {DUE:%Y-%m-%dT%H:%M:%SZ}\n")
    (tmp_path / "students.csv").write_text(ROSTER)
    # the default variant: the answers above are written for its numbers
    make(course, "release", f"ASSIGNMENT={A1}", "VARIANT=default")
    make(course, "roster", f"ROSTER={tmp_path / 'students.csv'}")
    for student in ("alice", "bob", "carol", "erin"):
        at = DUE + (dt.timedelta(days=1) if student == "carol" else -dt.timedelta(hours=2))
        path = inbox / student / A1 / f"{A1}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook(course, student), path)
        os.utime(path, (at.timestamp(), at.timestamp()))
    make(course, "collect", f"FROM={inbox}")
    out = make(course, "autograde", f"ASSIGNMENT={A1}")
    assert f"class report of {A1}" in out

    # -- the feedback pages name the mistakes ------------------------------------------------
    make(course, "feedback", f"ASSIGNMENT={A1}")

    def page(student):
        text = (course / "feedback" / student / A1 / f"{A1}.html").read_text()
        return " ".join(re.sub(r"<[^>]+>", " ", text).split())

    assert "The bias b is left out" in page("bob")
    assert "The update has the wrong sign" in page("bob")
    assert "w . x = 0 counts as output 1" in page("carol")
    assert "left out" not in page("alice") and "wrong sign" not in page("alice")

    # -- the class report ------------------------------------------------------------------------
    folder = course / "reports" / A1
    assert not (course / "feedback" / "reports").exists()
    report = (folder / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3  # scores, pass rates, mistakes
    assert "http" not in report.replace("http-equiv", "")  # offline: nothing fetched
    assert "4 graded" in report and "1 missing" in report and "1 late" in report
    with (folder / "mistakes.csv").open() as fh:
        mistakes = {(r["grade_id"], r["mistake"]): int(r["students"])
                    for r in csv.DictReader(fh)}
    assert mistakes == {("test-affine", "bias left out"): 2,
                        ("test-perceptron-update", "update sign flipped"): 2,
                        ("test-perceptron-update", "w.x = 0 counted as 0"): 1}
    with (folder / "parts.csv").open() as fh:
        parts = {r["grade_id"]: r for r in csv.DictReader(fh)}
    update, affine = parts["test-perceptron-update"], parts["test-affine"]
    assert update["part"] == "Part 2 — One step of the perceptron learning algorithm"
    assert (update["graded"], update["passed"]) == ("4", "1")
    assert (affine["graded"], affine["passed"]) == ("4", "2")
    # carol's update passes its visible tests and fails a hidden case; bob's and erin's fail both
    assert update["hidden_fail_visible_pass"] == "1"
    assert affine["hidden_fail_visible_pass"] == "0"

    # -- the similarity report -------------------------------------------------------------------
    out = make(course, "similarity", f"ASSIGNMENT={A1}")
    assert f"similarity of {A1}" in out
    with (folder / "similarity.csv").open() as fh:
        pairs = list(csv.DictReader(fh))
    unusual = [{p["student_a"], p["student_b"]} for p in pairs if p["unusually_close"]]
    assert unusual == [{"bob", "erin"}], pairs
    top = pairs[0]
    assert {top["student_a"], top["student_b"]} == {"bob", "erin"}
    side_by_side = (folder / top["side_by_side"]).read_text()
    assert "bob" in side_by_side and "erin" in side_by_side
    # the skeleton was left out: its given lines are not what made the pair close
    assert (folder / "answers" / "skeleton" / "answers.py").read_text().count(
        "raise NotImplementedError") == 3
