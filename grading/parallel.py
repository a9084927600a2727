"""Autograde a class in parallel on Dask; only this coordinator touches the course.

    python -m grading.parallel <assignment>... [--scheduler ADDR] [--workers N] [--db-url URL]
                               [--student ID] [--force] [--unsafe-no-sandbox] [nbgrader options]

What is graded is what ``grading.regrade.plan`` decides, as on the sequential path: new,
resubmitted, tests changed, grader settings changed (``--student``: that student, whatever its
state). Without ``--scheduler`` a ``LocalCluster`` grades on this machine, one worker process per
core (``--workers``), listening on 127.0.0.1 only. With ``--scheduler tcp://host:8786`` the same
code grades on a running cluster (``dask scheduler`` / ``dask worker``: README, *For
instructors*); a worker needs this course's Python environment and nothing else.

Each Dask task grades ONE student and carries everything as data (``grading.scratch.make_task``:
the submission's files, the instructor's notebooks, the configuration, the secret, a gradebook
seed); the worker returns the graded files and grade rows as data, and the coordinator writes
each student whole (``grading.merge``). So:

* a worker killed mid-submission leaves nothing: Dask runs the task again on another worker
  (``distributed.scheduler.allowed-failures`` times), and each student gets one grade per cell;
* an interrupt at any moment (Ctrl-C, a killed coordinator) leaves each student wholly old or
  wholly new, and a re-run grades the rest.

The gradebook is nbgrader's ``db_url``: ``--db-url``, else ``nbgrader_config.py``'s (which reads
``$DB_URL``), else the course's ``gradebook.db`` (SQLite). A PostgreSQL gradebook
(``postgresql+psycopg2://user@host/db``) lets teaching assistants grade by hand in the
formgrader while this runs.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import uuid
from pathlib import Path

from grading.merge import merge_student
from grading.regrade import (
    choose,
    course_secret,
    keeps_hand_grades,
    load_settings,
    pending,
    plan,
    settings_digest,
    summary,
)
from grading.scratch import (
    autograde_in_scratch,
    make_seed,
    make_task,
    remove_scratch,
    source_bundle,
)
from grading.submissions import prepare
from grading.variants import describe, released

REPO = Path(__file__).resolve().parents[1]


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
                scheduler: str | ClusterOnDemand | None = None, workers: int | None = None,
                config_dir: str | Path = REPO, students: list[str] | None = None,
                force: bool = False, overrides: dict | None = None, secret: str | None = None,
                extra: list[str] | None = None, out=sys.stdout) -> dict:
    """Grade every submission of ``assignment`` that ``grading.regrade.plan`` says to (every one
    of ``students`` when given; with ``force`` and no ``students``, every one); return
    ``{"graded": {student: result without files}, "failed": {student: why}, "plan": {...}}``.

    ``scheduler``: a running cluster's address, or a ``ClusterOnDemand`` (started only if there
    is something to grade), or None (a local cluster of ``workers`` for this call).
    ``config_dir`` holds the course's ``nbgrader_config.py``; ``extra``: nbgrader options on top
    (``--Execute.timeout=30``); ``overrides``: settings as a dict; ``secret``: the hidden
    inputs' secret (default: the configuration's, ``course_secret``)."""
    from dask.distributed import Client, as_completed
    from traitlets.config import Config

    course_root = Path(course_root).resolve()
    config = load_settings(Path(config_dir), extra)
    config.merge(Config(overrides or {}))
    course_id = config.CourseDirectory.get("course_id", "default_course")
    db_url = (db_url or config.CourseDirectory.get("db_url")
              or f"sqlite:///{course_root / 'gradebook.db'}")
    secret = course_secret(config, course_root) if secret is None else secret
    settings = settings_digest(config, secret)
    source_dir = config.CourseDirectory.get("source_directory", "source")
    # renamed or missing notebooks made gradeable; a student who handed nothing in stays missing
    prepare(course_root, assignment, source_dir=source_dir)
    todo = plan(course_root, assignment, db_url, settings, course_id)
    if force and not students:
        todo = {s: what if what != "up to date" else "asked for" for s, what in todo.items()}
    todo = choose(todo, students, assignment)
    to_grade = pending(todo)
    print(summary(assignment, todo), file=out, flush=True)
    print(f"{assignment}: {len(to_grade)} submission(s) to grade", file=out, flush=True)
    report = {"graded": {}, "failed": {}, "plan": todo}
    if not to_grade:
        return report
    from nbgrader.api import Gradebook
    with Gradebook(db_url, course_id) as gb:      # as nbgrader autograde adds unknown students
        for student in to_grade:
            gb.update_or_create_student(student)
    seed = make_seed(db_url)
    bundle = source_bundle(course_root, source_dir, assignment)
    # the variant released (the course's record) is sent with every task; without a record,
    # the one the secret draws
    if bundle["variant"] is None:
        bundle["variant"] = released(course_root, assignment, secret)
        if bundle["variant"]:
            print(f"{assignment}: no variant recorded in variants.json; graded with the one the "
                  f"course secret draws ({describe(bundle['variant'])})", file=out, flush=True)
    # the task's configuration: the course's, without this machine's paths
    task_config = copy.deepcopy(config)
    for key in ("root", "db_url"):
        task_config.CourseDirectory.pop(key, None)
    cluster = None
    if isinstance(scheduler, ClusterOnDemand):
        scheduler = scheduler.address(len(to_grade))
    elif not scheduler:
        cluster = ClusterOnDemand(workers)
        scheduler = cluster.address(len(to_grade))
    client = Client(scheduler)
    futures, run = {}, uuid.uuid4().hex[:12]
    try:
        # everything travels inside each task: data scattered to a worker dies with it, and the
        # tasks needing it would be cancelled instead of run again
        for student in to_grade:
            task = make_task(course_root, assignment, student, config=task_config,
                             secret=secret, seed=seed, bundle=bundle, settings=settings)
            future = client.submit(autograde_in_scratch, task, run, None,
                                   key=f"autograde-{assignment}-{student}-{uuid.uuid4().hex[:8]}",
                                   pure=False)
            futures[future] = student
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
                merge_student(db_url, course_id, course_root, result,
                              keep_reviewed=keeps_hand_grades(todo[student]))
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
        try:                           # a killed task's scratch folder, on each worker
            client.run(remove_scratch, run)
        except Exception:              # noqa: BLE001 (cleanup only)
            pass
        client.close()
        if cluster is not None:
            cluster.close()


class ClusterOnDemand:
    """A local cluster started when an assignment first has something to grade, with no more
    workers than submissions to grade (each worker imports nbgrader: seconds of a core), grown for
    a later assignment with more. A run with nothing to grade starts none."""

    def __init__(self, workers: int | None = None):
        self.most = workers or os.cpu_count() or 1
        self.cluster = None

    def address(self, submissions: int) -> str:
        wanted = max(1, min(self.most, submissions))
        if self.cluster is None:
            self.cluster = local_cluster(wanted)
        elif len(self.cluster.worker_spec) < wanted:     # the workers asked for, started or not
            self.cluster.scale(wanted)
        return self.cluster.scheduler_address

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.close()


def local_cluster(workers: int | None = None):
    """Dask workers on this machine: ``workers`` processes (default one per core) of one thread,
    each grading one submission at a time; everything listens on 127.0.0.1 only."""
    import logging

    from dask.distributed import LocalCluster
    # the log is one line per submission: Dask's own warnings (a worker slow to stop on a busy
    # machine) only when they are errors; a worker lost mid-task still shows as a failed task
    return LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address="127.0.0.1:0",
                        silence_logs=logging.ERROR)



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
                        help="grade only this student, again even if up to date (repeatable)")
    parser.add_argument("--force", action="store_true",
                        help="grade again even what is graded and unchanged")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="grade without the sandbox (SandboxedExecute.unsafe_no_sandbox)")
    parser.add_argument("--deadlines", action="store_true",
                        help="first write deadlines.toml's due dates into the gradebook")
    parser.add_argument("--report", action="store_true",
                        help="then print the score table (grading.report), even after a failure")
    parser.add_argument("--class-report", action="store_true",
                        help="then write the class report (grading.class_report), even after a "
                             "failure")
    args, extra = parser.parse_known_args(argv)
    unknown = [a for a in extra if not (a.startswith("--") and "." in a.split("=")[0])]
    if unknown:
        parser.error(f"unrecognised arguments: {' '.join(unknown)}")
    overrides = {"SandboxedExecute": {"unsafe_no_sandbox": True}} if args.unsafe_no_sandbox else {}
    if args.unsafe_no_sandbox:
        print("UNSAFE: grading WITHOUT the sandbox (--unsafe-no-sandbox): every submission can "
              "read the solutions and rewrite the grade book", file=sys.stderr, flush=True)
    # nbgrader runs the `alembic` command when it opens a new gradebook: the venv's bin first
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # in this process, as `make autograde` needs them: each Python process that imports nbgrader
    # costs seconds
    if args.deadlines:
        from grading import deadlines
        deadlines.main(["--root", args.root])
    try:
        status = _grade(args, overrides, extra)
    except SystemExit as stop:           # e.g. an assignment that was never released
        if isinstance(stop.code, int):
            status = stop.code
        else:
            print(stop.code, file=sys.stderr)
            status = 1
    if args.report and status != 130:
        from grading import report
        sys.stdout.flush()
        report.main([*args.assignments, "--root", args.root])
    if args.class_report and status != 130:
        # in this process, which has imported the grade book's code already: a process of its
        # own cost `make autograde` seconds of start-up per run (benchmarks/parallel_autograde.py)
        from grading import class_report
        try:
            written = class_report.main([*args.assignments, "--root", args.root])
        except SystemExit as stop:       # its argument errors
            written = stop.code
        status = status or (1 if written else 0)
    return status


def _grade(args, overrides: dict, extra: list[str]) -> int:
    # one cluster for every assignment: a worker imports nbgrader (about a second of a core) once
    cluster = None if args.scheduler else ClusterOnDemand(args.workers)
    failed = []
    try:
        for assignment in args.assignments:
            print(f"== {assignment}", flush=True)
            # the course's nbgrader_config.py is read from here, as nbgrader does
            report = grade_class(args.root, assignment, db_url=args.db_url,
                                 scheduler=args.scheduler or cluster,
                                 students=args.student, force=args.force, config_dir=Path.cwd(),
                                 overrides=overrides, extra=extra)
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
