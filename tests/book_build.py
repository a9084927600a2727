"""Build the book for the tests with exactly `make book` (no second recipe), once per process.

The site tests (test_site.py, test_leaks.py) need the built HTML. The build goes to
``$BOOK_OUT/_build/html`` (the Makefile's default: the repository's ``_build``) and shares its
jupyter-cache with tests/test_notebooks.py, so a chapter is executed once for the whole suite:
`make book` first executes the chapters not yet in the cache, two at a time
(``book_ext.chapter_execution``), waiting for any that a pytest-xdist worker is running at that
moment, then Sphinx reads them all from the cache.
"""
from __future__ import annotations

import fcntl
import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from notebook_runner import BOOK_OUT, ROOT

from book_ext.chapter_execution import NotebookFailed, book_notebooks, execute_book

HTML = BOOK_OUT / "_build" / "html"
LOG = BOOK_OUT / "_build" / "make-book.log"


@dataclass(frozen=True)
class BookBuild:
    returncode: int
    log: str

    @property
    def warnings(self) -> list[str]:
        noise = ("[IPKernelApp]", "WARNING: Location 'file:")   # kernel start-up, pip's index list
        return [line for line in self.log.splitlines()
                if ("WARNING" in line or "ERROR" in line) and not any(n in line for n in noise)]


def book_chapters() -> list[Path]:
    """The notebooks the book executes (the released exercises are run by nbgrader instead)."""
    return book_notebooks(ROOT)


def execute_missing_chapters() -> None:
    """Execute into the suite's shared cache the chapters not in it yet, two at a time (as
    `make book` does first), waiting for any another pytest-xdist worker is running."""
    try:
        execute_book(ROOT, BOOK_OUT, jobs=2, log=lambda _: None)
    except NotebookFailed:
        pass                              # the build reports it too, as does test_notebooks


@functools.cache
def build_book() -> BookBuild:
    """Run `make book` (warnings are errors) into BOOK_OUT; one build at a time per BOOK_OUT."""
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG.parent / "make-book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(["make", "--no-print-directory", "book", f"BOOK_OUT={BOOK_OUT}"],
                              cwd=ROOT, capture_output=True, text=True)
        log = proc.stdout + proc.stderr
        with open(LOG, "a") as handle:      # one section per build (one per xdist worker)
            handle.write(f"===== make book (exit {proc.returncode}) =====\n{log}\n")
        fcntl.flock(lock, fcntl.LOCK_UN)
    return BookBuild(proc.returncode, log)
