"""How fast a chapter's widget answers: time its callback for a few settings, drawing included.

    .venv/bin/python benchmarks/widget_response.py chapters/03_xor_two_layer_network.md explore \
        "[dict(lr=1.0, hidden=2), dict(lr=0.3, hidden=4), dict(lr=3.0, hidden=8)]"

Runs the chapter's code cells (in the chapter's folder) up to the one that defines FUNCTION,
defines it without displaying the widget, then calls it with each keyword set and renders the
figure to PNG, as the inline backend does for a slider move. Prints seconds per call. A
measurement, not a test: run it on an idle machine (the course aims at a fraction of a second).
"""
from __future__ import annotations

import ast
import io
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")


def main(chapter: str, function: str, settings: str) -> None:
    import jupytext
    import matplotlib.pyplot as plt

    path = Path(chapter).resolve()
    os.chdir(path.parent)
    namespace: dict = {}
    for cell in jupytext.read(path).cells:
        if cell.cell_type != "code" or "%pip" in cell.source:
            continue                                     # the Colab set-up cell
        tree = ast.parse("\n".join(line for line in cell.source.splitlines()
                                   if not line.lstrip().startswith(("%", "!"))))
        defines = any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body)
        if defines:                                      # keep the def, drop the widget display
            tree.body = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.Import,
                                                                ast.ImportFrom, ast.Assign))]
        exec(compile(tree, str(path), "exec"), namespace)
        if defines:
            break
    else:
        sys.exit(f"{path.name} defines no function {function!r}")

    def render() -> None:
        for number in plt.get_fignums():
            plt.figure(number).savefig(io.BytesIO(), format="png")
        plt.close("all")

    plt.show = render
    for kwargs in eval(settings, {}):                    # a list of dict(...): your own input
        start = time.perf_counter()
        namespace[function](**kwargs)
        render()
        print(f"{function}({kwargs}): {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
