"""The engine as a wheel, and the set-up cell that installs exactly that wheel.

``lib`` (the package and its data; not ``grading`` or ``book_ext``) is packed into a wheel whose
version is the project's version plus a digest of what it contains (``0.1.0+<10 hex>``): the
same engine always gives the same version, and, because the archive is written byte for byte
the same way (sorted entries, fixed timestamps), the same file and SHA-256. The site serves it
in ``_static/engine/``; the set-up cell of a downloadable chapter or released exercise names
that version and installs that file, checked against its SHA-256, when ``lib`` is missing.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

ENGINE_PACKAGE = "lib"
ENGINE_FOLDER = "_static/engine"        # where the site serves the wheels
SETUP_MARKER = 'find_spec("lib") is None'  # how a set-up cell is recognised
_EPOCH = (2020, 1, 1, 0, 0, 0)           # every entry's timestamp: the same bytes on every build
_SKIP = re.compile(r"(__pycache__|\.pyc$|\.ipynb_checkpoints)")


@dataclass(frozen=True)
class EngineWheel:
    path: Path
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return self.path.name


def _project(root: Path) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _engine_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / ENGINE_PACKAGE).rglob("*")
                  if p.is_file() and not _SKIP.search(str(p.relative_to(root))))


def engine_version(root: Path) -> str:
    """``<project version>+<digest of the engine's files and dependencies>``."""
    root = Path(root)
    project = _project(root)
    digest = hashlib.sha256(repr(sorted(project.get("dependencies", []))).encode())
    for path in _engine_files(root):
        digest.update(str(path.relative_to(root).as_posix()).encode() + b"\0" + path.read_bytes())
    return f"{project['version']}+{digest.hexdigest()[:10]}"


def wheel_filename(version: str) -> str:
    return f"nn_course-{version}-py3-none-any.whl"


def version_of(wheel_name: str) -> str:
    match = re.fullmatch(r"nn_course-(.+)-py3-none-any\.whl", wheel_name)
    if not match:
        raise ValueError(
            f"{wheel_name} is not an engine wheel (nn_course-<version>-py3-none-any.whl)"
        )
    return match.group(1)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_wheel(root: Path, dest: Path) -> EngineWheel:
    """Write the engine's wheel into ``dest`` (nothing else of the repository goes in)."""
    root, dest = Path(root), Path(dest)
    project = _project(root)
    version = engine_version(root)
    dist_info = f"nn_course-{version}.dist-info"
    metadata = "\n".join(
        ["Metadata-Version: 2.1", "Name: nn-course", f"Version: {version}",
         f"Summary: {project.get('description', '')}",
         f"Requires-Python: {project.get('requires-python', '>=3.11')}"]
        + [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]) + "\n"
    entries = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in _engine_files(root)]
    entries += [(f"{dist_info}/METADATA", metadata.encode()),
                (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: book_ext.engine_wheel\n"
                                       b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
                (f"{dist_info}/top_level.txt", f"{ENGINE_PACKAGE}\n".encode())]
    record = "".join(
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
        f"{len(data)}\n" for name, data in entries) + f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))
    path = dest / wheel_filename(version)
    write_zip(path, entries)
    return EngineWheel(path, version, sha256_of(path))


def write_zip(path: Path, entries: list[tuple[str, bytes]]) -> None:
    """A zip archive written the same way every time (entries in the given order, fixed dates).

    Written beside ``path`` and moved over it: a release running while a course reads the
    pinned wheel (a test suite, a second terminal) never shows it half written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    os.replace(partial, path)


def code_digest(files: list[tuple[str, bytes]]) -> str:
    """16 hex digits of SHA-256 over the engine's files, (path under the package's parent, bytes).

    The set-up cell computes the same over the ``lib`` it finds installed: the version note is
    for an engine whose code differs, not for one installed under another version string (an
    editable install of the repository reports the bare project version).
    """
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()[:16]


def wheel_code_digest(path: Path) -> str:
    """:func:`code_digest` of the engine package inside a wheel."""
    with zipfile.ZipFile(path) as archive:
        return code_digest([(name, archive.read(name)) for name in archive.namelist()
                            if name.startswith(f"{ENGINE_PACKAGE}/")])


def installed_code_digest(package_dir: Path) -> str:
    """:func:`code_digest` of an installed engine package (the folder of ``lib``)."""
    package_dir = Path(package_dir)
    files = {p.relative_to(package_dir.parent).as_posix(): p for p in package_dir.rglob("*")
             if p.is_file() and not _SKIP.search(p.as_posix())}
    return code_digest([(name, path.read_bytes()) for name, path in files.items()])


def setup_cell_source(wheel: EngineWheel, site_url: str, note: str = "") -> str:
    """The set-up cell of a notebook opened outside the course (Colab, a download, a bare Jupyter).

    It installs this very wheel when ``lib`` is missing: from the file next to the notebook if
    there is one (the offline archive), else from the site, checked against its SHA-256. When
    ``lib`` is installed but its code differs from the wheel's, it says so (the same
    code under another version string, e.g. an editable install, is no cause for a note).
    """
    url = f"{site_url}{ENGINE_FOLDER}/{wheel.filename}#sha256={wheel.sha256}"
    return "\n".join([
        "# Set-up for Colab and other fresh environments: install the course engine `lib` this",
        f"# notebook was made with (nn-course {wheel.version}), unless `lib` is installed already.",
        *([f"# {line}" for line in note.splitlines()]),
        f'ENGINE_VERSION = "{wheel.version}"',
        f'ENGINE_WHEEL = "{wheel.filename}"',
        f'ENGINE_URL = "{url}"',
        f'ENGINE_CODE = "{wheel_code_digest(wheel.path)}"',
        "import importlib.metadata, importlib.util, os",
        f"if importlib.util.{SETUP_MARKER}:",
        # adjacent literals below: one line of the cell, split only to keep this file's lines short
        "    # the offline archive has the wheel next to the notebook; "
        "elsewhere the site serves it",
        "    ENGINE_SOURCE = ENGINE_WHEEL if os.path.exists(ENGINE_WHEEL) else ENGINE_URL",
        '    %pip install --quiet "{ENGINE_SOURCE}"',
        "    importlib.invalidate_caches()",
        "else:",
        "    try:",
        '        INSTALLED = importlib.metadata.version("nn-course")',
        "    except importlib.metadata.PackageNotFoundError:",
        '        INSTALLED = "(not installed as a package)"',
        "    if INSTALLED != ENGINE_VERSION:",
        # the same digest as book_ext.engine_wheel.installed_code_digest, over the lib found
        "        import hashlib, pathlib, re",
        '        LIB_DIR = pathlib.Path(importlib.util.find_spec("lib").origin).parent',
        "        CODE = hashlib.sha256()",
        "        FILES = {p.relative_to(LIB_DIR.parent).as_posix(): p for p in LIB_DIR.rglob('*')",
        f"                 if p.is_file() and not re.search({_SKIP.pattern!r}, p.as_posix())}}",
        "        for name in sorted(FILES):",
        "            CODE.update(name.encode() + b'\\0' + FILES[name].read_bytes() + b'\\0')",
        "        if CODE.hexdigest()[:16] != ENGINE_CODE:",
        '            print(f"Note: lib {INSTALLED} is installed, but this notebook was made '
        'with lib "',
        '                  f"{ENGINE_VERSION}, whose code differs; if something fails, install its '
        'version: %pip install {ENGINE_URL}")',
    ])


def is_setup_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and SETUP_MARKER in "".join(cell.get("source", ""))
