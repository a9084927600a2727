"""Plain nbgrader against ``make autograde`` (Dask) on one class, at equal load (a benchmark).

    .venv/bin/python -m benchmarks.parallel_autograde                    # 300 submissions
    .venv/bin/python -m benchmarks.parallel_autograde --class-size 16   # --workers 1,2 by default

Generates ``--class-size`` submissions of the four real assignments (``class-size / 4``
students, each handing in all four; honest, partial, blank, broken and attacks in turn: an
attack is the honest answer plus a cell that links the grade book and the instructor's source
into its folder and prints its input history), in identical throw-away courses, one per
engine. The class arrives assignment by assignment (or in rounds of ``--round-size`` students
of one assignment: each ``make autograde`` then pays its fixed start-up again); each round is
graded by plain ``nbgrader autograde`` (one process, one submission after another, the
course's configuration: sandbox and verdict on) and by ``make autograde`` (a local Dask cluster
of the largest of ``--workers``, one per core by default, cluster start-up included), each
engine going first in turn, so that all see the same machine load. ``--workers 1,2`` (the
default on 2 cores) also grades a third copy on a Dask cluster of one worker in the same rounds
(``python -m grading.parallel --workers 1``: what ``make autograde`` runs for more workers, its
``WORKERS=1`` being the sequential path), so that the per-worker rate at 1 and at 2 workers is
compared at equal load. Prints per round the load average; then seconds per submission per
assignment, the throughput ratio, the per-worker rate at each worker count (the seconds a task
takes on its worker), the fixed cost of a run (its wall time minus its tasks' time per worker:
cluster start-up, the first task's imports, the coordinator), the projection for N cores and
how long ``--class-size 300`` would take at this run's load. Every engine must give every
submission the same score, or the run fails.

How long: the run prints what ``--class-size 300`` would take at its own load; README,
"Parallel grading", gives the figure for an idle 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import nbformat

from benchmarks.autograde_speed import ASSIGNMENTS, ENV, ROOT, full_submission, nbgrader

KINDS = ("honest", "partial", "blank", "broken", "attack")
ATTACK = """import os
for name, target in (("gradebook.db", "../../../gradebook.db"),
                     ("source.ipynb", "../../../solutions/source")):
    try:
        os.symlink(target, name)
    except OSError:
        pass
print(globals().get("In"))
"""


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
    if kind == "attack":
        answers[-1].source += "\n" + ATTACK
    return nb


def build_class(course: Path, class_size: int) -> dict[str, list[tuple[str, Path]]]:
    """A released course, and every submission written under ``course/incoming``:
    ``{assignment: [(student, folder)]}``."""
    shutil.copytree(ROOT / "solutions" / "source", course / "solutions" / "source")
    nbgrader(course, "generate_assignment", "*")
    made = defaultdict(list)
    for i in range(-(-class_size // len(ASSIGNMENTS))):
        for j, assignment in enumerate(ASSIGNMENTS):
            kind = KINDS[(i + j) % len(KINDS)]
            folder = course / "incoming" / f"s{i:04d}" / assignment
            folder.mkdir(parents=True)
            nbformat.write(submission(course, assignment, kind), folder / f"{assignment}.ipynb")
            made[assignment].append((f"s{i:04d}", folder))
    return made


def scores(course: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {(s.student_id, a): s.score for a in ASSIGNMENTS
                for s in gb.assignment_submissions(a)}


def hand_in(course: Path, round_: list[tuple[str, Path]], assignment: str) -> None:
    for student, folder in round_:
        shutil.copytree(folder, course / "submitted" / student / assignment)


def grade_plain(course: Path, assignment: str) -> float:
    """Wall seconds of plain ``nbgrader autograde`` on what is new (after the same preparation
    ``make autograde`` does: renamed or missing notebooks)."""
    from grading.submissions import prepare
    start = time.perf_counter()
    prepare(course, assignment)
    nbgrader(course, "autograde", assignment)
    return time.perf_counter() - start


def grade_make(course: Path, assignment: str, workers: int) -> tuple[float, list[float]]:
    """Wall seconds of ``make autograde`` and the seconds each task took on its worker. One
    worker: ``python -m grading.parallel --workers 1``, the command ``make autograde`` runs
    for more workers (``make autograde WORKERS=1`` grades without Dask)."""
    if workers == 1:
        command = [sys.executable, "-m", "grading.parallel", assignment, "--root", str(course),
                   "--workers", "1", "--deadlines", "--report"]
    else:
        command = ["make", "--no-print-directory", "-C", str(ROOT), "autograde",
                   f"COURSE={course}", f"ASSIGNMENT={assignment}", f"WORKERS={workers}"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    tasks = [float(m) for m in re.findall(r": ok ([0-9.]+) s$", done.stdout, re.MULTILINE)]
    return seconds, tasks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--class-size", type=int, default=300)
    parser.add_argument("--round-size", type=int, default=0,
                        help="students per assignment handed in and graded per round "
                             "(default: the whole class, one round per assignment)")
    parser.add_argument("--workers", default=f"1,{os.cpu_count()}",
                        help="Dask worker counts: the largest is `make autograde`'s (default: "
                             "1 and one per core)")
    args = parser.parse_args()
    counts = sorted({int(w) for w in args.workers.split(",")})
    most = counts[-1]
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    n = -(-args.class_size // len(ASSIGNMENTS)) * len(ASSIGNMENTS)   # whole students
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"{n} submissions ({', '.join(KINDS)}); Dask workers {counts}", flush=True)
    engines = ["plain"] + [f"dask{w}" for w in reversed(counts)]
    wall = {e: defaultdict(float) for e in engines}
    tasks = {e: defaultdict(list) for e in engines[1:]}
    runs = {e: [] for e in engines[1:]}   # (wall seconds, task seconds) of each run
    loads, every_score = [], {}
    with tempfile.TemporaryDirectory(prefix="parallel-bench-") as tmp:
        courses = {e: Path(tmp) / e for e in engines}
        made = build_class(courses["plain"], n)
        for engine in engines[1:]:
            shutil.copytree(courses["plain"], courses[engine])
        turn = 0
        for assignment in ASSIGNMENTS:
            students = made[assignment]
            size = args.round_size or len(students)
            for first in range(0, len(students), size):
                round_ = students[first:first + size]
                for engine in engines:
                    hand_in(courses[engine], round_, assignment)
                # each engine goes first in turn: all see the same load
                order = engines[turn % len(engines):] + engines[:turn % len(engines)]
                turn += 1
                for engine in order:
                    loads.append(os.getloadavg()[0])
                    if engine == "plain":
                        wall[engine][assignment] += grade_plain(courses[engine], assignment)
                        continue
                    workers = int(engine[4:])
                    seconds, took = grade_make(courses[engine], assignment, workers)
                    wall[engine][assignment] += seconds
                    tasks[engine][assignment] += took
                    runs[engine].append((seconds, sum(took) / workers))
                print(f"{assignment} round {first // size + 1}: {len(round_)} submissions; "
                      + ", ".join(f"{_name(e)} {wall[e][assignment]:.0f} s" for e in engines)
                      + f" so far; load average {loads[-1]:.2f}", flush=True)
        for engine in engines:
            every_score[engine] = scores(courses[engine])
    reference = every_score["plain"]
    same = len(reference) == n and all(got == reference for got in every_score.values())
    for engine, got in every_score.items():
        for key in sorted(set(reference) | set(got)):
            if reference.get(key) != got.get(key):
                print(f"  differs: {key}: plain {reference.get(key)}, {_name(engine)} "
                      f"{got.get(key)}")
    print("seconds per submission (" + " | ".join(_name(e) for e in engines)
          + " | task on its worker, " + " | ".join(f"{w} worker(s)" for w in reversed(counts))
          + "):")
    for assignment in ASSIGNMENTS:
        count = len(made[assignment])
        cells = [f"{wall[e][assignment] / count:6.2f}" for e in engines]
        cells += [f"{_mean(tasks[e][assignment]):6.2f}" for e in engines[1:]]
        print(f"  {assignment:24s} " + " | ".join(cells))
    total = {e: sum(wall[e].values()) for e in engines}
    print(f"total: plain {total['plain']:.0f} s, make autograde ({most} workers) "
          f"{total[f'dask{most}']:.0f} s, cluster start-up in every run included; ratio "
          f"{total['plain'] / total[f'dask{most}']:.2f}x; same scores for all {n} from every "
          f"engine: {same}")
    print(f"load average during the rounds: mean {statistics.mean(loads):.2f}, "
          f"max {max(loads):.2f} (on {os.cpu_count()} cores)")
    rate = {}
    for engine in engines[1:]:
        every_task = [t for ts in tasks[engine].values() for t in ts]
        if not every_task:
            continue
        workers = int(engine[4:])
        rate[workers] = 1 / _mean(every_task)
        fixed = statistics.mean(w - t for w, t in runs[engine])
        print(f"{workers} worker(s): {_mean(every_task):.2f} s per task, a per-worker rate of "
              f"{rate[workers] * 3600:.0f} submissions/hour; fixed cost per run (wall minus "
              f"tasks per worker) {fixed:.0f} s")
    if len(rate) > 1:
        print(f"per-worker rate at {most} workers / at {counts[0]}: "
              f"{rate[most] / rate[counts[0]]:.2f} (1.00 = flat)")
    if most in rate:
        print(f"projection, one worker per core, at {most} workers' per-worker rate:")
        for cores in (2, 4, 8, 16, 32, 64):
            per_hour = cores * rate[most] * 3600
            print(f"  {cores:3d} cores: {per_hour:8.0f} submissions/hour; "
                  f"1,000 submissions in {1000 / per_hour * 60:5.1f} min")
    # a run's fixed cost is paid once per assignment whatever the class size; the rest per task
    minutes = {"plain": total["plain"] / n * 300 / 60}
    for engine in engines[1:]:
        every_task = [t for ts in tasks[engine].values() for t in ts]
        if every_task:
            fixed = statistics.mean(w - t for w, t in runs[engine])
            workers = int(engine[4:])
            minutes[engine] = (len(ASSIGNMENTS) * fixed + 300 * _mean(every_task) / workers) / 60
    print("--class-size 300 at this run's load (plain: its seconds per submission; Dask: a "
          "fixed cost per assignment plus its tasks' time per worker): "
          + ", ".join(f"{_name(e)} {m:.0f} min" for e, m in minutes.items())
          + f", {sum(minutes.values()):.0f} min in all")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if same else 1


def _name(engine: str) -> str:
    if engine == "plain":
        return "plain"
    workers = int(engine[4:])
    return f"make autograde {workers}w" if workers > 1 else "Dask 1w"


def _mean(values: list[float]) -> float:
    return statistics.mean(values) if values else float("nan")


if __name__ == "__main__":
    sys.exit(main())
