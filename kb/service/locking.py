"""One writer at a time, across threads and processes — and machines, with a shared catalogue.

A writer takes the lock before it changes the catalogue or the indexes and keeps it until the
indexes are saved, so a web upload and a `kb ingest` in another process never save over each
other's work. Readers never take it.

With the embedded SQLite catalogue the lock is an flock'ed file in the data directory (one
machine). With a shared catalogue (PostgreSQL, ``Config.shared``) the data directory is one node's
cache, so the lock lives in the database: a session-level advisory lock on a connection of its own,
held for the write. If the holder dies its connection closes and the server releases the lock.
"""

from __future__ import annotations

import fcntl
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from kb.core.config import Config
from kb.service.database import Database

T = TypeVar("T")

WRITE_LOCK = 0x4B57_0003  # PostgreSQL advisory lock of the one writer ("KW" 3)

_held = threading.local()  # the locks this thread holds: a writer may call another writer


def writing(method: Callable[..., T]) -> Callable[..., T]:
    """Run a KnowledgeBase method under the write lock, on fresh indexes.

    Re-entrant within a thread (neither flock nor a second connection's advisory lock is: they
    would wait for the first), so a write that loads the indexes may run the upgrade they need,
    itself a write.
    """

    @functools.wraps(method)
    def locked(self, *args: object, **kwargs: object) -> T:
        config: Config = self.config
        key = config.database_url if config.shared else str(config.data_dir / "write.lock")
        held: set[str] = _held.__dict__.setdefault("keys", set())
        if key in held:
            return method(self, *args, **kwargs)
        with _database_lock(config) if config.shared else _file_lock(config.data_dir / "write.lock"):
            held.add(key)
            try:
                self.refresh()  # another writer may have saved since this one loaded the indexes
                return method(self, *args, **kwargs)
            finally:
                held.discard(key)

    return locked


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _database_lock(config: Config) -> Iterator[None]:
    """The advisory lock, on a connection opened for it and closed after (which also releases it)."""
    connection = Database(config.database, migrate=False)
    try:
        connection.execute(f"SELECT pg_advisory_lock({WRITE_LOCK})")
        yield
    finally:
        connection.close()
