"""Make every collected submission gradeable before ``nbgrader autograde`` runs.

    python -m grading.submissions <assignment> [--root DIR]

For each ``submitted/<student>/<assignment>/`` folder and each notebook the assignment expects:

* present under its own name: nothing to do;
* missing, but another notebook in the folder holds this notebook's graded cells (a renamed
  notebook, e.g. ``01_neurons_perceptron-Copy1.ipynb``): it is *copied* under the expected name
  with a note for the student, and graded as what it is;
* missing altogether: the blank released notebook is copied in with a note saying so; it is
  graded as an empty notebook (0 points) and the student gets feedback that says why.

Nothing is deleted or moved, and a second run changes nothing: the expected file then exists.
A student who handed nothing in gets no folder: no submission is invented (``make export`` lists
them as missing); ``--students`` names students who must get one anyway.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat

from grading.kernel_boundary import make_plain
from grading.notes import add_notes


def _grade_ids(path: Path) -> set[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            for c in nb.get("cells", []) if isinstance(c, dict)} - {None}


def _write_with_note(source: Path, dest: Path, note: str) -> None:
    nb = nbformat.read(source, as_version=4)
    add_notes(nb, [note])
    nbformat.write(nb, dest)


def prepare(root: Path, assignment: str, source_dir: str = "solutions/source",
            release_dir: str = "release", students: list[str] | None = None) -> list[str]:
    """Fix up every submission folder of ``assignment``; return one line per change made."""
    expected = sorted((root / source_dir / assignment).glob("*.ipynb"))
    if not expected:
        raise SystemExit(f"no source notebooks in {root / source_dir / assignment}")
    submitted = root / "submitted"
    changes = []
    folders = []
    for folder in sorted(p for p in submitted.glob(f"*/{assignment}") if p.is_dir()):
        if folder.is_symlink() or folder.parent.is_symlink():      # never graded as this student
            link = folder if folder.is_symlink() else folder.parent
            link.unlink()
            changes.append(f"{link}: removed, a symbolic link (not a plain folder)")
            continue
        folders.append(folder)
    for student in students or []:
        folder = submitted / student / assignment
        if folder.is_symlink():
            folder.unlink()
        if folder not in folders:
            folder.mkdir(parents=True, exist_ok=True)
            folders.append(folder)
    for folder in folders:
        # links, FIFOs, devices and hard links are removed first: nothing below follows one
        # (a notebook written through a dangling link would land wherever it points)
        for why in make_plain(folder):
            changes.append(f"{folder}: removed {why} (not a plain file)")
        found = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        for nb_path in expected:
            dest = folder / nb_path.name
            if dest.exists():
                continue
            wanted = _grade_ids(nb_path)
            candidates = [(len(_grade_ids(p) & wanted), p) for p in found if p.name not in
                          {e.name for e in expected}]
            candidates = [c for c in candidates if c[0] > 0]
            if candidates:
                _, best = max(candidates, key=lambda c: (c[0], c[1].stat().st_mtime))
                _write_with_note(
                    best,
                    dest,
                    f"Your notebook was submitted as `{best.relative_to(folder)}`"
                    f" instead of `{nb_path.name}`; it was graded under the right name.",
                )
                changes.append(f"{folder}: graded {best.name} as {nb_path.name}")
            else:
                blank = root / release_dir / assignment / nb_path.name
                if not blank.exists():
                    raise SystemExit(f"{blank} is missing: run `make release` first")
                listing = ", ".join(f"`{p.relative_to(folder)}`" for p in folder.rglob("*")
                                    if p.is_file() and p.name != "timestamp.txt") or "nothing"
                _write_with_note(blank, dest, f"No notebook `{nb_path.name}` was found in your "
                                 f"submission (it held: {listing}); it was graded as an empty "
                                 "notebook, 0 points.")
                changes.append(f"{folder}: {nb_path.name} missing, graded as blank")
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--root", default=".", help="the nbgrader course directory")
    parser.add_argument(
        "--students",
        nargs="*",
        default=None,
        help="student ids who must get a folder (graded as blank) even without a submission",
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    for line in prepare(root, args.assignment, students=args.students):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
