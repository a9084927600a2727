"""Each graded cell's part, named as the notebook names it ("Part 3 — Softmax cross-entropy").

The exercises are split into parts by Markdown headings ``## Part <n> — <title> (<points>)``;
a graded cell belongs to the last part heading above it. Feedback pages, the score table after
autograding and the export name parts this way instead of by cell ids.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

_HEADING = re.compile(r"^#{2,3}\s+(Part\s+\d+\s*[—–-].*?)\s*(\([^)]*\))?\s*$", re.MULTILINE)


def part_headings(nb) -> dict[str, str]:
    """grade_id of every nbgrader cell (answers and tests) -> the part heading above it."""
    headings, current = {}, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                current = match.group(1)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            headings[grade_id] = current or grade_id
    return headings


def part_names(nb) -> dict[str, str]:
    """grade_id of every graded cell -> the name of its part (the grade id when no heading precedes)."""
    headings = part_headings(nb)
    names = {c.metadata["nbgrader"]["grade_id"]: headings[c.metadata["nbgrader"]["grade_id"]]
             for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and
             c.metadata["nbgrader"].get("grade_id")}
    # a part graded by several cells: each cell is named by its part and its own id
    shared = {name for name in names.values() if list(names.values()).count(name) > 1}
    return {grade_id: f"{name} ({grade_id.removeprefix('test-')})" if name in shared else name
            for grade_id, name in names.items()}


def source_part_names(root: Path, assignment: str, source_dir: str = "solutions/source",
                      every_cell: bool = False) -> dict[str, str]:
    """Part names of every graded cell (or, with ``every_cell``, also every answer cell's part
    heading) of the source notebooks of ``assignment``."""
    names: dict[str, str] = {}
    for path in sorted((Path(root) / source_dir / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        names.update((part_headings(nb) if every_cell else {}) | part_names(nb))
    return names
