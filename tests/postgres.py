"""A PostgreSQL server of the tests' own: initdb into a temporary folder, a free port on 127.0.0.1,
the unix socket beside its data, one fresh database per test; stopped and removed at the end.

The binaries come from PATH or Debian's ``postgresql`` package (/usr/lib/postgresql/<version>/bin;
``make system`` installs it). PostgreSQL refuses to run as root: as root the server runs as the
``postgres`` user the package creates.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg


def binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, the newest version first; None without."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return installed[-1].parent if installed else None


def unavailable() -> str | None:
    """Why no server can be started here, or None."""
    if binaries() is None:
        return "no PostgreSQL binaries (initdb) on PATH or in /usr/lib/postgresql; `make system` installs them"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


class Server:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kb-postgres-"))
        self.port = _free_port()
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_owner = ["runuser", "-u", "postgres", "--"]
        self._names = itertools.count(1)
        bin_dir, data = binaries(), self.root / "data"
        self._pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        self._run(*initdb, "--no-locale", "--no-sync")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(*self._pg_ctl, "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def _run(self, *command: str, check: bool = True) -> None:
        result = subprocess.run([*self._as_owner, *command], capture_output=True, text=True, cwd=self.root)
        if check and result.returncode != 0:
            log = self.root / "server.log"
            raise RuntimeError(f"{command[0]} failed: {result.stderr}{log.read_text() if log.exists() else ''}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str | None = None) -> str:
        """The URL of a new, empty database (or a copy of ``template``)."""
        name = f"kb_test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template or "template0"}"')
        return self.url(name)

    def restart(self) -> None:
        """Stop the server (fast: open connections are cut) and start it again on the same port."""
        self._run(*self._pg_ctl, "-l", str(self.root / "server.log"), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        self._run(*self._pg_ctl, "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
