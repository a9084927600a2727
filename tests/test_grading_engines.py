"""The two grading engines: one decision, whole students, workers that need no course folder.

* ``grading.regrade.decide`` is the one rule both engines apply (a table of cases);
* what crosses to and from a worker is plain data read without following links
  (``grading.scratch.read_tree``), and a result cannot write outside its folder;
* ``grading.merge`` commits a student through a marker: the merge is killed (``os._exit`` in a
  forked child, at every step in turn) and ``recover`` must leave the student wholly old or
  wholly new, gradebook and graded folder alike;
* Dask workers started with Dask's own ``dask worker`` command, as a user who cannot read the
  course folder, in another working directory, grade a class to the same grades, cell by cell,
  as the sequential ``make autograde WORKERS=1`` (plain nbgrader).

Expected points come from the source notebooks' metadata (nbgrader_course) and plain nbgrader.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import A1, BROKEN_01, ENV, auto_score, nbgrader, submit
from notebook_runner import ROOT
from other_user import python_in_reach

from grading.merge import COMMIT, OLD, STAGED, merge_student, recover, write_tree
from grading.regrade import (
    NEW,
    RESUBMITTED,
    SETTINGS_CHANGED,
    SETTINGS_FILE,
    TESTS_CHANGED,
    UP_TO_DATE,
    decide,
    graded_settings,
    keeps_hand_grades,
    load_settings,
    plan,
    settings_digest,
    write_settings,
)
from grading.scratch import autograde_in_scratch, make_seed, make_task, read_tree, source_bundle

EARLY, LATE = datetime(2030, 1, 1), datetime(2030, 1, 2)
# the secret the tests' grading tasks carry (a real course reads or makes its own)
SECRET = "a-test-secret-" + "5e" * 16


@pytest.mark.parametrize("case, expected", [
    (dict(graded=False, arrived=None, graded_at=None), NEW),
    (dict(graded=False, arrived=EARLY, graded_at=EARLY), NEW),
    (dict(graded=True, arrived=None, graded_at=None), UP_TO_DATE),
    (dict(graded=True, arrived=EARLY, graded_at=EARLY), UP_TO_DATE),
    (dict(graded=True, arrived=EARLY, graded_at=LATE), UP_TO_DATE),
    (dict(graded=True, arrived=LATE, graded_at=EARLY), RESUBMITTED),
    (dict(graded=True, arrived=LATE, graded_at=None), RESUBMITTED),
    (dict(graded=True, arrived=EARLY, graded_at=EARLY, tests_changed=True), TESTS_CHANGED),
    (dict(graded=True, arrived=EARLY, graded_at=EARLY, settings_changed=True), SETTINGS_CHANGED),
    (dict(graded=True, arrived=LATE, graded_at=EARLY, tests_changed=True,
          settings_changed=True), RESUBMITTED),
    (dict(graded=True, arrived=None, graded_at=None, tests_changed=True,
          settings_changed=True), TESTS_CHANGED),
])
def test_one_decision(case, expected):
    case = {"tests_changed": False, "settings_changed": False} | case
    assert decide(**case) == expected


def test_the_settings_digest_follows_what_can_change_a_score():
    base = load_settings(ROOT)
    digest = settings_digest(base, SECRET)

    def with_(*extra, secret=None):
        config = load_settings(ROOT, list(extra))
        return settings_digest(config, secret or SECRET)

    assert with_() == digest
    assert with_("--Execute.timeout=30") != digest
    assert with_("--SandboxedKernelManager.cpu_seconds=5") != digest
    assert with_("--LatePolicy.per_day=0.2") != digest
    assert with_(secret="another secret") != digest
    # where the course is and whether the sandbox is used do not change a score
    assert with_("--SandboxedExecute.unsafe_no_sandbox=True") == digest
    assert with_("--CourseDirectory.root=/elsewhere", "--CourseDirectory.db_url=sqlite:///x") \
        == digest


def test_read_tree_takes_back_regular_files_only(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "gradebook.db").write_bytes(b"the whole class")
    top = tmp_path / "graded"
    (top / "sub").mkdir(parents=True)
    (top / "nb.ipynb").write_bytes(b"{}")
    (top / "sub" / "data.txt").write_bytes(b"kept")
    (top / "link.db").symlink_to(outside / "gradebook.db")
    (top / "linked_dir").symlink_to(outside)
    os.mkfifo(top / "fifo")
    os.link(outside / "gradebook.db", top / "hard.db")
    files, ignored = read_tree(top)
    assert files == {"nb.ipynb": (b"{}", 0o644), "sub/data.txt": (b"kept", 0o644)}
    assert sorted(i.split("`")[1] for i in ignored) == ["fifo", "hard.db", "link.db", "linked_dir"]
    files, ignored = read_tree(top, max_bytes=3)
    assert list(files) == ["nb.ipynb"] and any("sub/data.txt" in i for i in ignored)


@pytest.mark.parametrize("name", ["../escape", "/etc/escape", "a/../../b", ""])
def test_a_result_cannot_name_a_file_outside_its_folder(tmp_path, name):
    with pytest.raises(ValueError):
        write_tree(tmp_path / "graded", {name: (b"x", 0o644)})
    assert not (tmp_path / "escape").exists()


def test_the_settings_record_replaces_a_link_the_kernel_left_and_never_follows_it(tmp_path):
    """On the sequential path the graded folder was the kernel's working folder."""
    victim = tmp_path / "gradebook.db"
    victim.write_bytes(b"the whole class")
    graded = tmp_path / "graded"
    graded.mkdir()
    (graded / SETTINGS_FILE).symlink_to(victim)
    write_settings(graded, "digest")
    assert victim.read_bytes() == b"the whole class"
    assert not (graded / SETTINGS_FILE).is_symlink()
    assert graded_settings(graded) == "digest"


# -- a merge interrupted at every step ------------------------------------------------------------

def _course(parent: Path) -> Path:
    course = parent / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    nbgrader(course, "generate_assignment", A1)
    return course


def _task(course: Path, student: str) -> dict:
    config = load_settings(ROOT)
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
    return make_task(course, A1, student, config=config, secret=SECRET,
                     seed=make_seed(db_url),
                     bundle=source_bundle(course, "solutions/source", A1),
                     settings=settings_digest(config, SECRET))


def _state(course: Path, student: str) -> tuple[dict, bytes | None]:
    """(cell -> auto score in the gradebook, the graded notebook's bytes) of one student."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            sub = gb.find_submission(A1, student)
            grades = {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
        except MissingEntry:
            grades = {}
    notebook = course / "autograded" / student / A1 / f"{A1}.ipynb"
    return grades, notebook.read_bytes() if notebook.exists() else None


def _merge_dying_at(course: Path, result: dict, step: int) -> bool:
    """Merge ``result`` in a forked child that dies (``os._exit``, no clean-up) just before
    its ``step``-th file-system or gradebook operation; whether it died."""
    pid = os.fork()
    if pid == 0:                                         # the child: count, then die
        import grading.merge as merge
        calls = [0]

        def dying(function):
            def wrapper(*args, **kwargs):
                if calls[0] == step:
                    os._exit(17)
                calls[0] += 1
                return function(*args, **kwargs)
            return wrapper
        merge.write_rows = dying(merge.write_rows)
        merge.write_tree = dying(merge.write_tree)
        merge.shutil.rmtree = dying(shutil.rmtree)
        os.rename = dying(os.rename)
        os.unlink = dying(os.unlink)
        try:
            merge_student(f"sqlite:///{course / 'gradebook.db'}", None, course, result)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 17


@pytest.mark.slow
def test_a_merge_killed_at_any_step_leaves_the_student_wholly_old_or_wholly_new(tmp_path):
    course = _course(tmp_path)
    blank_build, _ = BROKEN_01["blank"]
    full_build, _ = BROKEN_01["full"]
    submit(course, "ann", A1, blank_build(course))
    submit(course, "bob", A1, full_build(course))
    first = {s: autograde_in_scratch(_task(course, s)) for s in ("ann", "bob")}
    assert all(r["ok"] for r in first.values()), first
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    for result in first.values():
        merge_student(db_url, None, course, result)
    old, bob = _state(course, "ann"), _state(course, "bob")
    submit(course, "ann", A1, full_build(course))        # ann hands in the full solution
    new_result = autograde_in_scratch(_task(course, "ann"))
    assert new_result["ok"]
    assert sum(old[0].values()) == 0 and sum(bob[0].values()) == BROKEN_01["full"][1]
    pristine = tmp_path / "pristine"
    shutil.copytree(course, pristine)
    outcomes, split_seen = [], False
    for step in range(40):
        shutil.rmtree(course)
        shutil.copytree(pristine, course)
        died = _merge_dying_at(course, new_result, step)
        if not died:
            break
        grades, _ = _state(course, "ann")
        graded = course / "autograded" / "ann"
        # the gradebook already new, the folder not yet swapped: the moment that matters most
        split_seen |= (grades == bob[0] and (graded / STAGED.format(A1)).is_dir())
        recover(course, db_url)
        after = _state(course, "ann")
        assert after in (old, (bob[0], after[1])), f"killed at step {step}: a mixed student"
        if after == old:
            outcomes.append("old")
        else:                     # new: the grades of a full solution and the new notebook
            assert after[1] == new_result["files"][f"{A1}.ipynb"][0], step
            outcomes.append("new")
        assert sorted(p.name for p in graded.iterdir()) == [A1], (step, list(graded.iterdir()))
        assert _state(course, "bob") == bob, "another student changed"
    assert not died, "the merge never finished"
    assert _state(course, "ann")[0] == bob[0]
    assert "old" in outcomes and "new" in outcomes and split_seen, outcomes
    # the recovered state is decided once: a marker left behind is not replayed twice
    assert not list((course / "autograded").glob(f"*/{COMMIT.format('*')}"))
    assert not list((course / "autograded").glob(f"*/{OLD.format('*')}"))
    # the decision both engines share reads what the merge wrote: same settings, nothing to do;
    # another time limit, every student again, hand grades kept
    config = load_settings(ROOT)
    now = settings_digest(config, SECRET)
    assert plan(course, A1, db_url, now) == {"ann": UP_TO_DATE, "bob": UP_TO_DATE}
    longer = load_settings(ROOT, ["--Execute.timeout=300"])
    todo = plan(course, A1, db_url, settings_digest(longer, SECRET))
    assert {s: what.split(" (")[0] for s, what in todo.items()} == {
        "ann": SETTINGS_CHANGED, "bob": SETTINGS_CHANGED}
    assert all(keeps_hand_grades(what) for what in todo.values())


# -- workers with nothing but Python -------------------------------------------------------------

WORKER_USER = "dask-grader"
CLASS = ("full", "blank", "one_piece", "syntax_error", "exception")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(user: str, stage: Path) -> list[str]:
    """The command prefix that runs a command as ``user``, with the course's Python reachable
    (``other_user.python_in_reach``)."""
    entry = pwd.getpwnam(user)
    return python_in_reach(stage) + ["setpriv", f"--reuid={entry.pw_uid}",
                                     f"--regid={entry.pw_gid}", "--init-groups"]


def _ensure_user() -> None:
    if os.geteuid() != 0:
        pytest.skip("making a second user needs root (useradd); run the suite as root or in CI")
    try:
        pwd.getpwnam(WORKER_USER)
    except KeyError:
        made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                               "/usr/sbin/nologin", WORKER_USER], capture_output=True, text=True)
        if made.returncode not in (0, 9):                    # 9: made meanwhile by another run
            pytest.fail(f"useradd failed: {made.stderr}")


def _build(course: Path) -> None:
    shutil.copytree(ROOT / "solutions" / "source" / A1, course / "solutions" / "source" / A1)
    nbgrader(course, "generate_assignment", A1)
    for student in CLASS:
        build, _ = BROKEN_01[student]
        submit(course, student, A1, build(course))


def _cells(course: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {(s.student_id, g.name): g.auto_score for s in gb.assignment_submissions(A1)
                for nb in s.notebooks for g in nb.grades}


@pytest.mark.slow
def test_dask_workers_of_another_user_without_the_course_folder_grade_as_the_sequential_path(
        tmp_path):
    _ensure_user()
    sequential, parallel = tmp_path / "sequential" / "course", tmp_path / "locked" / "course"
    _build(sequential)
    _build(parallel)
    (tmp_path / "locked").chmod(0o700)                 # root's, and nobody else's
    home = Path(f"/tmp/{WORKER_USER}-{os.getpid()}")
    home.mkdir(mode=0o700)
    entry = pwd.getpwnam(WORKER_USER)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    user = _as_user(WORKER_USER, tmp_path / "stage")
    (tmp_path / "stage").mkdir()
    env = {"PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin", "HOME": str(home),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    # the premise: that user cannot read the course, but can run the course's Python
    peek = subprocess.run(user + ["ls", str(parallel)], capture_output=True, env=env, cwd=home)
    assert peek.returncode != 0
    assert subprocess.run(user + [str(ROOT / ".venv" / "bin" / "python"), "-c", "import grading"],
                          env=env, cwd=home).returncode == 0, "the environment is not readable"
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(ROOT / ".venv" / "bin" / "dask")
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", "127.0.0.1:0", "--no-show"],
                                 cwd=tmp_path, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    workers = subprocess.Popen(user + [dask, "worker", address, "--nworkers", "2",
                                       "--nthreads", "1", "--host", "127.0.0.1",
                                       "--dashboard-address", "127.0.0.1:0"],
                               cwd=home, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        from dask.distributed import Client
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            uids = client.run(os.getuid)
            cwds = client.run(os.getcwd)
        assert set(uids.values()) == {entry.pw_uid}
        assert all(not cwd.startswith(str(tmp_path)) for cwd in cwds.values())
        make = ["make", "--no-print-directory", "-C", str(ROOT), "autograde",
                f"ASSIGNMENT={A1}"]
        done = subprocess.run(make + [f"COURSE={sequential}", "WORKERS=1"], env=ENV,
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        done = subprocess.run(make + [f"COURSE={parallel}", f"SCHEDULER={address}"], env=ENV,
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert f"[{len(CLASS)}/{len(CLASS)}] graded {len(CLASS)}, running 0, failed 0" \
            in done.stdout, done.stdout
    finally:
        workers.terminate()
        scheduler.terminate()
        for process in (workers, scheduler):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(home, ignore_errors=True)
    by_cell = _cells(parallel)
    assert by_cell == _cells(sequential) and len(by_cell) >= 3 * len(CLASS)
    assert auto_score(parallel, A1) == {s: BROKEN_01[s][1] for s in CLASS}
    for student in CLASS:
        graded = parallel / "autograded" / student / A1 / f"{A1}.ipynb"
        assert nbformat.read(graded, 4).cells, student
        assert stat.S_IMODE(graded.stat().st_mode) & 0o600 == 0o600
    # nothing of the workers' scratch courses is left
    assert not list(Path("/tmp").glob("autograde-*/full-*"))
