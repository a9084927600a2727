"""Is the graded code the student's own? A static reading, done by the grader, of the code the
student wrote (answer cells and any cell they added), never run.

A part's values can be right because the student's code called the course library's own
implementation (``lib`` holds a working softmax, backward pass, gradient checker...), or because
it reached around the exercise with Python's reflection (patching modules, IPython hooks,
``getattr``/``eval``, imports of ``os``/``sys``). Values alone cannot tell; the code can. These
constructs are refused in student code, each with a reason the feedback shows:

* a name bound to the course library by the notebook's locked cells (``lib``, ``F``, the lists of
  library functions ...), except the visible checks and the data loader, which hold no answers;
* an import of anything but :data:`ALLOWED_MODULES`;
* reflection and escape hatches (:data:`REFLECTION`), dunder names, private attributes
  (``x._y``), and assigning to any attribute (``np.allclose = ...``).

An honest answer needs none of them.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

ALLOWED_MODULES = {"numpy", "math", "itertools", "functools", "collections", "time", "typing",
                   "warnings"}
# lib modules whose names the locked cells may bind and the student may use: no answers in them
HARMLESS_LIB = ("lib.exercises.checks", "lib.data")
REFLECTION = {"__import__", "importlib", "getattr", "setattr", "delattr", "globals", "locals",
              "vars", "eval", "exec", "compile", "open", "get_ipython", "sys", "os", "builtins",
              "breakpoint", "input", "memoryview", "In", "Out"}


def _is_lib_import(module: str) -> bool:
    return (module == "lib" or module.startswith("lib.")) and not module.startswith(HARMLESS_LIB)


def _names_in(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def library_names(source_notebook: Path) -> set[str]:
    """Names the locked cells of the instructor's notebook bind to the course library."""
    nb = nbformat.read(source_notebook, as_version=4)
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("locked"):
            continue
        try:
            tree = ast.parse(TransformerManager().transform_cell(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names |= {
                    (a.asname or a.name.split(".")[0]) for a in node.names if _is_lib_import(a.name)
                }
            elif isinstance(node, ast.ImportFrom) and _is_lib_import(node.module or ""):
                names |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Assign) and _names_in(node.value) & names:
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _student_cells(nb):
    """(index, cell) of every code cell the student wrote: answer cells and added cells."""
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (
            not meta or (meta.get("solution") and not meta.get("locked"))
        ):
            yield index, cell


def violation(source: str, forbidden_names: set[str]) -> str | None:
    """Why this code is not the student's own work, or None."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None  # it cannot run either
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in ALLOWED_MODULES:
                    return f"imports `{alias.name}`"
        elif isinstance(node, ast.ImportFrom):
            if node.level or (node.module or "").split(".")[0] not in ALLOWED_MODULES:
                return f"imports from `{node.module}`"
        elif isinstance(node, ast.Name):
            if node.id in forbidden_names:
                return f"uses `{node.id}` (the course library)"
            if node.id in REFLECTION:
                return f"uses `{node.id}`"
            if node.id.startswith("__"):
                return f"uses `{node.id}`"
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                return f"uses the private attribute `.{node.attr}`"
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                return f"assigns to the attribute `.{node.attr}` (patching a module or object)"
    return None


def find_violations(nb, forbidden_names: set[str]) -> dict[int, str]:
    """{cell index: reason} for every student-written cell that is not the student's own work."""
    found = {}
    for index, cell in _student_cells(nb):
        reason = violation(cell.source, forbidden_names)
        if reason:
            found[index] = reason
    return found
