"""Running a command as another Unix user when the course's Python is out of that user's reach.

A Python installed under a private home folder (pyenv in ``/root``, mode 0700) cannot be run by
any other user. ``python_in_reach`` gives the command prefix that runs what follows in a private
mount namespace where that folder holds the installation alone (bind-mounted through ``stage``,
an empty folder), and nothing else of it; the caller appends its own ``setpriv`` to become the
user. Nothing changes outside that namespace.
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path


def python_in_reach(stage: Path) -> list[str]:
    """``[]`` when every folder above the interpreter is open to others, else the prefix."""
    python = Path(os.path.realpath(sys.executable))
    closed = next((folder for folder in reversed(python.parents)
                   if not folder.stat().st_mode & stat.S_IXOTH), None)
    if closed is None:
        return []
    inner = closed / python.relative_to(closed).parts[0]
    script = ('mount --bind "$1" "$3" && mount -t tmpfs -o mode=0755 tmpfs "$2" && '
              'mkdir -p "$1" && mount --move "$3" "$1" && shift 3 && exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
            str(inner), str(closed), str(stage)]
