"""``jupyter-book``, started without an import that costs two CPU seconds and checks nothing here.

jsonschema checks the "iri" string formats with the rfc3987-syntax package when it is installed
(Jupyter's jupyter-events brings it in); importing it compiles 38 grammars, about 2 s of CPU in
every process that imports jsonschema (Jupyter Book's configuration check, nbformat), on every
build, a no-change rebuild included. Format checks are off unless a validator is given a format
checker, and neither Jupyter Book (``jupyter_book.config.get_validator``) nor nbformat gives one:
nothing the build validates depends on the package.

    python -m book_ext.jupyter_book_cli build . --path-output DIR ...   (as ``jupyter-book``)
"""
from __future__ import annotations

import sys

UNUSED = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Make ``import rfc3987_syntax`` fail fast in this process (jsonschema then goes without)."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)


def main() -> int:
    skip_unused_imports()
    from jupyter_book.cli.main import main as jupyter_book

    sys.argv[0] = "jupyter-book"
    return jupyter_book()


if __name__ == "__main__":
    sys.exit(main())
