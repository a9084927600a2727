"""`make formgrader` prints the formgrader's whole link, token included, and its log stays quiet.

The server is started as the README says, on a free port of 127.0.0.1, on a course folder without
an exchange (a course that collects from folders); the link it printed is opened as a person
would, and the log must not hold nbgrader's "Unwritable directory" or a configuration warning.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from notebook_runner import ROOT

pytestmark = pytest.mark.slow
LINK = re.compile(r"open (http://127\.0\.0\.1:(\d+)/formgrader\?token=(\S+))")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_printed_link_opens_the_formgrader_and_the_log_is_quiet(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "source", course / "solutions" / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    port = free_port()
    log = tmp_path / "formgrader.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "-C", str(ROOT), "formgrader", f"COURSE={course}",
             f"PORT={port}", f"EXCHANGE={tmp_path / 'no-exchange'}"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not (match := LINK.search(log.read_text())):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        link, printed_port, token = match.groups()
        assert int(printed_port) == port and len(token) >= 24     # generated, not guessable
        while True:
            try:
                with urllib.request.urlopen(link, timeout=30) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(1)
        assert "Manage Assignments" in page or "formgrader" in page.lower()
        # without the token, the same address leads to the login page (or is refused)
        try:
            with urllib.request.urlopen(link.split("?")[0], timeout=30) as response:
                assert "/login" in response.geturl(), response.geturl()
        except urllib.error.HTTPError as refused:
            assert refused.code == 403
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    text = log.read_text()
    assert "Unwritable directory" not in text and "not recognized by" not in text, text
