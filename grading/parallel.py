"""Autograde a class in parallel on Dask; only this coordinator writes the gradebook.

    python -m grading.parallel <assignment>... [--scheduler ADDR] [--workers N] [--db-url URL]

Without ``--scheduler`` a ``LocalCluster`` grades on this machine, one worker process per core
(``--workers``), listening on 127.0.0.1 only. With ``--scheduler tcp://host:8786`` the same code
grades on a running cluster (``dask scheduler`` / ``dask worker``: README, *For instructors*);
every worker then needs this repository installed and the course folder at the same path.

Each Dask task grades ONE student in a private scratch course (``grading.scratch``) and returns
plain data; the coordinator writes each student in one transaction (``grading.merge``). So:

* a worker killed mid-submission leaves nothing: Dask runs the task again on another worker
  (``distributed.scheduler.allowed-failures`` times), and each student gets one grade per cell;
* only what is new or changed is graded (``needs_grading``): a student's ``timestamp.txt`` newer
  than the gradebook's, or not graded yet. Ctrl-C keeps every student already written and a
  re-run grades the rest.

The gradebook is nbgrader's ``db_url``: ``--db-url``, else ``nbgrader_config.py``'s (which reads
``$DB_URL``), else the course's ``gradebook.db`` (SQLite). A PostgreSQL gradebook
(``postgresql+psycopg2://user@host/db``) lets teaching assistants grade by hand in the
formgrader while this runs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from grading.merge import merge_student
from grading.scratch import autograde_in_scratch, make_seed
from grading.submissions import prepare

REPO = Path(__file__).resolve().parents[1]


def needs_grading(submitted_at: datetime | None, graded_at: datetime | None,
                  graded: bool) -> bool:
    """Whether a submission is graded (again): never graded, or handed in again since.

    ``submitted_at``: the submission's ``timestamp.txt`` (None without one); ``graded_at``: the
    timestamp the gradebook holds for it; ``graded``: the gradebook has it and its autograded
    folder exists. Without timestamps a graded submission is not graded again (as nbgrader)."""
    if not graded:
        return True
    if submitted_at is None:
        return False
    return graded_at is None or submitted_at > graded_at


def submissions_to_grade(course_root: Path, assignment: str, db_url: str, course_id: str,
                         students: list[str] | None = None, force: bool = False) -> list[str]:
    """The students of ``submitted/*/<assignment>`` whose submission ``needs_grading``, sorted.
    Students without a row in the gradebook are added (as ``nbgrader autograde`` does)."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory
    read_timestamp = CourseDirectory().get_existing_timestamp
    folders = sorted(p for p in (course_root / "submitted").glob(f"*/{assignment}") if p.is_dir())
    chosen = []
    with Gradebook(db_url, course_id) as gb:
        for folder in folders:
            student = folder.parent.name
            if students is not None and student not in students:
                continue
            gb.update_or_create_student(student)
            try:
                graded_at, graded = gb.find_submission(assignment, student).timestamp, True
            except MissingEntry:
                graded_at, graded = None, False
            graded = graded and (course_root / "autograded" / student / assignment).is_dir()
            if force or needs_grading(read_timestamp(str(folder)), graded_at, graded):
                chosen.append(student)
    return chosen


class Progress:
    """One line per finished submission (no carriage returns: logs stay readable)."""

    def __init__(self, total: int, out=sys.stdout):
        self.total, self.out, self.start = total, out, time.perf_counter()
        self.graded, self.failed = 0, 0

    def line(self, student: str, ok: bool, running: int, note: str = "") -> str:
        self.graded += ok
        self.failed += not ok
        done = self.graded + self.failed
        elapsed = time.perf_counter() - self.start
        left = elapsed / done * (self.total - done)
        text = (f"[{done}/{self.total}] graded {self.graded}, running {running}, failed "
                f"{self.failed}; {elapsed:.0f} s, ETA {left:.0f} s; {student}: "
                f"{'ok' if ok else 'FAILED'}{' ' + note if note else ''}")
        print(text, file=self.out, flush=True)
        return text


def grade_class(course_root: str | Path, assignment: str, *, db_url: str | None = None,
                scheduler: str | None = None, workers: int | None = None,
                config_dir: str | Path = REPO, students: list[str] | None = None,
                force: bool = False, overrides: dict | None = None, out=sys.stdout) -> dict:
    """Grade every submission of ``assignment`` that ``needs_grading`` (every one of
    ``students`` with ``force``); return
    ``{"graded": {student: result without files}, "failed": {student: why}}``."""
    from dask.distributed import Client, as_completed
    from traitlets.config.loader import PyFileConfigLoader

    course_root = Path(course_root).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(config_dir)).load_config()
    course_id = config.CourseDirectory.get("course_id", "default_course")
    db_url = (db_url or config.CourseDirectory.get("db_url")
              or f"sqlite:///{course_root / 'gradebook.db'}")
    # renamed or missing notebooks made gradeable; a student who handed nothing in stays missing
    prepare(course_root, assignment)
    # the hidden inputs' seeds: read (or made) here, from the course's file or setting, and sent
    # to the workers inside each task; a public one stops before anyone is graded
    secret = _course_secret(config, course_root, course_id)
    to_grade = submissions_to_grade(course_root, assignment, db_url, course_id, students, force)
    print(f"{assignment}: {len(to_grade)} submission(s) to grade", file=out, flush=True)
    report = {"graded": {}, "failed": {}}
    if not to_grade:
        return report
    seed = make_seed(db_url)
    scratch_parent = str(Path(tempfile.gettempdir()) / f"autograde-{uuid.uuid4().hex[:12]}")
    cluster = None if scheduler else local_cluster(workers)
    client = Client(scheduler or cluster)
    futures = {}
    try:
        # the seed and the secret travel inside each task: data scattered to a worker dies with
        # it, and the tasks needing it would be cancelled instead of run again; no file on a
        # shared disk holds the secret for the workers
        futures = {client.submit(autograde_in_scratch, str(config_dir), str(course_root),
                                 assignment, student, seed, scratch_parent, overrides, secret,
                                 key=f"autograde-{assignment}-{student}-{uuid.uuid4().hex[:8]}",
                                 pure=False): student
                   for student in to_grade}
        progress = Progress(len(futures), out)
        for future in as_completed(list(futures)):
            student = futures.pop(future)
            try:
                result = future.result()
            except Exception as error:            # KilledWorker after allowed-failures deaths
                result = {"ok": False, "log": f"{type(error).__name__}: {error}"}
            future.release()   # else a later worker death makes Dask grade this student again
            if result["ok"]:
                merge_start = time.perf_counter()
                merge_student(db_url, course_id, course_root, result)
                result["merge_seconds"] = time.perf_counter() - merge_start
                report["graded"][student] = {k: v for k, v in result.items() if k != "files"}
                note = f"{result['seconds']:.1f} s"
            else:
                report["failed"][student] = result["log"]
                note = result["log"].strip().splitlines()[-1][:200] if result["log"] else ""
            running = sum(len(keys) for keys in client.processing().values())
            progress.line(student, result["ok"], running, note)
        return report
    finally:
        client.cancel(list(futures))   # after Ctrl-C: nothing is written for these students
        try:
            client.run(shutil.rmtree, scratch_parent, True)    # a killed worker's scratch
        except Exception:                                     # noqa: BLE001 (cleanup only)
            pass
        shutil.rmtree(scratch_parent, ignore_errors=True)
        client.close()
        if cluster is not None:
            cluster.close()


def _course_secret(config, course_root: Path, course_id: str) -> str:
    """The course secret (``grading.course_secret``), or SystemExit saying why it may not seed."""
    from grading.course_secret import CourseSecret, PublicSecret
    try:
        return CourseSecret(config=config).value(course_root, course_id)
    except PublicSecret as refused:
        raise SystemExit(str(refused)) from None


def local_cluster(workers: int | None = None):
    """Dask workers on this machine: ``workers`` processes (default one per core) of one thread,
    each grading one submission at a time; everything listens on 127.0.0.1 only."""
    from dask.distributed import LocalCluster
    return LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address=None)



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="+", metavar="assignment")
    parser.add_argument("--root", default=".", help="the nbgrader course directory")
    parser.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or None,
                        help="address of a running Dask scheduler (default: a local cluster)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes of the local cluster (default: one per core)")
    parser.add_argument("--db-url", default=None,
                        help="the gradebook (default: $DB_URL through nbgrader_config.py, "
                             "else sqlite:///<root>/gradebook.db)")
    parser.add_argument("--student", action="append", default=None,
                        help="grade only this student (repeatable)")
    parser.add_argument("--force", action="store_true",
                        help="grade again even what is graded and unchanged")
    args = parser.parse_args(argv)
    # nbgrader runs the `alembic` command when it opens a new gradebook: the venv's bin first
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # the course's nbgrader_config.py is read from here, as nbgrader does
    # one cluster for every assignment: a worker imports nbgrader (5-10 s) once
    cluster = None if args.scheduler else local_cluster(args.workers)
    failed = []
    try:
        for assignment in args.assignments:
            report = grade_class(args.root, assignment, db_url=args.db_url,
                                 scheduler=args.scheduler or cluster.scheduler_address,
                                 students=args.student, force=args.force, config_dir=Path.cwd())
            failed += [f"{student} ({assignment})" for student in report["failed"]]
    except KeyboardInterrupt:
        print("interrupted: every student graded so far is kept; run again to grade the rest",
              file=sys.stderr)
        return 130
    finally:
        if cluster is not None:
            cluster.close()
    if failed:
        print(f"{len(failed)} submission(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":      # a LocalCluster starts worker processes: only from here
    sys.exit(main())
