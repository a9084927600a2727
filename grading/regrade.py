"""Autograde what is new or changed since its last grade, and nothing else.

    python -m grading.regrade <assignment> [--root DIR] [--student ID] [--dry-run]
    python -m grading.regrade <assignment> --before-release      (warn if it has graded submissions)

Each ``submitted/<student>/<assignment>/`` is, compared with ``autograded/`` and the gradebook:

* new              -- never graded (no autograded folder, or no submission in the gradebook);
* resubmitted      -- its ``timestamp.txt`` (written by ``make collect``) is newer than the
                      graded one;
* tests changed    -- graded with test cells (or a variant cell, ``grading.variants``) that
                      differ from the gradebook's (the assignment was released again with a
                      fixed test or another variant: ``make release``);
* settings changed -- graded under other grader settings (time and resource limits, the
                      preprocessors, the late policy, the hidden inputs' secret: ``SETTINGS``);
* up to date       -- graded from exactly this submission, with these tests and settings.

``decide`` is that rule and ``plan`` applies it to a course: ``make autograde`` on Dask
(``grading.parallel``) and this sequential path (``WORKERS=1``, one ``nbgrader autograde --force``
run) both grade exactly what ``plan`` says. Hand grades survive a regrade (nbgrader keeps
``manual_score``); for a submission regraded only because the tests or the settings changed, the
student's answer did not change, so its reviewed hand grades stay final instead of being flagged
for review again. A student who handed nothing in is not graded at all.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry

from grading.collect import read_timestamp
from grading.merge import recover
from grading.variants import CELL_ID as VARIANT_CELL
from grading.verdict import as_released

REPO = Path(__file__).resolve().parents[1]
NEW, RESUBMITTED, TESTS_CHANGED, SETTINGS_CHANGED, UP_TO_DATE, NO_TIME = (
    "new", "resubmitted", "tests changed", "settings changed", "up to date", "no arrival time")
ASKED_FOR = "asked for"
# what a graded folder was graded under (``settings_digest``); written by both engines
SETTINGS_FILE = ".grader-settings"
# The settings that can change a score. Paths, the gradebook's address and whether the sandbox
# is used (UNSAFE_NO_SANDBOX grades the same notebook to the same score) are left out.
SETTINGS = {
    "Execute": ("timeout", "interrupt_on_timeout", "startup_timeout", "allow_errors"),
    "ResilientExecute": None,
    "SandboxedExecute": ("max_output_bytes", "timeout", "interrupt_on_timeout"),
    "SandboxedKernelManager": None,
    "LimitOutput": None,
    "RestoreTestCells": None,
    "HiddenInputs": ("own_work",),
    "VerdictOutside": ("own_work",),
    "AssignLatePenalties": None,
    "LatePolicy": None,
    "Autograde": ("sanitize_preprocessors", "autograde_preprocessors", "exclude_overwriting"),
}


def decide(*, graded: bool, arrived: datetime | None, graded_at: datetime | None,
           tests_changed: bool, settings_changed: bool) -> str:
    """What to do with one submission: REPO = Path(__file__).resolve().parents[1]
NEW, RESUBMITTED, TESTS_CHANGED, SETTINGS_CHANGED or
    UP_TO_DATE (the first that applies, in that order).

    ``graded``: it has an autograded folder and a submission in the gradebook; ``arrived``: its
    ``timestamp.txt`` in ``submitted/`` (None without one); ``graded_at``: the one copied into
    its autograded folder. Without an arrival time a graded submission is not graded again for
    its time (as nbgrader)."""
    if not graded:
        return NEW
    if arrived is not None and (graded_at is None or arrived > graded_at):
        return RESUBMITTED
    if tests_changed:
        return TESTS_CHANGED
    if settings_changed:
        return SETTINGS_CHANGED
    return UP_TO_DATE


def _plain(value):
    """A setting as text that does not depend on the process (classes by their import name)."""
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    # as text: a number set on the command line arrives as a string
    return str(value) if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def settings_digest(config, secret: str) -> str:
    """A digest of the grader settings that can change a score (``SETTINGS`` of ``config``, a
    traitlets Config) and of the hidden inputs' ``secret``; equal digests, equal grading."""
    chosen = {}
    for section, keys in SETTINGS.items():
        values = dict(config[section]) if section in config else {}
        chosen[section] = {k: _plain(v) for k, v in sorted(values.items())
                           if keys is None or k in keys}
    chosen["secret"] = hashlib.sha256(secret.encode()).hexdigest()
    text = json.dumps(chosen, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_settings(config_dir: Path, extra: list[str] | None = None):
    """The course's nbgrader configuration: ``config_dir/nbgrader_config.py`` with nbgrader's
    command-line settings ``extra`` (``--Execute.timeout=30``) on top, as nbgrader reads them."""
    from traitlets.config.loader import KVArgParseConfigLoader, PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(config_dir)).load_config()
    settings = [a for a in extra or [] if a.startswith("--") and "." in a.split("=")[0]]
    if settings:
        config.merge(KVArgParseConfigLoader(argv=settings).load_config())
    return config


def course_secret(config, root: Path) -> str:
    """The secret the hidden inputs' seeds mix in (``grading.course_secret``: the setting, else
    the course's generated file), or SystemExit saying why it may not seed. The coordinator
    passes it to every grading task as a value."""
    from grading.course_secret import CourseSecret, PublicSecret
    try:
        return CourseSecret(config=config).value(
            root, str(config.CourseDirectory.get("course_id", "")))
    except PublicSecret as refused:
        raise SystemExit(str(refused)) from None


def _utc(when: datetime | None) -> datetime | None:
    """nbgrader's naive UTC times as aware ones (as ``read_timestamp`` gives)."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def write_settings(graded: Path, settings: str) -> None:
    """Record in a graded folder what it was graded under; a link or file the kernel left under
    that name is replaced, never followed."""
    path = graded / SETTINGS_FILE
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(settings + "\n")


def graded_settings(graded: Path) -> str | None:
    """The settings digest a graded folder was graded under (None: graded before it was kept)."""
    try:
        return (graded / SETTINGS_FILE).read_text().strip() or None
    except OSError:
        return None


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


def plan(root: Path, assignment: str, db_url: str | None = None,
         settings: str | None = None, course_id: str | None = None) -> dict[str, str]:
    """student -> what to do (``decide``'s answer, with NO_TIME noted) for every folder of
    ``submitted/*/<assignment>``. ``settings``: the digest of the settings grading runs under
    now (None: settings are not compared). An interrupted merge is finished first
    (``grading.merge.recover``), so what is decided is a whole state."""
    from nbgrader.api import Gradebook
    db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    recover(root, db_url, course_id)
    source_cells = {}
    with Gradebook(db_url) as gb:
        try:
            for notebook in gb.find_assignment(assignment).notebooks:
                for cell in notebook.source_cells:
                    grade = next((g for g in notebook.grade_cells if g.name == cell.name), None)
                    if cell.locked and grade is not None:
                        source_cells[(notebook.name, cell.name)] = (
                            cell.source,
                            float(grade.max_score),
                        )
                    elif cell.locked and cell.name == VARIANT_CELL:
                        # released again with another variant: every answer is graded again
                        source_cells[(notebook.name, cell.name)] = (cell.source, 0.0)
            # when each was graded from: the arrival time nbgrader read before the notebook ran
            # (the copy in the graded folder was in the kernel's reach)
            in_gradebook = {s.student_id: _utc(s.timestamp)
                            for s in gb.assignment_submissions(assignment)}
        except MissingEntry:
            source_cells, in_gradebook = None, {}
    todo = {}
    for folder in sorted(p for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir()):
        student = folder.parent.name
        if source_cells is None:
            raise SystemExit(f"{assignment} has submissions but is not in the gradebook: run "
                             f"`make release ASSIGNMENT={assignment}` first")
        graded = root / "autograded" / student / assignment
        is_graded = graded.is_dir() and student in in_gradebook
        arrived = read_timestamp(folder)
        kept = graded_settings(graded) if is_graded else None
        todo[student] = decide(
            graded=is_graded, arrived=arrived,
            graded_at=in_gradebook.get(student),
            tests_changed=is_graded and bool(_changed_tests(graded, source_cells)),
            settings_changed=settings is not None and kept is not None and kept != settings)
        if arrived is None and todo[student] != UP_TO_DATE:
            todo[student] += f" ({NO_TIME}: collect it with `make collect` so lateness is known)"
    return todo


def choose(todo: dict[str, str], students: list[str] | None = None,
           assignment: str = "") -> dict[str, str]:
    """``todo`` narrowed to ``students`` (``make autograde STUDENT=``): only they are graded,
    and graded again even when up to date (an extension, a doubt)."""
    if not students:
        return todo
    for student in students:
        if student not in todo:
            raise SystemExit(f"{student} has no submission of {assignment} in submitted/")
    return {s: UP_TO_DATE for s in todo} | {
        s: ASKED_FOR if todo[s] == UP_TO_DATE else todo[s] for s in students}


def pending(todo: dict[str, str]) -> list[str]:
    """The students ``todo`` says to grade."""
    return [s for s, what in todo.items() if what != UP_TO_DATE]


def keeps_hand_grades(what: str) -> bool:
    """Whether a regrade for this reason leaves reviewed hand grades reviewed: the student's
    answer did not change."""
    return what.startswith((TESTS_CHANGED, SETTINGS_CHANGED))


def summary(assignment: str, todo: dict[str, str]) -> str:
    """One line per student graded and the counts, as both engines print them."""
    lines = [f"{assignment}: {student}: {what}" for student, what in todo.items()
             if what != UP_TO_DATE]
    counts = {}
    for what in todo.values():
        counts[what.split(" (")[0]] = counts.get(what.split(" (")[0], 0) + 1
    lines.append(f"{assignment}: " + (", ".join(f"{n} {w}" for w, n in counts.items())
                                      or "no submissions in submitted/"))
    return "\n".join(lines)


def _final_hand_grades(db_url: str, assignment: str, students: list[str]) -> list[tuple]:
    """(student, notebook, cell) of every hand grade already reviewed, to keep it reviewed."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        return [(s.student_id, nb.name, g.name) for s in gb.assignment_submissions(assignment)
                if s.student_id in students for nb in s.notebooks for g in nb.grades
                if g.manual_score is not None and not g.needs_manual_grade]


def regrade(root: Path, assignment: str, nbgrader: str, student: str | None = None,
            extra: list[str] | None = None) -> dict[str, str]:
    """Grade what ``plan`` says with one ``nbgrader autograde --force`` run (the sequential
    engine); ``extra``: nbgrader options. Returns the plan."""
    config = load_settings(REPO, extra)
    db_url = config.CourseDirectory.get("db_url") or f"sqlite:///{root / 'gradebook.db'}"
    course_id = config.CourseDirectory.get("course_id")
    settings = settings_digest(config, course_secret(config, root))
    todo = choose(plan(root, assignment, db_url, settings, course_id),
                  [student] if student else None, assignment)
    graded = pending(todo)
    if not graded:
        return todo
    keep = _final_hand_grades(db_url, assignment, [s for s in graded if keeps_hand_grades(todo[s])])
    skip = [s for s, what in todo.items() if what == UP_TO_DATE]
    command = [nbgrader, "autograde", assignment, "--force", f"--CourseDirectory.root={root}"]
    if skip:
        command.append(f"--CourseDirectory.student_id_exclude={','.join(skip)}")
    result = subprocess.run(command + (extra or []), cwd=REPO)
    if keep:
        from nbgrader.api import Gradebook
        with Gradebook(db_url) as gb:
            for student_id, notebook, cell in keep:
                gb.find_grade(cell, notebook, assignment, student_id).needs_manual_grade = False
            gb.db.commit()
    for student_id in graded:       # what each was graded under (nbgrader removes a failed one)
        folder = root / "autograded" / student_id / assignment
        if folder.is_dir() and not folder.is_symlink():
            write_settings(folder, settings)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader autograde {assignment} failed (exit {result.returncode})")
    return todo


def before_release(root: Path, assignment: str) -> str | None:
    """A warning if ``assignment`` already has graded submissions (releasing changes their
    tests)."""
    if not (root / "gradebook.db").exists():
        return None
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
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
        config = load_settings(REPO, extra)
        todo = plan(root, args.assignment, config.CourseDirectory.get("db_url"),
                    settings_digest(config, course_secret(config, root)),
                    config.CourseDirectory.get("course_id"))
    else:
        todo = regrade(root, args.assignment, str(Path(sys.executable).with_name("nbgrader")),
                       args.student, extra)
    print(summary(args.assignment, todo))
    return 0


if __name__ == "__main__":
    sys.exit(main())
