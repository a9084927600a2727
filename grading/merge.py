"""What the coordinator does with one worker's result: write that student, all or nothing.

Plain nbgrader commits a submission row before it runs the notebook and saves grades cell by
cell, so a process killed mid-way leaves a half-graded student. Here only the coordinator writes
the gradebook and ``autograded/``, and one student's new grades and graded folder are committed
together, with a marker file as the commit point (a redo log), in
``autograded/<student>/``:

1. ``.<assignment>.staged/``  the new graded folder, written in full and flushed to disk;
2. ``.<assignment>.commit``   the marker: the new grade rows, written to a temporary name,
                              flushed and renamed into place. From here on the student IS new;
3. the grade rows, in ONE gradebook transaction (setting the same values twice changes
   nothing, so it can be done again);
4. the swap: ``<assignment>/`` -> ``.<assignment>.old/``, ``.staged/`` -> ``<assignment>/``,
   the old folder removed;
5. the marker removed.

An interrupt before 2 leaves the student wholly old (``recover`` removes the staged folder);
from 2 on, ``recover`` does 3-5 again, whichever of them had happened: wholly new. Both engines
call ``recover`` before they decide what to grade (``grading.regrade.plan``).
"""
from __future__ import annotations

import json
import os
import shutil
import warnings
from datetime import datetime
from pathlib import Path, PurePosixPath

STAGED, COMMIT, OLD = ".{}.staged", ".{}.commit", ".{}.old"


def _fsync_tree(top: Path) -> None:
    for folder, _, files in os.walk(top):
        for name in files + ["."]:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _safe_name(name: str) -> PurePosixPath:
    """A relative path that stays inside its folder, or ValueError."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(p in ("", ".", "..") for p in path.parts):
        raise ValueError(f"refused file name in a graded result: {name!r}")
    return path


def write_tree(top: Path, files: dict[str, tuple[bytes, int]]) -> None:
    """Create the folder ``top`` holding ``files`` (relative path -> (bytes, mode)); nothing is
    followed or overwritten: every file is new (O_EXCL, O_NOFOLLOW)."""
    top.mkdir(mode=0o755)
    for name, (data, mode) in sorted(files.items()):
        path = top.joinpath(*_safe_name(name).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, data)
            os.fchmod(fd, (mode & 0o755) | 0o600)
        finally:
            os.close(fd)


def _rows_to_json(rows: dict) -> dict:
    """``rows`` as JSON can hold them (row ids are nbgrader's text ids)."""
    stamp = rows["timestamp"]
    return dict(rows, timestamp=stamp.isoformat() if isinstance(stamp, datetime) else stamp)


def _rows_from_json(data: dict) -> dict:
    stamp = data["timestamp"]
    return dict(data, timestamp=datetime.fromisoformat(stamp) if stamp else None)


def merge_student(db_url: str, course_id: str | None, course_root: str | Path, result: dict,
                  keep_reviewed: bool = False) -> None:
    """Write ``result`` (``grading.scratch.autograde_in_scratch``'s: ``"rows"``, ``"files"``,
    optionally ``"settings"``) into the course: gradebook rows and ``autograded/`` folder.
    ``keep_reviewed``: hand grades already reviewed stay reviewed (the answer did not change)."""
    assignment, student = result["assignment"], result["student"]
    _safe_name(student), _safe_name(assignment)
    parent = Path(course_root) / "autograded" / student
    parent.mkdir(parents=True, exist_ok=True)
    if parent.is_symlink():
        raise ValueError(f"{parent} is a symbolic link")
    marker = parent / COMMIT.format(assignment)
    if marker.exists():                     # an earlier merge of this student was interrupted
        roll_forward(db_url, course_id, marker)
    staged = parent / STAGED.format(assignment)
    shutil.rmtree(staged, ignore_errors=True)
    files = dict(result["files"])
    if result.get("settings"):
        from grading.regrade import SETTINGS_FILE
        files[SETTINGS_FILE] = (f"{result['settings']}\n".encode(), 0o644)
    write_tree(staged, files)
    _fsync_tree(staged)
    # the commit point: the marker appears whole (rename) or not at all
    pending = marker.with_name(marker.name + ".tmp")
    pending.write_text(json.dumps({"assignment": assignment, "student": student,
                                   "keep_reviewed": keep_reviewed,
                                   "rows": _rows_to_json(result["rows"])}))
    fd = os.open(pending, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    pending.rename(marker)
    roll_forward(db_url, course_id, marker)


def roll_forward(db_url: str, course_id: str | None, marker: Path) -> None:
    """Steps 3-5 for one commit marker; each step checks what is done, so it may run again."""
    intent = json.loads(marker.read_text())
    assignment = intent["assignment"]
    parent = marker.parent
    dest, staged, old = (parent / assignment, parent / STAGED.format(assignment),
                         parent / OLD.format(assignment))
    write_rows(db_url, course_id, assignment, intent["student"],
               _rows_from_json(intent["rows"]), intent.get("keep_reviewed", False))
    if staged.is_dir():
        if dest.exists():
            if old.exists():
                shutil.rmtree(old)
            dest.rename(old)
        staged.rename(dest)
    if old.exists():
        shutil.rmtree(old)
    marker.unlink()


def recover(course_root: str | Path, db_url: str, course_id: str | None = None) -> list[str]:
    """Finish every merge that reached its commit point and undo every one that did not; return
    ``<student>/<assignment>`` of each, for the log."""
    autograded = Path(course_root) / "autograded"
    done = []
    for marker in sorted(autograded.glob(f"*/{COMMIT.format('*')}")):
        if marker.is_file() and not marker.is_symlink():
            roll_forward(db_url, course_id, marker)
            done.append(f"{marker.parent.name}/{marker.name[1:-len('.commit')]}")
    for leftover in sorted(autograded.glob("*/.*.tmp")) + sorted(autograded.glob(
            f"*/{STAGED.format('*')}")):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    return done


def write_rows(db_url: str, course_id: str | None, assignment: str, student: str, rows: dict,
               keep_reviewed: bool = False) -> None:
    """One student's automatic grades, comments, timestamp and late penalty in ONE transaction.

    ``rows``: ``grading.scratch.read_rows``'s. The rule of nbgrader's SaveAutoGrades decides
    which grades need a person (a manual score, or no automatic one); with ``keep_reviewed`` a
    hand grade a person already reviewed stays reviewed."""
    from nbgrader.api import (
        Comment,
        Grade,
        Gradebook,
        MissingEntry,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from sqlalchemy.exc import SAWarning
    with Gradebook(db_url, course_id) if course_id else Gradebook(db_url) as gb, \
            warnings.catch_warnings():
        # the rows are built before they join the session (one commit): not a problem here
        warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session",
                                category=SAWarning)
        db = gb.db
        try:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:        # as Gradebook.add_submission builds it, without its commit
                with db.no_autoflush:   # nothing reaches the database before the one commit
                    submission = SubmittedAssignment(assignment=gb.find_assignment(assignment),
                                                     student=gb.find_student(student))
                    for notebook in submission.assignment.notebooks:
                        nb = SubmittedNotebook(notebook=notebook, assignment=submission)
                        for cell in notebook.grade_cells:
                            Grade(cell_id=cell.id, notebook=nb)
                        for cell in notebook.solution_cells:
                            Comment(cell_id=cell.id, notebook=nb)
                        for cell in notebook.task_cells:
                            Comment(cell_id=cell.id, notebook=nb)
                            Grade(cell_id=cell.id, notebook=nb)
                    db.add(submission)
            submission.timestamp = rows["timestamp"]
            for nb in submission.notebooks:
                graded = rows["notebooks"][nb.notebook.id]
                nb.late_submission_penalty = graded["late_submission_penalty"]
                for grade in nb.grades:
                    reviewed = grade.manual_score is not None and not grade.needs_manual_grade
                    grade.auto_score = graded["grades"][grade.cell_id]
                    grade.needs_manual_grade = not (keep_reviewed and reviewed) and (
                        grade.manual_score is not None or grade.auto_score is None)
                for comment in nb.comments:
                    comment.auto_comment = graded["comments"][comment.cell_id]
            db.commit()
        except BaseException:
            db.rollback()
            raise
