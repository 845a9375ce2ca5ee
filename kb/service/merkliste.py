"""Each member's Merkliste: the passages they collect while searching, in the order collected."""

from __future__ import annotations

from datetime import UTC, datetime

from kb.core.access import Access
from kb.core.errors import KbError
from kb.service.catalogue import CatalogueStore, access_sql

MAX_ENTRIES = 200  # a briefing, not an archive


class MerklisteFull(KbError):
    pass


class Merkliste(CatalogueStore):
    """Passage ids by owner (a :class:`~kb.core.access.Viewer` id); removing a passage from the
    catalogue removes it from every list."""

    def add(self, owner: str, passage_id: int) -> None:
        """Put a passage on the list (again: no change); the caller checked the owner may see it."""
        if len(self.passage_ids(owner)) >= MAX_ENTRIES:
            raise MerklisteFull(f"Die Merkliste fasst höchstens {MAX_ENTRIES} Passagen.")
        self._db.execute(
            "INSERT INTO merkliste (owner, passage_id, added_at, seq) "
            "SELECT ?, ?, ?, COALESCE(MAX(seq), 0) + 1 FROM merkliste WHERE true "
            "ON CONFLICT (owner, passage_id) DO NOTHING",
            (owner, passage_id, datetime.now(UTC).isoformat(timespec="seconds")),
        )

    def remove(self, owner: str, passage_id: int) -> None:
        self._db.execute("DELETE FROM merkliste WHERE owner = ? AND passage_id = ?", (owner, passage_id))

    def clear(self, owner: str) -> None:
        self._db.execute("DELETE FROM merkliste WHERE owner = ?", (owner,))

    def passage_ids(self, owner: str) -> list[int]:
        rows = self._db.execute(
            "SELECT passage_id FROM merkliste WHERE owner = ? ORDER BY added_at, seq", (owner,)
        ).fetchall()
        return [row[0] for row in rows]

    def visible_ids(self, owner: str, access: Access | None) -> list[int]:
        """The passages on the list whose documents ``access`` lets see (all when None), in order:
        what the list shows, so its length names no entry that has since become hidden."""
        clauses, args = access_sql(access, "d")
        rows = self._db.execute(
            "SELECT m.passage_id FROM merkliste m JOIN passages p ON p.id = m.passage_id "
            f"JOIN documents d ON d.id = p.document_id WHERE {' AND '.join(['m.owner = ?', *clauses])} "
            "ORDER BY m.added_at, m.seq",
            [owner, *args],
        ).fetchall()
        return [row[0] for row in rows]
