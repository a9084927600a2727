"""The linter is part of the test command: ``ruff check .`` with the rules of pyproject.toml."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ruff is pinned in requirements.lock and installed next to the interpreter running the tests
RUFF = Path(sys.executable).parent / "ruff"


def test_ruff_finds_nothing():
    assert RUFF.exists(), f"{RUFF} is missing: run `make .venv/.installed-stamp`"
    result = subprocess.run([str(RUFF), "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, "ruff check . found problems:\n" + result.stdout + result.stderr


def test_ruff_reads_the_projects_rules(tmp_path):
    """The check above means something only if ruff applies pyproject.toml's rules: a file with
    an unused import and an over-long line, linted with them, must fail on both."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n" + "x = " + "1 + " * 30 + "1\n")
    result = subprocess.run([str(RUFF), "check", "--no-cache", "--config",
                             str(ROOT / "pyproject.toml"), str(bad)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "F401" in result.stdout and "E501" in result.stdout
