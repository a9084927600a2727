"""Seconds nbgrader needs to autograde the course's exercises (a benchmark, not a test).

    # one full solution of each assignment; then 30 students for one, and for all four
    .venv/bin/python benchmarks/autograde_speed.py
    .venv/bin/python benchmarks/autograde_speed.py --class-size 30 --assignment 03_backpropagation
    .venv/bin/python benchmarks/autograde_speed.py --class-size 30 --assignment "*"

Builds a throw-away course in a temporary folder from solutions/source, submits the full
solution for every student (the slowest case short of time-outs: every test runs to the end),
and grades the same class twice, side by side: with the course's configuration, exactly as
`make autograde` does (the verdict computed outside the kernel: hidden inputs drawn, values
handed out, references computed by the grader), and with the same configuration minus
`HiddenInputs` and `VerdictOutside` (plain nbgrader: the test cells' visible checks decide).
Prints wall-clock and CPU seconds (CPU of nbgrader and its kernels), seconds per submission and
the cost the verdict adds per submission. Machine load counts: note `uptime` beside the result.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
ENV = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions" / "source").iterdir() if p.is_dir())


PLAIN = """
# plain nbgrader, for the benchmark: the course's configuration without the outside verdict
c.Autograde.autograde_preprocessors = [p for p in c.Autograde.autograde_preprocessors
                                       if p.__name__ not in ("HiddenInputs", "VerdictOutside")]
"""


def nbgrader(course: Path, *args: str, config_dir: Path = ROOT) -> float:
    """Run one nbgrader command with the nbgrader_config.py of ``config_dir``.

    Returns its wall-clock seconds.
    """
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "nbgrader"), *args, f"--CourseDirectory.root={course}"],
        cwd=config_dir,
        env=ENV,
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - start


def full_submission(course: Path, assignment: str):
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    source = nbformat.read(course / "solutions" / "source" / assignment / f"{assignment}.ipynb", 4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return release


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_class(course: Path, assignments: list[str], class_size: int) -> None:
    shutil.copytree(ROOT / "solutions" / "source", course / "solutions" / "source")
    nbgrader(course, "generate_assignment", "*")
    for assignment in assignments:
        nb = full_submission(course, assignment)
        for i in range(class_size):
            folder = course / "submitted" / f"student{i:03d}" / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")


def grade(course: Path, assignments: list[str], config_dir: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `nbgrader autograde` of the class."""
    pattern = assignments[0] if len(assignments) == 1 else "*"
    cpu0 = children_cpu()
    seconds = nbgrader(course, "autograde", pattern, config_dir=config_dir)
    return seconds, children_cpu() - cpu0


def run(assignments: list[str], class_size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="autograde-bench-") as tmp:
        tmp = Path(tmp)
        plain_config = tmp / "plain-config"
        plain_config.mkdir()
        (plain_config / "nbgrader_config.py").write_text(
            (ROOT / "nbgrader_config.py").read_text() + PLAIN
        )
        n = class_size * len(assignments)
        pattern = assignments[0] if len(assignments) == 1 else "*"
        results = {}
        for mode, config_dir in [("outside verdict", ROOT), ("plain nbgrader", plain_config)]:
            course = tmp / mode.replace(" ", "-")
            build_class(course, assignments, class_size)
            seconds, cpu = grade(course, assignments, config_dir)
            results[mode] = seconds / n
            print(
                f"{pattern:>24} {mode:>16}: {n:3d} submission(s) in {seconds:7.1f} s wall, "
                f"{cpu:7.1f} s CPU ({seconds / n:5.2f} s wall per submission); "
                f"{_full_marks(course, assignments)}/{n} got full marks",
                flush=True,
            )
        added = results["outside verdict"] - results["plain nbgrader"]
        print(
            f"{pattern:>24} {'added':>16}: {added:+.2f} s per submission "
            f"({results['outside verdict'] / results['plain nbgrader']:.2f}x plain)",
            flush=True,
        )


def _full_marks(course: Path, assignments: list[str]) -> int:
    """How many submissions got every autograded point (all of them should)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return sum(
            1
            for a in assignments
            for s in gb.assignment_submissions(a)
            if s.max_code_score > 0
            and s.code_score == s.max_code_score
            and (course / "autograded" / s.student_id / a).is_dir()
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--assignment",
        default=None,
        help='one assignment id, or "*" for all (default: each assignment separately)',
    )
    parser.add_argument("--class-size", type=int, default=1)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    if args.assignment is None:
        for assignment in ASSIGNMENTS:
            run([assignment], args.class_size)
    else:
        run(ASSIGNMENTS if args.assignment == "*" else [args.assignment], args.class_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
