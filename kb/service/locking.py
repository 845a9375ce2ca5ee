"""One writer at a time per data directory, across threads and processes (an flock'ed file).

A writer takes the lock before it changes the catalogue or the indexes and keeps it until the
indexes are saved, so a web upload and a `kb ingest` in another process never save over each
other's work. Readers never take it.
"""

from __future__ import annotations

import fcntl
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def writing(method: Callable[..., T]) -> Callable[..., T]:
    """Run a KnowledgeBase method under its data directory's write lock, on fresh indexes."""

    @functools.wraps(method)
    def locked(self, *args: object, **kwargs: object) -> T:
        path: Path = self.config.data_dir / "write.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self.refresh()  # another writer may have saved since this one loaded the indexes
                return method(self, *args, **kwargs)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    return locked
