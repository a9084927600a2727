"""Every notebook under chapters/ runs top to bottom without error, in well under a minute.

New chapters and released exercises are picked up by existing: nothing to register.

A chapter runs exactly as the book build runs it and its result goes into the book's
jupyter-cache (see ``notebook_runner.execute_book_notebook``): the suite and ``make book`` execute
each chapter once, and a chapter whose code and engine are unchanged since it last passed is
taken from that cache instead of being run again.
"""
from __future__ import annotations

import pytest
from book_build import book_chapters
from notebook_runner import ROOT, execute_book_notebook

# Every notebook the book executes. The released exercise notebooks are blank by design (they
# raise NotImplementedError): tests/test_exercises.py runs them, and their solutions, with nbgrader.
NOTEBOOKS = book_chapters()

# How long a chapter takes is measured by benchmarks/book_build.py, not asserted here: tests
# stay deterministic on a loaded machine. A cell that hangs still fails, at the 120 s per-cell
# timeout of execute_book_notebook, naming the notebook and the cell.


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under chapters/"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_runs(path):
    executed, _ = execute_book_notebook(path)
    assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code"), \
        f"{path.name} ran but produced no output at all"
