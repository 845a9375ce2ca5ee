"""The SQLite catalogue: documents and passages, the source of truth all indexes derive from."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from kb.core.access import DEFAULT_VISIBILITY, Access
from kb.core.documents import NO_FILTERS, DocumentRecord, Metadata, Passage, PassageDraft, SearchFilters
from kb.core.errors import DocumentNotFound

# Each entry moves the schema from version i to i + 1; never edit a released entry, append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: indexes may hold stale ids
        source_key TEXT NOT NULL UNIQUE,
        content_hash TEXT NOT NULL,
        file_name TEXT NOT NULL,
        format TEXT NOT NULL,
        title TEXT,
        county TEXT,
        doc_type TEXT,
        year INTEGER,
        topics TEXT NOT NULL DEFAULT '[]',
        source_url TEXT,
        page_count INTEGER,
        pages_without_text TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
        error TEXT,
        added_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX documents_content_hash ON documents(content_hash);
    CREATE TABLE passages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: indexes may hold stale ids
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        text TEXT NOT NULL,
        page_start INTEGER,
        page_end INTEGER,
        heading_path TEXT NOT NULL DEFAULT '[]',
        char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL,
        token_count INTEGER NOT NULL,
        UNIQUE (document_id, ordinal)
    );
    """,
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,  -- SHA-256 of the secret part, the key itself is shown once only
        scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    """,
    """
    ALTER TABLE passages ADD COLUMN ocr_confidence REAL;  -- Tesseract's mean word confidence, 0–100
    ALTER TABLE documents ADD COLUMN ocr_pages TEXT NOT NULL DEFAULT '[]';
    """,
    # Who may see what (issue 12). Documents from before were never given a level: they become
    # 'network' like a new upload without one. Accounts from before had every right in the staff
    # area: they become administrators without a county. Keys from before see public material
    # only (the portal's key) and get the default key rate limit (NULL).
    """
    ALTER TABLE documents ADD COLUMN visibility TEXT NOT NULL DEFAULT 'network'
        CHECK (visibility IN ('public', 'network', 'county'));
    ALTER TABLE users ADD COLUMN county TEXT;
    ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'verwaltung'
        CHECK (role IN ('leser', 'redaktion', 'verwaltung'));
    ALTER TABLE api_keys ADD COLUMN county TEXT;
    ALTER TABLE api_keys ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
        CHECK (visibility IN ('public', 'network', 'county'));
    ALTER TABLE api_keys ADD COLUMN rate_limit TEXT;
    """,
    # The page each part of a passage is on, so a quoted sentence cites its own page (issue 15).
    # Passages from before have none: their sentences cite the passage's first page, as before.
    """
    ALTER TABLE passages ADD COLUMN page_marks TEXT;  -- JSON [[offset, page], ...] or NULL
    """,
    # A member's Merkliste (issue 13): passages collected for a briefing. A passage that goes
    # (its document replaced or deleted) leaves every list with it.
    """
    CREATE TABLE merkliste (
        owner TEXT NOT NULL,  -- Viewer.id: "user:NAME"
        passage_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (owner, passage_id)
    );
    """,
    # The network (issue 13): each county's role, set by administrators, and its contact people
    # by topic, entered by the county's editors.
    """
    CREATE TABLE county_roles (
        county TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('Vorreiterkreis', 'Klimakreis', 'Gastkreis'))
    );
    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        county TEXT NOT NULL,
        topic TEXT NOT NULL,
        name TEXT NOT NULL,
        function TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX contacts_county ON contacts(county);
    """,
    # Was dem Netzwerk fehlt (issue 13): questions without an answer and answers marked unhelpful,
    # with no account and no address; members may switch the recording of their searches off.
    """
    CREATE TABLE gaps (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('unbeantwortet', 'nicht hilfreich', 'hilfreich')),
        query TEXT NOT NULL,
        filters TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL
    );
    CREATE INDEX gaps_at ON gaps(at);
    ALTER TABLE users ADD COLUMN record_searches INTEGER NOT NULL DEFAULT 1;
    """,
    # Neu für mich (issue 13): saved searches with a private feed token and an optional daily
    # e-mail digest, which needs the member's address.
    """
    CREATE TABLE saved_searches (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        query TEXT NOT NULL,
        filters TEXT NOT NULL,  -- JSON of the search filters
        created_at TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE,
        digest INTEGER NOT NULL DEFAULT 0,
        digest_sent_at TEXT
    );
    CREATE INDEX saved_searches_owner ON saved_searches(owner);
    ALTER TABLE users ADD COLUMN email TEXT;
    """,
    # Near-duplicate passages (issue 16): each passage's MinHash signature (index/neardup.py) and,
    # for passages with copies in other documents, the group they share. Both derive from the
    # passages' text and are rebuilt by `kb reindex`; passages from before get them on first open.
    """
    CREATE TABLE passage_signatures (
        passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
        minhash BLOB  -- NULL: too short to compare
    );
    CREATE TABLE near_duplicates (
        passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
        group_id INTEGER NOT NULL  -- the smallest passage id of the group
    );
    CREATE INDEX near_duplicates_group ON near_duplicates(group_id);
    """,
    # Sign-in sessions kept on the server, so signing out (or a new password) ends a session
    # for good, even for a copy of its cookie; only a hash of the session's token is stored.
    """
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        started_at TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    CREATE INDEX sessions_account ON sessions(account);
    """,
    # Every search asks whether a document is still pending (issue 11): without an index that
    # scans all documents, ~6 ms of each search in a national corpus of 50,000 documents.
    """
    CREATE INDEX IF NOT EXISTS documents_pending ON documents(status) WHERE status = 'pending';
    """,
)

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
    """Documents and their passages in one SQLite file (WAL, so readers never wait for writers)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._use_wal()
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _use_wal(self, patience: float = 30.0) -> None:
        """Switch the file to WAL. While another process creates or switches the same file, SQLite
        answers this pragma with "database is locked" at once, without its busy timeout: retry."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def close(self) -> None:
        self._db.close()

    def data_version(self) -> int:
        """Changes whenever another connection has committed to the file (SQLite's data_version)."""
        return self._db.execute("PRAGMA data_version").fetchone()[0]

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self.transaction():
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path} has schema version {version}; this Kreiswissen knows "
                    f"up to {len(MIGRATIONS)}. Update Kreiswissen."
                )
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside commits together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

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
        rows = self._db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id IN ({','.join('?' * len(ids))})", ids
        ).fetchall()
        return {row["id"]: _document(row) for row in rows}

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
                (*values, existing["id"]),
            )
            return existing["id"]
        cursor = self._db.execute(
            "INSERT INTO documents (content_hash, file_name, format, title, county, doc_type, "
            "year, topics, source_url, visibility, page_count, pages_without_text, ocr_pages, status, error, "
            "updated_at, source_key, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (*values, source_key, now),
        )
        return int(cursor.lastrowid)

    def update_metadata(self, document_id: int, metadata: Metadata) -> None:
        """Replace a document's metadata. Must run inside a transaction."""
        self._db.execute(
            "UPDATE documents SET title=?, county=?, doc_type=?, year=?, topics=?, source_url=?, visibility=?, "
            "updated_at=? "
            "WHERE id=?",
            (*_metadata_values(metadata), _now(), document_id),
        )

    def set_status(self, document_id: int, status: str, error: str | None = None) -> None:
        self._db.execute(
            "UPDATE documents SET status = ?, error = ?, updated_at = ? WHERE id = ?",
            (status, error, _now(), document_id),
        )

    def delete_document(self, document_id: int) -> None:
        """Remove a document and (by cascade) its passages. Must run inside a transaction."""
        self._db.execute("DELETE FROM documents WHERE id = ?", (document_id,))

    # passages

    def replace_passages(self, document_id: int, drafts: Sequence[PassageDraft]) -> list[Passage]:
        """Swap a document's passages for new ones; returns them with their new ids."""
        self._db.execute("DELETE FROM passages WHERE document_id = ?", (document_id,))
        stored = []
        for draft in drafts:
            cursor = self._db.execute(
                "INSERT INTO passages (document_id, ordinal, text, page_start, page_end, "
                "heading_path, char_start, char_end, token_count, ocr_confidence, page_marks) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
            stored.append(Passage(int(cursor.lastrowid), document_id, *dataclasses.astuple(draft)))
        return stored

    def passage_ids(self, document_id: int) -> list[int]:
        rows = self._db.execute(
            "SELECT id FROM passages WHERE document_id = ? ORDER BY ordinal", (document_id,)
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
                f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            found.update((row["id"], _passage(row)) for row in rows)
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
        where, args = _filter_sql(filters)
        rows = self._db.execute(
            f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id WHERE {where}", args
        )
        return [row[0] for row in rows]

    def passing(self, passage_ids: Sequence[int], filters: SearchFilters) -> set[int]:
        """Those of ``passage_ids`` that belong to ready documents and pass the filters."""
        where, args = _filter_sql(filters)
        found: set[int] = set()
        for chunk in _chunks(passage_ids):
            rows = self._db.execute(
                f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id "
                f"WHERE p.id IN ({','.join('?' * len(chunk))}) AND {where}",
                [*chunk, *args],
            )
            found.update(row[0] for row in rows)
        return found

    def passage_visibilities(self) -> dict[int, str]:
        """Passage id -> its document's visibility, for the passages of ready documents."""
        rows = self._db.execute(
            "SELECT p.id, d.visibility FROM passages p JOIN documents d ON d.id = p.document_id "
            "WHERE d.status = 'ready'"
        )
        return {row[0]: row[1] for row in rows}

    def passage_sources(self) -> dict[int, str]:
        """Passage id -> its document's source key (evaluation maps passages to documents)."""
        rows = self._db.execute("SELECT p.id, d.source_key FROM passages p JOIN documents d ON d.id = p.document_id")
        return {row[0]: row[1] for row in rows}

    # near-duplicate signatures and groups (kb/service/duplicates.py)

    def store_signatures(self, signatures: Iterable[tuple[int, bytes | None]]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO passage_signatures VALUES (?, ?)", list(signatures))

    def signatures(self, passage_ids: Sequence[int] | None = None) -> dict[int, bytes]:
        """Passage id -> stored signature (all when ``passage_ids`` is None); short passages have none."""
        if passage_ids is None:
            rows = self._db.execute("SELECT passage_id, minhash FROM passage_signatures WHERE minhash IS NOT NULL")
            return {row[0]: row[1] for row in rows}
        found: dict[int, bytes] = {}
        for chunk in _chunks(passage_ids):
            rows = self._db.execute(
                f"SELECT passage_id, minhash FROM passage_signatures WHERE minhash IS NOT NULL "
                f"AND passage_id IN ({','.join('?' * len(chunk))})",
                chunk,
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
                f"SELECT id, document_id FROM passages WHERE id IN ({','.join('?' * len(chunk))})", chunk
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def duplicate_groups(self, passage_ids: Sequence[int] | None = None) -> dict[int, int]:
        """Passage id -> near-duplicate group id, for those of ``passage_ids`` (all when None) in a group."""
        if passage_ids is None:
            return {row[0]: row[1] for row in self._db.execute("SELECT passage_id, group_id FROM near_duplicates")}
        found: dict[int, int] = {}
        for chunk in _chunks(passage_ids):
            rows = self._db.execute(
                f"SELECT passage_id, group_id FROM near_duplicates WHERE passage_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def group_members(self, group_ids: Iterable[int]) -> dict[int, list[int]]:
        """Group id -> the passage ids in it, for the given groups."""
        members: dict[int, list[int]] = {}
        for chunk in _chunks(sorted(group_ids)):
            rows = self._db.execute(
                f"SELECT group_id, passage_id FROM near_duplicates WHERE group_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY passage_id",
                chunk,
            )
            for row in rows:
                members.setdefault(row[0], []).append(row[1])
        return members

    def set_duplicate_groups(self, passage_ids: Iterable[int], groups: dict[int, int]) -> None:
        """Replace the group rows of ``passage_ids`` by ``groups`` (passage id -> group id)."""
        self._db.executemany("DELETE FROM near_duplicates WHERE passage_id = ?", [(i,) for i in passage_ids])
        self._db.executemany("INSERT OR REPLACE INTO near_duplicates VALUES (?, ?)", list(groups.items()))

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
                f"WHERE mine.passage_id IN ({','.join('?' * len(chunk))}) AND {where} "
                "ORDER BY mine.passage_id, lower(coalesce(d.county, '')), lower(coalesce(d.title, '')), "
                "p.page_start, p.id",
                [*chunk, *args],
            )
            for row in rows:
                found.setdefault(row[0], []).append((row[1], row[2]))
        return found

    def has_unready(self) -> bool:
        return self._db.execute("SELECT EXISTS (SELECT 1 FROM documents WHERE status = 'pending')").fetchone()[0] == 1

    def facets(self, filters: SearchFilters = NO_FILTERS) -> dict[str, list[tuple[str, int]]]:
        """Document counts per county, document type, topic and year among ready documents."""
        where, args = _filter_sql(filters)
        facets = {}
        for name, expression in (("county", "d.county"), ("doc_type", "d.doc_type"), ("year", "d.year")):
            rows = self._db.execute(
                f"SELECT {expression} AS value, COUNT(*) FROM documents d WHERE {where} "
                f"AND {expression} IS NOT NULL GROUP BY value ORDER BY COUNT(*) DESC, value",
                args,
            ).fetchall()
            facets[name] = [(row[0], row[1]) for row in rows]
        rows = self._db.execute(
            f"SELECT t.value, COUNT(*) FROM documents d, json_each(d.topics) t WHERE {where} "
            "GROUP BY t.value ORDER BY COUNT(*) DESC, t.value",
            args,
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


def _document(row: sqlite3.Row) -> DocumentRecord:
    return DocumentRecord(
        id=row["id"],
        source_key=row["source_key"],
        content_hash=row["content_hash"],
        file_name=row["file_name"],
        format=row["format"],
        metadata=Metadata(
            title=row["title"],
            county=row["county"],
            doc_type=row["doc_type"],
            year=row["year"],
            topics=json.loads(row["topics"]),
            source_url=row["source_url"],
            visibility=row["visibility"],
        ),
        page_count=row["page_count"],
        pages_without_text=json.loads(row["pages_without_text"]),
        ocr_pages=json.loads(row["ocr_pages"]),
        passage_count=row["passage_count"],
        status=row["status"],
        error=row["error"],
        added_at=row["added_at"],
        updated_at=row["updated_at"],
    )


def _passage(row: sqlite3.Row) -> Passage:
    return Passage(
        id=row["id"],
        document_id=row["document_id"],
        ordinal=row["ordinal"],
        text=row["text"],
        page_start=row["page_start"],
        page_end=row["page_end"],
        heading_path=tuple(json.loads(row["heading_path"])),
        char_start=row["char_start"],
        char_end=row["char_end"],
        token_count=row["token_count"],
        ocr_confidence=row["ocr_confidence"],
        page_marks=tuple(tuple(mark) for mark in json.loads(row["page_marks"] or "[]")),
    )


def _filter_sql(filters: SearchFilters) -> tuple[str, list[object]]:
    """A WHERE clause over ``documents d`` for the filters (ready documents only)."""
    clauses, args = access_sql(filters.access, "d")
    clauses.insert(0, "d.status = 'ready'")
    if filters.counties:
        clauses.append(f"lower(d.county) IN ({','.join('?' * len(filters.counties))})")
        args += [c.lower() for c in filters.counties]
    if filters.doc_types:
        clauses.append(f"lower(d.doc_type) IN ({','.join('?' * len(filters.doc_types))})")
        args += [t.lower() for t in filters.doc_types]
    if filters.topics:
        clauses.append(
            "EXISTS (SELECT 1 FROM json_each(d.topics) t WHERE lower(t.value) IN "
            f"({','.join('?' * len(filters.topics))}))"
        )
        args += [t.lower() for t in filters.topics]
    if filters.year_from is not None:
        clauses.append("d.year >= ?")
        args.append(filters.year_from)
    if filters.year_to is not None:
        clauses.append("d.year <= ?")
        args.append(filters.year_to)
    if filters.document_ids:
        clauses.append(f"d.id IN ({','.join('?' * len(filters.document_ids))})")
        args += list(filters.document_ids)
    return " AND ".join(clauses), args


def access_sql(access: Access | None, table: str) -> tuple[list[str], list[object]]:
    """The clause over ``table`` (documents) that lets ``access`` see; none for unrestricted access."""
    if access is None:
        return [], []
    clause = f"{table}.visibility IN ({','.join('?' * len(access.levels))})"
    args: list[object] = list(access.levels)
    if access.county:
        clause = f"({clause} OR ({table}.visibility = 'county' AND lower({table}.county) = ?))"
        args.append(access.county.lower())
    return [clause], args


class CatalogueStore:
    """A store beside the catalogue (accounts, Merkliste, network, gaps, saved searches): its own
    connection to the same file, whose schema the catalogue owns (opening runs the migrations)."""

    def __init__(self, catalogue_path: Path) -> None:
        Catalogue(catalogue_path).close()
        self._db = sqlite3.connect(catalogue_path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self._db.close()
