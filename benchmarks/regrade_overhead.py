"""What `make autograde` costs when nothing is new, beside a bare `nbgrader autograde` (a benchmark).

    .venv/bin/python benchmarks/regrade_overhead.py --course DIR [--assignment ID] [--repeat 3]

DIR is a graded course folder (e.g. the one `tests/test_term.py` leaves under pytest's
``--basetemp``). Both commands find every submission up to date and grade nothing: nbgrader by
its timestamps, `make autograde` by ``grading/regrade.py``'s plan (timestamps and the test cells
of every graded notebook), plus the due dates and the score table. They run alternately, so
machine load hits both alike; the ratio is what the extra steps cost.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", type=Path, required=True)
    parser.add_argument("--assignment", default="01_neurons_perceptron")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    course = args.course.resolve()
    peer = [str(ROOT / ".venv" / "bin" / "nbgrader"), "autograde", args.assignment,
            f"--CourseDirectory.root={course}"]
    ours = ["make", "--no-print-directory", "autograde", f"COURSE={course}", f"ASSIGNMENT={args.assignment}"]
    students = len(list((course / "autograded").glob(f"*/{args.assignment}")))
    times = {"nbgrader autograde": [], "make autograde": []}
    for _ in range(args.repeat):
        times["nbgrader autograde"].append(seconds(peer))
        times["make autograde"].append(seconds(ours))
    for name, values in times.items():
        print(f"{name:<20} median {statistics.median(values):6.1f} s  ({', '.join(f'{v:.1f}' for v in values)})")
    ratio = statistics.median(times["make autograde"]) / statistics.median(times["nbgrader autograde"])
    print(f"{args.assignment}, {students} graded submissions, nothing new: make / nbgrader = {ratio:.2f}")


if __name__ == "__main__":
    main()
