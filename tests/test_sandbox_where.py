"""The sandbox starts where courses run: as root without CAP_SYS_ADMIN (Docker, Kubernetes,
JupyterHub, the CI container) and as an ordinary user. Real nbgrader runs of exercise 1.

Each grades a small class (an honest student, a blank one, and attacks from tests/test_sandbox.py:
reading the solutions, writing the grade book, a fork bomb, and one that reports who it runs as)
with the sandbox on, and checks the grades, that the attacks ran and were stopped, and that the
grade book and the solutions are unchanged. Where the machine cannot run one of the two (no
setpriv, not root, user namespaces disabled, no useradd, a Python other users cannot run), the
test says why, loudly, instead of passing.
"""
from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import fill, nbgrader, points
from notebook_runner import ROOT
from other_user import python_in_reach
from test_sandbox import ATTACKS, EVIDENCE, SITE_PACKAGES
from test_sandbox import printed as printed_by

pytestmark = pytest.mark.slow

A1 = "01_neurons_perceptron"
# the environment running the tests (the course's .venv under `make test`)
BIN = Path(sys.executable).parent
NBGRADER = str(BIN / "nbgrader")
ENV = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
DROP_SYS_ADMIN = ["setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin", "--"]
WHOAMI = """
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print("KERNEL uid", status["Uid"].split()[0], "CapEff", status["CapEff"].strip(),
      "CapBnd", status["CapBnd"].strip(), "NoNewPrivs", status["NoNewPrivs"].strip())
"""
STUDENTS = ["reads_solutions", "gradebook", "fork_bomb"]


def cannot(reason: str):
    """Skip, saying why for everyone to see (a skipped sandbox test is a gap, not a pass)."""
    print(f"\n*** SANDBOX TEST NOT RUN: {reason} ***", file=sys.stderr)
    pytest.skip(reason)


def attack(course: Path, student: str) -> nbformat.NotebookNode:
    code = WHOAMI if student == "whoami" else ATTACKS[student].format(
        course=course, a1=A1, root=ROOT, sleep="1", site_packages=SITE_PACKAGES, port=1,
        home="/nonexistent")
    cells = (["affine", "perceptron-update", "perceptron-train"]
             if student == "reads_solutions" else ["affine"])
    return fill(course, A1, ids=[], edits={cell: lambda _: code for cell in cells})


def make_class(parent: Path) -> Path:
    """A course of exercise 1 in ``parent`` (readable by every user: 0755 folders)."""
    course = parent / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    nbgrader(course, "generate_assignment", A1)
    for student, nb in [("full", fill(course, A1)), ("blank", fill(course, A1, ids=[])),
                        *[(s, attack(course, s)) for s in [*STUDENTS, "whoami"]]]:
        folder = course / "submitted" / student / A1
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A1}.ipynb")
    return course


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_graded(course: Path, run: subprocess.CompletedProcess, mode: str, uid: int) -> None:
    from nbgrader.api import Gradebook
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-4000:]
    assert f"grading sandbox: {mode}" in log, log[-4000:]
    assert "UNSAFE" not in log
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        got = {s.student_id: s.score for s in gb.assignment_submissions(A1)}
    assert got["full"] == points(A1) > 0, got
    for student in ["blank", *STUDENTS, "whoami"]:
        assert got[student] <= got["blank"] == 0.0, (student, got)

    def printed(student):
        return printed_by(course, student)

    for student in STUDENTS:
        assert EVIDENCE[student] in printed(student), (student, printed(student)[-2000:])
    refused_after = int(printed("fork_bomb").split("fork refused after ")[1].split(" ")[0])
    assert refused_after < 64, "the process limit did not hold"
    # the kernel ran as the unprivileged uid, holding no capability, unable to gain one
    assert (f"KERNEL uid {uid} CapEff 0000000000000000 CapBnd 0000000000000000 NoNewPrivs 1"
            in printed("whoami")), printed("whoami")


@pytest.fixture
def open_folder():
    """A folder every user can reach (pytest's own temporary folder is private to its user)."""
    folder = Path(tempfile.mkdtemp(prefix="sandbox-where-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_root_without_cap_sys_admin_grades_in_a_user_namespace(open_folder):
    if os.geteuid() != 0:
        cannot("not root: CAP_SYS_ADMIN cannot be dropped from a grader that does not have it")
    if not shutil.which("setpriv"):
        cannot("no setpriv (util-linux) to drop CAP_SYS_ADMIN")
    probe = subprocess.run([*DROP_SYS_ADMIN, "unshare", "--user", "true"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        cannot(f"user namespaces are disabled here without CAP_SYS_ADMIN: {probe.stderr.strip()}")
    course = make_class(open_folder)
    solutions = digest(course / "solutions" / "source" / A1 / f"{A1}.ipynb")
    run = subprocess.run([*DROP_SYS_ADMIN, NBGRADER, "autograde", A1,
                          f"--CourseDirectory.root={course}", "--Execute.timeout=20",
                          "--SandboxedKernelManager.run_as_uid=2147000001"],
                         cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=1800)
    check_graded(course, run, "root-userns", 2147000001)
    assert digest(course / "solutions" / "source" / A1 / f"{A1}.ipynb") == solutions


def test_an_ordinary_user_grades_in_a_user_namespace(open_folder):
    if os.geteuid() != 0:
        user = pwd.getpwuid(os.geteuid()).pw_name        # already an ordinary user: as it is
        prefix: list[str] = []
    else:
        if not shutil.which("useradd") or not shutil.which("setpriv"):
            cannot("no useradd or setpriv to make and become an ordinary user")
        user = f"grader{os.getpid()}"
        made = subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                               user], capture_output=True, text=True)
        if made.returncode != 0:
            cannot(f"useradd failed: {made.stderr.strip()}")
    try:
        if os.geteuid() == 0:
            uid = pwd.getpwnam(user).pw_uid
            # env as the first program: setpriv's own exec may still use root's capabilities
            # to find its program; everything after it runs as a plain user
            stage = open_folder / "stage"
            stage.mkdir()
            prefix = python_in_reach(stage) + [
                "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--reset-env", "--", "env"]
        probe = subprocess.run([*prefix, sys.executable, "-c", "import lib, nbgrader"],
                               capture_output=True, text=True, cwd="/")
        if probe.returncode != 0:
            cannot(f"{user} cannot run the virtual environment's Python ({sys.prefix}, made "
                   f"from {sys.base_prefix}, is not readable by other users): "
                   f"{probe.stderr.strip()[-300:]}")
        probe = subprocess.run([*prefix, "unshare", "--user", "true"], capture_output=True,
                               text=True)
        if probe.returncode != 0:
            cannot(f"unprivileged user namespaces are disabled here: {probe.stderr.strip()}")
        course = make_class(open_folder)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", f"{user}:", str(course)], check=True)
        home = open_folder / "home"
        home.mkdir()
        if os.geteuid() == 0:
            os.chown(home, uid, uid)
        env = dict(ENV, HOME=str(home))
        run = subprocess.run([*prefix, "env", *[f"{k}={v}" for k, v in env.items()], NBGRADER,
                              "autograde", A1, f"--CourseDirectory.root={course}",
                              "--Execute.timeout=20"],
                             cwd=ROOT, capture_output=True, text=True, timeout=1800)
        check_graded(course, run, "user", pwd.getpwnam(user).pw_uid)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["userdel", user], capture_output=True)
