"""Find solutions, hidden tests and mark schemes of the nbgrader sources where students can see
them.

The secrets are read out of the source notebooks (``solutions/**/*.ipynb``) by their nbgrader
markers: the lines between ``### BEGIN SOLUTION`` / ``### END SOLUTION``, ``### BEGIN HIDDEN TESTS``
/ ``### END HIDDEN TESTS`` and ``=== BEGIN MARK SCHEME ===`` / ``=== END MARK SCHEME ===``, and the
whole source of a solution cell that has no markers (nbgrader replaces such a cell entirely).

A secret line counts as *distinctive* when it is long enough to be specific and is public nowhere
else: not in the same notebook outside the secret regions (what nbgrader releases) and not in the
engine ``lib/`` (public in the repository, and shown by the chapters). In what students work on
(released notebooks, exercise pages: ``strict`` documents) any distinctive line is a leak. In the
rest of the site, where chapters legitimately write the same generic line (``rng =
np.random.default_rng(seed)``) or teach the same technique, a leak is a secret *region* showing up:
at least half of its distinctive lines, and two of them or one of 30+ characters, in one document.
A marker line itself or a byte-for-byte copy of a file from ``solutions/`` is always a leak.
Documents are compared as text with HTML tags and entities removed and whitespace collapsed, so
syntax-highlighted code in a page is found too.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REGIONS = {  # kind -> (begin marker, end marker), as nbgrader's defaults
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden test": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    "mark scheme": ("BEGIN MARK SCHEME", "END MARK SCHEME"),
}
MARKERS = [marker for pair in REGIONS.values() for marker in pair]
TEXT_SUFFIXES = {".html", ".htm", ".txt", ".md", ".ipynb", ".py", ".js", ".json", ".csv", ".tex",
                 ".xml", ".svg", ".rst", ".yml", ".yaml", ".cfg", ".toml"}
SKIP_DIRS = {".ipynb_checkpoints", "__pycache__"}
# Where a copy of third-party software, never course content, lives in the site.
SKIP_PREFIXES = ("_static/vendor/",)


def normalise(text: str) -> str:
    """Collapse every run of whitespace to one space."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Secret:
    notebook: str          # source notebook, relative to the repository
    cell: int              # 0-based cell index
    kind: str              # "solution", "hidden test" or "mark scheme"
    line: str              # the distinctive line, whitespace-normalised
    region: int = 0        # which secret region of the cell it comes from


@dataclass
class Leak:
    document: str
    what: str

    def __str__(self) -> str:
        return f"{self.document}: {self.what}"


@dataclass
class SecretIndex:
    secrets: list[Secret] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)   # sha256 -> solutions/ file


def _regions(source: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Split a cell into (kind, secret lines) regions and the public lines around them."""
    regions, public, current, kind = [], [], None, None
    for line in source.splitlines():
        begin = next((k for k, (b, _) in REGIONS.items() if b in line), None)
        end = next((k for k, (_, e) in REGIONS.items() if e in line), None)
        if current is None and begin is not None:
            current, kind = [], begin
        elif current is not None and end == kind:
            regions.append((kind, current))
            current = kind = None
        elif current is not None:
            current.append(line)
        else:
            public.append(line)
    if current is not None:                   # unterminated region: all of it is secret
        regions.append((kind, current))
    return regions, public


def _public_lines(root: Path) -> set[str]:
    """Lines of the engine, public in the repository (and shown by the chapters)."""
    lines = set()
    for path in sorted((root / "lib").rglob("*.py")):
        lines.update(normalise(line) for line in path.read_text(encoding="utf-8").splitlines())
    return lines


def read_secrets(solutions: Path, root: Path, min_chars: int = 10) -> SecretIndex:
    """Every distinctive secret line of every source notebook under ``solutions``."""
    index = SecretIndex()
    engine = _public_lines(root)
    if not solutions.exists():
        return index
    for path in sorted(p for p in solutions.rglob("*") if p.is_file()):
        if SKIP_DIRS & set(path.parts):
            continue
        index.file_hashes[hashlib.sha256(path.read_bytes()).hexdigest()] = str(
            path.relative_to(root)
        )
        if path.suffix != ".ipynb":
            continue
        nb = nbformat.read(path, as_version=4)
        cells = []
        for i, cell in enumerate(nb.cells):
            regions, public = _regions(cell.source)
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and not regions:
                regions, public = [("solution", cell.source.splitlines())], []
            cells.append((i, regions, public))
        public_here = {normalise(line) for _, _, public in cells for line in public}
        for i, regions, _ in cells:
            for r, (kind, lines) in enumerate(regions):
                for line in lines:
                    text = normalise(line)
                    if len(text.replace(" ", "")) >= min_chars and text not in public_here \
                            and text not in engine:
                        index.secrets.append(Secret(str(path.relative_to(root)), i, kind, text, r))
    return index


def document_text(path: Path) -> str:
    """What a reader of the file sees: notebooks' sources and outputs, pages without markup."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(raw)
            parts = []
            for cell in nb.get("cells", []):
                parts.append(_joined(cell.get("source", "")))
                for out in cell.get("outputs", []):
                    parts.append(_joined(out.get("text", "")))
                    for mime, value in out.get("data", {}).items():
                        if isinstance(value, (str, list)):
                            value = _joined(value)
                            parts.append(_without_markup(value) if "html" in mime else value)
            return normalise("\n".join(parts))
        except json.JSONDecodeError:
            pass
    if path.suffix in {".html", ".htm", ".ipynb", ".svg", ".xml"}:
        raw = _without_markup(raw)
    return normalise(raw)


def _without_markup(text: str) -> str:
    """Page text: tags removed, then entities decoded (code's `<` is `&lt;` until then)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def published_files(roots: list[Path]) -> list[Path]:
    files = []
    for root in roots:
        if root.is_file():
            files.append(root)
            continue
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and not (SKIP_DIRS & set(path.parts)) \
                    and not rel.startswith(SKIP_PREFIXES):
                files.append(path)
    return files


REGION_FRACTION = 0.5
LONG_LINE = 30


def find_leaks(index: SecretIndex, roots: list[Path], relative_to: Path, min_chars: int = 10,
               strict=lambda path: True) -> list[Leak]:
    """Leaks of ``index``'s secrets into the files under ``roots``.

    ``strict(path)`` says whether any one distinctive line is a leak in that file (what students
    work on) or only a recognisable part of a secret region (the rest of the site).
    """
    regions: dict[tuple, list[Secret]] = {}
    for secret in index.secrets:
        regions.setdefault((secret.notebook, secret.cell, secret.region), []).append(secret)
    leaks = []
    for path in published_files(roots):
        inside = path.is_relative_to(relative_to)
        name = str(path.relative_to(relative_to)) if inside else str(path)
        if "solutions" in (path.relative_to(relative_to) if inside else path).parts[:-1]:
            leaks.append(Leak(name, "a file inside a published solutions/ folder"))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in index.file_hashes:
            leaks.append(Leak(name, f"a copy of {index.file_hashes[digest]}"))
        if path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        text = document_text(path)
        leaks += [Leak(name, f"nbgrader marker {marker!r}") for marker in MARKERS if marker in text]
        seen = set()
        for members in regions.values():
            found = [s for s in members if s.line in text and s.line not in seen
                     and len(s.line.replace(" ", "")) >= min_chars]
            if not found:
                continue
            if not strict(path):
                enough = len(found) >= REGION_FRACTION * len(members)
                specific = len(found) >= 2 or len(found[0].line) >= LONG_LINE
                if not (enough and specific):
                    continue
            for secret in found:
                seen.add(secret.line)
                leaks.append(Leak(name, f"{secret.kind} line of {secret.notebook} "
                                        f"(cell {secret.cell}): {secret.line!r}"))
    return leaks
