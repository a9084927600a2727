"""The JupyterHub route of a term: nbgrader's exchange, driven like the folder route.

    python -m grading.exchange release  <assignment>... [--root DIR]  release/<a>/ -> outbound
    python -m grading.exchange collect  <assignment>... [--root DIR]  inbound -> submitted/
    python -m grading.exchange feedback <assignment>... [--root DIR]  feedback/ -> students

The exchange is a folder every student and the instructor share on the hub's machine
(``c.Exchange.root`` in ``nbgrader_config.py``, from ``$NN_COURSE_EXCHANGE``). nbgrader's own
model, kept here:

* the root is world-writable (each student's ``nbgrader`` insists on it) with the sticky bit, so
  nobody can rename or delete a folder someone else made in it. It is made once by an
  administrator (``install -d -m 1777 <root>``); these commands never make it, and refuse one
  without the sticky bit;
* ``<root>/<course>/`` and ``outbound/`` belong to the instructor, readable by all: the released
  notebooks;
* ``inbound/`` is write-only for students (``drwx-wx-wx``): a student's ``nbgrader submit`` makes
  ``<student>+<assignment>+<time>+<random>/`` in it, but nobody but the instructor can list it, so
  a submission can be opened only by someone who knows its random name;
* ``feedback/`` is traverse-only (``drwx--x--x``): each page is named by a digest of the
  submission's secret, which only its student (and the instructor) holds.

Collecting is stricter than ``nbgrader collect``: a submission whose folder is not owned by the
student it names is refused (one student submitting as another), only regular files are copied
(never through a symbolic link a student left there), and the time a submission claims is checked
against when its files were written (the file system's change time, which a student cannot set
back): a claim earlier than that is replaced by it, with a warning. Every version goes through
``grading.collect`` (``timestamp.txt``, ``arrivals/``), as a folder would.

Feedback pages go out self-contained: MathJax is written into each page (a page fetched from the
exchange arrives alone, without the ``mathjax/`` folder beside it).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default.list import ExchangeList

from grading import collect
from grading.feedback import MATHJAX, MATHJAX_SRC
from grading.kernel_boundary import NotPlain, copy_plain, read_plain

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = "/srv/nbgrader/exchange"
ROOT_VARIABLE = "NN_COURSE_EXCHANGE"
# a submission written this long after the time it claims has its claim replaced (the copy of a
# large notebook takes seconds, not minutes)
CLAIM_SLACK = dt.timedelta(minutes=2)
STAGING = "exchange_feedback"     # self-contained pages, as they go out through the exchange


def exchange_root() -> Path:
    """The exchange folder the course uses: ``$NN_COURSE_EXCHANGE``, else /srv/nbgrader/exchange."""
    return Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)


class QuietList(ExchangeList):
    """nbgrader's listing, silent when there is no exchange at all.

    The formgrader lists the exchange on every page; on a course that collects from folders or an
    LMS (no exchange) nbgrader logged "Unwritable directory, please contact your instructor" each
    time. Without an exchange the formgrader still hides its exchange buttons, as before."""

    def ensure_root(self):
        if not os.path.isdir(self.root):
            raise ExchangeError(f"no exchange at {self.root}")
        super().ensure_root()


def check_root(root: Path) -> None:
    """Refuse an exchange root that is missing, a link, or world-writable without the sticky bit."""
    fix = f"an administrator makes it once: sudo install -d -m 1777 {root}"
    if root.is_symlink() or not root.is_dir():
        raise SystemExit(f"no exchange at {root} ({ROOT_VARIABLE}=... chooses another); {fix}")
    mode = root.stat().st_mode
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        raise SystemExit(
            f"{root} is world-writable without the sticky bit: any student could rename the "
            f"course's folder and put their own notebooks in its place; sudo chmod 1777 {root}"
        )
    if not mode & stat.S_IWOTH:
        raise SystemExit(
            f"{root} is not writable by the students, whose nbgrader refuses it "
            f"(\"Unwritable directory\"); sudo chmod 1777 {root}"
        )


def nbgrader(root: Path, *args: str) -> None:
    command = [str(Path(sys.executable).with_name("nbgrader")), *args,
               f"--CourseDirectory.root={root}"]
    subprocess.run(command, check=True, cwd=REPO)


def release(root: Path, assignment: str) -> str:
    if not (root / "release" / assignment).is_dir():
        raise SystemExit(f"{assignment}: nothing in release/{assignment}/: run "
                         f"`make release ASSIGNMENT={assignment}` first")
    nbgrader(root, "release_assignment", assignment, "--force")
    return f"{assignment}: released to {exchange_root()}"


# -- collect -----------------------------------------------------------------------------------


def _written_at(folder: Path) -> dt.datetime:
    """The latest change time of the folder and anything in it (the student cannot set it back)."""
    times = [folder.lstat().st_ctime]
    for dirpath, dirs, files in os.walk(folder):
        times += [os.lstat(os.path.join(dirpath, n)).st_ctime for n in dirs + files]
    return dt.datetime.fromtimestamp(max(times), dt.UTC).replace(microsecond=0)


def collect_assignment(root: Path, assignment: str) -> list[str]:
    """Take every submission of ``assignment`` in the exchange's inbound folder, oldest first."""
    inbound = exchange_root() / collect_course_id(root) / "inbound"
    if not inbound.is_dir():
        raise SystemExit(f"{inbound} does not exist: release an assignment first "
                         "(`make hub-release`)")
    found = []
    for entry in inbound.iterdir():
        parts = entry.name.rsplit("+", 3)
        if len(parts) < 3 or parts[1] != assignment:
            continue
        found.append((parts[2], parts[0], entry))
    lines = []
    for _claimed, student, entry in sorted(found):      # oldest first
        info = entry.lstat()
        try:
            owner = pwd.getpwuid(info.st_uid).pw_name
        except KeyError:
            owner = f"uid {info.st_uid}"
        if not stat.S_ISDIR(info.st_mode) or owner != student:
            lines.append(f"{student}/{assignment}: WARNING: refused {entry.name}: made by "
                         f"{owner}, not by {student}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / assignment
            staged.mkdir()
            # the folder is the student's, who may change it while it is copied: plain files
            # only, opened without following links (grading.kernel_boundary)
            skipped = copy_plain(entry, staged)
            claim = collect.read_timestamp(staged)
            written = _written_at(entry)
            when, note = claim, ""
            if claim is None or written - claim > CLAIM_SLACK:
                when = written
                collect.write_timestamp(staged, written)
                if claim is not None:
                    note = (f" (WARNING: it claimed {claim:%Y-%m-%d %H:%M:%S} UTC but was written "
                            f"at {written:%Y-%m-%d %H:%M:%S} UTC: the latter counts)")
            kept = root / "arrivals" / student / assignment / when.strftime("%Y-%m-%dT%H%M%SZ")
            if kept.is_dir() and collect.same_files(staged, kept):
                lines.append(f"{student}/{assignment}: unchanged (collected before)")
                continue
            line = collect.arrive(root, student, assignment, staged) + note
            if skipped:
                line += f" (left out: {', '.join(skipped)})"
            lines.append(line)
    return lines


def collect_course_id(root: Path) -> str:
    """The course id of ``nbgrader_config.py`` (the exchange folder of this course)."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config_dir = root if (root / "nbgrader_config.py").is_file() else REPO
    config = PyFileConfigLoader("nbgrader_config.py", path=str(config_dir)).load_config()
    return CourseDirectory(config=config).course_id


# -- feedback ----------------------------------------------------------------------------------


def self_contained(page: str) -> str:
    """The page with MathJax written into it instead of loaded from the folder beside it."""
    script = MATHJAX.read_text(encoding="utf-8")
    if "</script" in script.lower():
        raise SystemExit(f"{MATHJAX} cannot be written into a page (it holds '</script')")
    # the page is re-serialised after the template: match the tag, not its spelling
    tag = re.compile(rf'<script\b[^>]*\bsrc="{re.escape(MATHJAX_SRC)}"[^>]*>\s*</script>')
    if not tag.search(page):
        raise SystemExit(f"a feedback page that does not load {MATHJAX_SRC} (another template?)")
    return tag.sub(lambda _: f"<script>{script}</script>", page, count=1)


def return_feedback(root: Path, assignment: str) -> str:
    """Put each feedback page of ``assignment`` in the exchange, for ``nbgrader fetch_feedback``."""
    staging = root / STAGING
    shutil.rmtree(staging, ignore_errors=True)          # pages of the last run: made again
    pages = sorted((root / "feedback").glob(f"*/{assignment}/*.html"))
    students = set()
    for page in pages:
        folder = page.parent
        try:        # what the student's folder held, read as plain files only
            kept = {name: read_plain(folder, name)
                    for name in ("timestamp.txt", "submission_secret.txt")}
            html = read_plain(folder, page.name).decode("utf-8")
        except (NotPlain, FileNotFoundError):
            continue          # not handed in through the exchange: nothing to return it with
        dest = staging / folder.parent.name / assignment
        dest.mkdir(parents=True, exist_ok=True)
        (dest / page.name).write_text(self_contained(html), encoding="utf-8")
        for name, data in kept.items():
            (dest / name).write_bytes(data)
        students.add(folder.parent.name)
    if not students:
        return f"{assignment}: no feedback pages of submissions from the exchange"
    nbgrader(root, "release_feedback", assignment,
             f"--CourseDirectory.feedback_directory={STAGING}")
    return f"{assignment}: feedback of {len(students)} student(s) in the exchange"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["release", "collect", "feedback"])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="the nbgrader course directory")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    check_root(exchange_root())
    for assignment in args.assignments:
        print(f"== {assignment}")
        if args.action == "release":
            print(release(root, assignment))
        elif args.action == "collect":
            lines = collect_assignment(root, assignment)
            for line in lines:
                print(line)
            print(f"{assignment}: collected {sum(': new' in x for x in lines)} new, "
                  f"{sum('resubmitted' in x for x in lines)} resubmitted, "
                  f"{sum('unchanged' in x for x in lines)} unchanged, "
                  f"{sum('WARNING: refused' in x for x in lines)} refused")
        elif args.action == "feedback":
            print(return_feedback(root, assignment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
