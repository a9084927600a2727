"""nbgrader preprocessors that keep a class's grading robust and its feedback honest.

Autograde, sanitising step (replaces nbgrader's ``OverwriteCells``):
    RestoreTestCells   -- edited test cells are restored from the gradebook, deleted ones put back;
                          both are noted for the student.
Autograde, executing step (with ``grading.verdict``'s HiddenInputs before ResilientExecute and
VerdictOutside right after it: the scores themselves are decided there, outside the kernel):
    ResilientExecute   -- a kernel that dies (``os._exit``, segfault, out of memory), or that
                          ignores the interrupt at the time limit, fails the cell it was running
                          and every cell after it, instead of failing the whole submission (left
                          ungraded).
    StderrIsNotFailure -- text on stderr in a test cell (a warning) is shown as output, not scored 0
                          (nbgrader's ``determine_grade`` gives 0 for any stderr output).
    AutograderNotes    -- one Markdown cell at the top listing what happened: time-outs, a dead
                          kernel, truncated output, warnings, restored cells (also from errors
                          VerdictOutside turned into text).
Feedback:
    HideHiddenTests    -- removes hidden test code from the feedback and shortens the tracebacks
                          of cells that hold hidden tests to their last line (the error message).
"""

from __future__ import annotations

import re

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, OverwriteCells
from traitlets import List, Unicode

from grading.notes import add_notes


def _strip_hidden(source: str) -> str:
    """The text of a cell as released.

    Hidden test regions are removed (as nbgrader's ClearHiddenTests does).
    """
    lines, hidden = [], False
    for line in source.split("\n"):
        if "BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def _cell_name(cell) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"`{grade_id}`" if grade_id else "a cell"


class RestoreTestCells(OverwriteCells):
    """nbgrader's OverwriteCells, plus a note for each test cell that was edited or deleted."""

    def preprocess(self, nb, resources):
        self._notes: list[str] = []
        before = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        nb, resources = super().preprocess(nb, resources)
        after = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        for grade_id in after:
            if grade_id and grade_id not in before:
                self._notes.append(
                    f"The cell `{grade_id}` was missing from your notebook; the "
                    "original was put back and run."
                )
        add_notes(nb, self._notes)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        # nbgrader compares with the checksum of the source cell, hidden tests included, so every
        # test cell with hidden tests looks "changed"; an edit is a difference from the released
        # text
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            try:
                original = self.gradebook.find_source_cell(
                    grade_id, self.notebook_id, self.assignment_id
                )
            except Exception:  # unknown cell: nbgrader drops its id and warns
                original = None
            if (
                original is not None
                and original.locked
                and cell.source.strip()
                not in (original.source.strip(), _strip_hidden(original.source).strip())
            ):
                self._notes.append(
                    f"The cell `{grade_id}` had been edited; the original was restored and run."
                )
                self.log.warning("Test cell %s had been edited by the student; restored", grade_id)
        return super().preprocess_cell(cell, resources, index)

    def report_change(self, name, attr, old, new):
        if attr == "checksum":
            # nbgrader's warning fires for every test cell with hidden tests (a false alarm, see
            # preprocess_cell); a real edit is logged there instead
            return
        super().report_change(name, attr, old, new)
        what = {
            "cell_type": "had its cell type changed; it was changed back",
            "locked": "had its read-only flag changed; it was reset",
            "points": "had its points changed; they were reset",
        }.get(attr, f"had {attr} changed")
        self._notes.append(f"The cell `{name}` {what}.")


class ResilientExecute(Execute):
    """nbgrader's Execute, made robust: a kernel that dies, or that ignores the interrupt sent at
    the time limit (e.g. a loop with a bare ``except:``), fails the cell it was running and every
    cell after it, instead of failing the whole submission (which nbgrader would leave ungraded).
    """

    def preprocess(self, nb, resources=None, km=None):
        self._stopped = None  # (cell name, what happened) once the kernel is gone
        return super().preprocess(nb, resources, km)

    @staticmethod
    def _error(ename: str, evalue: str):
        return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped is not None:
            where, what = self._stopped
            cell.outputs = [self._error("NotRun", f"not run: {what} in {where}")]
            return cell, resources
        name = _cell_name(cell) if cell.metadata.get("nbgrader") else f"cell {index}"
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stopped = (name, "the kernel died")
            cell.outputs.append(
                self._error(
                    "KernelDied",
                    "the kernel died while running this cell (os._exit, a crash, or out of memory)",
                )
            )
        except CellTimeoutError:
            self._stopped = (name, "the kernel stopped responding")
            cell.outputs.append(
                self._error(
                    "CellTimeoutError",
                    "this cell ran past the time limit and did not stop when interrupted",
                )
            )
            try:  # free the CPU now rather than at the end of the notebook
                self.km.interrupt_kernel()
            except Exception:  # the kernel may already be gone
                pass
        self.log.warning(
            "%s in %s; the remaining cells are marked as not run", self._stopped[1], name
        )
        return cell, resources


class StderrIsNotFailure(NbGraderPreprocessor):
    """Turn stderr stream outputs of graded test cells into stdout, marked as such.

    nbgrader scores a test cell 0 if it printed anything on stderr, so a correct answer that
    triggers a harmless warning would lose its points. Errors (exceptions) still score 0.
    """

    prefix = Unicode("[stderr] ", help="Put before every line that came from stderr.").tag(
        config=True
    )

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            failed = any(output.output_type == "error" for output in cell.outputs)
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
                    output.text = "".join(
                        self.prefix + line for line in output.text.splitlines(True)
                    )
                    # the note must match the score: a cell that also raised lost its points
                    resources.setdefault("grading_notes", set()).add(
                        f"Your code printed warnings (stderr) in {_cell_name(cell)}; "
                        "they are shown "
                        + (
                            "there. The cell lost its points because of its error, "
                            "not the warnings."
                            if failed
                            else "there and cost no points."
                        )
                    )
        return cell, resources


def _errors(cell):
    """(ename, evalue) of every error the cell raised, including those VerdictOutside turned into
    text (a graded cell's errors no longer score, but the notes still tell what happened)."""
    from grading.verdict import RAISED

    for output in cell.get("outputs", []):
        if output.output_type == "error":
            yield output.ename, output.evalue
        elif output.output_type == "stream" and output.text.startswith(RAISED):
            ename, _, evalue = output.text[len(RAISED) :].partition(": ")
            yield ename, evalue.rstrip("\n")


def _setting(config, cls, name: str):
    """The value of ``cls.name`` under ``config`` (its parents' sections and the command line's
    strings included), as the class's trait reads it."""
    trait = cls.class_traits()[name]
    value = trait.default()
    for klass in reversed(cls.mro()):       # the most specific section wins
        if klass.__name__ in config and name in config[klass.__name__]:
            value = config[klass.__name__][name]
    if hasattr(value, "get_value"):         # a command-line string, read by the trait
        value = value.get_value(trait)
    return value


def _mb(size) -> str:
    return "the configured size" if not size else f"{size / 1024**2:g} MB"


_STOPS = (r"the kernel died|the kernel stopped responding"
          r"|the notebook reached its time limit of \d+ s \(wall-clock time\)")


def _ours(evalue: str, nb) -> bool:
    """Is this NotRun error the one ResilientExecute wrote? (The notes are shown in feedback: a
    kernel raising its own ``NotRun`` must not get its words into them.)"""
    names = {_cell_name(c) for c in nb.cells if c.metadata.get("nbgrader")}
    names |= {f"cell {i}" for i in range(len(nb.cells) + 1)}
    match = re.fullmatch(rf"not run: (?:{_STOPS}) in (.+)", evalue or "")
    return bool(match) and match.group(1) in names


class AutograderNotes(NbGraderPreprocessor):
    """Write what happened while running the notebook into the notes cell at the top."""

    def preprocess(self, nb, resources):
        notes = sorted(resources.pop("grading_notes", set()))
        notes += consequence_notes(nb)
        from grading.sandbox import SandboxedExecute, SandboxedKernelManager

        timeout = _setting(self.config, SandboxedExecute, "timeout")
        per_cell = f" of {timeout} s per cell" if timeout else ""
        limit = lambda name: _mb(_setting(self.config, SandboxedKernelManager, name))  # noqa: E731
        space = f"its folder holds {limit('work_size')}, /tmp {limit('tmp_size')}"
        file_size = limit("max_file_size")
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            name = _cell_name(cell) if cell.metadata.get("nbgrader") else f"cell {index}"
            for ename, evalue in _errors(cell):
                if ename in ("CellTimeoutError", "KeyboardInterrupt"):
                    notes.append(
                        f"{name} ran longer than the time limit{per_cell} and was stopped "
                        "(an infinite loop? waiting and sleeping count too); it scored 0 if it "
                        "is a test."
                    )
                elif ename == "KernelDied":
                    notes.append(
                        f"The kernel died while running {name} (it exited, crashed, or "
                        "reached its memory or CPU-time limit); the cells after it were "
                        "not run and score 0."
                    )
                elif ename == "NotRun" and _ours(evalue, nb):
                    notes.append(
                        f"Some cells were not run ({evalue.split(': ', 1)[1]}); they score 0."
                    )
                elif ename in ("SyntaxError", "IndentationError"):
                    notes.append(f"{name} has a syntax error, so it did not run.")
                elif "No space left on device" in (evalue or ""):
                    notes.append(f"{name} filled the disk space a notebook may use ({space}); "
                                 "it is graded as far as it ran.")
                elif "File too large" in (evalue or ""):
                    notes.append(f"{name} wrote a file larger than a notebook may write "
                                 f"({file_size}); it is graded as far as it ran.")
            for output in cell.get("outputs", []):
                if output.output_type == "stream" and "... Output truncated ..." in output.text:
                    notes.append(f"The output of {name} was very long and was truncated.")
        add_notes(nb, notes)
        return nb, resources


def consequence_notes(nb) -> list[str]:
    """A NameError caused by an earlier cell that failed (a syntax error, an exception) is said to
    be a consequence of it: the student has one thing to fix, not several."""
    notes, failed = [], []  # failed: (cell, its error) in notebook order
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        # the first error, whether the kernel's own or one VerdictOutside turned into text
        error = next(_errors(cell), None)
        if error is None:
            continue
        ename, evalue = error
        missing = re.match(r"name '(\w+)' is not defined", evalue or "")
        if ename == "NameError" and missing and failed:
            name = missing.group(1)
            defines = re.compile(rf"^\s*(def|class)\s+{name}\b|^\s*{name}\s*=", re.MULTILINE)
            cause = next((c for c, _ in reversed(failed) if defines.search(c.source)), None)
            if cause is not None:
                cause_ename = next(e for c, (e, _) in failed if c is cause)
                what = (
                    "has a syntax error"
                    if cause_ename in ("SyntaxError", "IndentationError")
                    else f"raised {cause_ename}"
                )
                notes.append(
                    f"{_cell_name(cell)} failed only because `{name}` was never defined: "
                    f"the cell {_cell_name(cause)}, which defines it, {what}. Fix that first."
                )
        failed.append((cell, error))
    return notes


class FeedbackPreprocessor(NbGraderPreprocessor):
    """A preprocessor of feedback pages. nbconvert's HTML exporter configures
    ``NbConvertBase.display_data_priority`` for every preprocessor it runs, and nbgrader's base
    class redeclares that trait as not configurable, so traitlets warned "Config option
    `display_data_priority` not recognized" for each of ours on every page (nbgrader's own
    GetGrades declares it configurable, as here)."""

    display_data_priority = List(
        ["text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png", "image/jpeg",
         "text/plain"]
    ).tag(config=True)


class HideHiddenTests(FeedbackPreprocessor):
    """Remove hidden tests from feedback: their code, and the traceback lines that could show it."""

    begin = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end = Unicode("END HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if self.begin not in cell.source:
            return cell, resources
        pattern = re.compile(
            rf"^[^\n]*{re.escape(self.begin)}.*?{re.escape(self.end)}[^\n]*$",
            re.DOTALL | re.MULTILINE,
        )
        cell.source = pattern.sub(
            "# (hidden tests ran here when your work was graded; their code is not shown)",
            cell.source,
        )
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                # IPython tracebacks quote the lines around the failure: keep only the message
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
