"""What ``make hub-collect`` refuses or corrects in the exchange's inbound folder.

Fast and without nbgrader runs: submission folders are laid out as ``nbgrader submit`` lays them
(``<student>+<assignment>+<time>+<random>/`` with ``timestamp.txt``), made by this process's user,
and then changed as a student could change their own folder. The whole route, with students as
Unix users, is tests/test_hub.py.
"""
from __future__ import annotations

import datetime as dt
import os
import pwd
import stat

import pytest

from grading import collect, exchange

A1 = "01_neurons_perceptron"
ME = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def inbound(tmp_path, monkeypatch):
    root = tmp_path / "exchange"
    root.mkdir()
    root.chmod(0o1777)
    monkeypatch.setenv(exchange.ROOT_VARIABLE, str(root))
    folder = root / "shallow-to-deep" / "inbound"
    folder.mkdir(parents=True)
    return folder


def submission(inbound, student: str, claimed: str, files: dict[str, bytes]):
    folder = inbound / f"{student}+{A1}+{claimed}+Xy3_random"
    folder.mkdir()
    (folder / "timestamp.txt").write_text(claimed)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def test_a_claimed_time_earlier_than_the_files_is_replaced_by_when_they_were_written(
        tmp_path, inbound):
    course = tmp_path / "course"
    claimed = "2020-01-01 00:00:00.000000 UTC"
    submission(inbound, ME, claimed, {f"{A1}.ipynb": b"{}"})
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    lines = exchange.collect_assignment(course, A1)
    assert len(lines) == 1 and lines[0].startswith(f"{ME}/{A1}: new"), lines
    assert "WARNING: it claimed 2020-01-01 00:00:00 UTC" in lines[0]
    recorded = collect.read_timestamp(course / "submitted" / ME / A1)
    assert recorded >= before - dt.timedelta(seconds=2)
    # collected once: a second collect takes nothing
    assert exchange.collect_assignment(course, A1) == [f"{ME}/{A1}: unchanged (collected before)"]


def test_links_and_other_students_folders_are_never_taken(tmp_path, inbound):
    course = tmp_path / "course"
    secret = tmp_path / "solutions.ipynb"
    secret.write_text("the model solution")
    now_utc = dt.datetime.now(dt.UTC)
    now = now_utc.strftime("%Y-%m-%d %H:%M:%S.%f %Z")     # nbgrader's format: "... UTC"
    folder = submission(inbound, ME, now, {f"{A1}.ipynb": b"{}"})
    (folder / "stolen.ipynb").symlink_to(secret)
    os.mkfifo(folder / "blocks-a-reader")
    line = exchange.collect_assignment(course, A1)[0]
    assert "left out: " in line and "stolen.ipynb" in line and "blocks-a-reader" in line, line
    taken = course / "submitted" / ME / A1
    assert sorted(p.name for p in taken.iterdir()) == [f"{A1}.ipynb", "timestamp.txt"]
    # an honest claim (just now) is kept as nbgrader wrote it
    assert collect.read_timestamp(taken) == now_utc

    # a folder that names someone else than the user who made it (submit --student=...)
    other = pwd.getpwuid(65534).pw_name if os.getuid() == 0 else "somebody-else"
    submission(inbound, other, now, {f"{A1}.ipynb": b"{}"})
    lines = exchange.collect_assignment(course, A1)
    assert any(f"refused {other}+{A1}+" in x and f"made by {ME}, not by {other}" in x
               for x in lines), lines
    assert not (course / "submitted" / other).exists()


def test_an_exchange_root_anyone_could_hijack_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="install -d -m 1777"):
        exchange.check_root(tmp_path / "missing")
    root = tmp_path / "exchange"
    root.mkdir()
    root.chmod(0o777)
    with pytest.raises(SystemExit, match="without the sticky bit"):
        exchange.check_root(root)
    root.chmod(0o755)
    with pytest.raises(SystemExit, match="not writable by the students"):
        exchange.check_root(root)
    root.chmod(0o1777)
    exchange.check_root(root)
    assert stat.S_IMODE(root.stat().st_mode) == 0o1777
