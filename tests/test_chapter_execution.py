"""`make book` executes the notebooks in parallel before Sphinx runs
(book_ext/chapter_execution.py): on a small book of its own, each notebook writes a line to a
file of its own whenever it runs, so which notebooks ran is read from those files, never from a
clock."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_runner import MYST_HEADER

from book_ext.chapter_execution import NotebookFailed, book_notebooks, execute_book

pytestmark = pytest.mark.notebooks

CONFIG = """title: A small book
execute:
  execute_notebooks: cache
  timeout: 60
  allow_errors: false
  run_in_temp: false
only_build_toc_files: true
exclude_patterns: [_build, ran]
sphinx:
  extra_extensions: [book_ext.engine_fingerprint]   # the cache folder named after the engine
"""
TOC = """format: jb-book
root: intro
chapters:
  - file: one
  - file: two
  - file: three
  - file: exercise
"""


def _chapter(name: str, value: int) -> str:
    """A MyST notebook that appends its name to ran/<name> each time it runs."""
    return MYST_HEADER + f"""
# Chapter {name}

```{{code-cell}} ipython3
from pathlib import Path
Path("ran").mkdir(exist_ok=True)
with open(Path("ran") / "{name}", "a") as log:
    log.write("ran\\n")
print("{name} says", {value})
```
"""


def _exercise() -> dict:
    """A released exercise: execution off in its metadata, as nbgrader's student versions."""
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "mystnb": {"execution_mode": "off"}},
            "cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": "# Exercise"},
                      {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": None,
                       "outputs": [], "source": "open('ran/exercise', 'a').write('ran')"}]}


@pytest.fixture
def book(tmp_path) -> Path:
    root = tmp_path / "book"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "engine.py").write_text("VERSION = 1\n")   # the engine fingerprint's input
    (root / "_config.yml").write_text(CONFIG)
    (root / "_toc.yml").write_text(TOC)
    (root / "intro.md").write_text("# A small book\n\nPlain Markdown: no notebook.\n")
    for value, name in enumerate(("one", "two", "three"), start=1):
        (root / f"{name}.md").write_text(_chapter(name, value))
    (root / "exercise.ipynb").write_text(json.dumps(_exercise()))
    return root


def _runs(book: Path) -> dict[str, int]:
    ran = book / "ran"
    return {p.name: len(p.read_text().splitlines()) for p in sorted(ran.iterdir())} \
        if ran.is_dir() else {}


def test_the_notebooks_of_the_toc_that_the_book_executes(book):
    assert [p.name for p in book_notebooks(book)] == ["one.md", "two.md", "three.md"]


def test_a_changed_chapter_alone_runs_again(book):
    ran = execute_book(book, book, jobs=2, log=lambda _: None)
    assert sorted(p.name for p in ran) == ["one.md", "three.md", "two.md"]
    assert _runs(book) == {"one": 1, "three": 1, "two": 1}

    assert execute_book(book, book, jobs=2, log=lambda _: None) == {}
    assert _runs(book) == {"one": 1, "three": 1, "two": 1}, "nothing changed: nothing runs"

    chapter = book / "two.md"
    chapter.write_text(chapter.read_text().replace('"two says", 2', '"two says", 22'))
    ran = execute_book(book, book, jobs=2, log=lambda _: None)
    assert [p.name for p in ran] == ["two.md"]
    assert _runs(book) == {"one": 1, "three": 1, "two": 2}

    (book / "one.md").write_text((book / "one.md").read_text() + "\nMore text, same code.\n")
    assert execute_book(book, book, jobs=2, log=lambda _: None) == {}, \
        "a change to the text alone leaves the code's outputs valid"
    assert _runs(book) == {"one": 1, "three": 1, "two": 2}

    (book / "lib" / "engine.py").write_text("VERSION = 2\n")
    ran = execute_book(book, book, jobs=2, log=lambda _: None)
    assert sorted(p.name for p in ran) == ["one.md", "three.md", "two.md"], \
        "a change to the engine runs every notebook again"
    assert _runs(book) == {"one": 2, "three": 2, "two": 3}


def test_a_failing_chapter_is_named_and_the_others_are_kept(book):
    (book / "two.md").write_text(_chapter("two", 2).replace('print("two says", 2)',
                                                            'raise ValueError("two is broken")'))
    with pytest.raises(NotebookFailed) as failure:
        execute_book(book, book, jobs=2, log=lambda _: None)
    assert "two.md: cell" in str(failure.value) and "two is broken" in str(failure.value)
    assert "one.md" not in str(failure.value)
    (book / "two.md").write_text(_chapter("two", 2))
    ran = execute_book(book, book, jobs=2, log=lambda _: None)
    assert [p.name for p in ran] == ["two.md"], "the chapters that passed were cached"


@pytest.mark.book
@pytest.mark.slow
def test_sphinx_finds_every_notebook_in_the_cache(book):
    """jupyter-cache keys agree with MyST-NB's: the book build that follows executes nothing,
    and its pages show the outputs of the parallel run."""
    execute_book(book, book, jobs=2, log=lambda _: None)
    runs = _runs(book)
    build = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(book),
                            "--path-output", str(book)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert _runs(book) == runs, "Sphinx executed a notebook that was in the cache"
    assert "two says 2" in (book / "_build" / "html" / "two.html").read_text()
