"""The grading sandbox (grading/sandbox.py), attacked: real nbgrader runs on real notebooks.

One class of exercise 1 is graded in ONE autograde batch, exactly as `make autograde` does: an
honest full solution, a blank release, and one student per attack, whose first answer cell is
the attack (the other answers left blank, so an attack that fails scores what a blank scores).
Each attack prints what it got; the tests check the grades, that the course's files (every
file of the temporary course but nbgrader's own output, autograded/ and gradebook.db, whose
grades are checked instead; every tracked file of the repository; the list of site-packages)
hash the same as before, that no secret reached any graded notebook, and that the database
server the test runs on 127.0.0.1 saw no connection.

Then the same read-only attacks graded with the explicit unsafe flag succeed (so the attacks are
real), and a sandbox that cannot start stops autograding with a message saying how to enable it.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import ASSIGNMENTS, ENV, fill, nbgrader, points, submit
from notebook_runner import ROOT
from solution_leaks import read_secrets

from grading.course_secret import read_or_create

pytestmark = pytest.mark.slow

A1 = "01_neurons_perceptron"
HOME_SECRET = "home-secret-5be1d0"
SERVER_SECRET = b"gradebook-server-secret-91c4"
ESCAPE_SLEEP = "613.5"          # a background `sleep 613.5` must not outlive its kernel
SITE_PACKAGES = (
    Path(sys.prefix)
    / "lib"
    / f"python{sys.version_info.major}.{sys.version_info.minor}"
    / "site-packages"
)

# student -> attack (the source of the first answer cell); the {places} are filled in by
# attack_submission
ATTACKS = {
    "reads_solutions": """
import json
source = json.load(open("{course}/solutions/source/{a1}/{a1}.ipynb"))
for cell in source["cells"]:
    if cell["metadata"].get("nbgrader", {{}}).get("solution"):
        exec("".join(cell["source"]), globals())
print("ATTACK RAN: read the solutions")
""",
    "gradebook": """
import sqlite3
try:
    db = sqlite3.connect("{course}/gradebook.db")
    print("students:", db.execute("SELECT id FROM student").fetchall())
    db.execute("UPDATE grade SET manual_score = 100")
    db.commit()
    print("ATTACK RAN: gradebook rewritten")
except Exception as error:
    print("ATTACK RAN: gradebook", type(error).__name__, error)
""",
    "database_server": """
import socket
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=5) as conn:
        print("server said:", conn.recv(100))
except OSError as error:
    print("ATTACK RAN: database server", type(error).__name__, error)
""",
    "writes_course": """
import glob
for path in ["{course}/nbgrader_config.py", "{root}/nbgrader_config.py",
             *glob.glob("{root}/grading/*.py"), *glob.glob("{root}/lib/*.py"),
             "{course}/solutions/source/{a1}/{a1}.ipynb",
             "{course}/submitted/full/{a1}/{a1}.ipynb", "{course}/autograded/full/{a1}/{a1}.ipynb",
             "{course}/release/{a1}/{a1}.ipynb", "{site_packages}/mallory.pth"]:
    try:
        with open(path, "a") as f:
            f.write("# mallory was here")
        print("WROTE", path)
    except OSError as error:
        print("ATTACK RAN: write", path, type(error).__name__)
""",
    "reads_home": """
import os
for path in ["{home}/secret.txt", os.path.expanduser("~/secret.txt")]:
    try:
        print("home:", open(path).read())
    except OSError as error:
        print("ATTACK RAN: home", path, type(error).__name__)
""",
    "fork_bomb": """
import os, time
children = []
try:
    while len(children) < 5000:
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
except OSError as error:
    print(f"ATTACK RAN: fork refused after {{len(children)}} children:", type(error).__name__)
""",
    "memory_flood": """
import numpy as np
chunks = []
try:
    while len(chunks) < 1000:               # 256 GB if nothing stopped it
        # 256 MB each (not touched: the limit is on address space)
        chunks.append(np.empty(2**25))
except MemoryError:
    print(f"ATTACK RAN: MemoryError after {{len(chunks) * 256}} MB")
del chunks
""",
    "file_flood": """
block = b"x" * 2**20
for path in ["flood.bin", "/tmp/flood.bin"]:
    written = 0
    try:
        with open(path, "wb") as f:
            while written < 2**33:             # 8 GB if nothing stopped it
                f.write(block)
                f.flush()
                written += len(block)
    except OSError as error:
        print(f"ATTACK RAN: {{path}} stopped at {{written // 2**20}} MB:", type(error).__name__)
import os
os.remove("flood.bin")
os.remove("/tmp/flood.bin")
for i in range(200):                           # 200 files of 2 MB in /tmp: more than it holds
    try:
        with open(f"/tmp/many{{i}}.bin", "wb") as f:
            f.write(2 * block)
    except OSError as error:
        print(f"ATTACK RAN: /tmp full after {{i * 2}} MB:", type(error).__name__)
        break
handles = []
try:
    while len(handles) < 100000:
        handles.append(open("handle.txt", "a"))
except OSError as error:
    print(f"ATTACK RAN: open refused after {{len(handles)}} files:", type(error).__name__)
""",
    "output_flood": """
print("ATTACK RAN: output flood")
while True:
    print("x" * 100000)
""",
    "infinite_loop": """
print("ATTACK RAN: stubborn loop")
while True:
    try:
        sum(range(10 ** 5))
    except:
        pass
""",
    "escapes": """
import subprocess
subprocess.Popen(["sleep", "{sleep}"], start_new_session=True)
print("ATTACK RAN: background process started")
""",
    "exits": """
print("ATTACK RAN: os._exit")
import os
os._exit(0)
""",
}
# what each attack's output must show (that it ran and was stopped by the sandbox's limits)
EVIDENCE = {
    "reads_solutions": "FileNotFoundError",
    "gradebook": "ATTACK RAN: gradebook OperationalError",
    "database_server": "ConnectionRefusedError",
    "writes_course": "ATTACK RAN: write",
    "reads_home": "ATTACK RAN: home",
    "fork_bomb": "ATTACK RAN: fork refused",
    "memory_flood": "ATTACK RAN: MemoryError",
    "file_flood": "ATTACK RAN: flood.bin stopped at 64 MB: OSError",
    "output_flood": "(the notebook printed more than 8388608 bytes; the rest was dropped)",
    "infinite_loop": "ATTACK RAN: stubborn loop",
    "escapes": "ATTACK RAN: background process started",
    "exits": "KernelDied",          # its print is lost with the process: stdout was not flushed
}


class DatabaseServer:
    """A TCP server on 127.0.0.1 standing for a grade book on a database server: counts
    connections."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:          # closed
                return
            self.connections += 1
            with conn:
                conn.sendall(SERVER_SECRET)

    def close(self):
        self.sock.close()


def attack_submission(course: Path, student: str, **places) -> nbformat.NotebookNode:
    """The blank release with the first answer cell replaced by the attack (every answer cell
    for reads_solutions, so that no blank answer after it undoes what it stole)."""
    code = ATTACKS[student].format(course=course, a1=A1, root=ROOT, sleep=ESCAPE_SLEEP,
                                   site_packages=SITE_PACKAGES, **places)
    cells = (
        ["affine", "perceptron-update", "perceptron-train"]
        if student == "reads_solutions"
        else ["affine"]
    )
    return fill(course, A1, ids=[], edits={cell: lambda _: code for cell in cells})


def files_hash(*folders: Path, skip=()) -> dict[str, str]:
    """SHA-256 of every file under ``folders`` (symlinks not followed), by path."""
    out = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and not any(s in path.parts for s in skip):
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def repository_hash() -> dict[str, str]:
    """SHA-256 of every file git tracks in the repository, plus the list of site-packages."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    out = {name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest()
           for name in tracked.decode().split("\0") if name and (ROOT / name).is_file()}
    out["site-packages"] = "\n".join(sorted(os.listdir(SITE_PACKAGES)))
    return out


def scores(course: Path) -> dict[str, float]:
    """Each student's total score of exercise 1 as the grade book has it (manual overrides
    count)."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student_id: s.score for s in gb.assignment_submissions(A1)}


def printed(course: Path, student: str) -> str:
    """Everything the student's graded notebook shows as output (streams, errors, results)."""
    nb = nbformat.read(course / "autograded" / student / A1 / f"{A1}.ipynb", 4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts += [out.get("text", ""), out.get("evalue", ""), *out.get("traceback", []),
                      *map(str, out.get("data", {}).values())]
    return "\n".join(parts)


def new_course(tmp: Path, home: Path) -> Path:
    course = tmp / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    nbgrader(course, "generate_assignment", A1)
    home.mkdir()
    (home / "secret.txt").write_text(HOME_SECRET)
    return course


def autograde(course: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    """`nbgrader autograde` as `make autograde` runs it, with HOME at ``home``."""
    return subprocess.run([str(ROOT / ".venv" / "bin" / "nbgrader"), "autograde", A1,
                           f"--CourseDirectory.root={course}", "--Execute.timeout=8", *args],
                          cwd=ROOT, env=dict(ENV, HOME=str(home)), capture_output=True, text=True,
                          timeout=1200)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """The class graded in one batch: (course, nbgrader's run, server, hashes before and after)."""
    tmp = tmp_path_factory.mktemp("sandbox")
    home = tmp / "home"
    course = new_course(tmp, home)
    server = DatabaseServer()
    submit(course, "full", A1, fill(course, A1))
    submit(course, "blank", A1, fill(course, A1, ids=[]))
    for student in ATTACKS:
        submit(course, student, A1, attack_submission(course, student, port=server.port, home=home))
    # the course secret is made before grading, so that a change to it shows
    read_or_create(course)
    course_before = files_hash(course, home)
    repo_before = repository_hash()
    # RLIMIT_NPROC counts every process of a uid on the machine: a uid of the batch's own keeps
    # the fork bomb from starving sandboxed kernels that other tests run meanwhile as 65534
    run = autograde(course, home, "--SandboxedKernelManager.run_as_uid=2147000000")
    server.close()
    course_after = files_hash(course, home, skip=("autograded",))
    course_after.pop(str(course / "gradebook.db"), None)
    course_before.pop(str(course / "gradebook.db"), None)
    yield course, run, server, (course_before, course_after), (repo_before, repository_hash())


def test_an_honest_solution_gets_full_marks_and_every_attack_no_more_than_a_blank(attacked):
    course, run, _, _, _ = attacked
    got = scores(course)
    assert got["full"] == points(A1) > 0, (got, run.stderr[-3000:])
    assert got["blank"] == 0.0
    for student in ATTACKS:
        assert got.get(student) == 0.0, f"{student}: {got.get(student)}\n{run.stderr[-3000:]}"


def test_each_attack_ran_and_was_stopped(attacked):
    course, _, _, _, _ = attacked
    for student, evidence in EVIDENCE.items():
        text = printed(course, student)
        assert evidence in text, f"{student}: no {evidence!r} in its graded notebook"
        assert "WROTE" not in text and "server said" not in text and "home:" not in text
    fork = printed(course, "fork_bomb")
    refused_after = int(fork.split("fork refused after ")[1].split(" ")[0])
    assert refused_after < 64, "more processes than max_processes"
    files = printed(course, "file_flood")
    assert "/tmp/flood.bin stopped at 64 MB" in files, "max_file_size holds in /tmp too"
    assert 128 < int(files.split("/tmp full after ")[1].split(" ")[0]) <= 256, "/tmp holds 256 MB"
    assert int(files.split("open refused after ")[1].split(" ")[0]) < 256, "max_open_files"
    flood = course / "autograded" / "output_flood" / A1 / f"{A1}.ipynb"
    assert flood.stat().st_size < 9 * 2**20, "output past max_output_bytes was kept"


def test_no_course_file_changed(attacked):
    _, _, _, (course_before, course_after), (repo_before, repo_after) = attacked
    assert course_after == course_before
    assert repo_after == repo_before
    assert not (SITE_PACKAGES / "mallory.pth").exists()


def test_no_secret_left_the_sandbox_and_the_server_saw_nobody(attacked):
    course, _, server, _, _ = attacked
    assert server.connections == 0
    solution_lines = [s.line for s in read_secrets(ROOT / "solutions" / "source" / A1, ROOT).secrets
                      if s.kind == "solution"]
    assert solution_lines
    for student in ATTACKS:
        text = printed(course, student)
        assert HOME_SECRET not in text and SERVER_SECRET.decode() not in text, student
        flat = " ".join(text.split())
        assert not any(line in flat for line in solution_lines), student


def test_no_process_outlives_its_kernel(attacked):
    leftovers = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes() == f"sleep\0{ESCAPE_SLEEP}\0".encode():
                leftovers.append(cmdline.parent.name)
        except OSError:
            continue
    assert not leftovers, f"background processes of the sandbox still running: {leftovers}"


def test_the_kernel_sees_its_folder_and_the_engine_only(tmp_path):
    """A sandboxed kernel started directly: what is visible and what is writable."""
    from grading.sandbox import SandboxedKernelManager

    async def run(code: str) -> str:
        km = SandboxedKernelManager(kernel_name="python3")
        await km.start_kernel(cwd=str(tmp_path))
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            out = []
            await kc.execute_interactive(code, timeout=120, output_hook=lambda m: out.append(
                m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
            return "".join(out)
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    home = Path.home()
    # of the home folder, only the way to the bound folders (e.g. the interpreter under ~/.pyenv)
    on_the_way = sorted(
        {
            Path(p).relative_to(home).parts[0]
            for p in (sys.prefix, sys.base_prefix, ROOT)
            if Path(p).is_relative_to(home)
        }
    )
    (tmp_path / "data.txt").write_text("handed in")
    (tmp_path / "graded.ipynb").write_text("{}")      # a test cell holds hidden tests: not shown
    (tmp_path / "passwd").symlink_to("/etc/passwd")   # a link: not shown
    seen = asyncio.run(
        run(
            f"import os; print(sorted(os.listdir({str(ROOT)!r}))); "
            f"print(sorted(os.listdir({str(home)!r}))); print(os.path.exists('/etc/passwd')); "
            "print(sorted(os.listdir('.'))); print(open('data.txt').read()); "
            "open('mine.txt', 'w').write('ok'); os.symlink('/x', 'link'); "
            "print(sorted(os.listdir('.')))\n"
            "try:\n    open('data.txt', 'a').write('changed')\n"
            "except OSError:\n    print('refused')"
        )
    )
    assert Path("/etc/passwd").exists()
    assert seen.splitlines() == [
        str(sorted([".venv", "lib"])),
        str(on_the_way),
        "False",
        "['data.txt']",
        "handed in",
        "['data.txt', 'link', 'mine.txt']",
        "refused",
    ]
    # the kernel's folder was its own: nothing it wrote reached the grader's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.txt", "graded.ipynb", "passwd"]
    assert (tmp_path / "data.txt").read_text() == "handed in"


def test_the_cpu_limit_kills_a_kernel_that_ignores_interrupts(tmp_path):
    from grading.sandbox import SandboxedKernelManager

    async def run() -> bool:
        km = SandboxedKernelManager(kernel_name="python3", cpu_seconds=3)
        await km.start_kernel(cwd=str(tmp_path))
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            kc.execute(
                "while True:\n    try:\n        sum(range(10**5))\n    except:\n        pass"
            )
            for _ in range(240):  # CPU seconds, not wall seconds: allow for a loaded machine
                if not await km.is_alive():
                    return True
                await asyncio.sleep(0.5)
            return False
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    assert asyncio.run(run()), "the kernel was still running after 120 s (3 CPU seconds allowed)"


def test_unsafe_flag_grades_without_the_sandbox_and_says_so(tmp_path):
    """Graded with the unsafe flag, the read-only attacks succeed: proof they are real attacks.

    Reading the solutions still earns nothing: the verdict's static read of the student's cells
    (grading/own_work.py) refuses code that opens files and runs what it read, a second line of
    defence behind the sandbox."""
    home = tmp_path / "home"
    course = new_course(tmp_path, home)
    server = DatabaseServer()
    for student in ["reads_solutions", "database_server", "reads_home"]:
        submit(course, student, A1, attack_submission(course, student, port=server.port, home=home))
    run = autograde(course, home, "--SandboxedExecute.unsafe_no_sandbox=True")
    server.close()
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stderr.count("UNSAFE: grading WITHOUT the sandbox") == 3
    assert "ATTACK RAN: read the solutions" in printed(course, "reads_solutions")
    assert scores(course)["reads_solutions"] == 0
    assert server.connections == 1 and SERVER_SECRET.decode() in printed(course, "database_server")
    assert HOME_SECRET in printed(course, "reads_home")


def test_make_autograde_passes_the_unsafe_flag_only_when_asked():
    dry = lambda *extra: subprocess.run(["make", "-n", "autograde", f"ASSIGNMENT={A1}", *extra],
                                        cwd=ROOT, capture_output=True, text=True).stdout
    # on Dask (the default) and on the sequential path (WORKERS=1), each in its own words
    assert "--unsafe-no-sandbox" in dry("UNSAFE_NO_SANDBOX=1")
    assert "--SandboxedExecute.unsafe_no_sandbox=True" in dry("UNSAFE_NO_SANDBOX=1", "WORKERS=1")
    assert "unsafe" not in dry() and "unsafe" not in dry("WORKERS=1")


def test_autograding_stops_when_the_sandbox_cannot_start(tmp_path):
    home = tmp_path / "home"
    course = new_course(tmp_path, home)
    for student in ["ann", "bob"]:
        submit(course, student, A1, fill(course, A1))
    broken = tmp_path / "bwrap"  # a bwrap that fails as on a machine without user namespaces
    broken.write_text(
        "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n"
    )
    broken.chmod(0o755)
    run = autograde(course, home, f"--SandboxedKernelManager.bwrap={broken}")
    assert run.returncode != 0
    log = run.stdout + run.stderr
    assert "The grading sandbox cannot start, so autograding stops" in log
    assert "setting up uid map: Permission denied" in log
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in log and "UNSAFE_NO_SANDBOX=1" in log
    assert log.count("The grading sandbox cannot start") == 1, "stops at the first submission"
    assert not any((course / "autograded").glob(f"*/{A1}")), "nothing half-graded is left"
    # with the sandbox back, the same command grades the class
    assert autograde(course, home).returncode == 0
    assert scores(course) == {"ann": points(A1), "bob": points(A1)}


def test_no_reference_answer_is_copied_into_a_submission_folder():
    """nbgrader copies every non-notebook file of solutions/source/<id>/ into autograded/: keep
    none."""
    for assignment in ASSIGNMENTS:
        files = sorted(
            p.name for p in (ROOT / "solutions" / "source" / assignment).rglob("*") if p.is_file()
        )
        assert files == [f"{assignment}.ipynb"], files
