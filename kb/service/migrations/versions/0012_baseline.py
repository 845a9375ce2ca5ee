"""Schema 12, the baseline: what the hand-made migrations of SQLite catalogues built (their
version 12), for both engines.

SQLite runs the old steps from wherever the file stands (``PRAGMA user_version``; 0 for a new
file), so old and new catalogues end up alike, byte for byte the schema they always had.
PostgreSQL gets the same tables declared with SQLAlchemy: autoincrementing ids that are never
reused, the same checks, cascades and indexes, and text compared bytewise (collation "C") as
SQLite compares it, so every ORDER BY sorts alike on both engines.

Revision ID: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = None
branch_labels = None
depends_on = None

# The hand-made migrations of SQLite catalogues before Alembic: entry i moved the schema from
# version i to i + 1 (PRAGMA user_version). Frozen: new changes are new Alembic revisions.
SQLITE_STEPS: tuple[str, ...] = (
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


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_steps(bind)
    else:
        _tables().create_all(bind)


def _sqlite_steps(bind: sa.Connection) -> None:
    version = bind.exec_driver_sql("PRAGMA user_version").scalar_one()
    if version > len(SQLITE_STEPS):
        raise RuntimeError(
            f"The catalogue has schema version {version}; this Kreiswissen knows up to "
            f"{len(SQLITE_STEPS)}. Update Kreiswissen."
        )
    for number in range(version, len(SQLITE_STEPS)):
        for statement in SQLITE_STEPS[number].split(";"):
            if statement.strip():
                bind.exec_driver_sql(statement)
        bind.exec_driver_sql(f"PRAGMA user_version = {number + 1}")


def _tables() -> sa.MetaData:
    text = sa.Text(collation="C")
    metadata = sa.MetaData()

    def one_of(name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
        return sa.CheckConstraint(f"{name} IN ({', '.join(repr(v) for v in values)})")

    levels = ("public", "network", "county")
    documents = sa.Table(
        "documents",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_key", text, nullable=False, unique=True),
        sa.Column("content_hash", text, nullable=False),
        sa.Column("file_name", text, nullable=False),
        sa.Column("format", text, nullable=False),
        sa.Column("title", text),
        sa.Column("county", text),
        sa.Column("doc_type", text),
        sa.Column("year", sa.Integer),
        sa.Column("topics", text, nullable=False, server_default="[]"),
        sa.Column("source_url", text),
        sa.Column("page_count", sa.Integer),
        sa.Column("pages_without_text", text, nullable=False, server_default="[]"),
        sa.Column("status", text, one_of("status", ("pending", "ready", "failed")), nullable=False),
        sa.Column("error", text),
        sa.Column("added_at", text, nullable=False),
        sa.Column("updated_at", text, nullable=False),
        sa.Column("ocr_pages", text, nullable=False, server_default="[]"),
        sa.Column("visibility", text, one_of("visibility", levels), nullable=False, server_default="network"),
    )
    sa.Index("documents_content_hash", documents.c.content_hash)
    sa.Index("documents_pending", documents.c.status, postgresql_where=documents.c.status == "pending")
    sa.Table(
        "passages",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("text", text, nullable=False),
        sa.Column("page_start", sa.Integer),
        sa.Column("page_end", sa.Integer),
        sa.Column("heading_path", text, nullable=False, server_default="[]"),
        sa.Column("char_start", sa.Integer, nullable=False),
        sa.Column("char_end", sa.Integer, nullable=False),
        sa.Column("token_count", sa.Integer, nullable=False),
        sa.Column("ocr_confidence", sa.Float),
        sa.Column("page_marks", text),
        sa.UniqueConstraint("document_id", "ordinal"),
    )
    sa.Table(
        "users",
        metadata,
        sa.Column("name", text, primary_key=True),
        sa.Column("password_hash", text, nullable=False),
        sa.Column("created_at", text, nullable=False),
        sa.Column("county", text),
        sa.Column(
            "role",
            text,
            one_of("role", ("leser", "redaktion", "verwaltung")),
            nullable=False,
            server_default="verwaltung",
        ),
        sa.Column("record_searches", sa.Integer, nullable=False, server_default="1"),
        sa.Column("email", text),
    )
    sa.Table(
        "api_keys",
        metadata,
        sa.Column("key_id", text, primary_key=True),
        sa.Column("secret_hash", text, nullable=False),
        sa.Column("scope", text, one_of("scope", ("read", "write")), nullable=False),
        sa.Column("label", text, nullable=False, server_default=""),
        sa.Column("created_at", text, nullable=False),
        sa.Column("revoked_at", text),
        sa.Column("county", text),
        sa.Column("visibility", text, one_of("visibility", levels), nullable=False, server_default="public"),
        sa.Column("rate_limit", text),
    )
    sa.Table(
        "merkliste",
        metadata,
        sa.Column("owner", text, primary_key=True),
        sa.Column(
            "passage_id",
            sa.Integer,
            sa.ForeignKey("passages.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("added_at", text, nullable=False),
    )
    sa.Table(
        "county_roles",
        metadata,
        sa.Column("county", text, primary_key=True),
        sa.Column("role", text, one_of("role", ("Vorreiterkreis", "Klimakreis", "Gastkreis")), nullable=False),
    )
    contacts = sa.Table(
        "contacts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("county", text, nullable=False),
        sa.Column("topic", text, nullable=False),
        sa.Column("name", text, nullable=False),
        sa.Column("function", text, nullable=False, server_default=""),
        sa.Column("email", text, nullable=False),
        sa.Column("updated_at", text, nullable=False),
    )
    sa.Index("contacts_county", contacts.c.county)
    gaps = sa.Table(
        "gaps",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", text, one_of("kind", ("unbeantwortet", "nicht hilfreich", "hilfreich")), nullable=False),
        sa.Column("query", text, nullable=False),
        sa.Column("filters", text, nullable=False, server_default=""),
        sa.Column("at", text, nullable=False),
    )
    sa.Index("gaps_at", gaps.c.at)
    saved = sa.Table(
        "saved_searches",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner", text, sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
        sa.Column("query", text, nullable=False),
        sa.Column("filters", text, nullable=False),
        sa.Column("created_at", text, nullable=False),
        sa.Column("token", text, nullable=False, unique=True),
        sa.Column("digest", sa.Integer, nullable=False, server_default="0"),
        sa.Column("digest_sent_at", text),
    )
    sa.Index("saved_searches_owner", saved.c.owner)
    sa.Table(
        "passage_signatures",
        metadata,
        sa.Column(
            "passage_id",
            sa.Integer,
            sa.ForeignKey("passages.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("minhash", sa.LargeBinary),
    )
    duplicates = sa.Table(
        "near_duplicates",
        metadata,
        sa.Column(
            "passage_id",
            sa.Integer,
            sa.ForeignKey("passages.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("group_id", sa.Integer, nullable=False),
    )
    sa.Index("near_duplicates_group", duplicates.c.group_id)
    sessions = sa.Table(
        "sessions",
        metadata,
        sa.Column("token_hash", text, primary_key=True),
        sa.Column("account", text, sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", text, nullable=False),
        sa.Column("seen_at", text, nullable=False),
    )
    sa.Index("sessions_account", sessions.c.account)
    return metadata
