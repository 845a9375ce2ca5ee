"""Following the change log (revision 0014): each change of a document once, in order.

The catalogue writes a change with every change of a document, in the same transaction
(:meth:`Catalogue.upsert_document` and the others). On PostgreSQL a writer takes an advisory lock
before it numbers its change and holds it until it commits, so numbers are committed in order: a
follower that has seen change n and reads "after n" can never later find a smaller number
committed behind it. The commit also sends ``NOTIFY kb_changes``, which wakes followers at once;
on SQLite, where one writer at a time is the rule anyway, followers look again every
``poll`` seconds. A follower outlives a restart of PostgreSQL: it connects again, listens again
and reads again after the last change it was given, so none committed meanwhile is missed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from kb.service.catalogue import CHANGES_CHANNEL
from kb.service.database import POSTGRESQL, Database


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    document_id: int
    at: str


class ChangeFeed:
    """The changes after ``after``, delivered once each and in order by :meth:`wait`."""

    def __init__(self, location: str | Path, after: int = 0, poll: float = 0.5) -> None:
        self._db = Database(location)
        self._location = location
        self.position = after
        self._poll = poll
        self._listener: Database | None = None  # PostgreSQL: opened by the first wait()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self._db.close()

    def pending(self, limit: int = 1000) -> list[Change]:
        """The next changes after :attr:`position` (at most ``limit``), which then counts as read."""
        rows = self._db.execute(
            "SELECT seq, document_id, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
            (self.position, limit),
            named=False,
        ).fetchall()
        if rows:
            self.position = rows[-1][0]
        return [Change(*row) for row in rows]

    def wait(self, timeout: float) -> list[Change]:
        """The next changes, waiting up to ``timeout`` seconds for one; [] if none came."""
        deadline = time.monotonic() + timeout
        if self._listener is None and self._db.dialect == POSTGRESQL:
            self._listener = Database(self._location, migrate=False)
            self._listener.listen(CHANGES_CHANNEL)  # before the read below: no notice falls in between
        while True:
            try:
                found = self.pending()
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found
                if self._listener is not None:
                    self._listener.notified(left)  # also True after a lost connection: read again
                else:
                    time.sleep(min(self._poll, left))
            except Exception:
                if not self._connection_lost():
                    raise
                left = deadline - time.monotonic()  # the server restarting: connect again shortly
                if left <= 0:
                    return []
                time.sleep(min(self._poll, left))

    def _connection_lost(self) -> bool:
        return self._db.connection_lost() or (self._listener is not None and self._listener.connection_lost())
