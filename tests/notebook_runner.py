"""Execute a notebook (.ipynb or MyST markdown) top to bottom and report the failing cell.

Used by the test suite for every chapter and exercise: a chapter is tested by existing.

Chapters are executed ONCE per change for both the tests and the book: ``execute_book_notebook``
runs a chapter exactly as the book build does (``book_ext.chapter_execution``, which ``make book``
runs before Sphinx) and stores the result in the book's jupyter-cache
(``$BOOK_OUT/_build/.jupyter_cache/<engine fingerprint>``, ``make book``'s cache). A chapter
whose code and engine (``lib/``, pinned packages: see ``book_ext/engine_fingerprint.py``) are
unchanged since it last ran successfully is not run again, by the tests or by ``make book``;
anything else runs.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import jupytext
import nbformat

from book_ext.chapter_execution import NotebookFailed, execute_cached, execute_settings

__all__ = ["NotebookFailed", "execute_book_notebook", "is_notebook", "read_notebook"]

ROOT = Path(__file__).resolve().parents[1]
# where `make book` writes (_build/html, _build/.jupyter_cache); BOOK_OUT as in the Makefile
BOOK_OUT = Path(os.environ.get("BOOK_OUT", ROOT)).resolve()
CACHE_BASE = BOOK_OUT / "_build" / ".jupyter_cache"
# the front matter of a chapter (a MyST markdown notebook), for the tests' own small notebooks
MYST_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


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


# --- the book's executor, shared with `make book` ----------------------------------------------

def execute_book_notebook(path: Path, timeout: int = 120, blocking: bool = True):
    """Run ``path`` as the book build would, or take its result from the book's cache.

    Returns ``(notebook_with_outputs, seconds_it_took_to_run)``; raises NotebookFailed naming
    the notebook and the failing cell. With ``blocking=False`` returns None at once if another
    process is running this notebook right now.
    """
    settings = dataclasses.replace(execute_settings(ROOT), timeout=timeout)
    done = execute_cached(path, CACHE_BASE, ROOT, settings, blocking=blocking)
    return None if done is None else (done.notebook, done.seconds)
