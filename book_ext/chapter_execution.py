"""Execute the book's notebooks in parallel into the cache the book build reads, before Sphinx runs.

With ``execute_notebooks: cache`` MyST-NB executes each notebook while Sphinx reads its page,
one after another: on 2 cores half the machine waits. This runs them first, ``--jobs`` at a
time, exactly as MyST-NB would (its reader, jupyter-cache's ``single_nb_execution``, the
notebook's own folder, the timeout and ``allow_errors`` of ``_config.yml``) into the same
jupyter-cache (``<BOOK_OUT>/_build/.jupyter_cache/<engine fingerprint>``, see
:mod:`book_ext.engine_fingerprint`). jupyter-cache keys a notebook on its kernelspec and its code
cells (source and metadata), which both readers produce alike, so Sphinx then finds every
notebook in the cache and executes none. A notebook already in the cache is not run again; one
whose code changed is. When no file the book's notebooks are read from has changed since the
last complete run (a digest kept beside the cache), nothing is even read.

    python -m book_ext.chapter_execution [--book-out DIR] [--jobs N]

Also the test suite's executor (``tests/notebook_runner.py``): a per-notebook lock lets pytest
workers and ``make book`` share the work, each notebook running once.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from book_ext.engine_fingerprint import engine_cache_dir

if TYPE_CHECKING:     # nbformat, MyST-NB and jupyter-cache load in seconds: only when needed
    import nbformat

ROOT = Path(__file__).resolve().parents[1]


class NotebookFailed(AssertionError):
    """A cell raised (or timed out); the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class ExecuteSettings:
    """``execute:`` of ``_config.yml``, as Jupyter Book hands it to MyST-NB."""

    mode: str = "cache"            # execute_notebooks
    timeout: int = 30              # seconds per cell
    allow_errors: bool = False
    run_in_temp: bool = False
    # the cache folder is named after the engine (book_ext.engine_fingerprint): without that
    # extension MyST-NB would read another folder than the one filled here
    engine_keyed: bool = True


def execute_settings(root: Path) -> ExecuteSettings:
    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8")) or {}
    execute = config.get("execute") or {}
    mode = execute.get("execute_notebooks", "auto")
    extensions = (config.get("sphinx") or {}).get("extra_extensions") or []
    return ExecuteSettings(mode="off" if mode is False else str(mode),
                           timeout=int(execute.get("timeout", 30)),
                           allow_errors=bool(execute.get("allow_errors", False)),
                           run_in_temp=bool(execute.get("run_in_temp", False)),
                           engine_keyed="book_ext.engine_fingerprint" in extensions)


def cache_base(book_out: Path) -> Path:
    """MyST-NB's default cache folder for a build into ``book_out`` (``make book BOOK_OUT=``)."""
    return Path(book_out).resolve() / "_build" / ".jupyter_cache"


# -- which notebooks the book executes ------------------------------------------------------------

def _toc_files(entry) -> list[str]:
    found = []
    if isinstance(entry, dict):
        for key, value in entry.items():
            if key in ("file", "root") and isinstance(value, str):
                found.append(value)
            else:
                found += _toc_files(value)
    elif isinstance(entry, list):
        for item in entry:
            found += _toc_files(item)
    return found


def read_as_book(path: Path) -> nbformat.NotebookNode | None:
    """``path`` read the way MyST-NB reads it in the book build (so jupyter-cache hashes agree);
    None if it is no notebook (plain Markdown)."""
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.read import create_nb_reader
    from myst_parser.config.main import MdParserConfig

    text = Path(path).read_text(encoding="utf-8")
    reader = create_nb_reader(str(path), MdParserConfig(), NbParserConfig(), text)
    return None if reader is None else reader.read(text)


def _toc_paths(root: Path) -> list[Path]:
    """The files ``_toc.yml`` names (``.md`` or ``.ipynb``), in its order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    paths = []
    for name in _toc_files(toc):
        for suffix in ("", ".md", ".ipynb"):
            path = root / f"{name}{suffix}"
            if path.suffix in (".md", ".ipynb") and path.is_file():
                paths.append(path)
                break
    return paths


def sources_digest(root: Path) -> str:
    """SHA-256 over what decides which notebooks run and their code: the book's configuration,
    its table of contents and every file the table names (the engine names the cache folder)."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in [root / "_config.yml", root / "_toc.yml", *_toc_paths(root)]:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def book_notebooks(root: Path) -> list[Path]:
    """The notebooks of ``_toc.yml`` the book executes, in its order: MyST or .ipynb, minus those
    whose metadata turns execution off (the released exercises: nbgrader runs them)."""
    notebooks = []
    for path in _toc_paths(Path(root)):
        notebook = read_as_book(path)
        if notebook is None:
            continue
        if notebook.metadata.get("mystnb", {}).get("execution_mode") == "off":
            continue
        notebooks.append(path)
    return notebooks


# -- one notebook ---------------------------------------------------------------------------------

def failing_cell(nb) -> tuple[int | None, str]:
    """Index (0-based, counting all cells) and source of the first cell with an error output."""
    last_run = (None, "")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i, cell.source
        if cell.get("execution_count") is not None:
            last_run = (i, cell.source)
    # a timeout leaves no error output: the first cell after the last one that ran is the culprit
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("execution_count") is None \
                and i > (last_run[0] if last_run[0] is not None else -1):
            return i, cell.source
    return last_run


@contextmanager
def notebook_lock(base: Path, path: Path, blocking: bool = True):
    """One process at a time runs a given notebook; yields False if busy and not blocking."""
    base.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:16]
    with open(base / f"notebook-{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def cache_lock(folder: Path):
    """One process at a time creates or writes the cache's database: two workers creating it at
    once both issue CREATE TABLE (sqlite's "table settings already exists")."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.db.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_cache(folder: Path):
    """The jupyter-cache in ``folder``, its database created under ``cache_lock``."""
    from jupyter_cache import get_cache

    with cache_lock(folder):
        cache = get_cache(str(folder))
        cache.list_cache_records()        # creates the database's tables now, under the lock
    return cache


@dataclass(frozen=True)
class Executed:
    notebook: nbformat.NotebookNode   # with its outputs
    seconds: float                    # how long it took to run (when it ran, if from the cache)
    ran: bool                         # False: taken from the cache


def execute_cached(path: Path, base: Path, root: Path = ROOT, settings: ExecuteSettings | None
                   = None, blocking: bool = True) -> Executed | None:
    """Take ``path`` from the cache of the engine of ``root`` under ``base``, or run it there.

    Raises NotebookFailed naming the notebook and the failing cell. With ``blocking=False``
    returns None at once if another process is running this notebook right now.
    """
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    from book_ext.kernel_client import BookKernelManager

    path, settings = Path(path).resolve(), settings or execute_settings(root)
    with notebook_lock(Path(base), path, blocking) as acquired:
        if not acquired:
            return None
        folder = engine_cache_dir(Path(base), Path(root))
        cache = open_cache(folder)
        nb = read_as_book(path)
        if nb is None:
            raise ValueError(f"{path} is not a notebook MyST-NB can read")
        try:
            record = cache.match_cache_notebook(nb)
        except KeyError:
            record = None
        if record is not None:
            _, executed = cache.merge_match_into_notebook(nb)
            return Executed(executed, float(record.data.get("execution_seconds") or 0.0), False)
        if settings.run_in_temp:
            import tempfile
            with tempfile.TemporaryDirectory() as cwd:
                result = single_nb_execution(nb, cwd=cwd, timeout=settings.timeout,
                                             allow_errors=settings.allow_errors,
                                             meta_override=True,
                                             kernel_manager_class=BookKernelManager)
        else:
            result = single_nb_execution(nb, cwd=str(path.parent), timeout=settings.timeout,
                                         allow_errors=settings.allow_errors, meta_override=True,
                                         kernel_manager_class=BookKernelManager)
        if result.err is not None:
            cell_index, source = failing_cell(nb)
            shown = path.relative_to(root) if path.is_relative_to(root) else path
            raise NotebookFailed(
                f"{shown}: cell {cell_index} failed.\n--- cell source ---\n{source}\n"
                f"--- error ---\n{result.exc_string}")
        with cache_lock(folder):
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(path), data={"execution_seconds": result.time}),
                check_validity=False, overwrite=True)
        return Executed(nb, result.time, True)


# -- the book's notebooks, in parallel ------------------------------------------------------------

def _run_one(path: Path, base: Path, root: Path, settings: ExecuteSettings):
    """In a worker process: (path, seconds, ran, error message or None)."""
    start = time.perf_counter()
    try:
        done = execute_cached(path, base, root, settings)
    except NotebookFailed as failure:
        return path, time.perf_counter() - start, True, str(failure)
    return path, done.seconds, done.ran, None


def _earlier_seconds(base: Path) -> dict[str, float]:
    """Each notebook's last known execution time, in the caches of the engines kept under
    ``base`` (this one and earlier ones): the longest runs start first."""
    seconds = {}
    folders = sorted((p for p in base.iterdir() if (p / "global.db").is_file()),
                     key=lambda p: p.stat().st_mtime)
    for folder in folders:                 # the most recent folder's record wins
        for record in open_cache(folder).list_cache_records():
            seconds[record.uri] = float(record.data.get("execution_seconds") or 0.0)
    return seconds


def execute_book(root: Path, book_out: Path, jobs: int, log=print) -> dict[Path, float]:
    """Run every notebook of the book not in the cache yet, ``jobs`` at a time.

    Returns {notebook: seconds} of those that ran; raises NotebookFailed (naming every failing
    notebook and cell) after the others have finished and been cached.
    """
    root, base = Path(root).resolve(), cache_base(book_out)
    settings = execute_settings(root)
    if settings.mode != "cache":
        return {}        # MyST-NB runs them itself (or not at all), in no cache of ours
    if not settings.engine_keyed:
        raise ValueError("_config.yml: sphinx.extra_extensions must name "
                         "book_ext.engine_fingerprint (the book reads the execution cache of the "
                         "engine it runs on)")
    # all notebooks were in this engine's cache when the sources last had this digest
    done_marker = engine_cache_dir(base, root) / "book-sources.sha256"
    digest = sources_digest(root)
    if done_marker.is_file() and done_marker.read_text().strip() == digest:
        return {}
    # without a record (a fresh clone) the last chapters, which train the larger networks, first
    notebooks = book_notebooks(root)[::-1]
    earlier = _earlier_seconds(base)
    notebooks.sort(key=lambda p: -earlier.get(str(p), 0.0))
    ran, failures = {}, []
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(_run_one, p, base, root, settings) for p in notebooks]
        for future in as_completed(futures):
            path, seconds, did_run, error = future.result()
            shown = path.relative_to(root)
            if error is not None:
                failures.append(error)
                log(f"chapter_execution: {shown}: FAILED")
            elif did_run:
                ran[path] = seconds
                log(f"chapter_execution: {shown}: executed in {seconds:.2f} s")
    if failures:
        raise NotebookFailed("\n\n".join(failures))
    if sources_digest(root) == digest:       # unchanged while the notebooks ran
        done_marker.write_text(digest + "\n")
    return ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="the book's folder (_config.yml, _toc.yml); default: here")
    parser.add_argument("--book-out", type=Path, default=None,
                        help="jupyter-book's --path-output (default: the book's folder)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks run at once (default: one per core)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        ran = execute_book(args.root, args.book_out or args.root, args.jobs)
    except NotebookFailed as failure:
        print(f"chapter_execution: a notebook failed; the book is not built.\n{failure}",
              file=sys.stderr)
        return 1
    print(f"chapter_execution: {len(ran)} notebook(s) executed, {args.jobs} at a time, "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
