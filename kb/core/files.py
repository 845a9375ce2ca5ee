"""File helpers shared by every layer: content hashes, atomic writes, a full disk recognised."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to; on success it replaces ``target`` atomically.

    The file is fsync'ed before the rename and the folder after it, so a crash leaves the old
    file or the new one, never half of one. On an error the temporary file is removed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.fchmod(descriptor, 0o666 & ~_umask())  # mkstemp's 0600 would lock out a server run as another user
    os.close(descriptor)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb") as file:
            os.fsync(file.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _umask() -> int:
    """The process's umask, read without changing it (os.umask sets it, racing other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def follow_umask(folder: Path) -> None:
    """Give the files of ``folder`` the mode the umask allows: engines that write through
    temporary files (Tantivy's meta files) leave them 0600, unreadable to a server of the group."""
    mode = 0o666 & ~_umask()
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mode & 0o777 != mode:
                path.chmod(mode)
        except FileNotFoundError:  # merged away meanwhile
            continue


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` means the file system ran out of space (or quota).

    OSError carries the errno; SQLite says SQLITE_FULL and PostgreSQL SQLSTATE 53100 (both
    reached through SQLAlchemy, which keeps the driver's error as ``orig``); FAISS's RuntimeError
    only quotes strerror.
    """
    error = getattr(error, "orig", None) or error
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorname", "") == "SQLITE_FULL"
    if getattr(error, "sqlstate", None) == "53100":  # psycopg: disk_full
        return True
    return os.strerror(errno.ENOSPC) in str(error)
