"""Seconds the grading sandbox adds per submission (a benchmark, not a test).

    .venv/bin/python benchmarks/sandbox_cost.py                       # 01, 6 students, 3 repeats
    .venv/bin/python benchmarks/sandbox_cost.py --assignment 03_backpropagation --class-size 10

The same class (every student hands in the full solution) is autograded by `nbgrader autograde`
with the course's configuration twice per repeat, side by side: in the sandbox (the default)
and with `--SandboxedExecute.unsafe_no_sandbox=True` (the same preprocessors, kernels started
plainly). The two runs alternate, each in a fresh copy of the course, so that machine load
hits both alike. Prints wall and CPU seconds per submission of each (CPU: nbgrader, kernels and
sandbox processes; the steadier measure on a loaded machine) and the sandbox's added cost
(medians over the repeats); the goal is at most 0.5 s per submission.
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
from autograde_speed import ROOT, _full_marks, children_cpu, full_submission, nbgrader

MODES = {"sandboxed": [], "no sandbox": ["--SandboxedExecute.unsafe_no_sandbox=True"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="01_neurons_perceptron")
    parser.add_argument("--class-size", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    a, n = args.assignment, args.class_size
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{a}, {n} submissions per run, {args.repeats} repeats", flush=True)
    seconds = {mode: [] for mode in MODES}      # wall seconds per submission, one per repeat
    cpu = {mode: [] for mode in MODES}          # CPU seconds (nbgrader, kernels, sandbox) per submission
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
                cpu0 = children_cpu()
                wall = nbgrader(course, "autograde", a, *flags)
                cpu[mode].append((children_cpu() - cpu0) / n)
                full = _full_marks(course, [a])
                seconds[mode].append(wall / n)
                print(f"  repeat {repeat + 1} {mode:>10}: {wall:6.1f} s wall, {wall / n:5.2f} s wall and "
                      f"{cpu[mode][-1]:5.2f} s CPU per submission, {full}/{n} full marks", flush=True)
                shutil.rmtree(course)
    for name, measured in (("wall", seconds), ("CPU", cpu)):
        median = {mode: statistics.median(values) for mode, values in measured.items()}
        print(f"{name:>4}: sandboxed {median['sandboxed']:5.2f} s, no sandbox {median['no sandbox']:5.2f} s "
              f"per submission (medians of {args.repeats}); the sandbox adds "
              f"{median['sandboxed'] - median['no sandbox']:+.2f} s "
              f"({median['sandboxed'] / median['no sandbox']:.2f}x); goal <= 0.5 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
