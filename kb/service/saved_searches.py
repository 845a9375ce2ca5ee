"""Neu für mich: a member's saved searches, and the documents that arrived since that match them.

A saved search keeps its question and filters, a private token for its Atom feed, and whether
it goes into the member's daily e-mail digest. What is "new" is computed when asked, as the
member may see it then: documents added after the search was saved (or after the last digest)
whose passages the search finds with evidence above the floor (:attr:`Hit.matches`).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from kb.core.documents import DocumentRecord, SearchFilters
from kb.core.errors import InvalidQuery, KbError
from kb.service.catalogue import CatalogueStore
from kb.service.database import Row
from kb.service.search import Hit
from kb.service.visible import VisibleKnowledge

MAX_SAVED = 50  # per member
MAX_QUERY = 500  # characters: a question, not a document
NEW_LIMIT = 20  # new documents listed per saved search


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    owner: str  # account name
    query: str
    filters: SearchFilters
    created_at: str
    token: str  # private: whoever has the feed address reads the feed
    digest: bool
    digest_sent_at: str | None

    @property
    def since(self) -> str:
        """New for the digest: after the last one sent, else after the search was saved."""
        return self.digest_sent_at or self.created_at


@dataclass(frozen=True, slots=True)
class NewDocument:
    document: DocumentRecord
    hit: Hit  # its best passage for the search


class SavedSearches(CatalogueStore):
    """Every member's saved searches."""

    def save(self, owner: str, query: str, filters: SearchFilters) -> SavedSearch:
        query = " ".join(query.split())
        if not query:
            raise KbError("Eine leere Suche lässt sich nicht speichern.")
        if len(query) > MAX_QUERY:
            raise KbError(f"Eine gespeicherte Suche hat höchstens {MAX_QUERY} Zeichen, diese {len(query)}.")
        if len(self.of(owner)) >= MAX_SAVED:
            raise KbError(f"Höchstens {MAX_SAVED} gespeicherte Suchen je Konto.")
        cursor = self._db.execute(
            "INSERT INTO saved_searches (owner, query, filters, created_at, token) VALUES (?, ?, ?, ?, ?) RETURNING id",
            (owner, query, _filters_to_json(filters), _now(), secrets.token_urlsafe(24)),
        )
        return self._one("id = ?", cursor.fetchone()[0])

    def of(self, owner: str) -> list[SavedSearch]:
        rows = self._db.execute("SELECT * FROM saved_searches WHERE owner = ? ORDER BY id", (owner,))
        return [_saved(row) for row in rows]

    def by_token(self, token: str) -> SavedSearch | None:
        return self._one("token = ?", token)

    def with_digest(self) -> list[SavedSearch]:
        rows = self._db.execute("SELECT * FROM saved_searches WHERE digest = 1 ORDER BY owner, id")
        return [_saved(row) for row in rows]

    def remove(self, owner: str, search_id: int) -> None:
        self._db.execute("DELETE FROM saved_searches WHERE owner = ? AND id = ?", (owner, search_id))

    def set_digest(self, owner: str, search_id: int, on: bool) -> None:
        self._db.execute("UPDATE saved_searches SET digest = ? WHERE owner = ? AND id = ?", (int(on), owner, search_id))

    def digest_sent(self, search_ids: list[int], at: str) -> None:
        self._db.executemany("UPDATE saved_searches SET digest_sent_at = ? WHERE id = ?", [(at, i) for i in search_ids])

    def _one(self, where: str, value: object) -> SavedSearch | None:
        row = self._db.execute(f"SELECT * FROM saved_searches WHERE {where}", (value,)).fetchone()
        return _saved(row) if row else None


def new_documents(kb: VisibleKnowledge, saved: SavedSearch, since: str) -> list[NewDocument]:
    """Documents added after ``since`` that ``saved`` finds with evidence above the floor, as the
    viewer of ``kb`` may see them, newest first."""
    fresh = [d.id for d in kb.documents("ready") if d.added_at > since]
    if not fresh:
        return []
    filters = dataclasses.replace(saved.filters, document_ids=tuple(fresh))
    try:
        result = kb.search(saved.query, filters=filters, limit=NEW_LIMIT * 3)
    except InvalidQuery:  # e.g. a county filter no visible document carries (yet)
        return []
    best: dict[int, Hit] = {}
    for hit in result.hits:
        if hit.matches:
            best.setdefault(hit.document.id, hit)
    found = [NewDocument(hit.document, hit) for hit in best.values()]
    return sorted(found, key=lambda new: new.document.added_at, reverse=True)[:NEW_LIMIT]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _filters_dict(filters: SearchFilters) -> dict:
    return {
        "counties": filters.counties,
        "doc_types": filters.doc_types,
        "topics": filters.topics,
        "year_from": filters.year_from,
        "year_to": filters.year_to,
    }


def _filters_to_json(filters: SearchFilters) -> str:
    return json.dumps(_filters_dict(filters), ensure_ascii=False)


def _saved(row: Row) -> SavedSearch:
    given = json.loads(row.filters)
    filters = SearchFilters(
        counties=tuple(given["counties"]),
        doc_types=tuple(given["doc_types"]),
        topics=tuple(given["topics"]),
        year_from=given["year_from"],
        year_to=given["year_to"],
    )
    return SavedSearch(
        row.id,
        row.owner,
        row.query,
        filters,
        row.created_at,
        row.token,
        bool(row.digest),
        row.digest_sent_at,
    )
