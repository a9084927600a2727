"""Validate begins with the table of the parts, and says the rest in a few short lines.

A released exercise 3 with part 1 right, ``tanh_backward`` wrong in a catalogued way (its
derivative taken at the activation) and every other part not started, validated by
``nbgrader validate`` with the course's configuration (as the toolbar button is).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
RELEASED = ROOT / "chapters" / "exercises" / "03_backpropagation.ipynb"
SKELETON = "raise NotImplementedError()"


def _answer(cell, nth: int, code: str) -> None:
    """Replace the nth skeleton line (0-based) of an answer cell by ``code``."""
    head, *rest = cell.source.split(SKELETON)
    pieces = [head]
    for i, piece in enumerate(rest):
        pieces.append((code if i == nth else SKELETON) + piece)
    cell.source = "".join(pieces)


def test_validate_begins_with_the_table(tmp_path):
    nb = nbformat.read(RELEASED, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "linear-backward":
            _answer(cell, 0, "return dZ @ W, dZ.T @ X, dZ.sum(axis=0)")
        elif grade_id == "activations-backward":  # sigmoid, relu, tanh: only tanh written
            _answer(cell, 2, "return dA * (1.0 - np.tanh(np.tanh(Z)) ** 2)")
    path = tmp_path / "03_backpropagation.ipynb"
    nbformat.write(nb, path)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert len(lines) < 60, done.stdout
    table_at = lines.index("The error was:") + 2
    assert "(details below)" in "\n".join(lines[:table_at])
    table = lines[table_at: table_at + 15]
    assert table[0].strip() == "1 passes, 1 wrong, 11 not started (of 13 parts)", table
    rows = {row.split()[0]: row.split(None, 1)[1] for row in table[2:15]}
    assert rows["linear-backward"] == "passes"
    assert rows["tanh-backward"].startswith("wrong: dZ: The derivative is taken at the")
    assert rows["sigmoid-backward"] == rows["train-mnist"] == "not started"
    assert rows["written-linear-depth"] == "not started"  # the written answer, graded by hand
    # then the wrong part, its diagnosis first (and nbgrader's one line for the blank written
    # answer); the parts not started have no block
    details = "\n".join(lines[table_at + 15:])
    assert details.count("The following cell failed") == 2
    assert "You did not provide a response." in details
    assert "The derivative is taken at the activation" in " ".join(details.split())
    assert "Traceback" not in done.stdout and "NotImplementedError" not in done.stdout
