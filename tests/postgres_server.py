"""A throw-away PostgreSQL server for tests: Debian's binaries, a temp data dir, loopback only.

    with postgres_server() as url:      # postgresql+psycopg2://postgres@127.0.0.1:PORT/postgres
        db_url = create_database(url, "course")

Needs ``/usr/lib/postgresql/<version>/bin`` (``apt-get install -y postgresql``; ``make test``
installs it). PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
user the package creates (else ``nobody``). Data and socket dirs live in one temp dir; TCP only on
127.0.0.1; trust authentication (only this machine can connect). Stopped and removed on exit.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa


def server_bin() -> Path:
    """The newest installed PostgreSQL's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    if shutil.which("initdb"):
        return Path(shutil.which("initdb")).parent
    raise RuntimeError("PostgreSQL's server is not installed: apt-get install -y postgresql "
                       "(`make test` does)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server(attempts: int = 3) -> Iterator[str]:
    """Start a server; yield the SQLAlchemy URL of its ``postgres`` database; stop it."""
    bindir = server_bin()
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            user = "nobody"
    as_user = ["runuser", "-u", user, "--"] if user else []
    tmp = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data, sockets, log = tmp / "data", tmp / "sockets", tmp / "server.log"
    data.mkdir(mode=0o700)
    sockets.mkdir()
    if user:
        account = pwd.getpwnam(user)
        for path in (tmp, data, sockets):
            os.chown(path, account.pw_uid, account.pw_gid)
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")

    def run(*command, check=True):
        return subprocess.run(as_user + [str(c) for c in command], check=check, env=env, cwd=tmp,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    try:
        run(bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync")
        for attempt in range(attempts):
            # the port is free now but another process may take it before the server binds it
            port = _free_port()
            options = (f"-c listen_addresses=127.0.0.1 -c port={port} "
                       f"-c unix_socket_directories={sockets} -c fsync=off "
                       "-c full_page_writes=off -c synchronous_commit=off")
            started = run(bindir / "pg_ctl", "-D", data, "-o", options, "-l", log, "-w",
                          "-t", "30", "start", check=False)
            if started.returncode == 0:
                break
            if attempt == attempts - 1:
                server_log = log.read_text() if log.exists() else ""
                raise RuntimeError(f"PostgreSQL did not start:\n{started.stdout}\n{server_log}")
        try:
            yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Create the database ``name`` on the server; return its URL."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name
