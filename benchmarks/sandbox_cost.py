"""Seconds the grading sandbox adds per submission (a benchmark, not a test).

    .venv/bin/python -m benchmarks.sandbox_cost                       # 01, 6 students, 5 repeats
    .venv/bin/python -m benchmarks.sandbox_cost --assignment 03_backpropagation --class-size 10

The same class (every student hands in the full solution) is autograded by `nbgrader autograde`
with the course's configuration twice per repeat, side by side: in the sandbox (the default)
and with `--SandboxedExecute.unsafe_no_sandbox=True` (the same preprocessors, kernels started
plainly). The two runs alternate, each in a fresh copy of the course, so that machine load
hits both alike. Prints wall seconds per submission of each, and the sandbox's added cost
(median over the repeats); the goal is at most 0.5 s per submission.

Wall-clock only: the CPU time of a sandboxed kernel does not reach the grader's
RUSAGE_CHILDREN (measured: a kernel that burns 2 CPU seconds adds 2.7 s to it when started
plainly and 0.0 s in bwrap, whose outer process does not collect its pid namespace's usage), so a
CPU comparison would credit the sandbox with the kernel's whole work.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat

from benchmarks.autograde_speed import ROOT, _full_marks, full_submission, nbgrader

MODES = {"sandboxed": [], "no sandbox": ["--SandboxedExecute.unsafe_no_sandbox=True"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="01_neurons_perceptron")
    parser.add_argument("--class-size", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    a, n = args.assignment, args.class_size
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{a}, {n} submissions per run, {args.repeats} repeats", flush=True)
    seconds = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        template = Path(tmp) / "template"
        shutil.copytree(ROOT / "solutions" / "source" / a, template / "solutions" / "source" / a)
        nbgrader(template, "generate_assignment", a)
        nb = full_submission(template, a)
        for i in range(n):
            folder = template / "submitted" / f"student{i:03d}" / a
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{a}.ipynb")
        for repeat in range(args.repeats):
            for mode, flags in MODES.items():
                course = Path(tmp) / f"{repeat}-{mode.replace(' ', '-')}"
                shutil.copytree(template, course)
                wall = nbgrader(course, "autograde", a, *flags)
                full = _full_marks(course, [a])
                seconds[mode].append(wall / n)
                print(f"  repeat {repeat + 1} {mode:>10}: {wall:6.1f} s, {wall / n:5.2f} s per "
                      f"submission, {full}/{n} full marks", flush=True)
                shutil.rmtree(course)
    median = {mode: statistics.median(values) for mode, values in seconds.items()}
    for mode, value in median.items():
        print(f"{mode:>10}: {value:5.2f} s per submission (median of {args.repeats})")
    added = median["sandboxed"] - median["no sandbox"]
    print(f"sandbox adds {added:+.2f} s per submission "
          f"({median['sandboxed'] / median['no sandbox']:.2f}x); goal <= 0.5 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
