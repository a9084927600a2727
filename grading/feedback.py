"""Feedback pages that are never stale without a word, and that a student can read offline.

    python -m grading.feedback <assignment> [--root DIR] [--regenerate]

Each page carries the grades it was made from (``<meta name="grades-fingerprint">``: every part's
score, whether it awaits a person, comments and late penalty). For every graded submission:

* no page yet               -- made;
* same grades as its page   -- left alone;
* grades changed since      -- (hand grading, a regrade): the page is stale. It is made again with
                               ``--regenerate`` (``make feedback REGENERATE=1``); without it the
                               command lists the stale pages and fails, so that pages a student
                               may already have are never replaced silently.

Pages made while a part still awaits hand grading say so (part and points); the score they show
is the score so far. A written part left blank scores 0 without a person (nbgrader's rule: there
is nothing to read) and the page says "left blank"; nbgrader's "No response." comment under every
untouched answer is left out. Every page folder gets MathJax (``mathjax/tex-svg.js``, the same
MathJax 3.2.2 as the site, from the pinned PyPI package ``django-static-mathjax`` in
``requirements.lock``), so the maths renders without a network, and making pages needs neither
npm nor the network.

``FeedbackParts`` is the nbgrader preprocessor behind this (``nbgrader_config.py``): part names,
"awaiting grading" and the fingerprint, for the template ``grading/templates/course_feedback``
rendered by ``FeedbackPage``.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import mathjax
import nbgrader
from jinja2 import FileSystemLoader
from nbconvert import HTMLExporter
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from traitlets import default

from grading.part_names import source_part_names
from grading.preprocessors import FeedbackPreprocessor

REPO = Path(__file__).resolve().parents[1]
# one file, fonts inside; from the package django-static-mathjax (no npm, no network)
MATHJAX = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg.js"
MATHJAX_SRC = "mathjax/tex-svg.js"                                    # relative to each page
TEMPLATES = Path(__file__).resolve().parent / "templates"
NBGRADER_TEMPLATES = (
    Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
)
_META = re.compile(r'<meta\b[^>]*\bname="grades-fingerprint"[^>]*>')
_CONTENT = re.compile(r'\bcontent="([0-9a-f]*)"')
NO_RESPONSE = "No response."      # nbgrader's comment on every answer cell left as released
LEFT_BLANK = "left blank"         # how the page, the table and the export name a blank written part


def left_blank(grade) -> bool:
    """A written part (graded by a person) that nbgrader scored 0 itself: its answer cell was
    handed in as released. A person's grade, once given, replaces that 0."""
    cell = grade.cell
    return (
        cell.cell_type == "markdown"
        and grade.manual_score is None
        and not grade.needs_manual_grade
        and grade.auto_score is not None
        and grade.auto_score == 0
    )


def grades_fingerprint(gb: Gradebook, assignment: str, student: str, notebook: str) -> str:
    """A digest of everything a feedback page shows from the gradebook for one notebook."""
    nb = gb.find_submission_notebook(notebook, assignment, student)
    items = [
        (g.name, g.score, g.needs_manual_grade) for g in sorted(nb.grades, key=lambda g: g.name)
    ]
    items += [(c.name, c.comment) for c in sorted(nb.comments, key=lambda c: c.name)]
    items.append(("late", nb.late_submission_penalty))
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


def page_fingerprint(page: Path) -> str | None:
    # the page is re-serialised after the template (attributes may come in any order)
    meta = _META.search(page.read_text(encoding="utf-8", errors="replace"))
    content = _CONTENT.search(meta.group(0)) if meta else None
    return content.group(1) if content else None


class FeedbackPage(HTMLExporter):
    """The exporter of feedback pages: nbconvert's HTML exporter that also finds nbgrader's own
    templates, so ``course_feedback`` can extend nbgrader's ``feedback`` page (configured for this
    class alone: the formgrader's pages keep their own template)."""

    @default("extra_loaders")
    def _nbgrader_templates(self):
        return [FileSystemLoader(str(NBGRADER_TEMPLATES))]


class FeedbackParts(FeedbackPreprocessor):
    """After nbgrader's GetGrades: name each graded cell by its part, mark parts awaiting a person
    and written parts left blank, drop nbgrader's "No response." comments, and record the grades'
    fingerprint and MathJax's path for the template."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        names = source_part_names(
            Path(coursedir.root), info["assignment"], coursedir.source_directory, every_cell=True
        )
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_submission_notebook(
                info["notebook"], info["assignment"], info["student"]
            )
            awaiting = {g.name: g.max_score for g in notebook.grades if g.needs_manual_grade}
            blank = {g.name for g in notebook.grades if left_blank(g)}
            info["grades_fingerprint"] = grades_fingerprint(gb, info["assignment"], info["student"],
                                                            info["notebook"])
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade_id") in names:
                meta["part"] = names[meta["grade_id"]]
            if meta.get("grade_id") in awaiting:
                meta["awaiting"] = True
            if meta.get("grade_id") in blank:
                meta["left_blank"] = True
            if meta.get("comment") == NO_RESPONSE:
                meta["comment"] = None
        info["awaiting_points"] = sum(awaiting.values())
        info["mathjax_src"] = MATHJAX_SRC
        return nb, resources


def plan(root: Path, assignment: str) -> dict[str, str]:
    """student -> "new", "up to date" or "stale", for every graded submission of ``assignment``."""
    todo = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment):
            student = submission.student_id
            states = []
            for notebook in submission.notebooks:
                page = root / "feedback" / student / assignment / f"{notebook.name}.html"
                if not page.exists():
                    states.append("new")
                elif page_fingerprint(page) != grades_fingerprint(
                    gb, assignment, student, notebook.name
                ):
                    states.append("stale")
                else:
                    states.append("up to date")
            todo[student] = (
                "stale" if "stale" in states else "new" if "new" in states else "up to date"
            )
    return todo


def add_mathjax(folder: Path) -> None:
    """Put MathJax next to the pages of ``folder`` (a hard link where the file system allows)."""
    if not MATHJAX.is_file():
        raise SystemExit(f"{MATHJAX} is missing: reinstall the course's packages "
                         "(`make .venv/.installed-stamp`; django-static-mathjax)")
    dest = folder / MATHJAX_SRC
    # a file of that name handed in by the student was copied here by nbgrader: it is replaced,
    # never served as the page's script
    if dest.parent.is_symlink() or (dest.parent.exists() and not dest.parent.is_dir()):
        dest.parent.unlink()
    dest.parent.mkdir(exist_ok=True)
    if dest.is_symlink() or dest.exists():
        dest.unlink()
    try:
        os.link(MATHJAX, dest)
    except OSError:
        shutil.copy2(MATHJAX, dest)


def generate(
    root: Path, assignment: str, nbgrader: str, regenerate: bool = False
) -> tuple[dict, list]:
    """Make the new (and, if asked, the stale) pages; return the plan and the stale pages left."""
    todo = plan(root, assignment)
    make = [s for s, state in todo.items() if state == "new" or (state == "stale" and regenerate)]
    refused = [s for s, state in todo.items() if state == "stale" and not regenerate]
    if make:
        skip = [s for s in todo if s not in make]
        command = [
            nbgrader,
            "generate_feedback",
            assignment,
            "--force",
            f"--CourseDirectory.root={root}",
        ]
        if skip:
            command.append(f"--CourseDirectory.student_id_exclude={','.join(skip)}")
        subprocess.run(command, check=True, cwd=REPO)
        for student in make:
            add_mathjax(root / "feedback" / student / assignment)
    return todo, refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the nbgrader course directory"
    )
    parser.add_argument("--regenerate", action="store_true",
                        help="make again the pages whose grades changed since they were made")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    print(f"== {args.assignment}")
    todo, refused = generate(root, args.assignment, str(Path(sys.executable).with_name("nbgrader")),
                             args.regenerate)
    counts = {state: list(todo.values()).count(state) for state in ("new", "stale", "up to date")}
    made = counts["new"] + (counts["stale"] if args.regenerate else 0)
    print(f"{args.assignment}: {made} page(s) made, {counts['up to date']} up to date"
          + (f", {counts['stale']} regenerated" if args.regenerate and counts["stale"] else ""))
    if refused:
        print(f"{args.assignment}: REFUSED: the grades of {', '.join(refused)} changed after their "
              f"feedback was made (hand grading or a regrade). Run `make feedback ASSIGNMENT="
              f"{args.assignment} REGENERATE=1` to replace those pages (send them again).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
