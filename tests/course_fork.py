"""The course as an instructor adopts it: forked, its one setting changed, released and built.

The repository's files (tracked, and new ones not ignored) are copied into
``$BOOK_OUT/_build/course-fork/``, then the README's commands ("Teach this course") run there:
``make home URL=<FORK_URL>`` (the one setting), ``make release`` and ``make book``. The
fork shares the repository's ``.venv`` and ``node_modules`` (linked: installing them again
would take minutes, and proves nothing about the setting) and starts from a copy of its
jupyter-cache, so the build renders what the repository's build executed. One build per pytest
run, whatever the number of xdist workers (a lock, and a stamp naming the run).
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

from book_build import execute_missing_chapters
from notebook_runner import BOOK_OUT, ROOT

FORK_URL = "https://github.com/teacher-example/nn-term-2027"
FORK_SITE = "https://teacher-example.github.io/nn-term-2027/"
FORK = BOOK_OUT / "_build" / "course-fork"
RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex


@dataclass(frozen=True)
class Fork:
    root: Path
    returncode: int
    log: str
    old_url: str

    @property
    def html(self) -> Path:
        return self.root / "_build" / "html"


def _course_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def _make(target: str, fork: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *target.split(), f"BOOK_OUT={fork}"], cwd=fork,
                          capture_output=True, text=True, timeout=3600,
                          env=dict(os.environ, BOOK_OUT=str(fork)))


def _fork_and_build() -> Fork:
    old_url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    if FORK.exists():
        shutil.rmtree(FORK)
    for name in _course_files():
        (FORK / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, FORK / name)    # mtimes kept: make sees .venv up to date
    for shared in (".venv", "node_modules"):
        (FORK / shared).symlink_to(ROOT / shared)
    execute_missing_chapters()                   # into the suite's shared cache (once for all)
    cache = BOOK_OUT / "_build" / ".jupyter_cache"
    if cache.is_dir():
        shutil.copytree(cache, FORK / "_build" / ".jupyter_cache")
    log = ""
    returncode = 0
    for target in (f"home URL={FORK_URL}", "release", "book"):
        proc = _make(target, FORK)
        log += f"===== make {target} (exit {proc.returncode}) =====\n{proc.stdout}{proc.stderr}\n"
        returncode = returncode or proc.returncode
    return Fork(FORK, returncode, log, old_url)


def forked_course() -> Fork:
    """The fork, built once per pytest run (the first worker builds, the others wait and reuse)."""
    FORK.parent.mkdir(parents=True, exist_ok=True)
    stamp = FORK.parent / "course-fork.done"
    with open(FORK.parent / "course-fork.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text().split("\n", 1)[0] == RUN:
            _, returncode, old_url, log = stamp.read_text().split("\n", 3)
            return Fork(FORK, int(returncode), log, old_url)
        fork = _fork_and_build()
        stamp.write_text(f"{RUN}\n{fork.returncode}\n{fork.old_url}\n{fork.log}")
        return fork
