"""What one Dask worker does: autograde ONE student's submission in a private scratch course.

The worker never touches the course's gradebook or its ``autograded/`` folder. It gets the course
secret (as data in the task: the hidden inputs' seeds) and a *seed*,
a small SQLite copy of the gradebook holding everything but submissions and grades (the
assignment, its notebooks and graded cells, the students; row ids kept), builds a scratch course
from it and the student's ``submitted/`` folder, runs nbgrader's Autograde converter with the
course's own ``nbgrader_config.py`` (its preprocessors, time limits and sandbox apply unchanged),
and returns plain data: the grade rows and the autograded files. ``grading.merge`` writes them.

nbgrader runs inside the worker process (``NbGraderAPI``), not as a new ``nbgrader`` process per
submission: importing nbgrader costs 5-10 s, paid once per worker instead of once per student.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from grading.kernel_boundary import copy_plain, plain_files

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


def autograde_in_scratch(config_dir: str, course_root: str, assignment: str, student: str,
                         seed: bytes, scratch_parent: str, overrides: dict | None = None,
                         secret: str | None = None) -> dict:
    """Autograde ``submitted/<student>/<assignment>`` of ``course_root`` in a scratch course.

    ``config_dir`` holds the course's ``nbgrader_config.py``; ``overrides`` are extra settings
    (``{"Execute": {"timeout": 8}}``); ``secret`` is the course secret the coordinator read
    (``grading.course_secret``): it seeds the hidden inputs here, so the scratch course never
    makes one of its own. Returns ``{"student", "assignment", "ok", "log", "pid",
    "seconds"}`` and, when nbgrader succeeded, ``"rows"`` (see ``read_rows``) and ``"files"``
    (path relative to the autograded folder -> (bytes, mode)). The scratch folder is removed;
    if the worker is killed it stays under ``scratch_parent``, which the coordinator removes."""
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    start = time.perf_counter()
    Path(scratch_parent).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{student}-", dir=scratch_parent))
    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=config_dir).load_config()
        config.merge(Config(overrides or {}))
        if secret is not None:
            config.CourseSecret.secret = secret
        source_dir = Path(config.CourseDirectory.get("source_directory", "source"))
        (scratch / source_dir).parent.mkdir(parents=True, exist_ok=True)
        (scratch / source_dir).symlink_to(Path(course_root) / source_dir)
        # plain files only: a link in the submission is neither followed nor copied
        refused = copy_plain(Path(course_root) / "submitted" / student / assignment,
                             scratch / "submitted" / student / assignment)
        db = scratch / "gradebook.db"
        db.write_bytes(seed)
        config.CourseDirectory.root = str(scratch)
        config.CourseDirectory.db_url = f"sqlite:///{db}"
        outcome = NbGraderAPI(config=config).autograde(assignment, student, force=True,
                                                       create=False)
        result = {"student": student, "assignment": assignment, "ok": bool(outcome["success"]),
                  "log": "".join(f"not a plain file, ignored: {why}\n" for why in refused)
                  + (outcome.get("log") or "")[-4000:] + (outcome.get("error") or ""),
                  "pid": os.getpid()}
        graded = scratch / "autograded" / student / assignment
        if result["ok"] and graded.is_dir():
            result["rows"] = read_rows(f"sqlite:///{db}", assignment, student)
            result["files"], _ = plain_files(graded)
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
