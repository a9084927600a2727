"""Where the outside verdict's time goes, per submission (a benchmark, not a test).

    .venv/bin/python -m benchmarks.verdict_profile                      # exercise 3, 3 students
    .venv/bin/python -m benchmarks.verdict_profile --assignment 01_neurons_perceptron --repeats 5

Grades the same class of full solutions (``autograde_speed.build_class``) with the course's
configuration and with plain nbgrader (the same minus ``HiddenInputs`` and ``VerdictOutside``),
in alternating order, each ``nbgrader autograde --force`` in its own process run under cProfile
with the process's CPU clock. Prints, per submission (medians over the repeats): the wall
time; the grading process's CPU time; the time the kernel spent in the graded test cells (from
the cells' execution timestamps, wall: a sandboxed kernel's CPU time does not reach the
grader); and the verdict's pieces in the grading process (the own-work check, the reference
namespace, drawing and decoding the hidden inputs, reading the handed-out values, each part's
judge). One-off costs of a grading process (the reference namespace, the own-work check's
reading of the instructor's notebook) are spread over the class like the rest, as in a real
run of a class by one process or one Dask worker.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

from benchmarks.autograde_speed import BIN, ENV, PLAIN, ROOT, build_class

# (label, file suffix, function name) of the verdict's pieces, as cProfile names them
PIECES = [
    ("own-work check", "grading/own_work.py", "read"),
    ("reference namespace", "grading/verdict.py", "solution_namespace"),
    ("hidden inputs drawn and decoded", "grading/verdict.py", "part_inputs"),
    ("values handed out, decoded", "grading/verdict.py", "received_values"),
    ("all judges", "grading/verdict.py", "_judge"),
]
# grading/verdict.py's two `preprocess`: HiddenInputs' comes first in the file
PREPROCESS = ["HiddenInputs (before the kernel)", "VerdictOutside (after it), in all"]


def _cumulative(stats: pstats.Stats) -> dict[str, float]:
    """{label: cumulative CPU seconds} of PIECES, and of each part's judge."""
    found: dict[str, float] = {}
    preprocess = []
    for (file, line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        file = file.replace(os.sep, "/")
        if file.endswith("grading/verdict.py") and name == "preprocess":
            preprocess.append((line, cumulative))
        for label, suffix, function in PIECES:
            if file.endswith(suffix) and name == function:
                found[label] = found.get(label, 0.0) + cumulative
        if "grading/parts/" in file and name.endswith("_judge"):
            found[f"judge {name}"] = found.get(f"judge {name}", 0.0) + cumulative
    for label, (_line, cumulative) in zip(PREPROCESS, sorted(preprocess)):
        found[label] = cumulative
    return found


def _kernel_seconds(course: Path, assignment: str) -> dict[str, float]:
    """Seconds the kernels spent executing each graded test cell, summed over the class."""
    total: dict[str, float] = {}
    for path in (course / "autograded").glob(f"*/{assignment}/{assignment}.ipynb"):
        for cell in nbformat.read(path, 4).cells:
            meta, timing = cell.metadata.get("nbgrader", {}), cell.metadata.get("execution", {})
            if meta.get("grade") and not meta.get("solution") and "shell.execute_reply" in timing:
                start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
                end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                cell_id = meta["grade_id"]
                total[cell_id] = total.get(cell_id, 0.0) + (end - start).total_seconds()
    return total


def child(course: Path, assignment: str, config_dir: Path, out: Path) -> None:
    """One `nbgrader autograde --force` in this process, profiled on the CPU clock."""
    os.chdir(config_dir)
    from nbgrader.apps.autogradeapp import AutogradeApp

    profile = cProfile.Profile(time.process_time)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    profile.enable()
    try:
        AutogradeApp.launch_instance(
            argv=[assignment, "--force", f"--CourseDirectory.root={course}"]
        )
    except SystemExit:
        pass
    profile.disable()
    result = {
        "wall": time.perf_counter() - wall0,
        "cpu": time.process_time() - cpu0,
        "pieces": _cumulative(pstats.Stats(profile)),
    }
    out.write_text(json.dumps(result))


def grade(course: Path, assignment: str, config_dir: Path, tmp: Path) -> dict:
    out = tmp / "result.json"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.verdict_profile", "--child", str(course),
         str(config_dir), str(out), "--assignment", assignment],
        env=ENV, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    result = json.loads(out.read_text())
    result["kernel"] = _kernel_seconds(course, assignment)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="03_backpropagation")
    parser.add_argument("--class-size", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("COURSE", "CONFIG_DIR", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*(Path(p) for p in args.child[:1]), args.assignment, *map(Path, args.child[1:]))
        return 0
    assert BIN.exists(), f"no {BIN}: run `make .venv/.installed-stamp` first"
    n, modes = args.class_size, ["outside verdict", "plain nbgrader"]
    loads, runs = [], {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory(prefix="verdict-profile-") as tmp:
        tmp = Path(tmp)
        plain = tmp / "plain-config"
        plain.mkdir()
        (plain / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text() + PLAIN)
        courses = {mode: tmp / mode.replace(" ", "-") for mode in modes}
        for course in courses.values():
            build_class(course, [args.assignment], n)
        for repeat in range(args.repeats):
            for mode in modes if repeat % 2 == 0 else modes[::-1]:
                loads.append(os.getloadavg()[0])
                config = ROOT if mode == modes[0] else plain
                runs[mode].append(grade(courses[mode], args.assignment, config, tmp))
    print(
        f"{args.assignment}, {n} submission(s), {args.repeats} repeats; load average "
        f"{statistics.mean(loads):.1f} (max {max(loads):.1f}) on {os.cpu_count()} cores"
    )
    print(f"{'seconds per submission (median)':<40}{modes[0]:>17}{modes[1]:>17}{'added':>10}")

    def row(label, value):
        a, b = (statistics.median(value(r) / n for r in runs[mode]) for mode in modes)
        print(f"{label:<40}{a:17.3f}{b:17.3f}{a - b:+10.3f}")

    row("wall, whole autograde", lambda r: r["wall"])
    row("CPU of the grading process", lambda r: r["cpu"])
    row("kernel, graded test cells (wall)", lambda r: sum(r["kernel"].values()))
    for cell_id in runs[modes[0]][0]["kernel"]:
        row(f"  {cell_id}", lambda r, cell_id=cell_id: r["kernel"].get(cell_id, 0.0))
    print("the verdict's pieces in the grading process (CPU):")
    labels = sorted({k for r in runs[modes[0]] for k in r["pieces"]}, key=_order)
    for label in labels:
        row(f"  {label}", lambda r, label=label: r["pieces"].get(label, 0.0))
    return 0


def _order(label: str) -> tuple:
    names = PREPROCESS + [p[0] for p in PIECES]
    return (names.index(label), "") if label in names else (len(names), label)


if __name__ == "__main__":
    sys.exit(main())
