"""Start bwrap in a user namespace whose uid map the grader writes: root without CAP_SYS_ADMIN.

    python -m grading.userns_launch UID -- prlimit ... -- bwrap ... {info_fd} {block_fd} ... -- cmd

Where the grader is root but lacks CAP_SYS_ADMIN (a Docker container, a JupyterHub or Kubernetes
pod), bwrap cannot make namespaces as root; it can in a user namespace. bwrap alone maps only
the grader's uid (root) into it, and a kernel whose real uid is root escapes RLIMIT_NPROC (the
kernel exempts root from it). So bwrap is started with ``--userns-block-fd`` and ``--info-fd``
(the ``{block_fd}`` and ``{info_fd}`` of the argv are replaced by those descriptors); this
process, still root with CAP_SETUID and CAP_SETGID, writes the map ``0 -> 0`` (bwrap sets the
sandbox up as root: it reaches every folder it binds) and ``UID -> UID`` (the kernel then drops
to UID inside: ``setpriv``, so the process limit holds and its files belong to UID), and lets
bwrap go on. It then waits for bwrap and exits with its status, passing signals on.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys


def read_child_pid(fd: int) -> int:
    """bwrap's ``--info-fd`` JSON: the pid of the sandbox's first process."""
    data = b""
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError(f"bwrap gave no child pid (read {data[:200]!r})")
        data += chunk
        try:
            return int(json.loads(data)["child-pid"])
        except ValueError:
            continue


def main(argv: list[str]) -> int:
    uid, separator, command = int(argv[0]), argv[1], argv[2:]
    if separator != "--" or not command:
        raise SystemExit(__doc__.split("\n\n")[1])
    info_r, info_w = os.pipe()
    block_r, block_w = os.pipe()
    fds = {"{info_fd}": str(info_w), "{block_fd}": str(block_r)}
    command = [fds.get(arg, arg) for arg in command]
    child = subprocess.Popen(command, pass_fds=[info_w, block_r])
    os.close(info_w)
    os.close(block_r)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda s, _: child.send_signal(s))
    try:
        pid = read_child_pid(info_r)
        mapping = "0 0 1\n" + (f"{uid} {uid} 1\n" if uid != 0 else "")
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write(mapping)
        os.write(block_w, b"1")
    except (OSError, RuntimeError) as error:
        print(f"grading.userns_launch: could not map the sandbox's uids: {error}", file=sys.stderr)
        child.kill()
    finally:
        os.close(block_w)
        os.close(info_r)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
