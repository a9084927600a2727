"""What one Dask worker does: autograde ONE student's submission in a private scratch course.

A worker needs the course's Python environment and nothing else: no course folder, no shared
disk, no gradebook. The coordinator sends each task everything as data (``task``):

* ``seed``      a small SQLite copy of the gradebook holding everything but submissions and
                grades (the assignment, its notebooks and graded cells, the students; row ids
                kept);
* ``source``    the instructor's notebooks of the assignment, as bytes, and their ``digest``
                (the verdict's reference is computed from them);
* ``files``     the student's submitted files, as bytes (read by ``read_tree``: regular files
                only, no link followed);
* ``config``    the course's nbgrader configuration (its preprocessors, time limits, sandbox);
* ``secret``    the secret the hidden inputs' seeds mix in;
* ``variant``   the variant the assignment was released with (``grading.variants``: the
                course's record), written into the scratch course's own record.

The worker builds a scratch course of these in its own temporary folder, runs nbgrader's
Autograde converter there, and returns plain data: the grade rows and the autograded files
(again read by ``read_tree``). ``grading.merge`` writes them into the course.

nbgrader runs inside the worker process (``NbGraderAPI``), not as a new ``nbgrader`` process per
submission: importing nbgrader costs 5-10 s, paid once per worker instead of once per student.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import sqlalchemy as sa

from grading.kernel_boundary import Limits, plain_files
from grading.merge import write_tree
from grading.variants import read_record, write_record

# what one task may carry in or out: a submission folder, or a graded one, as bytes
MAX_TREE_BYTES = 64 * 1024**2
MAX_TREE_FILES = 2000


def read_tree(top: Path, max_bytes: int = MAX_TREE_BYTES,
              max_files: int = MAX_TREE_FILES) -> tuple[dict[str, tuple[bytes, int]], list[str]]:
    """The regular files under ``top``: ``({relative path: (bytes, mode)}, [what was left out])``,
    read through the one door of ``grading.kernel_boundary``: nothing is followed (symbolic links,
    devices, FIFOs, sockets, hard links are left out and named), nor taken beyond ``max_files``
    files or ``max_bytes`` in all."""
    return plain_files(top, Limits(file_bytes=max_bytes, total_bytes=max_bytes, files=max_files))


def digest(files: dict[str, tuple[bytes, int]]) -> str:
    """A digest of a folder read by ``read_tree`` (names and contents)."""
    h = hashlib.sha256()
    for name, (data, _) in sorted(files.items()):
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def source_bundle(course_root: Path, source_dir: str, assignment: str) -> dict:
    """``{"source": files, "digest": ..., "variant": ...}``: the instructor's folder of
    ``assignment``, as data, and the variant it was released with (the course's record,
    ``grading.variants``; None if none is recorded)."""
    files, _ = read_tree(Path(course_root) / source_dir / assignment)
    if not any(name.endswith(".ipynb") for name in files):
        raise SystemExit(f"no source notebooks in {Path(course_root) / source_dir / assignment}")
    return {"source": files, "digest": digest(files),
            "variant": read_record(course_root).get(assignment)}


def make_task(course_root: Path, assignment: str, student: str, *, config, secret: str,
              seed: bytes, bundle: dict, settings: str | None = None) -> dict:
    """Everything one worker needs to grade ``submitted/<student>/<assignment>``, as data."""
    files, ignored = read_tree(Path(course_root) / "submitted" / student / assignment)
    return {"assignment": assignment, "student": student, "config": config, "secret": secret,
            "seed": seed, "source": bundle["source"], "digest": bundle["digest"],
            "files": files, "ignored": ignored, "settings": settings,
            "variant": bundle.get("variant")}


# the tables nbgrader fills when it grades; the seed leaves them empty
SUBMISSION_TABLES = {"submitted_assignment", "submitted_notebook", "grade", "comment"}


def make_seed(db_url: str) -> bytes:
    """The gradebook at ``db_url`` (SQLite or PostgreSQL) without its submissions, as SQLite bytes.

    The alembic version row is copied too: nbgrader then never runs the ``alembic`` command on
    the seed (it does on a database it takes for new)."""
    from nbgrader.api import Base
    with tempfile.TemporaryDirectory(prefix="autograde-seed-") as tmp:
        path = Path(tmp) / "seed.db"
        src, dst = sa.create_engine(db_url), sa.create_engine(f"sqlite:///{path}")
        try:
            Base.metadata.create_all(dst)
            with src.connect() as read, dst.begin() as write:
                for table in Base.metadata.sorted_tables:      # parents before children (FKs)
                    if table.name in SUBMISSION_TABLES:
                        continue
                    rows = [dict(r._mapping) for r in read.execute(table.select())]
                    if rows:
                        write.execute(table.insert(), rows)
                version = read.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                write.execute(sa.text("CREATE TABLE alembic_version "
                                      "(version_num VARCHAR(32) NOT NULL)"))
                write.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": version})
        finally:
            src.dispose()
            dst.dispose()
        return path.read_bytes()


def apply_secret(config, secret: str) -> None:
    """Give the hidden inputs and the verdict the course's ``secret`` (the one setting their
    seeds mix in)."""
    config.CourseSecret.secret = secret


def scratch_parent(run: str) -> Path:
    """Where a worker keeps the scratch courses of one grading ``run``: in its own temporary
    folder, so that the coordinator can remove what a killed task left (``remove_scratch``)."""
    return Path(tempfile.gettempdir()) / f"autograde-{run}"


def remove_scratch(run: str) -> None:
    """On a worker, after a run: remove its scratch folder."""
    shutil.rmtree(scratch_parent(run), ignore_errors=True)


def autograde_in_scratch(task: dict, run: str = "default", overrides: dict | None = None) -> dict:
    """Autograde one ``task`` (``make_task``'s) in a scratch course of the worker's own under
    ``scratch_parent(run)``; touches nothing else.

    ``overrides`` are extra settings (``{"Execute": {"timeout": 8}}``). Returns ``{"student",
    "assignment", "ok", "log", "pid", "seconds", "settings"}`` and, when nbgrader succeeded,
    ``"rows"`` (see ``read_rows``), ``"files"`` (path relative to the autograded folder ->
    (bytes, mode)) and ``"ignored"`` (what the kernel left that was not taken back). The scratch
    folder is removed; if the worker is killed it stays, and the coordinator removes it."""
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config import Config

    start = time.perf_counter()
    # nbgrader_config.py silences nbgrader's harmless SQLAlchemy warnings where it is executed;
    # a worker receives its settings, not the file
    warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session",
                            category=sa.exc.SAWarning)
    assignment, student = task["assignment"], task["student"]
    parent = scratch_parent(run)
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{student}-", dir=parent))
    try:
        config = Config(task["config"])
        config.merge(Config(overrides or {}))
        apply_secret(config, task["secret"])
        source_dir = Path(config.CourseDirectory.get("source_directory", "source"))
        (scratch / source_dir).mkdir(parents=True)
        write_tree(scratch / source_dir / assignment, task["source"])
        (scratch / "submitted" / student).mkdir(parents=True)
        write_tree(scratch / "submitted" / student / assignment, task["files"])
        if task.get("variant") is not None:
            write_record(scratch, assignment, task["variant"])
        db = scratch / "gradebook.db"
        db.write_bytes(task["seed"])
        config.CourseDirectory.root = str(scratch)
        config.CourseDirectory.db_url = f"sqlite:///{db}"
        outcome = NbGraderAPI(config=config).autograde(assignment, student, force=True,
                                                       create=False)
        result = {"student": student, "assignment": assignment, "ok": bool(outcome["success"]),
                  "log": (outcome.get("log") or "")[-4000:] + (outcome.get("error") or ""),
                  "pid": os.getpid(), "settings": task.get("settings")}
        graded = scratch / "autograded" / student / assignment
        if result["ok"] and graded.is_dir() and not graded.is_symlink():
            result["rows"] = read_rows(f"sqlite:///{db}", assignment, student)
            result["files"], result["ignored"] = read_tree(graded)
        else:
            result["ok"] = False
        result["seconds"] = time.perf_counter() - start
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def read_rows(db_url: str, assignment: str, student: str) -> dict:
    """One student's graded rows: ``{"timestamp", "notebooks": {notebook row id: {
    "late_submission_penalty", "grades": {cell row id: auto_score}, "comments": {...}}}}``.
    The seed kept the main gradebook's row ids, so they name the same cells there."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        return {"timestamp": submission.timestamp, "notebooks": {
            nb.notebook.id: {"late_submission_penalty": nb.late_submission_penalty,
                             "grades": {g.cell_id: g.auto_score for g in nb.grades},
                             "comments": {c.cell_id: c.auto_comment for c in nb.comments}}
            for nb in submission.notebooks}}
