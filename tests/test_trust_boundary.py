"""What crosses from a submission to the grader (grading/kernel_boundary.py), attacked.

One class of exercise 1 is graded in ONE real nbgrader autograde run, then its feedback made by
nbgrader: honest, partial and blank students beside students whose kernel or submission folder
plants links, hard links and FIFOs, a student whose code prints the hidden tests' source and
inputs, a sleeper and a student who fills its folder. Each attack scores no more than a blank
notebook; honest and partial work keeps its exact points (from the source's metadata); no course
file changes; nothing of the grade book, the solutions or another student reaches feedback/, and
no link, FIFO or device is left in autograded/ or feedback/. Collecting (a folder, nbgrader's
exchange) and grading in a scratch course (the Dask worker's path) are tested on the same links.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from nbgrader_course import (
    auto_score,
    fill,
    first_line_of_body,
    nbg_meta,
    nbgrader,
    new_course,
    points,
    submit,
    tree_digest,
)
from notebook_runner import ROOT

pytestmark = pytest.mark.slow

A1 = "01_neurons_perceptron"
NB = f"{A1}.ipynb"
SOURCE = Path("solutions") / "source" / A1 / NB
CELL_SECONDS, NOTEBOOK_SECONDS, WORK_BYTES = 8, 20, 8 * 1024**2
# hidden-test text of exercise 1 that no feedback page may hold (the released notebook has none)
HIDDEN = ['handin.cases("test-affine"', "case.report(affine(", 'handin.cases("test-perceptron']

KERNEL_LINKS = f"""
import os
for name in ["{NB}", "gradebook.db", "solutions"]:
    try:
        os.remove(name)
    except OSError as error:
        print("remove", name, type(error).__name__)
os.symlink("../../../{SOURCE}", "{NB}")
os.symlink("../../../gradebook.db", "gradebook.db")
os.symlink("../../../solutions", "solutions")
os.mkfifo("pipe")
print("ATTACK RAN: links made in", os.getcwd(), sorted(os.listdir(".")))
"""
FILLS_FOLDER = """
block = b"x" * 2**20
for i in range(64):
    with open(f"fill{i}.bin", "wb") as f:
        f.write(block)
print("never" + " printed: 64 MB written")
"""


def with_cell(nb, code: str, after: str | None = "imports"):
    """The notebook with a cell of the student's own after the cell ``after`` (None: at the
    end)."""
    index = (len(nb.cells) - 1 if after is None else
             next(i for i, c in enumerate(nb.cells) if nbg_meta(c).get("grade_id") == after))
    nb.cells.insert(index + 1, new_code_cell(code))
    return nb


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def special_entries(*folders: Path) -> list[str]:
    """Every entry under ``folders`` that is not a folder or a regular file with one link."""
    found = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                info = os.lstat(os.path.join(dirpath, name))
                if not (stat.S_ISDIR(info.st_mode)
                        or (stat.S_ISREG(info.st_mode) and info.st_nlink == 1)):
                    found.append(os.path.join(dirpath, name))
    return found


def build_class(course: Path) -> dict[str, float]:
    """Submit the class; return student -> the points each must get."""
    expected = {
        "full": points(A1),
        "blank": 0.0,
        "partial": points(A1, ["test-affine"]),
        # the function under test prints the cell that runs it (the hidden tests) and its hidden
        # inputs; a cell at the end prints the whole input history and reads the notebook file.
        # Reading `_ih` is not among what `affine` may use: that part scores 0, the rest counts
        "prints_history": points(A1) - points(A1, ["test-affine"]),
        "kernel_links": 0.0,
        "folder_links": 0.0,
        "notebook_to_solutions": 0.0,
        "notebook_to_other": 0.0,
        "folder_is_link": 0.0,
        "hard_links": 0.0,
        "specials": 0.0,
        "sleeper": 0.0,
        "fills_folder": 0.0,
    }
    blank = lambda: fill(course, A1, ids=[])  # noqa: E731
    submit(course, "full", A1, fill(course, A1))
    submit(course, "blank", A1, blank())
    submit(course, "partial", A1, fill(course, A1, ids=["affine"]))
    leaks = fill(course, A1, edits={"affine": first_line_of_body(
        "print('LEAK' + '-IN-TEST', _ih[-1], X.tolist())")})
    with_cell(leaks, "print('EARLY OUTPUT SHOWN')")
    with_cell(leaks, (
        "import base64\n"
        "print('LEAK' + '-END', In, Out, _i5, base64.b64encode(str(In).encode()))\n"
        "try:\n"
        f"    print('LEAK' + '-FILE', open('{NB}').read())\n"
        "except OSError as error:\n"
        "    print('LEAK' + '-FILE', type(error).__name__)"), after=None)
    submit(course, "prints_history", A1, leaks)
    submit(course, "kernel_links", A1, fill(course, A1, ids=[], edits={
        "affine": lambda _: KERNEL_LINKS}))
    # what a hostile collect or an older grader could have left in submission folders
    folder = course / "submitted" / "folder_links" / A1
    submit(course, "folder_links", A1, blank())
    (folder / "grades.db").symlink_to("../../../gradebook.db")
    (folder / "key.json").symlink_to(f"../../../{SOURCE}")
    (folder / "course").symlink_to("../../..")
    (folder / "classmate").symlink_to("../../full")
    for student, target in [("notebook_to_solutions", f"../../../{SOURCE}"),
                            ("notebook_to_other", f"../../full/{A1}/{NB}")]:
        (course / "submitted" / student / A1).mkdir(parents=True)
        (course / "submitted" / student / A1 / NB).symlink_to(target)
    (course / "submitted" / "folder_is_link").mkdir()
    (course / "submitted" / "folder_is_link" / A1).symlink_to(f"../../solutions/source/{A1}")
    submit(course, "hard_links", A1, blank())
    os.link(course / SOURCE, course / "submitted" / "hard_links" / A1 / "key.json")
    os.link(course / "gradebook.db", course / "submitted" / "hard_links" / A1 / "grades.db")
    submit(course, "specials", A1, blank())
    os.mkfifo(course / "submitted" / "specials" / A1 / "pipe")
    (course / "submitted" / "specials" / A1 / "zeros.bin").symlink_to("/dev/zero")
    sleeper = blank()
    for _ in range(3):      # 8 + 8 + 4 s: the notebook's 20 s are gone before the first test
        with_cell(sleeper, "import time\ntime.sleep(1000)")
    submit(course, "sleeper", A1, sleeper)
    submit(course, "fills_folder", A1, with_cell(blank(), FILLS_FOLDER))
    return expected


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded and its feedback made: (course, expected, run logs, state before)."""
    course = new_course(tmp_path_factory.mktemp("boundary"))
    expected = build_class(course)
    before = {
        "solutions": tree_digest(course / "solutions"),
        "release": tree_digest(course / "release"),
        "config": sha(ROOT / "nbgrader_config.py"),
        "source_mode": os.stat(course / SOURCE).st_mode,
        "gradebook_mode": os.stat(course / "gradebook.db").st_mode,
    }
    run = nbgrader(course, "autograde", A1, f"--Execute.timeout={CELL_SECONDS}",
                   f"--SandboxedExecute.notebook_seconds={NOTEBOOK_SECONDS}",
                   f"--SandboxedKernelManager.work_size={WORK_BYTES}")
    # a link an older grader let a kernel leave in a graded folder: feedback must not follow it
    (course / "autograded" / "blank" / A1 / "old_link.db").symlink_to("../../../gradebook.db")
    feedback = nbgrader(course, "generate_feedback", A1, "--force")
    yield course, expected, run.stdout + run.stderr + feedback.stdout + feedback.stderr, before


def graded_nb(course: Path, student: str):
    return nbformat.read(course / "autograded" / student / A1 / NB, 4)


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts += [out.get("text", ""), out.get("evalue", ""), *out.get("traceback", []),
                      *map(str, out.get("data", {}).values())]
    return "\n".join(parts)


def test_every_attack_scores_no_more_than_blank_and_honest_work_keeps_its_points(graded):
    course, expected, log, _ = graded
    got = auto_score(course, A1)
    assert expected["full"] > expected["partial"] > 0
    for student, want in expected.items():
        assert got.get(student) == pytest.approx(want), (student, got, log[-3000:])


def test_no_course_file_changed_and_no_link_was_followed(graded):
    course, _, _, before = graded
    assert tree_digest(course / "solutions") == before["solutions"]
    assert tree_digest(course / "release") == before["release"]
    assert sha(ROOT / "nbgrader_config.py") == before["config"]
    # nbgrader sets 444 on what it wrote: never on a link's target
    assert os.stat(course / SOURCE).st_mode == before["source_mode"]
    assert os.stat(course / "gradebook.db").st_mode == before["gradebook_mode"]
    assert not special_entries(course / "autograded", course / "feedback")
    assert not (course / SOURCE).is_symlink()


def test_the_kernel_worked_in_a_folder_of_its_own(graded):
    course, _, _, _ = graded
    text = outputs_text(graded_nb(course, "kernel_links"))
    # it ran, in the autograded folder's path, and saw none of nbgrader's files there
    assert f"ATTACK RAN: links made in {course / 'autograded' / 'kernel_links' / A1}" in text
    assert f"remove {NB} FileNotFoundError" in text
    graded_folder = course / "autograded" / "kernel_links" / A1
    assert sorted(p.name for p in graded_folder.iterdir()) == [NB]
    assert "ATTACK RAN" in (graded_folder / NB).read_text()      # its own notebook, graded


def test_links_in_submission_folders_are_removed_reported_and_never_copied(graded):
    course, _, log, _ = graded
    secrets = {sha(course / SOURCE), sha(course / "gradebook.db")}
    for student in ["folder_links", "hard_links", "specials", "notebook_to_solutions",
                    "notebook_to_other"]:
        for folder in [course / "autograded" / student / A1, course / "feedback" / student / A1]:
            names = sorted(p.name for p in folder.iterdir())
            assert not {"grades.db", "key.json", "course", "classmate", "pipe", "zeros.bin"} & set(
                names), (student, names)
            assert not {sha(p) for p in folder.rglob("*") if p.is_file()} & secrets, student
        assert "not a plain file, ignored" in log
    for what in ["grades.db` is a symbolic link", "key.json` is a hard link", "pipe` is a FIFO",
                 f"{NB}` is a symbolic link"]:
        assert what in log, what
    # a linked notebook is graded as an empty one, and the student is told why
    for student in ["notebook_to_solutions", "notebook_to_other"]:
        assert "graded as an empty notebook" in outputs_text(graded_nb(course, student)) or any(
            "graded as an empty notebook" in c.source for c in graded_nb(course, student).cells)
    # the link an older run left in a graded folder is neither followed nor copied to feedback
    assert not (course / "feedback" / "blank" / A1 / "old_link.db").exists()


def test_feedback_never_shows_hidden_tests_however_the_kernel_got_them(graded):
    course, _, _, _ = graded
    instructor = outputs_text(graded_nb(course, "prints_history"))
    # the attacks ran: the instructor's copy holds what they printed
    assert "LEAK-IN-TEST" in instructor and 'handin.cases("test-affine"' in instructor
    assert "LEAK-END" in instructor and "LEAK-FILE FileNotFoundError" in instructor
    for student in ["prints_history", "full", "partial", "kernel_links"]:
        page = (course / "feedback" / student / A1 / f"{A1}.html").read_text()
        for hidden in HIDDEN:
            assert hidden not in page.replace("&quot;", '"'), (student, hidden)
        assert "LEAK-" not in page      # what the attacks printed (their source says 'LEAK' + ...)
    page = (course / "feedback" / "prints_history" / A1 / f"{A1}.html").read_text()
    assert "EARLY OUTPUT SHOWN" in page, "what ran before any hidden test is shown"
    assert "Grader: " in page, "the grader's verdict is shown"
    assert "not shown here: it ran after the hidden tests" in page


def test_a_submission_that_hits_a_limit_is_graded_as_far_as_it_ran_and_told_which(graded):
    course, _, _, _ = graded
    sleeper = graded_nb(course, "sleeper")
    notes = sleeper.cells[0].source
    assert f"total time limit ({NOTEBOOK_SECONDS} s of wall-clock time" in notes, notes
    assert f"time limit of {CELL_SECONDS} s per cell" in notes
    not_run = [nbg_meta(c).get("grade_id") for c in sleeper.cells
               if any(o.get("ename") == "NotRun" or "NotRun" in o.get("text", "")
                      for o in c.get("outputs", []))]
    assert {"test-affine", "test-perceptron-update", "test-perceptron-train"} <= set(not_run)
    fills = graded_nb(course, "fills_folder")
    assert "No space left on device" in outputs_text(fills)
    assert f"its folder holds {WORK_BYTES / 1024**2:g} MB" in fills.cells[0].source
    assert "never printed" not in outputs_text(fills), "the cell stopped at the limit"


# -- the door itself, and every other step that reads a student's folder ----------------------

def hostile_folder(folder: Path, outside: Path) -> Path:
    """A submission folder holding a notebook and everything that is not a plain file: links to
    a file and a folder outside, a hard link to a file outside, a FIFO."""
    folder.mkdir(parents=True)
    (folder / NB).write_text('{"cells": []}')
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    (folder / "elsewhere").symlink_to(outside)
    os.link(outside / "secret.txt", folder / "hard.txt")
    os.mkfifo(folder / "pipe")
    return folder


@pytest.fixture()
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("the grade book")
    return folder


def test_the_door_reads_plain_files_only(tmp_path, outside):
    from grading.kernel_boundary import Limits, NotPlain, plain_files, read_plain

    folder = hostile_folder(tmp_path / "sub", outside)
    (folder / "big.bin").write_bytes(b"x" * 2000)
    assert read_plain(folder, NB) == b'{"cells": []}'
    for name, why in [("secret.txt", "symbolic link"), ("hard.txt", "hard link"),
                      ("pipe", "FIFO"), ("elsewhere/secret.txt", "Not a directory")]:
        with pytest.raises(OSError, match=why):      # the FIFO is not waited on
            read_plain(folder, name)
    with pytest.raises(NotPlain, match="more than 1000"):
        read_plain(folder, "big.bin", limit=1000)
    files, refused = plain_files(folder, Limits(file_bytes=1000, total_bytes=10**6, files=10))
    assert sorted(files) == [NB]
    assert len(refused) == 5 and any("`elsewhere` is a symbolic link" in r for r in refused)
    assert (outside / "secret.txt").read_text() == "the grade book"


def test_the_reference_comes_from_the_sources_never_from_a_student_folder(tmp_path):
    from grading.kernel_boundary import NotPlain, reference_notebook
    from grading.verdict import solution_namespace

    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "submitted" / "s" / A1)
    with pytest.raises(NotPlain, match="is in submitted/"):
        reference_notebook(course, "submitted/s", A1, A1)
    linked = tmp_path / "linked.ipynb"
    linked.symlink_to(ROOT / SOURCE)
    with pytest.raises(NotPlain, match="symbolic link"):
        solution_namespace(linked)
    data, path = reference_notebook(ROOT, "solutions/source", A1, A1)
    assert data == (ROOT / SOURCE).read_bytes() and Path(path) == ROOT / SOURCE
    assert callable(solution_namespace(Path(path))["affine"])


def test_collecting_a_folder_takes_plain_files_and_says_what_it_ignored(tmp_path, outside):
    from grading.collect import collect_folder

    root, source = tmp_path / "course", tmp_path / "download"
    hostile_folder(source / "mallory" / A1, outside)
    (source / "eve").mkdir()
    (source / "eve" / A1).symlink_to(source / "mallory" / A1)     # another student's folder
    lines = collect_folder(root, source)
    assert "eve" in lines[0] and "ignored, a symbolic link" in lines[0]
    assert not (root / "submitted" / "eve").exists()
    line = lines[1]
    assert line.startswith(f"mallory/{A1}: new")
    for why in ["`secret.txt` is a symbolic link", "`elsewhere` is a symbolic link",
                "`hard.txt` is a hard link", "`pipe` is a FIFO"]:
        assert why in line, (why, line)
    for folder in [root / "submitted" / "mallory" / A1,
                   *(root / "arrivals" / "mallory" / A1).iterdir()]:
        assert sorted(p.name for p in folder.iterdir()) == [NB, "timestamp.txt"]
    assert not special_entries(root)


def test_collecting_from_the_exchange_takes_plain_files(tmp_path, outside):
    """A real `nbgrader collect` (what `make collect` runs without FROM or ZIP)."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    exchange = tmp_path / "exchange"
    inbound = exchange / "shallow-to-deep" / "inbound" / f"mallory+{A1}+2027-02-01 12:00:00 UTC"
    hostile_folder(inbound, outside)
    (inbound / "timestamp.txt").write_text("2027-02-01 12:00:00 UTC")
    run = nbgrader(course, "collect", A1, f"--Exchange.root={exchange}",
                   "--CollectApp.check_owner=False")
    folder = course / "submitted" / "mallory" / A1
    assert sorted(p.name for p in folder.iterdir()) == [NB, "timestamp.txt"], run.stderr
    assert "not collected" in run.stderr and "`pipe` is a FIFO" in run.stderr
    assert not special_entries(course)


def test_preparing_submissions_never_writes_through_a_link(tmp_path):
    from grading.submissions import prepare

    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    shutil.copytree(ROOT / "chapters" / "exercises", course / "release" / A1,
                    ignore=lambda d, names: [n for n in names if n != NB])
    folder = course / "submitted" / "mallory" / A1
    folder.mkdir(parents=True)
    (folder / NB).symlink_to(tmp_path / "planted.ipynb")        # dangling: a write would land
    lines = prepare(course, A1)
    assert not (tmp_path / "planted.ipynb").exists()
    assert any("is a symbolic link" in line for line in lines)
    assert not (folder / NB).is_symlink() and "No notebook" in (folder / NB).read_text()


def test_the_scratch_course_and_the_merge_take_plain_files(tmp_path, outside):
    """The Dask worker's path without Dask: grade one hostile submission in a scratch course,
    merge it, and refuse a result naming a file outside the graded folder."""
    from grading.merge import merge_student
    from grading.regrade import load_settings
    from grading.scratch import autograde_in_scratch, make_seed, make_task, source_bundle

    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    nbgrader(course, "generate_assignment", A1)
    nbgrader(course, "db", "student", "add", "mallory")
    submit(course, "mallory", A1, fill(course, A1, ids=["affine"]))
    folder = course / "submitted" / "mallory" / A1
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    os.link(outside / "secret.txt", folder / "hard.txt")
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    task = make_task(course, A1, "mallory", config=load_settings(ROOT),
                     secret="a-test-secret-" + "7f" * 16, seed=make_seed(db_url),
                     bundle=source_bundle(course, "solutions/source", A1))
    # the coordinator reads the submission through the door: neither link goes to the worker
    assert sorted(task["files"]) == [NB], sorted(task["files"])
    assert [name for name in ("secret.txt", "hard.txt")
            if any(f"`{name}`" in why for why in task["ignored"])] == ["secret.txt", "hard.txt"]
    result = autograde_in_scratch(task, overrides={"Execute": {"timeout": 60}})
    assert result["ok"], result["log"]
    assert NB in result["files"] and not any("secret" in f or "hard" in f for f in result["files"])
    merge_student(db_url, "shallow-to-deep", course, result)
    assert auto_score(course, A1) == {"mallory": points(A1, ["test-affine"])}
    assert not special_entries(course / "autograded")
    bad = dict(result, files={"../../../escaped.txt": (b"x", 0o644)})
    with pytest.raises(ValueError):
        merge_student(db_url, "shallow-to-deep", course, bad)
    assert not list(tmp_path.rglob("escaped.txt"))


def test_feedback_keeps_the_verdict_and_drops_the_kernels_words_after_hidden_tests():
    """WithholdAfterSecrets and the notes, on a notebook made here (no kernel needed)."""
    from nbformat.v4 import new_notebook, new_output
    from traitlets.config import Config

    from grading.kernel_boundary import WITHHELD, WithholdAfterSecrets
    from grading.preprocessors import AutograderNotes

    def code(source, outputs, **nbgrader_meta):
        cell = new_code_cell(source, outputs=outputs)
        if nbgrader_meta:
            cell.metadata["nbgrader"] = {"grade_id": "test-a", "points": 3, **nbgrader_meta}
        return cell

    stdout = lambda text: new_output("stream", name="stdout", text=text)  # noqa: E731
    nb = new_notebook(cells=[
        code("print('mine')", [stdout("before the hidden tests\n")]),
        code("### BEGIN HIDDEN TESTS\nfor case in handin.cases('test-a'): ...\n"
             "### END HIDDEN TESTS", [stdout("hidden source, printed by the student's code\n"),
                                      stdout("Grader: 1 of 3 points.\n"),
                                      new_output("execute_result", data={"text/plain": "1.0"},
                                                 execution_count=2)],
             grade=True, solution=False),
        code("print(In)", [stdout("In = [...hidden...]\n"),
                           new_output("error", ename="NotRun", evalue="not run: the kernel "
                                      "died in `SECRETWORD`", traceback=[])]),
    ])
    shown, _ = WithholdAfterSecrets().preprocess(nbformat.from_dict(nb), {})
    texts = [[o.get("text", "") for o in c.outputs] for c in shown.cells]
    assert texts[0] == ["before the hidden tests\n"]
    assert texts[1] == [WITHHELD + "\n", "Grader: 1 of 3 points.\n", ""]
    assert shown.cells[1].outputs[2].data == {"text/plain": "1.0"}
    assert texts[2] == [WITHHELD + "\n"]
    # a kernel raising its own `NotRun` gets none of its words into the notes
    noted, _ = AutograderNotes(config=Config()).preprocess(nbformat.from_dict(nb), {})
    assert "SECRETWORD" not in noted.cells[0].source
