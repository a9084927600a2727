"""Parallel autograding (grading.parallel) on real Dask workers, real nbgrader, real PostgreSQL.

A class of exercise 1 (full, blank, one piece, broken, missing, and one deliberately slow
submission) is graded twice: sequentially by plain ``nbgrader autograde`` on SQLite, and by
grading.parallel on two Dask workers into a PostgreSQL gradebook, while one worker is SIGKILLed
in the middle of the slow submission. Expected points come from the source notebook's metadata
(nbgrader_course) and from plain nbgrader, never from the code under test.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import A1, ALL_01, BROKEN_01, auto_score, fill, nbgrader, submit
from notebook_runner import ROOT
from postgres_server import create_database, postgres_server

from grading.submissions import prepare

pytestmark = pytest.mark.slow

SLOW_SECONDS = 12
CLASS = {student: BROKEN_01[student] for student in
         ("full", "blank", "one_piece", "syntax_error", "exception", "missing")}
# a correct submission whose first cell sleeps: the worker grading it is killed meanwhile
CLASS["slow"] = (lambda course: fill(course, A1, edits={
    "affine": lambda s: f"import time; time.sleep({SLOW_SECONDS})\n" + s}), ALL_01)


def build_class(course: Path, db_url: str | None = None) -> None:
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    db = [f"--CourseDirectory.db_url={db_url}"] if db_url else []
    nbgrader(course, "generate_assignment", A1, *db)
    for student, (build, _) in CLASS.items():
        submit(course, student, A1, build(course))


def one_grade_per_cell(db_url: str) -> tuple[Counter, Counter, int]:
    """(submissions per student, grade rows per (submitted notebook, cell), graded cells)."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        per_student = Counter(s.student_id for s in gb.assignment_submissions(A1))
        per_cell = Counter((g.notebook_id, g.cell_id) for s in gb.assignment_submissions(A1)
                           for nb in s.notebooks for g in nb.grades)
        cells = len(gb.find_assignment(A1).notebooks[0].grade_cells)
    return per_student, per_cell, cells


class WorkerKiller(threading.Thread):
    """Waits until a worker runs ``student``'s task with a kernel started, then SIGKILLs it."""

    def __init__(self, scheduler: str, student: str):
        super().__init__(daemon=True)
        self.scheduler, self.student = scheduler, student
        self.killed_pid, self.kernels, self.error = None, [], None

    def run(self):
        from dask.distributed import Client
        try:
            with Client(self.scheduler) as client:
                deadline = time.monotonic() + 300
                while self.killed_pid is None and time.monotonic() < deadline:
                    for worker, tasks in client.call_stack().items():
                        if any(f"-{A1}-{self.student}-" in str(key) for key in tasks):
                            pid = client.run(os.getpid, workers=[worker])[worker]
                            kernels = _children(pid)
                            if kernels:           # nbgrader is executing the notebook
                                time.sleep(2)
                                self.kernels = _children(pid)
                                os.kill(pid, signal.SIGKILL)
                                self.killed_pid = pid
                    time.sleep(0.3)
        except Exception as error:               # noqa: BLE001 (reported by the test)
            self.error = error


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def graded(tmp_path_factory, postgres, cluster):
    """The class graded by plain nbgrader (SQLite) and by grading.parallel (PostgreSQL, two
    workers, one killed mid-submission)."""
    from grading.parallel import grade_class
    db_url = create_database(postgres, "course")
    sequential = tmp_path_factory.mktemp("sequential")
    build_class(sequential)
    prepare(sequential, A1)             # what `make autograde` runs first (the missing notebook)
    nbgrader(sequential, "autograde", A1)
    parallel = tmp_path_factory.mktemp("parallel")
    build_class(parallel, db_url)
    # the same course secret: the workers must seed with it (sent by the coordinator), so every
    # student's hidden inputs are the plain run's
    shutil.copy2(sequential / "course_secret", parallel / "course_secret")
    killer = WorkerKiller(cluster.scheduler_address, "slow")
    killer.start()
    log = io.StringIO()
    report = grade_class(parallel, A1, db_url=db_url, scheduler=cluster.scheduler_address, out=log)
    killer.join(timeout=5)
    return {"sequential": sequential, "parallel": parallel, "db_url": db_url, "report": report,
            "killer": killer, "log": log.getvalue(), "cluster": cluster}


def test_a_worker_killed_mid_submission_loses_nothing_and_doubles_nothing(graded):
    killer, report = graded["killer"], graded["report"]
    assert killer.error is None, killer.error
    assert killer.killed_pid is not None, "the slow submission was never seen running"
    assert report["failed"] == {}, report["failed"]
    assert set(report["graded"]) == set(CLASS)
    # graded again, by a process other than the one killed
    assert report["graded"]["slow"]["pid"] != killer.killed_pid
    per_student, per_cell, cells = one_grade_per_cell(graded["db_url"])
    assert per_student == Counter({student: 1 for student in CLASS})
    assert len(per_cell) == len(CLASS) * cells and set(per_cell.values()) == {1}


def test_scores_equal_plain_nbgraders_and_the_sources_points(graded):
    parallel = auto_score(graded["parallel"], A1, graded["db_url"])
    sequential = auto_score(graded["sequential"], A1)
    assert parallel == sequential
    assert parallel == {student: points for student, (_, points) in CLASS.items()}
    for student in CLASS:   # the graded notebooks are in place, as nbgrader leaves them
        assert (graded["parallel"] / "autograded" / student / A1 / f"{A1}.ipynb").is_file()


def test_the_workers_seed_with_the_coordinators_secret(graded):
    """Each worker grades in a scratch course without the secret's file: the hidden inputs it
    filled in must be the ones plain nbgrader drew with the course's secret."""
    filled = re.compile(r'handin\.cases\("[\w-]+", "[^"]*"\)')

    def inputs(course, student):
        path = course / "autograded" / student / A1 / f"{A1}.ipynb"
        return [m[0] for cell in nbformat.read(path, 4).cells for m in filled.finditer(cell.source)]

    for student in ("full", "slow", "blank"):
        got = inputs(graded["parallel"], student)
        assert got and got == inputs(graded["sequential"], student), student
    assert sorted(p.name for p in graded["parallel"].iterdir() if "secret" in p.name) == [
        "course_secret"]


def test_progress_is_one_line_per_submission_without_carriage_returns(graded):
    log = graded["log"]
    assert "\r" not in log
    lines = [line for line in log.splitlines() if line.startswith("[")]
    assert len(lines) == len(CLASS)
    assert lines[-1].startswith(f"[{len(CLASS)}/{len(CLASS)}] graded {len(CLASS)}, running 0, ")
    assert all("ETA" in line for line in lines)


def test_the_killed_workers_kernel_does_not_outlive_it(graded):
    deadline = time.monotonic() + 15
    alive = graded["killer"].kernels
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists()
                 and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    assert graded["killer"].kernels and not alive, alive


def test_scratch_folders_are_removed(graded):
    import tempfile
    assert not list(Path(tempfile.gettempdir()).glob("autograde-*/slow-*"))


def test_rerun_grades_nothing_and_a_changed_submission_is_graded_again(graded):
    from grading.parallel import grade_class
    course, db_url = graded["parallel"], graded["db_url"]
    scheduler = graded["cluster"].scheduler_address
    before = auto_score(course, A1, db_url)
    log = io.StringIO()
    again = grade_class(course, A1, db_url=db_url, scheduler=scheduler, out=log)
    assert (again["graded"], again["failed"]) == ({}, {})
    assert "0 submission(s) to grade" in log.getvalue()
    # blank hands in the full solution later (timestamp.txt, as nbgrader collect writes it)
    submit(course, "blank", A1, fill(course, A1))
    (course / "submitted" / "blank" / A1 / "timestamp.txt").write_text("2031-01-01 12:00:00 UTC")
    regraded = grade_class(course, A1, db_url=db_url, scheduler=scheduler, out=io.StringIO())
    assert set(regraded["graded"]) == {"blank"} and regraded["failed"] == {}
    after = auto_score(course, A1, db_url)
    assert after == dict(before, blank=ALL_01)
    per_student, per_cell, _ = one_grade_per_cell(db_url)
    assert set(per_student.values()) == {1} and set(per_cell.values()) == {1}


def test_the_local_cluster_starts_only_for_work_and_no_larger_than_it(graded):
    """``make autograde``'s own cluster: none for a run with nothing to grade, one worker for one
    resubmission (a worker costs seconds of a core to start), grown when more is to grade."""
    from grading.parallel import ClusterOnDemand, grade_class
    course, db_url = graded["parallel"], graded["db_url"]
    on_demand = ClusterOnDemand(workers=2)
    try:
        idle = grade_class(course, A1, db_url=db_url, scheduler=on_demand, out=io.StringIO())
        assert idle["graded"] == {} and on_demand.cluster is None
        submit(course, "one_piece", A1, fill(course, A1))
        (course / "submitted" / "one_piece" / A1 / "timestamp.txt").write_text(
            "2031-01-02 12:00:00 UTC")
        one = grade_class(course, A1, db_url=db_url, scheduler=on_demand, out=io.StringIO())
        assert set(one["graded"]) == {"one_piece"} and one["failed"] == {}
        assert auto_score(course, A1, db_url)["one_piece"] == ALL_01
        assert len(on_demand.cluster.workers) == 1
        on_demand.address(5)             # grown, to no more than asked for
        on_demand.cluster.wait_for_workers(2, timeout=120)
        assert len(on_demand.cluster.scheduler_info["workers"]) == 2
    finally:
        on_demand.close()


def test_the_command_on_sqlite_interrupted_by_ctrl_c_then_resumed(tmp_path):
    """The zero-set-up default (``python -m grading.parallel``, its own local cluster, SQLite),
    interrupted after the first graded submission: only complete students are kept, and the
    next run grades the rest. (The slow submission cannot be done by then: it starts third.)"""
    course = tmp_path / "course"
    build_class(course)
    kept = ("blank", "full", "one_piece", "slow")
    for student in set(CLASS) - set(kept):
        shutil.rmtree(course / "submitted" / student)
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")
    env.pop("DB_URL", None)
    env.pop("SCHEDULER", None)
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "grading.parallel", A1,
               "--root", str(course), "--workers", "2"]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        for line in first.stdout:
            if line.startswith("[1/4]"):
                first.send_signal(signal.SIGINT)
                break
        assert first.wait(timeout=120) == 130
    finally:
        first.kill()
        first.wait()
    interrupted = auto_score(course, A1)
    assert "slow" not in interrupted and interrupted, interrupted
    per_student, per_cell, cells = one_grade_per_cell(f"sqlite:///{course / 'gradebook.db'}")
    assert set(per_student.values()) == {1} and set(per_cell.values()) == {1}
    assert len(per_cell) == len(interrupted) * cells
    for student in interrupted:
        assert (course / "autograded" / student / A1 / f"{A1}.ipynb").is_file()
    resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-3000:]
    left = len(kept) - len(interrupted)
    assert f"{left} submission(s) to grade" in resumed.stdout
    assert f"[{left}/{left}] graded {left}, running 0, failed 0" in resumed.stdout
    assert auto_score(course, A1) == {s: CLASS[s][1] for s in kept}
