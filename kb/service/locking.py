"""One writer at a time per data directory, across threads and processes (an flock'ed file).

A writer takes the lock before it changes the catalogue or the indexes and keeps it until the
indexes are saved, so a web upload and a `kb ingest` in another process never save over each
other's work. Readers never take it.
"""

from __future__ import annotations

import fcntl
import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


_held = threading.local()  # the lock files this thread holds: a writer may call another writer


def writing(method: Callable[..., T]) -> Callable[..., T]:
    """Run a KnowledgeBase method under its data directory's write lock, on fresh indexes.

    Re-entrant within a thread (flock is not: a second open of the file would wait for the
    first), so a write that loads the indexes may run the upgrade they need, itself a write.
    """

    @functools.wraps(method)
    def locked(self, *args: object, **kwargs: object) -> T:
        path: Path = self.config.data_dir / "write.lock"
        held: set[Path] = _held.__dict__.setdefault("paths", set())
        if path in held:
            return method(self, *args, **kwargs)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            held.add(path)
            try:
                self.refresh()  # another writer may have saved since this one loaded the indexes
                return method(self, *args, **kwargs)
            finally:
                held.discard(path)
                fcntl.flock(lock, fcntl.LOCK_UN)

    return locked
