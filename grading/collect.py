"""Collect submissions into ``submitted/`` and record when each one arrived (``timestamp.txt``).

    python -m grading.collect --from FOLDER [--root DIR]         FOLDER/<student>/<assignment>/...
    python -m grading.collect --zip DOWNLOAD.zip --assignment ID  an LMS download (zip_collect)

nbgrader regrades a submission only when its ``timestamp.txt`` is newer than the one it graded
(``autograded/<student>/<assignment>/timestamp.txt``), and computes lateness from it, so every
route writes one:

* a folder: the folder's own ``timestamp.txt`` if it has one (nbgrader's exchange writes it),
  else the time the newest file in it was last modified;
* an LMS zip: the time the LMS stamped on the file in the zip (taken as UTC); of two files of one
  student for one notebook (a resubmission, ``name-1.ipynb``) the newer wins.

What arrives is compared with what ``submitted/`` holds: the same files change nothing; different
files that arrived later replace it (a resubmission, graded again by ``make autograde``); different
files that arrived earlier, or with the same time, are refused with a warning. Every version that
arrives is also kept in ``arrivals/<student>/<assignment>/<arrival time>/`` (``<arrival time>-2``,
``-3``, ... for other versions with the same time, to the second), so nothing a student handed in
is lost.

Only plain files are taken (``grading.kernel_boundary``): a symbolic link, a FIFO, a device or a
hard link in a collected folder is neither followed nor copied, and the line printed for that
submission names it. nbgrader's own exchange (``nbgrader collect``) copies the same way
(``PlainExchangeCollect``, set in nbgrader_config.py).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
from nbgrader.utils import parse_utc

from grading.kernel_boundary import DEFAULT, NotPlain, plain_files, read_plain, write_files

TIMESTAMP = "timestamp.txt"
IGNORED = {TIMESTAMP, ".ipynb_checkpoints", "__pycache__", ".DS_Store"}


def read_timestamp(folder: Path) -> dt.datetime | None:
    """The arrival time recorded in ``folder/timestamp.txt`` (UTC), or None."""
    try:
        text = read_plain(folder, TIMESTAMP, 1000).decode("utf-8", "replace").strip()
    except (NotPlain, FileNotFoundError, NotADirectoryError):
        return None
    if not text:
        return None
    when = parse_utc(text)      # nbgrader's parser gives naive UTC
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def write_timestamp(folder: Path, when: dt.datetime) -> None:
    # nbgrader's own format (ZipCollectApp, the exchange): ISO with a space, in UTC
    (folder / TIMESTAMP).write_text(when.astimezone(dt.UTC).isoformat(" "))


def _plain(folder: Path) -> tuple[dict, list[str]]:
    """The plain files of a submission folder (``{path: (bytes, mode)}``) and what was refused."""
    return plain_files(folder, DEFAULT, ignore=sorted(IGNORED))


def _files(folder: Path) -> list[Path]:
    return sorted(Path(rel) for rel in _plain(folder)[0])


def same_files(a: Path, b: Path) -> bool:
    """Do the two submission folders hold the same files with the same bytes (timestamps aside)?"""
    return {k: v[0] for k, v in _plain(a)[0].items()} == {k: v[0] for k, v in _plain(b)[0].items()}


def arrival_time(folder: Path) -> dt.datetime:
    """When a submission folder arrived: its timestamp.txt, else its newest file's modification
    time."""
    recorded = read_timestamp(folder)
    if recorded is not None:
        return recorded
    newest = max(os.lstat(folder / f).st_mtime for f in _files(folder))
    return dt.datetime.fromtimestamp(newest, dt.UTC).replace(microsecond=0)


def arrive(root: Path, student: str, assignment: str, incoming: Path) -> str:
    """Take one student's submission of one assignment into ``submitted/``; say what happened."""
    files, refused = _plain(incoming)
    ignored = "".join(f"; ignored {why}" for why in refused)
    if not files:
        return f"{student}/{assignment}: empty folder, ignored{ignored}"
    when = arrival_time(incoming)
    dest = root / "submitted" / student / assignment
    previous = read_timestamp(dest) if dest.is_dir() and _files(dest) else None
    if dest.is_dir() and _files(dest):
        if same_files(incoming, _original(root, student, assignment, dest)):
            return f"{student}/{assignment}: unchanged"
    kept = keep_arrival(root, student, assignment, files, when)
    if dest.is_dir() and _files(dest):
        if previous is not None and when == previous:
            return (
                f"{student}/{assignment}: WARNING: refused a different version stamped with the "
                f"same time as the one in submitted/ ({when:%Y-%m-%d %H:%M:%S} UTC; times are "
                f"kept to the second, an LMS zip's to two seconds), so which came last cannot be "
                f"told; the one in submitted/ stays, this one is kept in {kept.relative_to(root)}"
                f"{ignored}"
            )
        if previous is not None and when < previous:
            return (
                f"{student}/{assignment}: WARNING: refused a different version that arrived "
                f"{when:%Y-%m-%d %H:%M:%S} UTC, before the one in submitted/ "
                f"({previous:%Y-%m-%d %H:%M:%S} UTC); it is kept in {kept.relative_to(root)}"
                f"{ignored}"
            )
        what = "resubmitted"
    else:
        what = "new"
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.is_dir():
        shutil.rmtree(dest)
    kept_files, _ = plain_files(kept, DEFAULT)
    write_files(dest, kept_files)
    return f"{student}/{assignment}: {what}, arrived {when:%Y-%m-%d %H:%M} UTC{ignored}"


def _arrival_folders(root: Path, student: str, assignment: str, when: dt.datetime):
    """``arrivals/<student>/<assignment>/<time>``, then ``<time>-2``, ``<time>-3``, ...: one
    folder per version that arrived with that time (to the second), existing or not."""
    base = root / "arrivals" / student / assignment / when.strftime("%Y-%m-%dT%H%M%SZ")
    yield base
    n = 2
    while True:
        yield base.with_name(f"{base.name}-{n}")
        n += 1


def keep_arrival(root: Path, student: str, assignment: str, files: dict,
                 when: dt.datetime) -> Path:
    """The folder of ``arrivals/`` that holds this version (``files``: its plain files, as
    ``_plain`` reads them): the one that already holds the same files, else a new one. Two
    different versions with the same time (to the second) get two folders, so no version is ever
    lost."""
    wanted = {k: v[0] for k, v in files.items()}
    for kept in _arrival_folders(root, student, assignment, when):
        if not kept.exists():
            write_files(kept, files)
            write_timestamp(kept, when)
            return kept
        if {k: v[0] for k, v in _plain(kept)[0].items()} == wanted:
            return kept


def _original(root: Path, student: str, assignment: str, dest: Path) -> Path:
    """What arrived for the submission now in ``dest`` (``make autograde`` may have added files to
    ``dest``: a notebook copied under its right name), or ``dest`` itself if it came another way.

    Of the versions kept with ``dest``'s time, the one whose every file ``dest`` holds unchanged.
    """
    when = read_timestamp(dest)
    if when is not None:
        for kept in _arrival_folders(root, student, assignment, when):
            if not kept.is_dir():
                break
            held = {k: v[0] for k, v in _plain(dest)[0].items()}
            if all(held.get(k) == v[0] for k, v in _plain(kept)[0].items()):
                return kept
    return dest


class PlainExchangeCollect(ExchangeCollect):
    """nbgrader's exchange collect (``make collect`` without FROM or ZIP), copying plain files
    only: nbgrader's own copy follows links a student may have left in the exchange."""

    def do_copy(self, src, dest, log=None):
        for why in _plain_copy(Path(src), Path(dest), self.coursedir.ignore):
            self.log.warning("%s: not collected: %s", src, why)


def _plain_copy(src: Path, dest: Path, ignore) -> list[str]:
    files, refused = plain_files(src, DEFAULT, ignore=list(ignore))
    write_files(dest, files)
    return refused


def collect_folder(root: Path, source: Path, assignments: list[str] | None = None) -> list[str]:
    """Every ``source/<student>/<assignment>/`` (only the given assignments, if any)."""
    if not source.is_dir():
        raise SystemExit(f"{source} is not a folder of <student>/<assignment>/ submissions")
    lines = []
    for folder in sorted(p for p in source.glob("*/*") if p.is_dir()):
        student, assignment = folder.parent.name, folder.name
        if assignments and assignment not in assignments:
            continue
        if folder.is_symlink() or folder.parent.is_symlink():
            lines.append(f"{student}/{assignment}: WARNING: ignored, a symbolic link "
                         "(only plain files and folders are collected)")
            continue
        lines.append(arrive(root, student, assignment, folder))
    return lines


class LmsFileNames(FileNameCollectorPlugin):
    """nbgrader's file-name collector, plus the time the LMS stamped on each file in the zip."""

    def collect(self, submitted_file: str):
        info = super().collect(submitted_file)
        if info is not None:
            stamp = _zip_times(Path(submitted_file)).get(Path(submitted_file).name)
            if stamp is not None:
                info["timestamp"] = stamp.isoformat(" ")
        return info


def _zip_times(extracted_file: Path) -> dict[str, dt.datetime]:
    """File name -> the time stored in the zip, for every archive of the assignment being collected
    (``downloaded/<assignment>/archive/``, beside ``extracted/`` where the file was unpacked)."""
    for parent in extracted_file.parents:
        if (parent / "archive").is_dir() and parent.name != "archive":
            times = {}
            for archive in (parent / "archive").rglob("*.zip"):
                with zipfile.ZipFile(archive) as zf:
                    for info in zf.infolist():
                        times[Path(info.filename).name] = dt.datetime(
                            *info.date_time, tzinfo=dt.UTC
                        )
            return times
    return {}


def collect_zip(root: Path, download: Path, assignment: str, nbgrader: str) -> list[str]:
    """Unpack an LMS download with ``nbgrader zip_collect`` into a staging folder, then take it
    in."""
    if not download.is_file():
        raise SystemExit(f"{download} is not a file")
    downloaded = root / "downloaded" / assignment
    for sub in ("archive", "extracted", "collected"):       # only this download, not the last one
        shutil.rmtree(downloaded / sub, ignore_errors=True)
    (downloaded / "archive").mkdir(parents=True)
    shutil.copy2(download, downloaded / "archive" / download.name)
    staging = downloaded / "collected"
    subprocess.run([nbgrader, "zip_collect", assignment, "--force",
                    f"--CourseDirectory.root={root}",
                    f"--CourseDirectory.submitted_directory={staging.relative_to(root)}"],
                   check=True, cwd=Path(__file__).resolve().parents[1])
    return collect_folder(root, staging, [assignment])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    route = parser.add_mutually_exclusive_group(required=True)
    route.add_argument(
        "--from", dest="source", type=Path, help="a folder of <student>/<assignment>/"
    )
    route.add_argument("--zip", type=Path, help="a download from the LMS (needs --assignment)")
    parser.add_argument("--assignment", nargs="*", default=None)
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the nbgrader course directory"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.zip:
        if not args.assignment or len(args.assignment) != 1:
            parser.error("--zip needs exactly one --assignment")
        nbgrader = str(Path(sys.executable).with_name("nbgrader"))
        lines = collect_zip(root, args.zip.resolve(), args.assignment[0], nbgrader)
    else:
        lines = collect_folder(root, args.source.resolve(), args.assignment)
    for line in lines:
        print(line)
    print(f"collected: {sum(': new' in line for line in lines)} new, "
          f"{sum('resubmitted' in line for line in lines)} resubmitted, "
          f"{sum('unchanged' in line for line in lines)} unchanged, "
          f"{sum('WARNING' in line for line in lines)} refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
