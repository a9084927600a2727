"""The course as an instructor adopts it: a private copy, its one setting changed, released,
pushed and built.

The README's commands ("Teach this course") run in ``$BOOK_OUT/_build/course-fork/``: the
repository is cloned there (``git clone``; then the working tree's files, tracked and new ones not
ignored, are copied over the clone, so the copy is of what is being tested), its ``origin`` is
set to a new bare repository standing for the instructor's private one
(``$BOOK_OUT/_build/course-private.git``), the clone is pushed there, then ``make home
URL=<FORK_URL>`` (the one setting), ``make release``, a commit of everything and a push, and
``make book``. The fork shares the repository's ``.venv`` and ``node_modules`` (linked:
installing them again would take minutes, and proves nothing about the setting) and starts from
a copy of its jupyter-cache, so the build renders what the repository's build executed. One
build per pytest run, whatever the number of xdist workers (a lock, and a stamp naming the run).
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
PRIVATE = BOOK_OUT / "_build" / "course-private.git"   # stands for the private GitHub repository
RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
# the fork's course secret, written before `make release` (which would otherwise write a random
# one) so that the variants it draws are known: this one draws, for every assignment, an option
# other than the default on every parameter (test_jupyter_notebooks.py checks it)
FORK_SECRET = "fork-term-2027-secret-0161"


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
    return subprocess.run(
        ["make", "--no-print-directory", *target.split(), f"BOOK_OUT={fork}"],
        cwd=fork,
        capture_output=True,
        text=True,
        timeout=3600,
        env=dict(os.environ, BOOK_OUT=str(fork)),
    )


def _git(*args: str, cwd: Path = FORK) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _private_copy() -> str:
    """Clone the course and push it to a new private repository, as the README says; the log."""
    for old in (FORK, PRIVATE):
        if old.exists():
            shutil.rmtree(old)
    head = _git("rev-parse", "HEAD", cwd=ROOT).strip()
    _git("clone", "--quiet", "--no-checkout", str(ROOT), str(FORK), cwd=ROOT)
    _git("checkout", "--quiet", "-B", "main", head)
    for name in _course_files():
        (FORK / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, FORK / name)    # mtimes kept: make sees .venv up to date
    for shared in (".venv", "node_modules"):
        (FORK / shared).symlink_to(ROOT / shared)
    # links, not folders: .gitignore's ".venv/" would not keep them out of `git add --all`
    with open(FORK / ".git" / "info" / "exclude", "a") as exclude:
        exclude.write("/.venv\n/node_modules\n")
    _git("init", "--quiet", "--bare", "--initial-branch", "main", str(PRIVATE), cwd=ROOT)
    _git("remote", "set-url", "origin", str(PRIVATE))
    _git("config", "user.name", "Teacher Example")
    _git("config", "user.email", "teacher@example.org")
    _git("add", "--all")
    _git("commit", "--quiet", "--allow-empty", "--message", "The course, as cloned")
    return _git("push", "--quiet", "--set-upstream", "origin", "main")


def _commit_and_push() -> str:
    """README step 4 (without the site): commit everything and push to the private repository."""
    _git("add", "--all")
    _git("commit", "--quiet", "--message", "Our course")
    return _git("push", "--quiet", "origin", "main")


def _fork_and_build() -> Fork:
    old_url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    _private_copy()
    execute_missing_chapters()                   # into the suite's shared cache (once for all)
    cache = BOOK_OUT / "_build" / ".jupyter_cache"
    if cache.is_dir():
        shutil.copytree(cache, FORK / "_build" / ".jupyter_cache")
    secret = FORK / "course_secret"
    secret.write_text(FORK_SECRET + "\n")
    secret.chmod(0o600)
    log = ""
    returncode = 0
    for target in (f"home URL={FORK_URL}", "release", "push", "book"):
        if target == "push":
            try:
                log += f"===== git commit, git push =====\n{_commit_and_push()}\n"
            except RuntimeError as error:
                log += f"===== git commit, git push (failed) =====\n{error}\n"
                returncode = returncode or 1
            continue
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
