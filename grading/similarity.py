"""Pairs of submissions whose answers are unusually close, for the instructor to look at.

    python -m grading.similarity <assignment> [--root DIR] [--out DIR] [--compare50 PYTHON]

The answer cells (nbgrader's solution cells) of every submission in ``submitted/`` are written
out as one Python file per student, the released skeleton's answer cells as the distribution
code that ``compare50`` (CS50's similarity tool, from PyPI) strips before comparing: what every
student was given counts for nothing. ``compare50`` ranks every pair and writes a page per
pair, the two side by side with the matching regions marked. This module lists the pairs by
that score in ``<out>/similarity.html`` and ``similarity.csv`` (default
``reports/<assignment>/``, git-ignored, never under ``feedback/``), each linked to its
side-by-side page, and marks those *unusually close*: a score far above the class's
(more than the median plus four median absolute deviations, and in the top fifth).

For instructors only. It decides nothing: close answers to a short exercise are common, and a
pair marked here is a reason to read two notebooks, no more.

``compare50`` runs in its own environment (``make similarity`` creates ``.venv-compare50`` from
``grading/compare50.lock``): it pins an ``attrs`` older than the one Jupyter needs.
"""
from __future__ import annotations

import argparse
import csv
import html
import json
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grading.class_report import reports_folder

_GRAPH = re.compile(r"GRAPH = (\{.*?\});\s*$", re.MULTILINE)


def answer_cells(path: Path) -> str:
    """The code of a notebook's answer cells (nbgrader solution cells), in order."""
    nb = nbformat.read(path, as_version=4)
    cells = [
        c.source for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    return "\n\n".join(cells) + "\n"


def write_answers(root: Path, assignment: str, work: Path) -> tuple[list[Path], Path]:
    """One folder per student holding ``answers.py``, and the skeleton's; (students, skeleton)."""
    if work.exists():
        shutil.rmtree(work)
    students = []
    for folder in sorted((root / "submitted").glob(f"*/{assignment}")):
        notebooks = sorted(folder.glob("*.ipynb"))
        if not notebooks:
            continue
        target = work / "submissions" / folder.parent.name
        target.mkdir(parents=True)
        (target / "answers.py").write_text(
            "\n".join(answer_cells(p) for p in notebooks), encoding="utf-8")
        students.append(target)
    skeleton = work / "skeleton"
    skeleton.mkdir(parents=True)
    released = sorted((root / "release" / assignment).glob("*.ipynb"))
    if not released:
        raise FileNotFoundError(f"{root / 'release' / assignment} holds no released notebook: "
                                "run `make release` first (its skeleton is left out of the "
                                "comparison)")
    (skeleton / "answers.py").write_text(
        "\n".join(answer_cells(p) for p in released), encoding="utf-8")
    return students, skeleton


@dataclass
class Pair:
    a: str
    b: str
    score: float
    page: str           # compare50's side-by-side page, relative to the report
    unusual: bool = False


def read_pairs(compare50_out: Path, relative_to: Path) -> list[Pair]:
    """The ranked pairs of compare50's index page (its ``GRAPH`` data: one link per pair)."""
    match = _GRAPH.search((compare50_out / "index.html").read_text(encoding="utf-8"))
    if not match:
        return []
    graph = json.loads(match.group(1))
    pairs = []
    for link in graph.get("links", []):
        page = compare50_out / f"match_{int(link['index']) + 1}.html"
        pairs.append(Pair(Path(link["source"]).name, Path(link["target"]).name,
                          float(link["value"]),
                          page.relative_to(relative_to).as_posix()))
    return sorted(pairs, key=lambda p: -p.score)


def mark_unusual(pairs: list[Pair], every_pair: int) -> None:
    """Mark the pairs far above the class: median + 4 MAD of all pairs' scores, top fifth.

    Pairs compare50 found nothing in common count with score 0 (``every_pair`` pairs in all).
    """
    scores = [p.score for p in pairs] + [0.0] * max(0, every_pair - len(pairs))
    if len(scores) < 2:
        return
    median = statistics.median(scores)
    mad = statistics.median(abs(s - median) for s in scores)
    threshold = median + 4 * max(mad, 0.05 * max(scores))
    top = max(1, len(scores) // 5)
    for rank, pair in enumerate(pairs):
        pair.unusual = pair.score > threshold and rank < top


def write_report(pairs: list[Pair], out: Path, assignment: str, students: int) -> Path:
    with (out / "similarity.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_a", "student_b", "score", "unusually_close", "side_by_side"])
        for p in pairs:
            writer.writerow([p.a, p.b, f"{p.score:.2f}", "yes" if p.unusual else "", p.page])
    rows = "".join(
        f"<tr{' class=unusual' if p.unusual else ''}><td>{html.escape(p.a)}</td>"
        f"<td>{html.escape(p.b)}</td><td>{p.score:.2f}</td>"
        f"<td>{'unusually close' if p.unusual else ''}</td>"
        f"<td><a href='{html.escape(p.page)}'>side by side</a></td></tr>"
        for p in pairs)
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Similar answers: {html.escape(assignment)}</title><style>"
        "body{font-family:sans-serif;max-width:60rem;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px}.unusual{background:#fde2e1}</style>"
        f"</head><body><h1>Similar answers: {html.escape(assignment)}</h1>"
        f"<p>{students} submissions; answer cells only, the released skeleton left out; ranked "
        "by compare50's score (structure). For the instructor only. It decides nothing: a "
        "pair marked <em>unusually close</em> is a reason to read both notebooks.</p>"
        "<table><thead><tr><th>student</th><th>student</th><th>score</th><th></th><th></th>"
        f"</tr></thead><tbody>{rows}</tbody></table></body></html>"
    )
    path = out / "similarity.html"
    path.write_text(page, encoding="utf-8")
    return path


def similarity(root: Path, assignment: str, out: Path, compare50: str) -> list[Pair]:
    out.mkdir(parents=True, exist_ok=True)
    students, skeleton = write_answers(root, assignment, out / "answers")
    if len(students) < 2:
        print(f"{assignment}: {len(students)} submission(s), nothing to compare")
        write_report([], out, assignment, len(students))
        return []
    result = out / "compare50"
    if result.exists():
        shutil.rmtree(result)
    every_pair = len(students) * (len(students) - 1) // 2
    subprocess.run(
        [compare50, "-m", "compare50", *(str(s.relative_to(out)) for s in students),
         "-d", str(skeleton.relative_to(out)),
         "-p", "structure", "text", "exact", "-n", str(every_pair), "-o", str(result)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        cwd=out, timeout=3600,
    )
    pairs = read_pairs(result, out)
    mark_unusual(pairs, every_pair)
    path = write_report(pairs, out, assignment, len(students))
    unusual = [p for p in pairs if p.unusual]
    print(f"similarity of {assignment}: {path} ({len(pairs)} pairs with something in common, "
          f"{len(unusual)} unusually close"
          + (": " + ", ".join(f"{p.a} & {p.b}" for p in unusual) if unusual else "") + ")")
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="+")
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--out", type=Path, default=None, help="default: <root>/reports")
    parser.add_argument("--compare50", default=sys.executable,
                        help="the Python that has compare50 installed")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out = reports_folder(parser, root, args.out, "the similarity report")
    for assignment in args.assignments:
        similarity(root, assignment, out / assignment, args.compare50)
    return 0


if __name__ == "__main__":
    sys.exit(main())
