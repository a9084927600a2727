"""Execute a notebook (.ipynb or MyST markdown) top to bottom and report the failing cell.

Used by the test suite for every chapter and exercise: a chapter is tested by existing.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

ROOT = Path(__file__).resolve().parents[1]


class NotebookFailed(AssertionError):
    pass


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read .ipynb with nbformat, MyST .md notebooks with jupytext."""
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    return jupytext.read(path)


def is_notebook(path: Path) -> bool:
    """True for .ipynb files and for .md files that are MyST notebooks (have a kernelspec)."""
    if path.suffix == ".ipynb":
        return True
    if path.suffix != ".md":
        return False
    head = path.read_text(encoding="utf-8")[:600]
    return head.startswith("---") and "kernelspec" in head


def execute_notebook(path: Path, timeout: int = 120) -> tuple[nbformat.NotebookNode, float]:
    """Run every cell in the notebook's own folder; raise NotebookFailed naming the cell."""
    nb = read_notebook(path)
    env_before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        cell_index, source = _failing_cell(nb)
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        raise NotebookFailed(
            f"{rel}: cell {cell_index} failed.\n--- cell source ---\n{source}\n"
            f"--- error ---\n{exc}") from None
    finally:
        if env_before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_before
    return nb, time.perf_counter() - start


def _failing_cell(nb) -> tuple[int, str]:
    """Index (0-based, counting all cells) and source of the first cell with an error output."""
    last_run = (None, "")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i, cell.source
        if cell.get("execution_count") is not None:
            last_run = (i, cell.source)
    # a timeout leaves no error output: the last cell that started is the culprit
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("execution_count") is None and i > (last_run[0] or -1):
            return i, cell.source
    return last_run
