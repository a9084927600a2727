"""Release time: the exercises pin the engine they are generated with.

``make release`` runs, in order:

1. ``python -m book_ext.exercise_release pin`` -- builds the engine's wheel into
   ``chapters/exercises/engine/`` (committed with the released notebooks: a released exercise
   keeps working, offline and on Colab, after the engine changes) and names it in
   ``chapters/exercises/engine/released.txt``;
2. ``nbgrader generate_assignment``, whose first preprocessor, :class:`PinEngine`, writes the
   set-up cell of each notebook for that wheel and the course home of ``_config.yml``, before
   nbgrader checksums and stores the locked cells (so autograding restores the same cell);
3. ``python -m book_ext.exercise_release prune`` -- removes wheels no released notebook names.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from book_ext.course_home import read_course_home
from book_ext.engine_wheel import (
    EngineWheel,
    build_wheel,
    is_setup_cell,
    setup_cell_source,
    sha256_of,
    version_of,
)

ENGINE_DIR = Path("chapters") / "exercises" / "engine"
RELEASED = "released.txt"
VALIDATE_NOTE = ("Check your work with Validate (nbgrader toolbar): it lists every failing part "
                 "at once;\nRun All stops at the first failing cell.")


def released_wheel(root: Path) -> EngineWheel:
    """The wheel the last ``make release`` pinned."""
    folder = Path(root) / ENGINE_DIR
    try:
        name = (folder / RELEASED).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"{folder / RELEASED} is missing: run `make release`") from None
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} (named in {RELEASED}) is missing: run `make release`")
    return EngineWheel(path, version_of(name), sha256_of(path))


def exercise_setup_cell(root: Path) -> str:
    wheel = released_wheel(root)
    return setup_cell_source(wheel, read_course_home(root).site_url, note=VALIDATE_NOTE)


def pin(root: Path) -> EngineWheel:
    wheel = build_wheel(root, Path(root) / ENGINE_DIR)
    released = Path(root) / ENGINE_DIR / RELEASED
    partial = released.with_name(f".{RELEASED}.{os.getpid()}.partial")   # moved over: atomic
    partial.write_text(wheel.filename + "\n", encoding="utf-8")
    os.replace(partial, released)
    return wheel


def pinned_wheels(root: Path) -> set[str]:
    """Wheel files named by the set-up cells of the released notebooks."""
    names = set()
    for notebook in (Path(root) / "chapters" / "exercises").glob("*.ipynb"):
        names.update(
            re.findall(r'ENGINE_WHEEL = \\"([^"\\]+)\\"', notebook.read_text(encoding="utf-8"))
        )
    return names


def prune(root: Path) -> list[Path]:
    keep = pinned_wheels(root) | {released_wheel(root).filename}
    removed = [p for p in (Path(root) / ENGINE_DIR).glob("*.whl") if p.name not in keep]
    for path in removed:
        path.unlink()
    return removed


try:                                       # nbgrader is there for instructors, not on Colab
    from nbgrader.preprocessors import NbGraderPreprocessor
    from traitlets import Unicode

    class PinEngine(NbGraderPreprocessor):
        """Write the released exercise's set-up cell: the pinned engine, the course's site."""

        course_root = Unicode(os.getcwd(),
                              help="the course repository (holding _config.yml)").tag(config=True)

        def preprocess(self, nb, resources):
            source = exercise_setup_cell(Path(self.course_root))
            setup = [cell for cell in nb.cells if is_setup_cell(cell)]
            if len(setup) != 1:
                raise ValueError(
                    f"{resources.get('unique_key', 'an exercise')}: expected one set-up "
                    f'cell (the code cell that checks find_spec("lib")), found {len(setup)}'
                )
            setup[0].source = source
            return nb, resources
except ImportError:                        # pragma: no cover - depends on the environment
    pass


def main(argv: list[str]) -> int:
    root = Path.cwd()
    if argv == ["pin"]:
        wheel = pin(root)
        print(f"exercises pin the engine {wheel.version}: {ENGINE_DIR / wheel.filename}")
    elif argv == ["prune"]:
        for path in prune(root):
            print(f"removed {path.relative_to(root)}: no released exercise names it")
    else:
        print("usage: python -m book_ext.exercise_release pin|prune", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
