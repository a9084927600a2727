"""What book_ext.jupyter_notebooks adds to a build: the time to rewrite the chapters' twins for
Jupyter, and to write the engine wheel and the exercise archives, next to a peer measured side
by side: reading and writing the same notebooks unchanged (what the theme already does).

    .venv/bin/python benchmarks/jupyter_notebooks.py [BOOK_OUT]

Needs a built book in BOOK_OUT (default: the repository; `make book` first). Writes into a
temporary folder, never into the site.
"""
from __future__ import annotations

import pickle
import sys
import tempfile
import time
import types
from pathlib import Path

import nbformat

from book_ext import jupyter_notebooks

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT).resolve() / "_build"
    env = pickle.loads((out / ".doctrees" / "environment.pickle").read_bytes())
    executed = out / "jupyter_execute"
    pages = sorted(d for d in env.found_docs if Path(env.doc2path(d)).suffix == ".md"
                   and (executed / f"{d}.ipynb").is_file())
    with tempfile.TemporaryDirectory() as html:
        app = types.SimpleNamespace(config=env.config, srcdir=str(ROOT), outdir=html)
        rounds = {"peer: read + write unchanged": [], "twins for Jupyter": [], "wheel + archives": []}
        for _ in range(3):                      # interleaved, so a slow moment hits all alike
            start = time.perf_counter()
            for doc in pages:
                nbformat.write(nbformat.read(executed / f"{doc}.ipynb", 4), Path(html) / "peer.ipynb")
            rounds["peer: read + write unchanged"].append(time.perf_counter() - start)
            start = time.perf_counter()
            wheel = jupyter_notebooks.write_engine_and_archives(app, env)
            rounds["wheel + archives"].append(time.perf_counter() - start)
            start = time.perf_counter()
            for doc in pages:
                notebook = nbformat.read(executed / f"{doc}.ipynb", 4)
                jupyter_notebooks.jupyter_notebook(app, env, doc, notebook, wheel,
                                                   jupyter_notebooks.glued_values(executed / f"{doc}.glue.json"))
                nbformat.write(notebook, Path(html) / "twin.ipynb")
            rounds["twins for Jupyter"].append(time.perf_counter() - start)
    peer = min(rounds["peer: read + write unchanged"])
    print(f"{len(pages)} chapters; best of 3 rounds")
    for name, times in rounds.items():
        print(f"  {name:30s} {min(times):7.3f} s   {min(times) / peer:5.1f}x the peer")


if __name__ == "__main__":
    main()
