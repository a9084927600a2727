"""Autograde what is new or changed since its last grade, and nothing else.

    python -m grading.regrade <assignment> [--root DIR] [--student ID] [--dry-run]
    python -m grading.regrade <assignment> --before-release      (warn if it has graded submissions)

Each ``submitted/<student>/<assignment>/`` is, compared with ``autograded/``:

* new            -- never graded;
* resubmitted    -- its ``timestamp.txt`` (written by ``make collect``) is newer than the graded
                    one;
* tests changed  -- graded with test cells that differ from the gradebook's (the assignment was
                    released again with a fixed test: ``make release``);
* up to date     -- graded from exactly this submission with these tests: left alone.

Everything but the up-to-date ones is graded again in one ``nbgrader autograde --force`` run.
Hand grades survive a regrade (nbgrader keeps ``manual_score``); for a submission regraded only
because the tests changed, the student's answer did not change, so its hand grades stay final
instead of being flagged for review again. A student who handed nothing in is not graded at all.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry

from grading.collect import read_timestamp
from grading.verdict import as_released

NEW, RESUBMITTED, TESTS_CHANGED, UP_TO_DATE, NO_TIME = (
    "new", "resubmitted", "tests changed", "up to date", "no arrival time")


def _gradebook(root: Path):
    from nbgrader.api import Gradebook
    return Gradebook(f"sqlite:///{root / 'gradebook.db'}")


def _changed_tests(graded: Path, source_cells: dict[str, tuple[str, float]]) -> list[str]:
    """Test cells of a graded notebook that differ from the gradebook's (source text or points);
    the inputs the verdict filled in for the student do not count as a change."""
    changed = []
    for nb_path in sorted(graded.glob("*.ipynb")):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            key = (nb_path.stem, meta.get("grade_id"))
            if key in source_cells and meta.get("locked"):
                source, points = source_cells[key]
                if (
                    as_released(cell.source).strip() != source.strip()
                    or float(meta.get("points") or 0) != points
                ):
                    changed.append(meta["grade_id"])
    return changed


def plan(root: Path, assignment: str) -> dict[str, str]:
    """student -> what to do (one of NEW, RESUBMITTED, TESTS_CHANGED, UP_TO_DATE, NO_TIME)."""
    source_cells = {}
    with _gradebook(root) as gb:
        try:
            for notebook in gb.find_assignment(assignment).notebooks:
                for cell in notebook.source_cells:
                    grade = next((g for g in notebook.grade_cells if g.name == cell.name), None)
                    if cell.locked and grade is not None:
                        source_cells[(notebook.name, cell.name)] = (
                            cell.source,
                            float(grade.max_score),
                        )
        except MissingEntry:
            source_cells = None
    todo = {}
    for folder in sorted(p for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir()):
        student = folder.parent.name
        if source_cells is None:
            raise SystemExit(f"{assignment} has submissions but is not in the gradebook: run "
                             f"`make release ASSIGNMENT={assignment}` first")
        graded = root / "autograded" / student / assignment
        arrived, graded_at = read_timestamp(folder), read_timestamp(graded)
        if not graded.is_dir():
            todo[student] = NEW
        elif arrived is not None and (graded_at is None or arrived > graded_at):
            todo[student] = RESUBMITTED
        elif _changed_tests(graded, source_cells):
            todo[student] = TESTS_CHANGED
        else:
            todo[student] = UP_TO_DATE
        if arrived is None and todo[student] != UP_TO_DATE:
            todo[student] += f" ({NO_TIME}: collect it with `make collect` so lateness is known)"
    return todo


def _final_hand_grades(root: Path, assignment: str, students: list[str]) -> list[tuple]:
    """(student, notebook, cell) of every hand grade already reviewed, to keep it reviewed."""
    with _gradebook(root) as gb:
        return [(s.student_id, nb.name, g.name) for s in gb.assignment_submissions(assignment)
                if s.student_id in students for nb in s.notebooks for g in nb.grades
                if g.manual_score is not None and not g.needs_manual_grade]


def regrade(root: Path, assignment: str, nbgrader: str, student: str | None = None,
            extra: list[str] | None = None) -> dict[str, str]:
    todo = plan(root, assignment)
    if student is not None:
        if student not in todo:
            raise SystemExit(f"{student} has no submission of {assignment} in submitted/")
        # only this student, graded again even when up to date (an extension, a doubt)
        todo = {s: UP_TO_DATE for s in todo} | {
            student: "asked for" if todo[student] == UP_TO_DATE else todo[student]}
    pending = [s for s, what in todo.items() if what != UP_TO_DATE]
    if not pending:
        return todo
    keep = _final_hand_grades(
        root, assignment, [s for s in pending if todo[s].startswith(TESTS_CHANGED)]
    )
    skip = [s for s, what in todo.items() if what == UP_TO_DATE]
    command = [nbgrader, "autograde", assignment, "--force", f"--CourseDirectory.root={root}"]
    if skip:
        command.append(f"--CourseDirectory.student_id_exclude={','.join(skip)}")
    result = subprocess.run(command + (extra or []), cwd=Path(__file__).resolve().parents[1])
    if keep:
        with _gradebook(root) as gb:
            for student_id, notebook, cell in keep:
                gb.find_grade(cell, notebook, assignment, student_id).needs_manual_grade = False
            gb.db.commit()
    if result.returncode != 0:
        raise SystemExit(f"nbgrader autograde {assignment} failed (exit {result.returncode})")
    return todo


def before_release(root: Path, assignment: str) -> str | None:
    """A warning if ``assignment`` already has graded submissions (releasing changes their
    tests)."""
    if not (root / "gradebook.db").exists():
        return None
    with _gradebook(root) as gb:
        try:
            graded = len(gb.assignment_submissions(assignment))
        except Exception:
            return None
    if not graded:
        return None
    return (f"WARNING: {assignment} already has {graded} graded submission(s). Releasing it again "
            f"changes the tests they were graded with; afterwards run `make autograde ASSIGNMENT="
            f"{assignment}` (regrades every one, hand grades kept) and `make feedback ASSIGNMENT="
            f"{assignment} REGENERATE=1` (README: 'Fixing a test during the term').")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the nbgrader course directory"
    )
    parser.add_argument(
        "--student", help="grade this student's submission again, whatever its state"
    )
    parser.add_argument("--dry-run", action="store_true", help="only say what would be graded")
    parser.add_argument("--before-release", action="store_true")
    args, extra = parser.parse_known_args(argv)
    root = args.root.resolve()
    print(f"== {args.assignment}")
    if args.before_release:
        warning = before_release(root, args.assignment)
        if warning:
            print(warning)
        return 0
    if args.dry_run:
        todo = plan(root, args.assignment)
    else:
        todo = regrade(root, args.assignment, str(Path(sys.executable).with_name("nbgrader")),
                       args.student, extra)
    for student, what in todo.items():
        if what != UP_TO_DATE:
            print(f"{args.assignment}: {student}: {what}")
    counts = {}
    for what in todo.values():
        counts[what.split(" (")[0]] = counts.get(what.split(" (")[0], 0) + 1
    print(f"{args.assignment}: " + (", ".join(f"{n} {w}" for w, n in counts.items())
                                     or "no submissions in submitted/"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
