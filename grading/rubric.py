"""The model answer and rubric of a hand-graded part: shown to the grader, never to the student.

They live in the source notebook, in the solution region of the written answer's cell
(``### BEGIN SOLUTION`` ... ``### END SOLUTION``), which ``make release`` replaces by
"YOUR ANSWER HERE". When a submission is autograded, ``ShowRubric`` puts a copy right after the
student's answer in the graded notebook, which is what the formgrader shows the grader;
``HideRubric`` takes it out again when the feedback page is made.
"""
from __future__ import annotations

import os
import re

import nbformat
from nbformat.v4 import new_markdown_cell
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from grading.preprocessors import FeedbackPreprocessor

RUBRIC_KEY = "grader_only"
RUBRIC_TITLE = "**For the grader only** (model answer and rubric; not in the student's feedback)"
_REGION = re.compile(r"### BEGIN SOLUTION\s*\n(.*?)\n\s*### END SOLUTION", re.DOTALL)


def hand_graded(cell) -> bool:
    """A written part: an answer cell graded by a person (nbgrader: solution and grade)."""
    return utils.is_solution(cell) and utils.is_grade(cell)


def rubrics(source_nb) -> dict[str, str]:
    """grade_id of each hand-graded cell -> its model answer and rubric (the solution region)."""
    out = {}
    for cell in source_nb.cells:
        if hand_graded(cell):
            match = _REGION.search(cell.source)
            out[cell.metadata.nbgrader["grade_id"]] = (
                match.group(1) if match else cell.source
            ).strip()
    return out


class ShowRubric(NbGraderPreprocessor):
    """Autograde: after each written answer, a Markdown cell with the source's model answer and
    rubric."""

    def preprocess(self, nb, resources):
        coursedir = CourseDirectory(config=self.config)
        assignment, notebook = (
            resources["nbgrader"]["assignment"],
            resources["nbgrader"]["notebook"],
        )
        path = os.path.join(coursedir.format_path(coursedir.source_directory, ".", assignment),
                            f"{notebook}.ipynb")
        if not os.path.exists(path):
            self.log.warning("No source notebook %s: no rubric shown to the grader", path)
            return nb, resources
        found = rubrics(nbformat.read(path, as_version=4))
        cells = []
        for cell in nb.cells:
            if cell.metadata.get(RUBRIC_KEY):
                continue                    # graded before: replaced by the current rubric
            cells.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if hand_graded(cell) and grade_id in found:
                rubric = new_markdown_cell(f"{RUBRIC_TITLE}\n\n{found[grade_id]}")
                rubric.metadata[RUBRIC_KEY] = True
                cells.append(rubric)
        nb.cells = cells
        return nb, resources


class HideRubric(FeedbackPreprocessor):
    """Feedback: remove the grader-only cells."""

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if not c.metadata.get(RUBRIC_KEY)]
        return nb, resources
