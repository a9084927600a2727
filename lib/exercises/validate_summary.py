"""Validate answers "where am I?" first: one table of the parts, then a short word per failure.

nbgrader's Validate (the toolbar button, ``nbgrader validate``) runs the notebook and lists
every graded cell that failed: its whole source and its whole traceback, cut at ``width``
columns. :class:`SummaryFirst`, a preprocessor run after the notebook has executed
(``c.Validator.preprocessors`` in ``nbgrader_config.py``), makes that list begin with one table
-- each part and its status: passes, wrong (the check's diagnosis), not started -- and turns each
failing test cell into one comment line and its diagnosis, folded to fit 80 columns; a part not
started is its line in the table, no more (no traceback, no block of its own: while any part
does not pass, the table itself fails, so Validate never reports success too early).

A test cell is shortened only when it is as released (its nbgrader checksum still matches): a
changed test cell is left as it is, for Validate to report the change.
"""
from __future__ import annotations

import re
import textwrap

from nbconvert.preprocessors import Preprocessor

INDENT = 4  # Validate indents what it prints by four spaces
WIDTH = 80 - INDENT - 4  # and cuts lines past width - 3: keep every line whole
SUMMARY_ID = "validate-summary"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOT_STARTED = ("NotImplementedError",)


def _fold(text: str, width: int = WIDTH) -> list[str]:
    """``text`` folded to ``width``; lines the checks folded (indented by two) joined first."""
    logical: list[str] = []
    for line in text.splitlines():
        if line.startswith("  ") and logical:
            logical[-1] += " " + line.strip()
        else:
            logical.append(line)
    lines = []
    for line in logical or [""]:
        lines += textwrap.wrap(line.strip(), width, subsequent_indent="  ",
                               break_on_hyphens=False) or [""]
    return lines


def _error(cell) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return output.get("ename", "Error"), _ANSI.sub("", output.get("evalue", ""))
    return None


def part_status(cell) -> tuple[str, str]:
    """(status, diagnosis) of an executed graded test cell."""
    error = _error(cell)
    if error is None:
        stderr = [o for o in cell.get("outputs", [])
                  if o.output_type == "stream" and o.get("name") == "stderr"]
        return ("passes", "") if not stderr else ("wrong", stderr[0].get("text", "").strip())
    ename, evalue = error
    if ename in NOT_STARTED:
        return "not started", "not started: write the function above this test, then run it."
    if ename in ("CheckFailed", "AssertionError"):
        return "wrong", evalue.strip() or "a visible test failed."
    return "error", f"{ename}: {evalue.strip()}"


def summary_table(rows: list[tuple[str, str, str]]) -> str:
    """The table: one line per part (part, status; a wrong part's diagnosis, shortened)."""
    label_width = max([len("part")] + [len(label) for label, _, _ in rows])
    counts = {s: sum(1 for _, status, _ in rows if status == s)
              for s in ("passes", "answered (graded by hand)", "wrong", "error", "not started")}
    lines = [", ".join(f"{n} {s}" for s, n in counts.items() if n) + f" (of {len(rows)} parts)",
             f"{'part':<{label_width}}  status"]
    for label, status, diagnosis in rows:
        text = status
        if status in ("wrong", "error"):
            first = " ".join(diagnosis.split())
            text = f"{status}: {first}"
        room = WIDTH - label_width - 2
        if len(text) > room:
            text = text[: room - 1] + "…"
        lines.append(f"{label:<{label_width}}  {text}")
    return "\n".join(lines)


class SummaryFirst(Preprocessor):
    """After execution: a summary cell first, and each failing test cell made short."""

    def preprocess(self, nb, resources):
        from nbformat.v4 import new_code_cell, new_output
        from nbgrader import utils

        rows = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
                # a written answer, graded by hand: answered or not is all Validate can say
                blank = meta.get("checksum") == utils.compute_checksum(cell)
                rows.append((str(meta.get("grade_id", "?")),
                             "not started" if blank else "answered (graded by hand)", ""))
                continue
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            label = str(meta.get("grade_id", "?")).removeprefix("test-")
            status, diagnosis = part_status(cell)
            rows.append((label, status, diagnosis))
            as_released = meta.get("checksum") == utils.compute_checksum(cell)
            if status == "passes" or not as_released:
                continue
            if status == "not started":  # the table's line says it all: no block of its own
                cell.outputs = [new_output("stream", name="stdout", text="not started\n")]
                meta["checksum"] = utils.compute_checksum(cell)
                continue
            cell.source = f"# the visible tests of `{label}` (run the cell to see them)"
            text = "\n".join(_fold(diagnosis))
            cell.outputs = [new_output("error", ename=status, evalue=text,
                                       traceback=text.splitlines())]
            meta["checksum"] = utils.compute_checksum(cell)
        done = ("passes", "answered (graded by hand)")
        if rows and any(status not in done for _, status, _ in rows):
            table = summary_table(rows)
            summary = new_code_cell(
                source="# Where am I? Every part at a glance (details below)",
                metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                       "grade_id": SUMMARY_ID, "points": 0,
                                       "schema_version": 3}})
            summary.outputs = [new_output("error", ename="Summary", evalue=table,
                                          traceback=table.splitlines())]
            summary.metadata["nbgrader"]["checksum"] = utils.compute_checksum(summary)
            nb.cells.insert(0, summary)
        return nb, resources
