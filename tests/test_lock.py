"""The Python the Makefile accepts is the Python the lock installs on.

The Makefile checks ``PYTHON_MIN`` before it creates ``.venv``; every package that
``requirements.lock`` pins declares the oldest Python it supports (``Requires-Python`` in its
metadata, read here from the installed packages of ``.venv``). The two must agree: a lower
``PYTHON_MIN`` lets set-up start and then fail half-way on a Python some package refuses (Debian
12's 3.11.2 and soupsieve 3.0.2+'s ``>=3.11.5``); a higher one refuses a Python that works.
"""
from __future__ import annotations

import importlib.metadata as metadata
import re
import subprocess
import sys

from notebook_runner import ROOT
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            pins[canonicalize_name(name)] = version
    return pins


def makefile_minimum() -> Version:
    match = re.search(r"^PYTHON_MIN\s*:=\s*(\S+)\s*$", (ROOT / "Makefile").read_text(), re.M)
    assert match, "the Makefile names no PYTHON_MIN"
    return Version(match[1])


def lowest_python(requires: str) -> Version:
    """The oldest Python a ``Requires-Python`` admits, of 3.x.y releases (3.0.0 if no bound)."""
    spec = SpecifierSet(requires)
    candidates = [Version(f"3.{minor}.{micro}") for minor in range(0, 20) for micro in range(0, 30)]
    return next(v for v in candidates if v in spec)


def test_the_makefiles_minimum_is_the_highest_requires_python_of_the_lock():
    pins = locked()
    assert len(pins) > 50
    needs = {}
    for name, version in pins.items():
        dist = metadata.distribution(name)      # .venv is made from the lock: every pin installed
        assert dist.version == version, f"{name}: {dist.version} installed, {version} locked"
        requires = dist.metadata.get("Requires-Python")
        if requires:
            needs[name] = lowest_python(requires)
    highest = max(needs.values())
    assert makefile_minimum() == highest, (
        f"the Makefile accepts Python {makefile_minimum()}, the lock needs {highest}: "
        f"{sorted(n for n, v in needs.items() if v == highest)}"
    )


def test_the_lowest_python_is_read_from_the_specifier():
    assert lowest_python(">=3.11.5") == Version("3.11.5")
    assert lowest_python(">= 3.11") == Version("3.11.0")
    assert lowest_python(">=3.8, !=3.9.0") == Version("3.8.0")
    assert lowest_python(">3.10") == Version("3.10.1")


def test_the_readme_and_the_makefile_name_the_same_minimum():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    minimum = makefile_minimum()
    assert f"Python {minimum.major}.{minimum.minor}+" in readme
    if minimum.micro:
        assert f"Python {minimum}" in readme


def test_reading_a_notebook_compiles_no_iri_grammar():
    """nbformat validates notebooks with jsonschema; jsonschema 4.25+ imports rfc3987-syntax when
    installed, which builds its IRI parsers at import (1.4 s of a core per process: every nbgrader
    command, Dask worker and make target). The lock holds jsonschema below 4.25 (`make lock`)."""
    probe = ("import sys, nbformat, jsonschema\n"
             "nbformat.validate(nbformat.v4.new_notebook())\n"
             "print(sorted(m for m in sys.modules\n"
             "             if m.split('.')[0] in ('rfc3987_syntax', 'lark')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]", f"importing nbformat loads {loaded}: is jsonschema<4.25 still locked?"
    assert "rfc3987-syntax" not in locked() and "jsonschema<4.25" in (ROOT / "Makefile").read_text()
