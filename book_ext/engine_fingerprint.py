"""Re-execute the notebooks when the engine changes, not only when their own code does.

jupyter-cache keys an executed notebook on the notebook's code alone, and Sphinx re-reads a page
only when its source file changed. A change to ``lib/`` (or to the pinned packages) would then
leave the book showing outputs of the old engine, and a chapter the change broke would go
unnoticed. So the cache lives in a folder named after a fingerprint of what the notebooks run on
(``<build>/.jupyter_cache/<fingerprint>``), and when the fingerprint differs from the one the
saved Sphinx environment was built with, every page is re-read: every notebook runs again.
A new folder per engine (instead of emptying one) means a process still running with the old
engine never loses its cache under its feet; only the few most recently used folders are kept.

Used as a Sphinx extension by the book build and, directly, by the notebook tests
(``tests/notebook_runner.py``), which share the same cache.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import sys
import time
from pathlib import Path

# what a notebook's outputs depend on besides its own code
ENGINE_INPUTS = ("lib", "requirements.lock", "pyproject.toml")
KEEP = 3                      # engine versions whose caches are kept
FOLDER = re.compile(r"^[0-9a-f]{16}$")


def engine_fingerprint(root: Path) -> str:
    """SHA-256 (hex) over the engine's files (path and bytes) and the Python version."""
    root = Path(root)
    digest = hashlib.sha256(f"python {sys.version_info[:2]}".encode())
    for name in ENGINE_INPUTS:
        base = root / name
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def engine_cache_dir(base: Path, root: Path) -> Path:
    """The jupyter-cache folder for the current engine under ``base``; prunes old engines'."""
    base = Path(base)
    folder = base / engine_fingerprint(root)[:16]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "last-used").write_text(f"{time.time_ns()}\n")
    others = sorted((p for p in base.iterdir() if p.is_dir() and FOLDER.match(p.name)),
                    key=_last_used, reverse=True)
    for old in others[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _last_used(folder: Path) -> int:
    try:
        return int((folder / "last-used").read_text())
    except (OSError, ValueError):
        return 0


# --- Sphinx extension -------------------------------------------------------------------------

def _use_engine_cache(app) -> None:
    """Point MyST-NB at this engine's cache; mark every page outdated if the engine changed."""
    if not hasattr(app.env, "mystnb_config"):
        return
    configured = app.config.nb_execution_cache_path
    # MyST-NB's default: <build>/.jupyter_cache beside <build>/html
    base = Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"
    folder = engine_cache_dir(base, Path(app.srcdir))
    app.env.mystnb_config = app.env.mystnb_config.copy(execution_cache_path=str(folder))
    current = engine_fingerprint(Path(app.srcdir))
    app.env.engine_changed = getattr(app.env, "engine_fingerprint", None) != current
    app.env.engine_fingerprint = current


def _outdated_docs(app, env, added, changed, removed):
    """After an engine change, re-read every page so every notebook is executed again."""
    if getattr(env, "engine_changed", False):
        return sorted(env.found_docs - added - changed)
    return []


def setup(app):
    app.setup_extension("myst_nb")
    # after MyST-NB (priority 500) has created its configuration
    app.connect("builder-inited", _use_engine_cache, priority=600)
    app.connect("env-get-outdated", _outdated_docs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
