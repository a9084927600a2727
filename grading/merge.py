"""What the coordinator does with one worker's result: write that student's grades, all or nothing.

Plain nbgrader commits a submission row before it runs the notebook and saves grades cell by
cell, so a process killed mid-way leaves a half-graded student. Here only the coordinator writes
the gradebook, and one student's rows go in ONE transaction: either every cell has its new
grade or nothing changed. The autograded files are written beside their folder first and
swapped in by renames once the rows are committed.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from grading.kernel_boundary import write_files


def merge_student(db_url: str, course_id: str, course_root: str | Path, result: dict) -> None:
    """Write ``result`` (``grading.scratch.autograde_in_scratch``'s) into the course."""
    assignment, student = result["assignment"], result["student"]
    dest = Path(course_root) / "autograded" / student / assignment
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{assignment}.new-", dir=dest.parent))
    try:
        # new files only, named inside the folder (kernel_boundary.write_files refuses "../x")
        write_files(staged, result["files"])
        for name, (_, mode) in result["files"].items():
            (staged / name).chmod(mode)
        staged.chmod(0o755)
        _write_rows(db_url, course_id, assignment, student, result["rows"])
        if dest.exists():
            old = dest.with_name(f".{assignment}.old-{os.getpid()}")
            dest.rename(old)
            staged.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staged.rename(dest)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _write_rows(db_url: str, course_id: str, assignment: str, student: str, rows: dict) -> None:
    from nbgrader.api import (
        Comment,
        Grade,
        Gradebook,
        MissingEntry,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    with Gradebook(db_url, course_id) as gb:
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
                    grade.auto_score = graded["grades"][grade.cell_id]
                    # SaveAutoGrades' rule: a manual score, or no automatic one, needs a human
                    grade.needs_manual_grade = (grade.manual_score is not None
                                                or grade.auto_score is None)
                for comment in nb.comments:
                    comment.auto_comment = graded["comments"][comment.cell_id]
            db.commit()
        except BaseException:
            db.rollback()
            raise
