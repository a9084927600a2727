"""The verdict, computed outside the student's kernel (trusted side of grading).

Autograde, before executing (``HiddenInputs``): each graded test cell's hand-out line
``handin.cases("<grade_id>")`` gets the inputs of that part, drawn here with a seed made from the
course's secret (``grading.course_secret``), the student, the assignment and the part (a re-grade
draws the same ones).

Autograde, right after executing (``VerdictOutside``): the values the kernel handed out (see
``lib/exercises/handin.py``) are decoded as plain arrays, checked (dtype, shape, finite) and
compared with reference values computed HERE, in the grading process, by the instructor's
solution from ``solutions/source`` (the kernel never sees it). Each hidden case that agrees earns
its share of the cell's points (the visible tests' cases are judged and reported, not scored);
the cell's outputs are rewritten so that nbgrader's ``determine_grade`` scores exactly that:

    full points -> stdout only;  partial -> an execute_result holding the score;  0 -> an error.

What the kernel did otherwise (its errors, stderr, execute_results, a test cell that "passed")
decides nothing: no values, no points. A graded code cell with no verdict defined scores 0.
Each part's answer may use only what its allowlist says (``grading.own_work``): a part whose
functions reach anything else scores 0; top-level code that does, or that rebinds the course's
names, voids every part graded after its cell.
"""
from __future__ import annotations

import binascii
import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from threadpoolctl import threadpool_limits
from traitlets import Bool

from grading.course_secret import CourseSecret
from grading.kernel_boundary import read_plain, reference_notebook
from grading.notes import add_notes
from grading.own_work import describe, read
from grading.parts import PARTS, Part
from grading.variants import instantiate, released
from lib.exercises.handin import VALUES_MIME, decode_array, decode_inputs, encode_inputs

HANDOUT = re.compile(r'handin\.cases\("(?P<grade_id>[\w-]+)"\)')
# the same call after HiddenInputs filled in a student's inputs
FILLED = re.compile(r'handin\.cases\("(?P<grade_id>[\w-]+)", "[^"]*"\)')


def as_released(source: str) -> str:
    """A graded cell's source with the inputs HiddenInputs filled in taken out again: the cell
    as released, to compare with the gradebook's copy (``grading.regrade``)."""
    return FILLED.sub(lambda m: f'handin.cases("{m["grade_id"]}")', source)


def draw_seed(salt: str, assignment: str, student: str, grade_id: str) -> int:
    """A stable 64-bit seed per course, assignment, student and part."""
    digest = hashlib.sha256(f"{salt}/{assignment}/{student}/{grade_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


_ENCODED: dict[tuple[int, int], tuple[Part, str]] = {}  # (id of the part, seed) -> inputs


def encoded_inputs(part: Part, seed: int) -> str:
    """The encoded inputs of a part, drawn once for HiddenInputs and VerdictOutside, which run
    one after the other in the same process (kept as the string: nothing a judge can change)."""
    key = (id(part), seed)
    hit = _ENCODED.get(key)
    if hit is None or hit[0] is not part:
        if len(_ENCODED) >= 256:  # a few submissions' worth
            _ENCODED.clear()
        hit = _ENCODED[key] = (part, encode_inputs(part.cases(np.random.default_rng(seed))))
    return hit[1]


def part_inputs(part: Part, seed: int) -> tuple[str, list[dict[str, np.ndarray]]]:
    """The encoded inputs of a part and the same inputs as the kernel will decode them."""
    encoded = encoded_inputs(part, seed)
    return encoded, decode_inputs(encoded)


class _CoursePreprocessor(NbGraderPreprocessor):
    """What both preprocessors need to know about the course being graded."""

    def _setup(self, resources):
        info = resources["nbgrader"]
        self._assignment, self._student = info["assignment"], info["student"]
        self._notebook = info["notebook"]
        self._parts = PARTS.get(self._assignment, {})
        # one secret seeds every hidden input, here and in HiddenInputs (grading.course_secret)
        course = self.config.CourseDirectory
        root = course.root if "root" in course else os.getcwd()
        self._salt = CourseSecret(parent=self).value(root, str(course.get("course_id", "")))
        # the variant the assignment was released with (grading.variants: the course's record)
        self._variant = released(root, self._assignment, self._salt, self.log)

    def _seed(self, grade_id):
        return draw_seed(self._salt, self._assignment, self._student, grade_id)

    def _source_path(self, resources) -> Path:
        """The instructor's source notebook: under the course root, in the source directory;
        never a path in a student's folder (``kernel_boundary.reference_notebook`` checks)."""
        # nbgrader converts with the course root as working folder (BaseConverter.start)
        root = str(self.config.CourseDirectory.get("root") or "")
        root = root if os.path.isabs(root) else os.getcwd()
        source = self.config.CourseDirectory.get("source_directory", "source")
        _, path = reference_notebook(root, source, self._assignment, self._notebook)
        return Path(path)


class HiddenInputs(_CoursePreprocessor):
    """Fill each graded cell's ``handin.cases("<grade_id>")`` with that part's inputs."""

    def preprocess(self, nb, resources):
        self._setup(resources)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in self._parts:
            encoded = encoded_inputs(self._parts[grade_id], self._seed(grade_id))
            cell.source = HANDOUT.sub(
                lambda m: f'handin.cases("{grade_id}", "{encoded}")'
                if m["grade_id"] == grade_id else m[0], cell.source)
        return cell, resources


_SOLUTIONS: dict[str, dict] = {}      # sha256 of the instantiated notebook -> its namespace


def reference_source(path: Path, variant: dict | None) -> tuple[bytes, object]:
    """The instructor's notebook at ``path`` (read as a plain file, no link followed,
    ``grading.kernel_boundary``) instantiated with ``variant`` (``grading.variants``): its
    bytes and the notebook."""
    path = Path(path)
    data = read_plain(path.parent, path.name, single_link=False)
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    if variant is not None:
        nb = instantiate(nb, variant)
        data = nbformat.writes(nb).encode("utf-8")
    return data, nb


def solution_namespace(path: Path, variant: dict | None = None) -> dict:
    """Run the instructor's notebook, instantiated with ``variant`` (every code cell but the
    tests), in THIS process, once per content: the cache is keyed on the instantiated
    notebook's digest, so a notebook or a variant that changed is run again."""
    path = Path(path)
    data, nb = reference_source(path, variant)
    key = hashlib.sha256(data).hexdigest()
    if key not in _SOLUTIONS:
        namespace: dict = {"__name__": "instructor_solution"}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
                continue
            if any(line.lstrip().startswith(("%", "!")) for line in cell.source.splitlines()):
                continue                # the Colab set-up cell: nothing to install here
            exec(compile(cell.source, f"<{path.name}: {meta.get('grade_id')}>", "exec"), namespace)
        _SOLUTIONS[key] = namespace
    return _SOLUTIONS[key]


def received_values(cell, grade_id: str) -> tuple[dict[int, dict[str, np.ndarray]], list[str]]:
    """The values the kernel handed out in this cell, by case (the first report of a case wins)."""
    by_case: dict[int, dict[str, np.ndarray]] = {}
    problems = []
    for output in cell.get("outputs", []):
        payload = (
            output.get("data", {}).get(VALUES_MIME)
            if output.output_type == "display_data"
            else None
        )
        if payload is None:
            continue
        try:
            if isinstance(payload, str):
                payload = json.loads(payload)
            case = payload.get("case")
            if payload.get("grade_id") != grade_id or not isinstance(case, int):
                continue
            if not 0 <= case < 1000:        # an index the verdict never asks for
                continue
            if case in by_case:
                continue
            by_case[case] = {
                str(k): decode_array(v) for k, v in dict(payload.get("values", {})).items()
            }
            if payload.get("error"):    # its words are the kernel's: not repeated
                problems.append(f"case {case + 1}: a value was not plain numbers or strings")
        except (AttributeError, TypeError, ValueError, KeyError, OSError, binascii.Error) as error:
            problems.append(f"a value could not be read ({type(error).__name__})")
    return by_case, problems


RAISED = "[your code raised] "  # how a kernel error is shown once it no longer scores


def _kernel_outputs_as_text(outputs) -> list:
    """What the kernel printed, kept for the student as text; nothing of it can score.

    Errors become stdout lines starting with RAISED (AutograderNotes reads them); stderr stays
    stderr for StderrIsNotFailure to relabel (left alone, it could only cost points)."""
    kept = []
    for output in outputs:
        if output.output_type == "stream":
            kept.append(new_output("stream", name=output.name, text=output.text))
        elif output.output_type == "error":
            kept.append(
                new_output(
                    "stream",
                    name="stdout",
                    text=f"{RAISED}{output.get('ename', 'Error')}: {output.get('evalue', '')}\n",
                )
            )
    return kept


def verdict_outputs(outputs, score: float, points: float, lines: list[str], execution_count):
    """The cell's new outputs: the kernel's text, then the verdict in the form nbgrader scores."""
    kept = _kernel_outputs_as_text(outputs)
    text = f"Grader: {score:g} of {points:g} points." + "".join(f"\n  - {line}" for line in lines)
    if score >= points:
        kept.append(new_output("stream", name="stdout", text=text + "\n"))
    elif score <= 0:
        kept.append(
            new_output(
                "error",
                ename="NotGraded" if not lines else "GradedWrong",
                evalue=text,
                traceback=[text],
            )
        )
    else:
        kept.append(new_output("stream", name="stdout", text=text + "\n"))
        kept.append(
            new_output(
                "execute_result",
                data={"text/plain": repr(score)},
                metadata={},
                execution_count=execution_count,
            )
        )
    return kept


class VerdictOutside(_CoursePreprocessor):
    """Score every graded test cell from the values it handed out, against trusted references."""

    own_work = Bool(
        True,
        help="Give no points to a part whose code uses what its allowlist does not allow, "
        "nor after top-level code that does (grading/own_work.py). Off only in the tests that "
        "show the "
        "verdict alone holds against tampering inside the kernel.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        self._setup(resources)
        self._source = self._source_path(resources)
        self._solution = None
        self._part_problems: dict[str, str] = {}
        violations: dict[int, str] = {}
        if self.own_work:
            reading = read(nb, self._source, self._variant)
            rules = {g: p.may_use for g, p in self._parts.items() if p.may_use is not None}
            violations = reading.top_level_problems(rules.values())
            for grade_id, may_use in rules.items():
                problem = reading.part_problem(may_use, rules.values())
                if problem:
                    self._part_problems[grade_id] = (
                        f"{problem}; this part's answer may use {describe(may_use)}"
                    )
        first = nb.cells[min(violations)] if violations else None
        add_notes(
            nb,
            [
                f"Cell {i + 1} of your notebook: {what}; every part graded after it scores 0 "
                "(write the graded pieces yourself, with NumPy)."
                for i, what in sorted(violations.items())
            ][:5]
            + [
                f"`{grade_id}` scores 0: {what}."
                for grade_id, what in list(self._part_problems.items())[:5]
            ],
        )
        # the notes cell may have moved every cell down by one: find the first offender again
        self._void_after = (
            None if first is None else next(i for i, c in enumerate(nb.cells) if c is first)
        )
        # the references' matrix products on one BLAS thread: a grading process has one core
        # (one Dask worker per core; nbgrader's kernel runs beside it), and OpenBLAS's threads
        # spin waiting for each other on a busy machine (benchmarks/verdict_profile.py)
        with threadpool_limits(limits=1):
            return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        grade_id = cell.metadata.nbgrader.get("grade_id")
        points = float(cell.metadata.nbgrader.get("points", 0))
        part = self._parts.get(grade_id)
        if part is None:
            score, lines = (
                0.0,
                [f"no trusted verdict is defined for `{grade_id}` (tell your instructor)"],
            )
        elif self._void_after is not None and index > self._void_after:
            score, lines = (
                0.0,
                [
                    "your notebook's own code uses the course library or Python "
                    "reflection before this part (see the notes at the top)"
                ],
            )
        elif grade_id in self._part_problems:
            score, lines = 0.0, [self._part_problems[grade_id]]
        else:
            score, lines = self._judge(part, grade_id, cell, points)
        cell.outputs = verdict_outputs(
            cell.get("outputs", []), score, points, lines, cell.get("execution_count")
        )
        self.log.info(
            "verdict for %s/%s %s: %g of %g",
            self._student,
            self._assignment,
            grade_id,
            score,
            points,
        )
        return cell, resources

    def _judge(self, part: Part, grade_id: str, cell, points: float):
        if self._solution is None:
            self._solution = solution_namespace(self._source, self._variant)
        _, inputs = part_inputs(part, self._seed(grade_id))
        got, problems = received_values(cell, grade_id)
        passed_hidden, lines = 0, list(problems)
        for i, case in enumerate(inputs):
            name = f"case {i + 1}" + (" (a visible test)" if i < part.visible else " (hidden)")
            if i not in got:
                lines.append(
                    f"{name}: no values were handed out (your code raised an error, or did not run)"
                )
                continue
            try:
                with np.errstate(all="ignore"):
                    wrong = part.judge(case, got[i], self._solution)
            except Exception as error:  # values so malformed the judge trips: not a pass
                self.log.warning("judging %s %s: %r", grade_id, name, error)
                wrong = ["the values handed out could not be judged (malformed)"]
            if wrong:
                lines.append(f"{name}: {'; '.join(wrong)}")
            elif i >= part.visible:
                passed_hidden += 1
        # the visible tests' cases are judged and reported, but only the hidden ones score: an
        # answer hard-coded for the visible inputs earns nothing
        hidden = len(inputs) - part.visible
        score = round(points * passed_hidden / hidden, 4) if hidden > 0 else 0.0
        return score, lines[:12]
