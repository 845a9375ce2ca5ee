"""The catalogue: documents and passages, the source of truth all indexes derive from."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from kb.core.access import DEFAULT_VISIBILITY, Access
from kb.core.documents import NO_FILTERS, DocumentRecord, Metadata, Passage, PassageDraft, SearchFilters
from kb.core.errors import DocumentNotFound
from kb.service import migrations
from kb.service.database import POSTGRESQL, SQLITE, Database, Row, marks

CHANGES_CHANNEL = "kb_changes"  # PostgreSQL NOTIFY channel of the change log
_CHANGES_LOCK = 0x4B57_0002  # advisory lock a writer holds from numbering its change until commit

_DOCUMENT_COLUMNS = (
    "id, source_key, content_hash, file_name, format, title, county, doc_type, year, topics, "
    "source_url, visibility, page_count, pages_without_text, ocr_pages, status, error, added_at, updated_at, "
    "(SELECT COUNT(*) FROM passages p WHERE p.document_id = documents.id) AS passage_count"
)
_PASSAGE_COLUMNS = (
    "id, document_id, ordinal, text, page_start, page_end, heading_path, char_start, char_end, token_count, "
    "ocr_confidence, page_marks"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Catalogue:
    """Documents and their passages in the catalogue's database: an SQLite file (WAL, so readers
    never wait for writers) or PostgreSQL (``KB_DATABASE_URL``)."""

    def __init__(self, location: str | Path) -> None:
        self._db = Database(location)
        self.path = self._db.path
        if self._db.dialect == SQLITE:
            self._db.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        self._db.close()

    @property
    def shared(self) -> bool:
        """Whether this is a shared catalogue (PostgreSQL), which holds the originals' bytes too."""
        return self._db.dialect == POSTGRESQL

    def data_version(self) -> int:
        """Changes whenever another connection has committed (see :meth:`Database.data_version`)."""
        return self._db.data_version()

    @property
    def schema_version(self) -> str | None:
        """The Alembic revision the schema stands at."""
        return migrations.current(self._db)

    def transaction(self) -> AbstractContextManager[Database]:
        """Everything inside commits together or not at all."""
        return self._db.transaction()

    # documents

    def find_by_source(self, source_key: str) -> DocumentRecord | None:
        row = self._db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE source_key = ?", (source_key,)
        ).fetchone()
        return _document(row) if row else None

    def find_ready_by_hash(self, content_hash: str) -> DocumentRecord | None:
        row = self._db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE content_hash = ? AND status = 'ready'",
            (content_hash,),
        ).fetchone()
        return _document(row) if row else None

    def get(self, document_id: int) -> DocumentRecord:
        row = self._db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            raise DocumentNotFound.numbered(document_id)
        return _document(row)

    def documents_by_id(self, document_ids: Iterable[int]) -> dict[int, DocumentRecord]:
        ids = list(document_ids)
        rows = self._db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id IN ({marks(ids)})", ids).fetchall()
        return {row.id: _document(row) for row in rows}

    def documents(self, status: str | None = None, access: Access | None = None) -> list[DocumentRecord]:
        """Documents (of ``status``, if given) that ``access`` lets see; all when it is None."""
        clauses, args = access_sql(access, "documents")
        if status:
            clauses.append("status = ?")
            args.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents {where} ORDER BY id", args).fetchall()
        return [_document(row) for row in rows]

    def upsert_document(
        self,
        *,
        source_key: str,
        content_hash: str,
        file_name: str,
        format: str,
        metadata: Metadata,
        page_count: int | None,
        pages_without_text: Sequence[int],
        status: str,
        error: str | None = None,
        ocr_pages: Sequence[int] = (),
    ) -> int:
        """Insert or update the document known by ``source_key``; returns its id.

        Must run inside :meth:`transaction`. Existing passages are left alone: callers replace
        them with :meth:`replace_passages`.
        """
        now = _now()
        values = (
            content_hash,
            file_name,
            format,
            *_metadata_values(metadata),
            page_count,
            json.dumps(list(pages_without_text)),
            json.dumps(list(ocr_pages)),
            status,
            error,
            now,
        )
        existing = self._db.execute("SELECT id FROM documents WHERE source_key = ?", (source_key,)).fetchone()
        if existing:
            self._db.execute(
                "UPDATE documents SET content_hash=?, file_name=?, format=?, title=?, county=?, "
                "doc_type=?, year=?, topics=?, source_url=?, visibility=?, page_count=?, pages_without_text=?, "
                "ocr_pages=?, status=?, error=?, updated_at=? WHERE id=?",
                (*values, existing.id),
            )
            self._changed(existing.id)
            return existing.id
        cursor = self._db.execute(
            "INSERT INTO documents (content_hash, file_name, format, title, county, doc_type, "
            "year, topics, source_url, visibility, page_count, pages_without_text, ocr_pages, status, error, "
            "updated_at, source_key, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            (*values, source_key, now),
        )
        document_id = int(cursor.fetchone()[0])
        self._changed(document_id)
        return document_id

    def update_metadata(self, document_id: int, metadata: Metadata) -> None:
        """Replace a document's metadata. Must run inside a transaction."""
        self._db.execute(
            "UPDATE documents SET title=?, county=?, doc_type=?, year=?, topics=?, source_url=?, visibility=?, "
            "updated_at=? "
            "WHERE id=?",
            (*_metadata_values(metadata), _now(), document_id),
        )
        self._changed(document_id)

    def set_status(self, document_id: int, status: str, error: str | None = None) -> None:
        with self._db.atomic():
            self._db.execute(
                "UPDATE documents SET status = ?, error = ?, updated_at = ? WHERE id = ?",
                (status, error, _now(), document_id),
            )
            self._changed(document_id)

    def delete_document(self, document_id: int) -> None:
        """Remove a document and (by cascade) its passages. Must run inside a transaction."""
        self._db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
        self._changed(document_id)

    def _changed(self, document_id: int) -> None:
        """Log a change of ``document_id`` in the transaction that makes it (kb/service/changes.py).
        On PostgreSQL the lock taken first, held until commit, keeps numbers in commit order."""
        if self._db.dialect == POSTGRESQL:
            self._db.execute(f"SELECT pg_advisory_xact_lock({_CHANGES_LOCK})")
            self._db.execute(f"NOTIFY {CHANGES_CHANNEL}")
        self._db.execute("INSERT INTO changes (document_id, at) VALUES (?, ?)", (document_id, _now()))

    # passages

    def replace_passages(self, document_id: int, drafts: Sequence[PassageDraft]) -> list[Passage]:
        """Swap a document's passages for new ones; returns them with their new ids."""
        self._db.execute("DELETE FROM passages WHERE document_id = ?", (document_id,))
        stored = []
        for draft in drafts:
            cursor = self._db.execute(
                "INSERT INTO passages (document_id, ordinal, text, page_start, page_end, "
                "heading_path, char_start, char_end, token_count, ocr_confidence, page_marks) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (
                    document_id,
                    draft.ordinal,
                    draft.text,
                    draft.page_start,
                    draft.page_end,
                    json.dumps(list(draft.heading_path), ensure_ascii=False),
                    draft.char_start,
                    draft.char_end,
                    draft.token_count,
                    draft.ocr_confidence,
                    json.dumps(draft.page_marks) if draft.page_marks else None,
                ),
            )
            stored.append(Passage(int(cursor.fetchone()[0]), document_id, *dataclasses.astuple(draft)))
        return stored

    def passage_ids(self, document_id: int) -> list[int]:
        rows = self._db.execute(
            "SELECT id FROM passages WHERE document_id = ? ORDER BY ordinal", (document_id,), named=False
        ).fetchall()
        return [row[0] for row in rows]

    def passages(self, document_id: int) -> list[Passage]:
        rows = self._db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE document_id = ? ORDER BY ordinal",
            (document_id,),
        ).fetchall()
        return [_passage(row) for row in rows]

    def passages_by_id(self, passage_ids: Sequence[int]) -> dict[int, Passage]:
        found: dict[int, Passage] = {}
        ids = list(passage_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._db.execute(
                f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id IN ({marks(chunk)})",
                chunk,
            ).fetchall()
            found.update((row.id, _passage(row)) for row in rows)
        return found

    def iter_ready_passages(self) -> Iterator[Passage]:
        """All passages of ready documents, in id order (for rebuilding indexes)."""
        rows = self._db.execute(
            f"SELECT {', '.join('p.' + c.strip() for c in _PASSAGE_COLUMNS.split(','))} "
            "FROM passages p JOIN documents d ON d.id = p.document_id "
            "WHERE d.status = 'ready' ORDER BY p.id"
        )
        for row in rows:
            yield _passage(row)

    def store_vectors(self, rows: Iterable[tuple[int, bytes, bytes, bytes]]) -> None:
        """Keep ``(passage id, vector, unit spans, unit vectors)`` (kb/service/vector_rows.py) with
        the passages, in the caller's transaction: a shared catalogue's nodes index from them."""
        self._db.executemany(
            "INSERT INTO passage_vectors (passage_id, vector, unit_spans, unit_vectors) VALUES (?, ?, ?, ?)",
            [(item, *(bytes(part) for part in parts)) for item, *parts in rows],
        )

    def ready_vectors(self, document_ids: Sequence[int]) -> list[tuple[Passage, bytes, bytes, bytes]]:
        """The passages of these documents that are ready, with their stored vectors, by document
        and ordinal; a passage without stored vectors is left out."""
        ids = list(document_ids)
        columns = ", ".join("p." + c.strip() for c in _PASSAGE_COLUMNS.split(","))
        rows = self._db.execute(
            f"SELECT {columns}, v.vector, v.unit_spans, v.unit_vectors FROM passages p "
            "JOIN documents d ON d.id = p.document_id JOIN passage_vectors v ON v.passage_id = p.id "
            f"WHERE d.status = 'ready' AND d.id IN ({marks(ids)}) ORDER BY p.document_id, p.ordinal",
            ids,
        ).fetchall()
        return [(_passage(row), row.vector, row.unit_spans, row.unit_vectors) for row in rows]

    def last_change(self) -> tuple[int, str] | None:
        """The newest change's number and time, or None before the first."""
        row = self._db.execute("SELECT seq, at FROM changes ORDER BY seq DESC LIMIT 1", named=False).fetchone()
        return None if row is None else (row[0], row[1])

    def has_change(self, seq: int, at: str) -> bool:
        """Whether change ``seq`` was made at ``at`` (a cache's position belongs to this catalogue)."""
        return bool(self._db.scalar("SELECT COUNT(*) FROM changes WHERE seq = ? AND at = ?", (seq, at)))

    def count_passages(self, access: Access | None = None) -> int:
        """Passages of ready documents that ``access`` lets see; all when it is None."""
        clauses, args = access_sql(access, "d")
        where = " AND ".join(["d.status = 'ready'", *clauses])
        return self._db.execute(
            f"SELECT COUNT(*) FROM passages p JOIN documents d ON d.id = p.document_id WHERE {where}", args
        ).fetchone()[0]

    def has_passages(self, access: Access | None = None) -> bool:
        """Whether ``access`` sees any passage of a ready document (stops at the first: a count
        walks every passage, ~1M in a national corpus, on every search)."""
        clauses, args = access_sql(access, "d")
        where = " AND ".join(["d.status = 'ready'", *clauses])
        return bool(
            self._db.execute(
                f"SELECT EXISTS (SELECT 1 FROM documents d JOIN passages p ON p.document_id = d.id WHERE {where})",
                args,
            ).fetchone()[0]
        )

    def matching_passage_ids(self, filters: SearchFilters) -> list[int]:
        """Ids of the passages of ready documents that pass the filters."""
        where, args = _filter_sql(filters, self._db)
        rows = self._db.execute(
            f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id WHERE {where}", args, named=False
        )
        return [row[0] for row in rows]

    def passing(self, passage_ids: Sequence[int], filters: SearchFilters) -> set[int]:
        """Those of ``passage_ids`` that belong to ready documents and pass the filters."""
        where, args = _filter_sql(filters, self._db)
        found: set[int] = set()
        for chunk in _chunks(passage_ids):
            rows = self._db.execute(
                f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id "
                f"WHERE p.id IN ({marks(chunk)}) AND {where}",
                [*chunk, *args],
                named=False,
            )
            found.update(row[0] for row in rows)
        return found

    def passage_visibilities(self) -> dict[int, str]:
        """Passage id -> its document's visibility, for the passages of ready documents."""
        rows = self._db.execute(
            "SELECT p.id, d.visibility FROM passages p JOIN documents d ON d.id = p.document_id "
            "WHERE d.status = 'ready'",
            named=False,
        )
        return {row[0]: row[1] for row in rows}

    def passage_sources(self) -> dict[int, str]:
        """Passage id -> its document's source key (evaluation maps passages to documents)."""
        rows = self._db.execute(
            "SELECT p.id, d.source_key FROM passages p JOIN documents d ON d.id = p.document_id", named=False
        )
        return {row[0]: row[1] for row in rows}

    # kept originals: a shared catalogue holds their bytes (kb/service/originals.py)

    def keep_original(self, digest: str, path: Path) -> None:
        """Store the bytes of ``path`` under its content hash, unless they are stored already."""
        if self._db.scalar("SELECT 1 FROM originals WHERE digest = ?", (digest,)) is None:
            self._db.execute(
                "INSERT INTO originals (digest, content) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING",
                (digest, path.read_bytes()),
            )

    def original(self, digest: str) -> bytes | None:
        """The stored bytes of the original with content hash ``digest``, if any."""
        content = self._db.scalar("SELECT content FROM originals WHERE digest = ?", (digest,))
        return None if content is None else bytes(content)

    # near-duplicate signatures and groups (kb/service/duplicates.py)

    def store_signatures(self, signatures: Iterable[tuple[int, bytes | None]]) -> None:
        self._db.executemany(
            "INSERT INTO passage_signatures (passage_id, minhash) VALUES (?, ?) "
            "ON CONFLICT (passage_id) DO UPDATE SET minhash = excluded.minhash",
            signatures,
        )

    def signatures(self, passage_ids: Sequence[int] | None = None) -> dict[int, bytes]:
        """Passage id -> stored signature (all when ``passage_ids`` is None); short passages have none."""
        if passage_ids is None:
            rows = self._db.execute(
                "SELECT passage_id, minhash FROM passage_signatures WHERE minhash IS NOT NULL", named=False
            )
            return {row[0]: row[1] for row in rows}
        found: dict[int, bytes] = {}
        for chunk in _chunks(passage_ids):
            rows = self._db.execute(
                f"SELECT passage_id, minhash FROM passage_signatures WHERE minhash IS NOT NULL "
                f"AND passage_id IN ({marks(chunk)})",
                chunk,
                named=False,
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def unsigned_passages(self) -> list[Passage]:
        """Passages (of any status) without a stored signature: from before near-duplicate detection."""
        rows = self._db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id NOT IN (SELECT passage_id FROM passage_signatures) "
            "ORDER BY document_id, ordinal"
        )
        return [_passage(row) for row in rows]

    def has_unsigned(self) -> bool:
        return (
            self._db.execute(
                "SELECT EXISTS (SELECT 1 FROM passages WHERE id NOT IN (SELECT passage_id FROM passage_signatures))"
            ).fetchone()[0]
            == 1
        )

    def passage_documents(self, passage_ids: Sequence[int]) -> dict[int, int]:
        """Passage id -> document id."""
        found: dict[int, int] = {}
        for chunk in _chunks(passage_ids):
            rows = self._db.execute(
                f"SELECT id, document_id FROM passages WHERE id IN ({marks(chunk)})", chunk, named=False
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def duplicate_groups(self, passage_ids: Sequence[int] | None = None) -> dict[int, int]:
        """Passage id -> near-duplicate group id, for those of ``passage_ids`` (all when None) in a group."""
        if passage_ids is None:
            return {
                row[0]: row[1]
                for row in self._db.execute("SELECT passage_id, group_id FROM near_duplicates", named=False)
            }
        found: dict[int, int] = {}
        for chunk in _chunks(passage_ids):
            rows = self._db.execute(
                f"SELECT passage_id, group_id FROM near_duplicates WHERE passage_id IN ({marks(chunk)})",
                chunk,
                named=False,
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def group_members(self, group_ids: Iterable[int]) -> dict[int, list[int]]:
        """Group id -> the passage ids in it, for the given groups."""
        members: dict[int, list[int]] = {}
        for chunk in _chunks(sorted(group_ids)):
            rows = self._db.execute(
                f"SELECT group_id, passage_id FROM near_duplicates WHERE group_id IN ({marks(chunk)}) "
                "ORDER BY passage_id",
                chunk,
                named=False,
            )
            for row in rows:
                members.setdefault(row[0], []).append(row[1])
        return members

    def set_duplicate_groups(self, passage_ids: Iterable[int], groups: dict[int, int]) -> None:
        """Replace the group rows of ``passage_ids`` by ``groups`` (passage id -> group id)."""
        self._db.executemany("DELETE FROM near_duplicates WHERE passage_id = ?", [(i,) for i in passage_ids])
        self._db.executemany(
            "INSERT INTO near_duplicates (passage_id, group_id) VALUES (?, ?) "
            "ON CONFLICT (passage_id) DO UPDATE SET group_id = excluded.group_id",
            groups.items(),
        )

    def clear_duplicates(self) -> None:
        self._db.execute("DELETE FROM near_duplicates")
        self._db.execute("DELETE FROM passage_signatures")

    def visible_copies(self, passage_ids: Sequence[int], access: Access | None) -> dict[int, list[tuple[int, int]]]:
        """Passage id -> ``(passage id, document id)`` of the other members of its group that
        ``access`` lets see, in ready documents, ordered by county, title and page."""
        clauses, args = access_sql(access, "d")
        where = " AND ".join(["d.status = 'ready'", *clauses])
        found: dict[int, list[tuple[int, int]]] = {}
        for chunk in _chunks(passage_ids):
            rows = self._db.execute(
                "SELECT mine.passage_id, other.passage_id, p.document_id FROM near_duplicates mine "
                "JOIN near_duplicates other ON other.group_id = mine.group_id AND other.passage_id != mine.passage_id "
                "JOIN passages p ON p.id = other.passage_id JOIN documents d ON d.id = p.document_id "
                f"WHERE mine.passage_id IN ({marks(chunk)}) AND {where} "
                "ORDER BY mine.passage_id, lower(coalesce(d.county, '')), lower(coalesce(d.title, '')), "
                "p.page_start NULLS FIRST, p.id",
                [*chunk, *args],
                named=False,
            )
            for row in rows:
                found.setdefault(row[0], []).append((row[1], row[2]))
        return found

    def has_unready(self) -> bool:
        return self._db.execute("SELECT EXISTS (SELECT 1 FROM documents WHERE status = 'pending')").fetchone()[0] == 1

    def facets(self, filters: SearchFilters = NO_FILTERS) -> dict[str, list[tuple[str, int]]]:
        """Document counts per county, document type, topic and year among ready documents."""
        where, args = _filter_sql(filters, self._db)
        facets = {}
        for name, expression in (("county", "d.county"), ("doc_type", "d.doc_type"), ("year", "d.year")):
            rows = self._db.execute(
                f"SELECT {expression} AS value, COUNT(*) FROM documents d WHERE {where} "
                f"AND {expression} IS NOT NULL GROUP BY value ORDER BY COUNT(*) DESC, value",
                args,
                named=False,
            ).fetchall()
            facets[name] = [(row[0], row[1]) for row in rows]
        rows = self._db.execute(
            f"SELECT t.value, COUNT(*) FROM documents d, {self._db.json_items('d.topics', 't')} WHERE {where} "
            "GROUP BY t.value ORDER BY COUNT(*) DESC, t.value",
            args,
            named=False,
        ).fetchall()
        facets["topic"] = [(row[0], row[1]) for row in rows]
        return facets


def _chunks(ids: Sequence[int] | Iterable[int], size: int = 500) -> Iterator[list[int]]:
    """``ids`` in lists short enough for SQLite's limit on bound parameters."""
    items = list(ids)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _metadata_values(m: Metadata) -> tuple:
    """The metadata columns title, county, doc_type, year, topics, source_url, visibility, in that order."""
    topics = json.dumps(m.topics, ensure_ascii=False)
    return (m.title, m.county, m.doc_type, m.year, topics, m.source_url, m.visibility or DEFAULT_VISIBILITY)


def _document(row: Row) -> DocumentRecord:
    return DocumentRecord(
        id=row.id,
        source_key=row.source_key,
        content_hash=row.content_hash,
        file_name=row.file_name,
        format=row.format,
        metadata=Metadata(
            title=row.title,
            county=row.county,
            doc_type=row.doc_type,
            year=row.year,
            topics=json.loads(row.topics),
            source_url=row.source_url,
            visibility=row.visibility,
        ),
        page_count=row.page_count,
        pages_without_text=json.loads(row.pages_without_text),
        ocr_pages=json.loads(row.ocr_pages),
        passage_count=row.passage_count,
        status=row.status,
        error=row.error,
        added_at=row.added_at,
        updated_at=row.updated_at,
    )


def _passage(row: Row) -> Passage:
    return Passage(
        id=row.id,
        document_id=row.document_id,
        ordinal=row.ordinal,
        text=row.text,
        page_start=row.page_start,
        page_end=row.page_end,
        heading_path=tuple(json.loads(row.heading_path)),
        char_start=row.char_start,
        char_end=row.char_end,
        token_count=row.token_count,
        ocr_confidence=row.ocr_confidence,
        page_marks=tuple(tuple(mark) for mark in json.loads(row.page_marks or "[]")),
    )


def _filter_sql(filters: SearchFilters, db: Database) -> tuple[str, list[object]]:
    """A WHERE clause over ``documents d`` for the filters (ready documents only)."""
    clauses, args = access_sql(filters.access, "d")
    clauses.insert(0, "d.status = 'ready'")
    if filters.counties:
        clauses.append(f"lower(d.county) IN ({marks(filters.counties)})")
        args += [c.lower() for c in filters.counties]
    if filters.doc_types:
        clauses.append(f"lower(d.doc_type) IN ({marks(filters.doc_types)})")
        args += [t.lower() for t in filters.doc_types]
    if filters.topics:
        clauses.append(
            f"EXISTS (SELECT 1 FROM {db.json_items('d.topics', 't')} WHERE lower(t.value) IN ({marks(filters.topics)}))"
        )
        args += [t.lower() for t in filters.topics]
    if filters.year_from is not None:
        clauses.append("d.year >= ?")
        args.append(filters.year_from)
    if filters.year_to is not None:
        clauses.append("d.year <= ?")
        args.append(filters.year_to)
    if filters.document_ids:
        clauses.append(f"d.id IN ({marks(filters.document_ids)})")
        args += list(filters.document_ids)
    return " AND ".join(clauses), args


def access_sql(access: Access | None, table: str) -> tuple[list[str], list[object]]:
    """The clause over ``table`` (documents) that lets ``access`` see; none for unrestricted access."""
    if access is None:
        return [], []
    clause = f"{table}.visibility IN ({marks(access.levels)})"
    args: list[object] = list(access.levels)
    if access.county:
        clause = f"({clause} OR ({table}.visibility = 'county' AND lower({table}.county) = ?))"
        args.append(access.county.lower())
    return [clause], args


class CatalogueStore:
    """A store beside the catalogue (accounts, Merkliste, network, gaps, saved searches): its own
    connection to the same database, whose schema opening brings up to date."""

    def __init__(self, location: str | Path) -> None:
        self._db = Database(location)

    def close(self) -> None:
        self._db.close()
