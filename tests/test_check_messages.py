"""A failing check reads well in Jupyter: its message and the student's own line, no frame of
lib/exercises/checks.py (issue 15, point 5). Run in a real kernel with nbclient, as a student's
notebook runs."""
from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ANSI = re.compile(r"\x1b\[[0-9;]*m")

STUDENT = '''\
import numpy as np
from lib.exercises.checks import check_array, check_gradients

def linear_backward(X, W, grad_out):
    dW = X.T @ grad_out          # the student's mistake: transposed
    return dW
'''
FAILING = {
    "shape": ('X, W, g = np.ones((4, 2)), np.ones((3, 2)), np.ones((4, 3))\n'
              'check_array("dW", linear_backward(X, W, g), g.T @ X)',
              "dW has shape (2, 3), expected (3, 2) (transposed?"),
    "gradients": ('X, W, g = np.ones((4, 2)), np.ones((3, 2)), np.ones((4, 3))\n'
                  'check_gradients({"dW": linear_backward(X, W, g)}, {"dW": g.T @ X})',
                  "dW has shape (2, 3), expected (3, 2)"),
}


@pytest.mark.notebooks
@pytest.mark.parametrize("case", sorted(FAILING))
def test_a_failing_check_shows_its_message_and_the_students_line_only(case, tmp_path):
    call, message = FAILING[case]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(STUDENT),
                                         nbformat.v4.new_code_cell(call)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    error = next(o for o in nb.cells[1].outputs if o.output_type == "error")
    shown = ANSI.sub("", "\n".join(error.traceback))
    assert error.ename == "CheckFailed" and message in error.evalue
    assert message in shown
    assert "checks.py" not in shown and "site-packages" not in shown, shown
    last_line = call.splitlines()[-1]
    assert last_line in shown, f"the student's own line is not shown:\n{shown}"
    assert len(shown.splitlines()) < 15, f"the traceback should be short:\n{shown}"
