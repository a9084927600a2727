"""Plain nbgrader against grading.parallel on one class, side by side (a benchmark, not a test).

    .venv/bin/python benchmarks/parallel_autograde.py                    # 300 submissions
    .venv/bin/python benchmarks/parallel_autograde.py --class-size 40 --workers 2

Generates ``--class-size`` submissions of the four real assignments (``class-size / 4``
students, each handing in all four; honest, partial, blank and broken in turn), in two identical
throw-away courses. Grades one with plain ``nbgrader autograde`` (one process, one submission after
another, as ``make autograde WORKERS=0``) and the other with grading.parallel on a local Dask
cluster of ``--workers`` processes (cluster start-up included), and prints seconds per
submission, the throughput ratio, and a projection for N cores from the measured per-worker
rate. Both must give every submission the same score, or the run fails.

How long: plain nbgrader needs 3-5 s per submission on an idle laptop core, so the default 300
takes about 20 min sequentially plus 300 x 4 s / cores in parallel: ~30 min on 2 cores.
Machine load counts: the load average is printed before and after.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from autograde_speed import ASSIGNMENTS, ROOT, full_submission, nbgrader

from grading.parallel import grade_class, local_cluster
from grading.submissions import prepare

KINDS = ("honest", "partial", "blank", "broken")


def submission(course: Path, assignment: str, kind: str):
    """The released notebook answered as ``kind``: every solution, the first one only, none, or
    every solution with a syntax error in the first."""
    if kind == "blank":
        return nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    nb = full_submission(course, assignment)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
               and c.cell_type == "code"]
    if kind == "partial":
        blank = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
        released = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in blank.cells}
        for cell in answers[1:]:
            cell.source = released[cell.metadata["nbgrader"]["grade_id"]]
    if kind == "broken":
        answers[0].source = re.sub(r"\):", ")", answers[0].source, count=1)   # def f(x)
    return nb


def build_class(course: Path, class_size: int) -> list[tuple[str, str]]:
    shutil.copytree(ROOT / "solutions" / "source", course / "solutions" / "source")
    nbgrader(course, "generate_assignment", "*")
    made = []
    for i in range(-(-class_size // len(ASSIGNMENTS))):
        for j, assignment in enumerate(ASSIGNMENTS):
            kind = KINDS[(i + j) % len(KINDS)]
            folder = course / "submitted" / f"s{i:04d}" / assignment
            folder.mkdir(parents=True)
            nbformat.write(submission(course, assignment, kind), folder / f"{assignment}.ipynb")
            made.append((f"s{i:04d}", assignment))
    return made


def scores(course: Path, db_url: str | None = None) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook
    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {(s.student_id, a): s.score for a in ASSIGNMENTS
                for s in gb.assignment_submissions(a)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--class-size", type=int, default=300)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    n = -(-args.class_size // len(ASSIGNMENTS)) * len(ASSIGNMENTS)   # whole students
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{n} submissions, {args.workers} workers", flush=True)
    with tempfile.TemporaryDirectory(prefix="parallel-bench-") as tmp:
        plain, dask = Path(tmp) / "plain", Path(tmp) / "dask"
        made = build_class(plain, n)
        shutil.copytree(plain, dask)

        start = time.perf_counter()
        for assignment in ASSIGNMENTS:
            prepare(plain, assignment)
        nbgrader(plain, "autograde", "*")
        plain_seconds = time.perf_counter() - start
        print(f"plain nbgrader:   {plain_seconds:7.1f} s, {plain_seconds / n:5.2f} s/submission",
              flush=True)

        start = time.perf_counter()
        report = {"graded": {}, "failed": {}}
        with open(os.devnull, "w") as quiet, local_cluster(args.workers) as cluster:
            for assignment in ASSIGNMENTS:
                done = grade_class(dask, assignment, scheduler=cluster.scheduler_address,
                                   out=quiet)
                for key in report:
                    report[key].update({(s, assignment): r for s, r in done[key].items()})
        dask_seconds = time.perf_counter() - start
        print(f"grading.parallel: {dask_seconds:7.1f} s, {dask_seconds / n:5.2f} s/submission "
              f"({args.workers} workers, cluster start-up included)", flush=True)

        plain_scores, dask_scores = scores(plain), scores(dask)
        same = plain_scores == dask_scores
        for key in sorted(set(plain_scores) | set(dask_scores)):
            if plain_scores.get(key) != dask_scores.get(key):
                print(f"  differs: {key}: plain {plain_scores.get(key)}, "
                      f"parallel {dask_scores.get(key)}")
        print(f"throughput ratio (parallel / plain): {plain_seconds / dask_seconds:.2f}x; "
              f"same scores for all {len(made)}: {same}; failed: {len(report['failed'])}")
        task = statistics.mean(r["seconds"] for r in report["graded"].values())
        merge = statistics.mean(r["merge_seconds"] for r in report["graded"].values())
        print(f"per worker: {task:.2f} s/submission in the task (scratch course + nbgrader); "
              f"coordinator: {merge:.3f} s/submission to merge")
        # N workers each grade 1/task per second; one coordinator merges at most 1/merge
        print("projection (measured per-worker rate, one worker per core; the coordinator's merge "
              "rate caps it):")
        for cores in (2, 4, 8, 16, 32, 64):
            rate = min(cores / task, 1 / merge)
            print(f"  {cores:3d} cores: {rate * 3600:8.0f} submissions/hour; "
                  f"1,000 submissions in {1000 / rate / 60:5.1f} min")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0 if same and not report["failed"] else 1


if __name__ == "__main__":      # LocalCluster starts worker processes: only from here
    sys.exit(main())
