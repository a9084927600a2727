"""The executor shared by the notebook tests and `make book` (tests/notebook_runner.py,
book_ext/engine_fingerprint.py): it names the failing cell, runs a notebook only once while
nothing changed, and starts afresh when the engine changes."""
from __future__ import annotations

import notebook_runner
import pytest
from notebook_runner import MYST_HEADER, NotebookFailed, execute_book_notebook

from book_ext.engine_fingerprint import KEEP, engine_cache_dir, engine_fingerprint  # noqa: E402

HEADER = MYST_HEADER + "\n# A test notebook\n"


def _myst(*cells: str) -> str:
    return HEADER + "".join(f"\n```{{code-cell}} ipython3\n{c}\n```\n" for c in cells)


@pytest.fixture
def cache_base(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook_runner, "CACHE_BASE", tmp_path / "cache")
    return tmp_path / "cache"


@pytest.mark.notebooks
def test_a_failing_cell_is_named_with_its_notebook(tmp_path, cache_base):
    path = tmp_path / "broken.md"
    path.write_text(_myst("x = 1", "y = x / 0  # the culprit", "z = 3"))
    with pytest.raises(NotebookFailed) as failure:
        execute_book_notebook(path)
    message = str(failure.value)
    assert "broken.md: cell 2 failed" in message        # cell 0 is the title, 1 is x = 1
    assert "y = x / 0  # the culprit" in message and "ZeroDivisionError" in message


@pytest.mark.notebooks
def test_an_unchanged_notebook_runs_once(tmp_path, cache_base):
    marker = tmp_path / "ran.txt"
    path = tmp_path / "counts.md"
    path.write_text(_myst("from pathlib import Path\n"
                          f"Path({str(marker)!r}).open('a').write('run\\n')\nprint('hello')"))
    nb, seconds = execute_book_notebook(path)
    assert marker.read_text() == "run\n" and seconds > 0
    again, cached_seconds = execute_book_notebook(path)
    assert marker.read_text() == "run\n", "the second call must come from the cache"
    assert cached_seconds == pytest.approx(seconds)
    assert again.cells[1].outputs[0]["text"] == "hello\n"
    path.write_text(path.read_text().replace("hello", "changed"))
    execute_book_notebook(path)
    assert marker.read_text() == "run\nrun\n", "changed code must run again"


def test_the_engine_fingerprint_follows_the_engine(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "nn.py").write_text("A = 1\n")
    (tmp_path / "requirements.lock").write_text("numpy==2.0\n")
    first = engine_fingerprint(tmp_path)
    (tmp_path / "lib" / "__pycache__").mkdir()
    (tmp_path / "lib" / "__pycache__" / "nn.cpython-311.pyc").write_bytes(b"\0")
    assert engine_fingerprint(tmp_path) == first, "byte code is not the engine"
    (tmp_path / "lib" / "nn.py").write_text("A = 2\n")
    second = engine_fingerprint(tmp_path)
    assert second != first
    (tmp_path / "requirements.lock").write_text("numpy==2.1\n")
    assert engine_fingerprint(tmp_path) not in (first, second)


def test_each_engine_gets_its_own_cache_and_old_ones_are_pruned(tmp_path):
    (tmp_path / "lib").mkdir()
    base = tmp_path / "cache"
    folders = []
    for version in range(KEEP + 2):
        (tmp_path / "lib" / "nn.py").write_text(f"VERSION = {version}\n")
        folders.append(engine_cache_dir(base, tmp_path))
    assert len(set(folders)) == KEEP + 2
    kept = sorted(p.name for p in base.iterdir() if p.is_dir())
    assert kept == sorted(f.name for f in folders[-KEEP:])
