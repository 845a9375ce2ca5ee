"""Rate-limit counters shared by every process and node of one deployment.

Flask-Limiter counts in memory by default, that is per process: `kb serve --processes 2` granted
each key twice its limit, N nodes N times, and five sign-in attempts a minute became ten or more.
These counters live with the catalogue instead: in the shared PostgreSQL database (an UNLOGGED
table: counters, not data, so a crash may forget them), or on one machine in an SQLite file of
their own in the data directory, apart from the catalogue, so that a long ingest commit never
holds up the count of a request. Windows are fixed, as Flask-Limiter's default strategy counts.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from limits.storage import Storage

from kb.core.config import Config
from kb.service.database import POSTGRESQL, Database

SCHEME = "kreiswissen"  # Flask-Limiter's storage_uri for these counters: "kreiswissen://"
_PURGE_SECONDS = 60.0  # how often windows that ended are deleted


def storage_options(config: Config) -> dict[str, str]:
    """What :class:`RateCounts` needs to find its table (Flask-Limiter's ``storage_options``)."""
    return {"database": config.database_url if config.shared else str(config.data_dir / "rate_counts.sqlite3")}


class RateCounts(Storage):
    """A `limits` storage: one row per limit and identity, its count and when its window ends."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions)
        location = str(options["database"])
        self._db = Database(location if "://" in location else Path(location), migrate=False)
        if self._db.dialect != POSTGRESQL:
            self._db.execute("PRAGMA synchronous=OFF")  # no fsync per count: 12 instead of 160 us a request
        unlogged = "UNLOGGED " if self._db.dialect == POSTGRESQL else ""
        self._db.execute(
            f"CREATE {unlogged}TABLE IF NOT EXISTS rate_counts "
            "(key TEXT PRIMARY KEY, count INTEGER NOT NULL, window_end DOUBLE PRECISION NOT NULL)"
        )
        self._next_purge = 0.0
        self._purge_lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return Exception  # the driver's errors differ by engine; any means the count is unknown

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        self._purge_now_and_then(now)
        return self._db.scalar(  # a window that ended starts again at this hit
            "INSERT INTO rate_counts AS r (key, count, window_end) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN r.window_end <= ? THEN excluded.count ELSE r.count + excluded.count END, "
            "window_end = CASE WHEN r.window_end <= ? THEN excluded.window_end ELSE r.window_end END "
            "RETURNING count",
            (key, amount, now + expiry, now, now),
        )

    def get(self, key: str) -> int:
        count = self._db.scalar("SELECT count FROM rate_counts WHERE key = ? AND window_end > ?", (key, time.time()))
        return count or 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        end = self._db.scalar("SELECT window_end FROM rate_counts WHERE key = ? AND window_end > ?", (key, now))
        return end or now

    def check(self) -> bool:
        try:
            self._db.scalar("SELECT 1")
        except Exception:
            return False
        return True

    def reset(self) -> int | None:
        return self._db.execute("DELETE FROM rate_counts").rowcount

    def clear(self, key: str) -> None:
        self._db.execute("DELETE FROM rate_counts WHERE key = ?", (key,))

    def _purge_now_and_then(self, now: float) -> None:
        if now < self._next_purge or not self._purge_lock.acquire(blocking=False):
            return
        try:
            self._next_purge = now + _PURGE_SECONDS
            self._db.execute("DELETE FROM rate_counts WHERE window_end <= ?", (now,))
        finally:
            self._purge_lock.release()
