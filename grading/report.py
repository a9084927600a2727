"""Where every student stands: the score table after autograding, and the grades export.

    python -m grading.report [<assignment> ...] [--root DIR]  print the table (as make autograde)

One row per student of the gradebook and assignment, with a status that never hides a problem:

* ``missing``                -- nothing handed in: no score (never a silent zero);
* ``awaiting hand grading``  -- graded automatically, but a part waits for a person (named);
* ``graded``                 -- final.

Only assignments that were set are listed: with a due date (``deadlines.toml``) or at least one
submission; one released for the book but never set for the class has no row, and nobody is
*missing* it. A written part left blank scored 0 without a person (nbgrader's rule) and is listed
among the parts that lost points as "<part> (left blank)", as on the feedback page.

``GradesExport`` is the same table as nbgrader's export plug-in (``make export`` writes
``grades.csv``): nbgrader's columns plus ``status``, ``hours_late``, ``awaiting_hand_grading``
and ``failing_parts``; a missing submission has an empty score, which an LMS reads as missing.
"""
from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

from grading.feedback import LEFT_BLANK, left_blank
from grading.part_names import source_part_names

MISSING, AWAITING, GRADED = "missing", "awaiting hand grading", "graded"


@dataclass
class Standing:
    assignment: str
    student: str
    status: str
    score: float | None = None          # after the late penalty; None when missing
    raw_score: float | None = None
    penalty: float = 0.0
    max_score: float = 0.0
    seconds_late: float = 0.0
    timestamp: object = None
    awaiting: list[str] = field(default_factory=list)     # part names
    failing: list[str] = field(default_factory=list)      # part names that lost points


def standings(
    gb: Gradebook,
    root: Path,
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    source_dir: str = "solutions/source",
) -> list[Standing]:
    rows = []
    for assignment in gb.assignments:
        if assignments and assignment.name not in assignments:
            continue
        if not was_set(gb, assignment):
            continue
        names = source_part_names(root, assignment.name, source_dir)
        for student in gb.students:
            if students and student.id not in students:
                continue
            try:
                sub = gb.find_submission(assignment.name, student.id)
            except MissingEntry:
                rows.append(
                    Standing(assignment.name, student.id, MISSING, max_score=assignment.max_score)
                )
                continue
            grades = [g for nb in sub.notebooks for g in nb.grades]
            awaiting = [names.get(g.name, g.name) for g in grades if g.needs_manual_grade]
            failing = [names.get(g.name, g.name) + (f" ({LEFT_BLANK})" if left_blank(g) else "")
                       for g in grades
                       if not g.needs_manual_grade and (g.score or 0.0) < g.max_score]
            penalty = sub.late_submission_penalty or 0.0
            rows.append(
                Standing(
                    assignment.name,
                    student.id,
                    AWAITING if awaiting else GRADED,
                    score=max(0.0, sub.score - penalty),
                    raw_score=sub.score,
                    penalty=penalty,
                    max_score=sub.max_score,
                    seconds_late=sub.total_seconds_late,
                    timestamp=sub.timestamp,
                    awaiting=awaiting,
                    failing=failing,
                )
            )
    return rows


def was_set(gb: Gradebook, assignment) -> bool:
    """Was ``assignment`` set for the class: a due date, or anything handed in?"""
    return assignment.duedate is not None or bool(gb.assignment_submissions(assignment.name))


def table(rows: list[Standing]) -> str:
    """The rows as a plain-text table, one line per student and assignment."""
    lines = [
        f"{'student':<16} {'assignment':<24} {'score':>13}  {'status':<22} late / failing parts"
    ]
    for r in sorted(rows, key=lambda r: (r.assignment, r.student)):
        score = "—" if r.score is None else f"{r.score:g} / {r.max_score:g}"
        notes = []
        if r.seconds_late > 0:
            notes.append(f"{r.seconds_late / 3600:.1f} h late, -{r.penalty:g}")
        if r.awaiting:
            notes.append("awaiting: " + "; ".join(r.awaiting))
        if r.failing:
            notes.append("lost points: " + "; ".join(r.failing))
        lines.append(
            f"{r.student:<16} {r.assignment:<24} {score:>13}  {r.status:<22} {' | '.join(notes)}"
        )
    return "\n".join(lines)


class GradesExport(ExportPlugin):
    """nbgrader's CSV export, with each submission's status (missing, awaiting hand grading)."""

    columns = [
        "assignment",
        "duedate",
        "timestamp",
        "student_id",
        "last_name",
        "first_name",
        "email",
        "status",
        "hours_late",
        "raw_score",
        "late_submission_penalty",
        "score",
        "max_score",
        "awaiting_hand_grading",
        "failing_parts",
    ]

    def export(self, gradebook: Gradebook) -> None:
        dest = Path(self.to or "grades.csv")
        root = Path(self.parent.coursedir.root)
        rows = standings(gradebook, root, [str(a) for a in self.assignment] or None,
                         [str(s) for s in self.student] or None)
        with dest.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, self.columns)
            writer.writeheader()
            for r in rows:
                student = gradebook.find_student(r.student)
                due = gradebook.find_assignment(r.assignment).duedate
                writer.writerow(
                    {
                        "assignment": r.assignment,
                        "duedate": due or "",
                        "timestamp": r.timestamp or "",
                        "student_id": r.student,
                        "last_name": student.last_name or "",
                        "first_name": student.first_name or "",
                        "email": student.email or "",
                        "status": r.status,
                        "hours_late": f"{r.seconds_late / 3600:.2f}" if r.seconds_late else "",
                        "raw_score": "" if r.raw_score is None else r.raw_score,
                        "late_submission_penalty": r.penalty if r.status != MISSING else "",
                        "score": "" if r.score is None else r.score,
                        "max_score": r.max_score,
                        "awaiting_hand_grading": "; ".join(r.awaiting),
                        "failing_parts": "; ".join(r.failing),
                    }
                )
        counts = {s: sum(r.status == s for r in rows) for s in (GRADED, AWAITING, MISSING)}
        self.log.info("Exported %d rows to %s: %s", len(rows), dest,
                      ", ".join(f"{n} {s}" for s, n in counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the nbgrader course directory"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        print(table(standings(gb, root, args.assignments or None)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
