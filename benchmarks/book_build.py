"""Time `make book`: a clean build (every notebook executed) and a rebuild with nothing changed.

    .venv/bin/python benchmarks/book_build.py [--out /tmp/book-bench]
    .venv/bin/python benchmarks/book_build.py --fresh-clone --peer <commit> [--rounds 2]

The first form builds this checkout into its own folder (BOOK_OUT), never into the repository's
_build, and lists each notebook's execution time (jupyter-cache's records).

``--fresh-clone`` is what a newcomer sees: ``git clone`` of this repository at ``--rev`` (default
HEAD) and at ``--peer``, then, in each clone, ``make`` of the set-up (the virtual environment,
``npm ci``), ``make book`` and ``make book`` again with nothing changed; the two clones
alternate, round after round, so both see the same load. Every phase is timed in wall-clock and
CPU seconds (user + sys of make and everything it waited for) with the load average when it
began, and the ratio peer / rev is printed per phase. Targets on 2 cores: the fresh clone's
`make book` (set-up included) at most 150 s, the no-change rebuild at most 10 s.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("fresh make book", "no-change rebuild")


@dataclass
class Timed:
    wall: float
    cpu: float
    load: float
    code: int
    log: list[tuple[float, str]]     # (seconds since make started, line)

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.log)


# What a fresh clone's `make book` prints as it goes: the time a line first appears marks the
# moment (the set-up and the notebooks may run side by side, so these are moments, not phases).
MOMENTS = (("venv: python -m venv", r" -m venv "),
           ("venv: pip install -r requirements.lock", r"pip install --quiet -r requirements"),
           ("venv: done", r"touch \.venv/\.installed-stamp"),
           ("npm ci: starts", r"^npm ci"),
           ("npm ci: done", r"touch node_modules/\.package-lock\.json"),
           ("notebooks: parallel execution starts", r"-m book_ext\.chapter_execution"),
           ("notebooks: parallel execution done", r"chapter_execution: \d+ notebook"),
           ("jupyter-book build starts", r"jupyter-book build"),
           ("Sphinx: reading (executing, in a serial build)", r"reading sources"),
           ("Sphinx: writing", r"writing output\.\.\. \["),
           ("Sphinx: done (wheel, archives, twins included)", r"build succeeded|build finished"))


def moments(run: Timed) -> list[tuple[float, str]]:
    found = []
    for name, pattern in MOMENTS:
        at = next((t for t, line in run.log if re.search(pattern, line)), None)
        if at is not None:
            found.append((at, name))
    return sorted(found) + [(run.wall, "make exits")]


def timed_make(target: str, cwd: Path, extra: tuple[str, ...] = ()) -> Timed:
    """``make <target>`` in ``cwd``: wall and CPU seconds (user + sys of the whole process tree
    make waited for), the 1-minute load average when it started, the exit code and the log."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(["make", "--no-print-directory", target, *extra], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stdout]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return Timed(wall, usage.ru_utime + usage.ru_stime, load,
                 os.waitstatus_to_exitcode(status), log)


def executed_notebooks(book_out: Path) -> list[tuple[str, float]]:
    """(notebook, seconds it took to execute) from the jupyter-cache records of the build."""
    rows = []
    for db in sorted((book_out / "_build" / ".jupyter_cache").glob("*/global.db")):
        with sqlite3.connect(db) as connection:
            for uri, data in connection.execute("SELECT uri, data FROM nbcache"):
                seconds = json.loads(data or "{}").get("execution_seconds") or 0.0
                rows.append((Path(uri).name, float(seconds)))
    return sorted(rows, key=lambda row: -row[1])


# -- this checkout ---------------------------------------------------------------------------------

def this_checkout(out: Path) -> None:
    shutil.rmtree(out / "_build", ignore_errors=True)
    clean = timed_make("book", ROOT, (f"BOOK_OUT={out}",))
    for at, moment in moments(clean):
        print(f"    t = {at:6.1f} s  {moment}")
    noop = timed_make("book", ROOT, (f"BOOK_OUT={out}",))
    print(f"clean build:        {clean.wall:6.1f} s wall, {clean.cpu:6.1f} s CPU "
          f"(load {clean.load:.2f}; exit {clean.code})")
    notebooks = executed_notebooks(out)
    for name, seconds in notebooks:
        print(f"    {name:40s} {seconds:5.1f} s executing")
    print(f"    notebooks executed:  {len(notebooks)}, "
          f"{sum(s for _, s in notebooks):.1f} s in total")
    print(f"no-change rebuild:  {noop.wall:6.1f} s wall, {noop.cpu:6.1f} s CPU "
          f"(load {noop.load:.2f}; exit {noop.code}; target <= 10 s)")


# -- fresh clones, side by side --------------------------------------------------------------------

def fresh_clone(rev: str, where: Path) -> dict[str, Timed]:
    """A newcomer's commands in a new clone of ``rev``: `make book` (set-up included), then
    `make book` again with nothing changed."""
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(where)], check=True)
    subprocess.run(["git", "checkout", "--quiet", rev], cwd=where, check=True)
    times = {}
    for name in PHASES:
        times[name] = timed_make("book", where)
        if times[name].code != 0:
            print(f"  {rev}: {name} failed (exit {times[name].code}):\n"
                  + "\n".join(times[name].text.splitlines()[-30:]))
            break
    return times


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def side_by_side(rev: str, peer: str, rounds: int, work: Path, rev_first: bool = False
                 ) -> None:
    results: dict[str, list[dict[str, Timed]]] = {rev: [], peer: []}
    for round_ in range(rounds):
        # alternate which goes first, so neither always meets the same neighbours' load
        order = (peer, rev) if (round_ + rev_first) % 2 == 0 else (rev, peer)
        for which in order:
            label = "rev" if which == rev else "peer"
            times = fresh_clone(which, work / label)
            results[which].append(times)
            for name, run in times.items():        # the logs, for a closer look
                (work / f"{label}-round{round_ + 1}-{name.replace(' ', '-')}.log").write_text(
                    "\n".join(f"{t:7.1f} {line}" for t, line in run.log))
            print(f"\nround {round_ + 1}, {label} {which}:")
            for name, run in times.items():
                print(f"  {name:22s} {run.wall:6.1f} s wall {run.cpu:6.1f} s CPU "
                      f"(load {run.load:.2f} at start; exit {run.code})")
            if "fresh make book" in times:
                for at, moment in moments(times["fresh make book"]):
                    print(f"    t = {at:6.1f} s  {moment}")
            for name, seconds in executed_notebooks(work / label):
                print(f"    {name:40s} {seconds:5.1f} s executing")
            print(flush=True)
    print(f"\n{'mean of ' + str(rounds) + ' round(s)':22s} {'rev wall':>9s} {'CPU':>7s}"
          f" {'peer wall':>10s} {'CPU':>7s}   peer/rev: wall   CPU")
    for name in PHASES:
        rw = _mean([r[name].wall for r in results[rev] if name in r])
        rc = _mean([r[name].cpu for r in results[rev] if name in r])
        pw = _mean([r[name].wall for r in results[peer] if name in r])
        pc = _mean([r[name].cpu for r in results[peer] if name in r])
        print(f"{name:22s} {rw:9.1f} {rc:7.1f} {pw:10.1f} {pc:7.1f}   "
              f"{pw / rw:14.2f}x {pc / rc:5.2f}x")
    print("targets (2 cores): fresh make book <= 150 s, no-change rebuild <= 10 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/book-bench"))
    parser.add_argument("--fresh-clone", action="store_true",
                        help="time fresh clones of --rev and --peer, alternating")
    parser.add_argument("--rev", default="HEAD", help="the commit measured (default HEAD)")
    parser.add_argument("--peer", help="the commit compared against (e.g. the one before)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--rev-first", action="store_true",
                        help="the first round builds --rev first (default: --peer first)")
    args = parser.parse_args()
    if not args.fresh_clone:
        this_checkout(args.out.resolve())
        return
    if not args.peer:
        parser.error("--fresh-clone needs --peer <commit>")
    resolve = lambda rev: subprocess.run(  # noqa: E731
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
        check=True).stdout.strip()
    side_by_side(resolve(args.rev), resolve(args.peer), args.rounds, args.out.resolve(),
                 args.rev_first)


if __name__ == "__main__":
    main()
