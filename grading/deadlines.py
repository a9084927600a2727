"""Due dates, in one place (``deadlines.toml`` at the course root), and the course's late policy.

    python -m grading.deadlines [--root DIR]     write the due dates into the gradebook

``deadlines.toml`` holds one line per assignment, a TOML date-time with its time zone::

    01_neurons_perceptron = 2027-02-12T23:59:00Z

``make autograde`` writes them into the gradebook before grading (nbgrader reads an assignment's
due date from there, ``nbgrader db assignment add --duedate`` does the same by hand), so a
changed date applies to everything graded after it. nbgrader compares each submission's
``timestamp.txt`` (written by ``make collect``) with the due date; ``LatePolicy`` below is the
course's penalty, plugged into nbgrader's ``AssignLatePenalties`` in ``nbgrader_config.py``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tomllib
from pathlib import Path

from traitlets import Float

from nbgrader.plugins import LateSubmissionPlugin

DEADLINES = "deadlines.toml"


def read_deadlines(root: Path) -> dict[str, dt.datetime]:
    """assignment -> due date (aware, UTC); a clear error for a date without a time zone."""
    path = Path(root) / DEADLINES
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        table = tomllib.load(fh)
    deadlines = {}
    for assignment, due in table.items():
        if not isinstance(due, dt.datetime) or due.tzinfo is None:
            raise SystemExit(f"{path}: {assignment} = {due!r}: write a date-time with its time zone, "
                             "e.g. 2027-02-12T23:59:00Z or 2027-02-12T23:59:00+01:00")
        deadlines[assignment] = due.astimezone(dt.timezone.utc)
    return deadlines


def sync(root: Path) -> list[str]:
    """Write the due dates into the gradebook (assignments it does not know yet are added)."""
    from nbgrader.api import Gradebook
    lines = []
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gb:
        for assignment, due in read_deadlines(root).items():
            # nbgrader stores naive UTC times
            gb.update_or_create_assignment(assignment, duedate=due.replace(tzinfo=None))
            lines.append(f"{assignment}: due {due:%Y-%m-%d %H:%M} UTC")
    return lines


class LatePolicy(LateSubmissionPlugin):
    """The course's late policy: each started day late costs ``per_day`` of the notebook's points.

    A submission 1 minute late loses 10 % of the points, 25 hours late 20 %, and so on, never more
    than it scored (nbgrader caps the penalty at the score).
    """

    per_day = Float(0.10, help="Fraction of the notebook's points lost per started day late.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float):
        if total_seconds_late <= 0:
            return 0.0
        days = math.ceil(total_seconds_late / 86400)
        # the plug-in's parent is nbgrader's AssignLatePenalties, which holds the open gradebook
        pre = self.parent
        notebook = pre.gradebook.find_submission_notebook(pre.notebook_id, pre.assignment_id, student_id)
        penalty = min(1.0, days * self.per_day) * notebook.max_score
        self.log.warning("%s: %s late (%d started day(s)): penalty %.2f of %.2f points", student_id,
                         dt.timedelta(seconds=round(total_seconds_late)), days, penalty, notebook.max_score)
        return penalty


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the nbgrader course directory")
    args = parser.parse_args(argv)
    lines = sync(args.root.resolve())
    print("\n".join(lines) if lines else f"no due dates ({args.root / DEADLINES} is missing or empty)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
