"""Plain nbgrader against ``make autograde`` (Dask) on one class, at equal load (a benchmark).

    .venv/bin/python benchmarks/parallel_autograde.py                    # 300 submissions
    .venv/bin/python benchmarks/parallel_autograde.py --class-size 16

Generates ``--class-size`` submissions of the four real assignments (``class-size / 4``
students, each handing in all four; honest, partial, blank, broken and attacks in turn: an
attack is the honest answer plus a cell that links the grade book and the instructor's source
into its folder and prints its input history), in two identical throw-away courses. The class
arrives assignment by assignment (or in rounds of ``--round-size`` students of one assignment:
each ``make autograde`` then pays its fixed start-up again); each round is graded by plain
``nbgrader autograde`` (one process, one submission after another, the course's configuration:
sandbox and verdict on) and by ``make autograde`` (a local Dask cluster of ``--workers``, one
per core by default, cluster start-up included), the two alternating which goes first, so that
both see the same machine load. Prints per round the load average; then seconds per submission
per assignment, the throughput ratio, the measured per-worker rate and the projection for N
cores from it. Both must give every submission the same score, or the run fails.

How long: 3-5 s per submission on an idle core for plain nbgrader, so 300 take about 20 min
sequentially plus 300 x 4 s / cores on Dask: ~30 min on 2 cores.
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
from autograde_speed import ASSIGNMENTS, ENV, ROOT, full_submission, nbgrader

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
    """Wall seconds of ``make autograde`` and the seconds each task took on its worker."""
    start = time.perf_counter()
    done = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "autograde",
                           f"COURSE={course}", f"ASSIGNMENT={assignment}", f"WORKERS={workers}"],
                          env=ENV, capture_output=True, text=True)
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
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    n = -(-args.class_size // len(ASSIGNMENTS)) * len(ASSIGNMENTS)   # whole students
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"{n} submissions ({', '.join(KINDS)}), {args.workers} workers", flush=True)
    plain_s, make_s, tasks = defaultdict(float), defaultdict(float), defaultdict(list)
    loads = []
    with tempfile.TemporaryDirectory(prefix="parallel-bench-") as tmp:
        plain, dask = Path(tmp) / "plain", Path(tmp) / "dask"
        made = build_class(plain, n)
        shutil.copytree(plain, dask)
        turn = 0
        for assignment in ASSIGNMENTS:
            students = made[assignment]
            size = args.round_size or len(students)
            for first in range(0, len(students), size):
                round_ = students[first:first + size]
                hand_in(plain, round_, assignment)
                hand_in(dask, round_, assignment)
                order = ("plain", "make") if turn % 2 == 0 else ("make", "plain")
                turn += 1
                for engine in order:
                    if engine == "plain":
                        plain_s[assignment] += grade_plain(plain, assignment)
                    else:
                        seconds, took = grade_make(dask, assignment, args.workers)
                        make_s[assignment] += seconds
                        tasks[assignment] += took
                loads.append(os.getloadavg()[0])
                print(f"{assignment} round {first // size + 1}: {len(round_)} "
                      f"submissions; plain {plain_s[assignment]:.0f} s, make autograde "
                      f"{make_s[assignment]:.0f} s so far; load average {loads[-1]:.2f}",
                      flush=True)
        plain_scores, dask_scores = scores(plain), scores(dask)
    same = plain_scores == dask_scores and len(plain_scores) == n
    for key in sorted(set(plain_scores) | set(dask_scores)):
        if plain_scores.get(key) != dask_scores.get(key):
            print(f"  differs: {key}: plain {plain_scores.get(key)}, "
                  f"make autograde {dask_scores.get(key)}")
    print("seconds per submission (plain nbgrader | make autograde | task on one worker):")
    for assignment in ASSIGNMENTS:
        count = len(made[assignment])
        task = statistics.mean(tasks[assignment]) if tasks[assignment] else float("nan")
        print(f"  {assignment:24s} {plain_s[assignment] / count:6.2f} | "
              f"{make_s[assignment] / count:6.2f} | {task:6.2f}")
    total_plain, total_make = sum(plain_s.values()), sum(make_s.values())
    every_task = [t for ts in tasks.values() for t in ts]
    print(f"total: plain {total_plain:.0f} s, make autograde {total_make:.0f} s "
          f"({args.workers} workers, cluster start-up in every round included); "
          f"ratio {total_plain / total_make:.2f}x; same scores for all {n}: {same}")
    print(f"load average during the rounds: mean {statistics.mean(loads):.2f}, "
          f"max {max(loads):.2f} (on {os.cpu_count()} cores)")
    if every_task:
        per_worker = 1 / statistics.mean(every_task)
        print(f"per-worker rate: {per_worker * 3600:.0f} submissions/hour "
              f"({statistics.mean(every_task):.2f} s per task); projection, one worker per core:")
        for cores in (2, 4, 8, 16, 32, 64):
            rate = cores * per_worker
            print(f"  {cores:3d} cores: {rate * 3600:8.0f} submissions/hour; "
                  f"1,000 submissions in {1000 / rate / 60:5.1f} min")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
