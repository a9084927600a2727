"""The set-up cell's version note: shown when the installed engine's code differs, not otherwise.

The course's own environment installs ``lib`` in editable mode, so it reports the bare project
version (``0.1.0``) while a notebook names its wheel's (``0.1.0+<digest>``): the same code under
two version strings must not make a note.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from book_ext.engine_wheel import (
    build_wheel,
    installed_code_digest,
    setup_cell_source,
    wheel_code_digest,
)

ROOT = Path(__file__).resolve().parents[1]


def _run_setup_cell(tmp_path: Path, pythonpath: str | None) -> str:
    """Output of the set-up cell for the repository's engine, run as IPython runs it."""
    wheel = build_wheel(ROOT, tmp_path / "wheel")
    cell = setup_cell_source(wheel, "https://example.org/course/")
    script = tmp_path / "cell.py"
    script.write_text(
        "from IPython.core.inputtransformer2 import TransformerManager\n"
        f"exec(TransformerManager().transform_cell({cell!r}))\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout + done.stderr


def test_the_digest_of_the_wheel_is_the_digest_of_the_code_it_was_built_from(tmp_path):
    wheel = build_wheel(ROOT, tmp_path)
    assert wheel_code_digest(wheel.path) == installed_code_digest(ROOT / "lib")


def test_same_code_under_another_version_string_makes_no_note(tmp_path):
    import importlib.metadata

    installed = importlib.metadata.version("nn-course")
    wheel = build_wheel(ROOT, tmp_path / "probe")
    assert installed != wheel.version  # the situation of the course's own environment
    assert _run_setup_cell(tmp_path, None) == ""


def test_other_code_makes_the_note(tmp_path):
    changed = tmp_path / "changed"
    shutil.copytree(ROOT / "lib", changed / "lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    with open(changed / "lib" / "functional.py", "a", encoding="utf-8") as file:
        file.write("\n# an engine edited after the notebook was made\n")
    output = _run_setup_cell(tmp_path, str(changed))
    assert output.startswith("Note: lib ") and "whose code differs" in output, output
