"""The class at a glance, for the instructor: where a class as a whole goes wrong.

    python -m grading.class_report [<assignment> ...] [--root DIR] [--out DIR]

After autograding (``make class-report``; ``make autograde`` makes it too), for each assignment
``<out>/<assignment>/``, by default ``reports/<assignment>/`` of the course folder (git-ignored;
never under ``feedback/``, whose pages go to students):

* ``report.html`` -- one page, figures inline, no network: the score distribution; each part's
  pass rate; the named mistakes (``lib/exercises/mistakes.py``) by the number of students whose
  graded notebook shows them; late and missing counts; and the parts whose hidden cases fail
  students whose visible tests pass (a test too strict, or one the visible tests do not prepare
  for: worth a look);
* ``parts.csv`` (part, grade_id, graded, passed, pass_rate, hidden_fail_visible_pass) and
  ``mistakes.csv`` (part, grade_id, mistake, students).

The verdict lines of the autograded notebooks (``grading/verdict.py``: "case 3 (hidden): ...")
are what the mistakes and the visible/hidden split are read from.
"""
from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from grading.part_names import source_part_names
from grading.report import GRADED, MISSING, standings
from lib.exercises.mistakes import GENERIC, MISTAKES

_CASE = re.compile(r"^\s*-\s*case \d+ \((?P<kind>a visible test|hidden)\): (?P<text>.*)$")


@dataclass
class CellVerdict:
    """What the grader wrote in one graded cell of one student's notebook."""

    visible_failed: bool = False
    hidden_failed: bool = False
    mistakes: set[str] = field(default_factory=set)


def verdicts(notebook_path: Path) -> dict[str, CellVerdict]:
    """grade_id -> the verdict of that graded cell, read from an autograded notebook."""
    nb = nbformat.read(notebook_path, as_version=4)
    found = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not grade_id:
            continue
        text = "\n".join(
            o.get("text", "") if o.output_type == "stream"
            else "\n".join(o.get("traceback", [])) if o.output_type == "error" else ""
            for o in cell.get("outputs", []))
        verdict = CellVerdict()
        known = MISTAKES.get(grade_id, []) + GENERIC
        for line in text.splitlines():
            match = _CASE.match(line)
            if not match:
                continue
            if match["kind"] == "hidden":
                verdict.hidden_failed = True
            else:
                verdict.visible_failed = True
            flat = " ".join(match["text"].split())
            verdict.mistakes.update(m.name for m in known if " ".join(m.says.split()) in flat)
        found[grade_id] = verdict
    return found


@dataclass
class ClassReport:
    assignment: str
    scores: list[float]
    max_score: float
    counts: dict[str, int]                     # graded, awaiting, missing, late
    parts: list[dict]                          # part, graded, passed, pass_rate, hidden_...
    mistakes: list[tuple[str, str, str, int]]  # part, grade_id, mistake, students


def class_report(gb: Gradebook, root: Path, assignment: str,
                 source_dir: str = "solutions/source") -> ClassReport:
    rows = standings(gb, root, [assignment], source_dir=source_dir)
    names = source_part_names(root, assignment, source_dir)
    graded = [r for r in rows if r.status != MISSING]
    counts = {
        "students": len(rows),
        "graded": sum(r.status == GRADED for r in rows),
        "awaiting hand grading": sum(r.status not in (GRADED, MISSING) for r in rows),
        "missing": sum(r.status == MISSING for r in rows),
        "late": sum(r.seconds_late > 0 for r in graded),
    }
    passed, tried, leak = Counter(), Counter(), Counter()
    mistakes: Counter = Counter()
    for r in graded:
        sub = gb.find_submission(assignment, r.student)
        for nb in sub.notebooks:
            path = root / "autograded" / r.student / assignment / f"{nb.name}.ipynb"
            read = verdicts(path) if path.is_file() else {}
            for grade in nb.grades:
                if grade.needs_manual_grade or grade.max_score == 0:
                    continue
                tried[grade.name] += 1
                score = grade.score or 0.0
                passed[grade.name] += score >= grade.max_score
                verdict = read.get(grade.name)
                if verdict is None:
                    continue
                if verdict.hidden_failed and not verdict.visible_failed:
                    leak[grade.name] += 1
                for mistake in verdict.mistakes:
                    mistakes[(grade.name, mistake)] += 1
    parts = [
        {
            "part": names.get(gid, gid),
            "grade_id": gid,
            "graded": tried[gid],
            "passed": passed[gid],
            "pass_rate": passed[gid] / tried[gid] if tried[gid] else 0.0,
            "hidden_fail_visible_pass": leak[gid],
        }
        for gid in names
        if gid in tried
    ]
    return ClassReport(
        assignment,
        [r.score for r in graded if r.score is not None],
        max((r.max_score for r in rows), default=0.0),
        counts,
        parts,
        [(names.get(gid, gid), gid, m, n) for (gid, m), n in mistakes.most_common()],
    )


# -- output ----------------------------------------------------------------------------------


def _figure(draw) -> str:
    """A matplotlib figure drawn by ``draw(ax)``, as an inline PNG ``<img>``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=100)
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}">'


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(report: ClassReport, folder: Path) -> Path:
    """report.html, parts.csv and mistakes.csv of one assignment into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "parts.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["part", "grade_id", "graded", "passed", "pass_rate",
                                     "hidden_fail_visible_pass"])
        writer.writeheader()
        for part in report.parts:
            writer.writerow(dict(part, pass_rate=f"{part['pass_rate']:.3f}"))
    with (folder / "mistakes.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["part", "grade_id", "mistake", "students"])
        writer.writerows(report.mistakes)

    def scores(ax):
        top = max(report.max_score, 1.0)
        ax.hist(report.scores, bins=min(20, max(5, len(report.scores))), range=(0, top),
                color="#4878a8")
        ax.set_xlabel(f"score (of {report.max_score:g}, after late penalties)")
        ax.set_ylabel("students")

    def pass_rates(ax):
        labels = [p["part"] for p in report.parts]
        ax.barh(range(len(labels)), [100 * p["pass_rate"] for p in report.parts],
                color="#59a14f")
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of graded submissions with full points")

    def mistakes(ax):
        top = report.mistakes[:12]
        ax.barh(range(len(top)), [n for *_, n in top], color="#e15759")
        ax.set_yticks(range(len(top)), [f"{m} ({p})"[:60] for p, _, m, _ in top], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("students")

    counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    leaky = [p for p in report.parts if p["hidden_fail_visible_pass"]]
    page = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Class report: {html.escape(report.assignment)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>",
        "</head><body>",
        f"<h1>Class report: {html.escape(report.assignment)}</h1>",
        "<p>For the instructor only: never hand this page out.</p>",
        f"<p>{html.escape(counts)}.</p>",
        "<h2>Score distribution</h2>",
        _figure(scores) if report.scores else "<p>No graded submission.</p>",
        "<h2>Pass rate per part</h2>",
        _figure(pass_rates) if report.parts else "",
        _table(["part", "graded", "passed", "pass rate", "hidden fail, visible pass"],
               [[p["part"], p["graded"], p["passed"], f"{p['pass_rate']:.0%}",
                 p["hidden_fail_visible_pass"]] for p in report.parts]),
        "<h2>Named mistakes, by students</h2>",
        _figure(mistakes) if report.mistakes else "<p>No named mistake.</p>",
        _table(["part", "mistake", "students"], [[p, m, n] for p, _, m, n in report.mistakes]),
        "<h2>Hidden cases fail where the visible tests pass</h2>",
        "<p>Students whose visible tests passed but whose hidden cases failed, per part: a "
        "hidden test too strict, or one the visible tests do not prepare for.</p>",
        _table(["part", "students"], [[p["part"], p["hidden_fail_visible_pass"]] for p in leaky])
        if leaky else "<p>None.</p>",
        "</body></html>",
    ]
    path = folder / "report.html"
    path.write_text("\n".join(page), encoding="utf-8")
    return path


def reports_folder(parser: argparse.ArgumentParser, root: Path, out: Path | None,
                   report: str) -> Path:
    """Where an instructor's report goes: ``out`` or <root>/reports, never under feedback/.

    Feedback folders go back to the students; a report there would show them the class.
    """
    out = (out or root / "reports").resolve()
    if out == root / "feedback" or (root / "feedback") in out.parents:
        parser.error(f"{report} is for the instructor: not under feedback/")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="the nbgrader course directory")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the reports go (default: <root>/reports)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out = reports_folder(parser, root, args.out, "the class report")
    url = os.environ.get("DB_URL") or f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(url) as gb:
        wanted = args.assignments or [a.name for a in gb.assignments]
        for assignment in wanted:
            path = write_report(class_report(gb, root, assignment), out / assignment)
            print(f"class report of {assignment}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
