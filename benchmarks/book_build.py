"""Time `make book`: a clean build (every notebook executed) and a rebuild with nothing changed.

    .venv/bin/python benchmarks/book_build.py [--out /tmp/book-bench]

Builds into its own folder (BOOK_OUT), never into the repository's _build. Targets (issue 7):
clean build under 5 minutes, no-change rebuild under 30 seconds, on 2 cores. `npm ci` is timed
separately (it runs once per clean checkout). The per-notebook execution times come from the
build log (MyST-NB's "Executed notebook in ... seconds").
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_book(out: Path) -> tuple[float, str, int]:
    start = time.perf_counter()
    proc = subprocess.run(["make", "--no-print-directory", "book", f"BOOK_OUT={out}"], cwd=ROOT,
                          capture_output=True, text=True)
    return time.perf_counter() - start, proc.stdout + proc.stderr, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/book-bench"))
    args = parser.parse_args()
    out = args.out.resolve()
    shutil.rmtree(out / "_build", ignore_errors=True)

    clean, log, code = make_book(out)
    executed = re.findall(r"chapters/(\S+): Executed notebook in ([\d.]+) seconds", log)
    noop, log2, code2 = make_book(out)
    rerun = len(re.findall(r"Executed notebook", log2))

    print(f"clean build:            {clean:6.1f} s (exit {code}; target < 300 s)")
    for name, seconds in executed:
        print(f"    {name:40s} {float(seconds):5.1f} s executing")
    total = sum(float(s) for _, s in executed)
    print(f"    notebooks executed:  {len(executed)}, {total:.1f} s in total")
    print(f"no-change rebuild:      {noop:6.1f} s (exit {code2}; target < 30 s; "
          f"{rerun} notebooks re-executed)")


if __name__ == "__main__":
    main()
