"""Execute a notebook (.ipynb or MyST markdown) top to bottom and report the failing cell.

Used by the test suite for every chapter and exercise: a chapter is tested by existing.

Chapters are executed ONCE per change for both the tests and the book: ``execute_book_notebook``
runs a chapter exactly as the book build does (MyST-NB's reader, jupyter-cache's executor, the
notebook's own folder) and stores the result in the book's jupyter-cache
(``$BOOK_OUT/_build/.jupyter_cache/<engine fingerprint>``, ``make book``'s cache). A chapter
whose code and engine (``lib/``, pinned packages: see ``book_ext/engine_fingerprint.py``) are
unchanged since it last ran successfully is not run again, by the tests or by ``make book``;
anything else runs.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
# where `make book` writes (_build/html, _build/.jupyter_cache); BOOK_OUT as in the Makefile
BOOK_OUT = Path(os.environ.get("BOOK_OUT", ROOT)).resolve()
CACHE_BASE = BOOK_OUT / "_build" / ".jupyter_cache"


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
        if (
            cell.cell_type == "code"
            and cell.get("execution_count") is None
            and i > (last_run[0] or -1)
        ):
            return i, cell.source
    return last_run


# --- the book's executor, shared with `make book` ----------------------------------------------

from book_ext.engine_fingerprint import engine_cache_dir  # noqa: E402


def read_as_book(path: Path) -> nbformat.NotebookNode:
    """Read a notebook the way MyST-NB does in the book build (so jupyter-cache hashes agree)."""
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.read import create_nb_reader
    from myst_parser.config.main import MdParserConfig

    text = path.read_text(encoding="utf-8")
    reader = create_nb_reader(str(path), MdParserConfig(), NbParserConfig(), text)
    if reader is None:
        raise ValueError(f"{path} is not a notebook MyST-NB can read")
    return reader.read(text)


@contextmanager
def _notebook_lock(path: Path, blocking: bool = True):
    """One process at a time runs a given notebook; yields False if busy and not blocking."""
    CACHE_BASE.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    with open(CACHE_BASE / f"notebook-{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def execute_book_notebook(path: Path, timeout: int = 120, blocking: bool = True):
    """Run ``path`` as the book build would, or take its result from the book's cache.

    Returns ``(notebook_with_outputs, seconds_it_took_to_run)``; raises NotebookFailed naming
    the notebook and the failing cell. With ``blocking=False`` returns None at once if another
    process is running this notebook right now.
    """
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    with _notebook_lock(path, blocking) as acquired:
        if not acquired:
            return None
        cache = get_cache(str(engine_cache_dir(CACHE_BASE, ROOT)))
        nb = read_as_book(path)
        try:
            record = cache.match_cache_notebook(nb)
        except KeyError:
            record = None
        if record is not None:
            _, executed = cache.merge_match_into_notebook(nb)
            return executed, float(record.data.get("execution_seconds") or 0.0)
        result = single_nb_execution(nb, cwd=str(path.parent), timeout=timeout,
                                     allow_errors=False, meta_override=True)
        if result.err is not None:
            cell_index, source = _failing_cell(nb)
            rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            raise NotebookFailed(
                f"{rel}: cell {cell_index} failed.\n--- cell source ---\n{source}\n"
                f"--- error ---\n{result.exc_string}")
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(path.resolve()), data={"execution_seconds": result.time}),
            check_validity=False, overwrite=True)
        return nb, result.time
