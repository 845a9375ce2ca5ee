"""One connection to the catalogue's database, embedded SQLite or PostgreSQL.

SQLAlchemy makes the connection (URL, engine, dialect), Alembic keeps the schema through it
(``kb/service/migrations``; opening brings it to the newest revision) and the move between engines
reflects tables through it. The statements themselves are textual SQL that both engines understand,
written with ``?`` placeholders, and run on the driver's own cursor (sqlite3 takes them as they
are, psycopg gets ``%s``, converted once per statement): SQLAlchemy's statement layer cost ~100 us
per statement, a search runs five or more. Rows are named tuples (``row.title``, ``row[0]``).
The few spots where the engines differ are methods here (:meth:`Database.json_items`,
:meth:`Database.data_version`, the id counters).

The connection runs in autocommit mode, as the catalogue always did: each statement commits on its
own and :meth:`Database.transaction` groups statements explicitly (SQLite: ``BEGIN IMMEDIATE``,
so writers queue up at the start instead of failing at their first write).
"""

from __future__ import annotations

import functools
import threading
import time
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, exc, make_url
from sqlalchemy.pool import NullPool

SQLITE, POSTGRESQL = "sqlite", "postgresql"
Row = Any  # a named tuple of a statement's columns: row.title, row[0]
# tables whose keys the engine hands out, and that key
GENERATED_IDS = {
    "documents": "id",
    "passages": "id",
    "contacts": "id",
    "gaps": "id",
    "saved_searches": "id",
    "changes": "seq",
}
_BUSY_SECONDS = 30  # how long SQLite waits for another writer's lock


def database_url(location: str | Path) -> str:
    """The SQLAlchemy URL of ``location``: a path is an SQLite file, a string a URL as given
    (``postgresql://`` is served by psycopg 3)."""
    if isinstance(location, Path):
        return f"sqlite:///{location}"
    url = make_url(location)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def location(url: str) -> str | Path:
    """A URL as given to ``--to`` or KB_DATABASE_URL: ``sqlite:///PATH`` is that file, anything else stays a URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == SQLITE and parsed.database:
        return Path(parsed.database)
    return url


class Database:
    """A connection that several threads of a server may share (statements run one at a time)."""

    def __init__(self, location: str | Path, *, migrate: bool = True) -> None:
        url = make_url(database_url(location))
        self.dialect = url.get_backend_name()
        if self.dialect not in (SQLITE, POSTGRESQL):
            raise ValueError(f"KB_DATABASE_URL: only sqlite:/// and postgresql:// are supported, not {url.drivername}")
        self.path = Path(url.database) if self.dialect == SQLITE and url.database else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": _BUSY_SECONDS} if self.dialect == SQLITE else {}
        self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=connect_args)
        self._connection: Connection = self._engine.connect()
        self._driver = self._connection.connection.driver_connection  # sqlite3 or psycopg, autocommit
        self._lock = threading.RLock()
        self._in_transaction = False
        self._channels: list[str] = []  # listened to: listened to again on a new connection
        if self.dialect == SQLITE:
            self._use_wal()
            self.execute("PRAGMA foreign_keys=ON")
        if migrate:
            from kb.service.migrations import upgrade

            upgrade(self)

    def _use_wal(self, patience: float = 30.0) -> None:
        """Switch the file to WAL. While another process creates or switches the same file, SQLite
        answers this pragma with "database is locked" at once, without its busy timeout: retry."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self._connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                return
            except exc.OperationalError as error:
                if "locked" not in str(error.orig) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @property
    def connection(self) -> Connection:
        """The SQLAlchemy connection (for Alembic and the migration between engines)."""
        return self._connection

    def close(self) -> None:
        self._connection.close()
        self._engine.dispose()

    def execute(self, sql: str, args: Sequence[object] = (), *, named: bool = True) -> Any:
        """Run one statement; ``?`` placeholders take ``args`` in order. Returns the driver's
        cursor (fetchone, fetchall, fetchmany, iteration, rowcount, description); its rows are
        named tuples, or plain ones with ``named=False`` (bulk reads of ids: ~1 us a row less)."""
        with self._lock:
            self._reconnect_if_broken()
            cursor = self._cursor() if named else self._driver.cursor()
            cursor.execute(self._native(sql), tuple(args))
            return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        batch = [tuple(row) for row in rows]
        if batch:
            with self._lock:
                self._reconnect_if_broken()
                self._cursor().executemany(self._native(sql), batch)

    def scalar(self, sql: str, args: Sequence[object] = ()) -> Any:
        """The first column of the first row, None without a row."""
        row = self.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def connection_lost(self) -> bool:
        """Whether the connection was found cut (PostgreSQL restarted, the network dropped it):
        the next statement outside a transaction connects anew."""
        return self.dialect == POSTGRESQL and self._driver.closed

    def _reconnect_if_broken(self) -> bool:
        """After PostgreSQL restarted (or the network dropped the connection) the statement that
        met it failed; outside a transaction the next one gets a new connection instead of failing
        for ever, listening again to the channels listened to. Whether it reconnected."""
        if not self.connection_lost() or self._in_transaction:
            return False
        self._connection.invalidate()
        self._connection = self._engine.connect()
        self._driver = self._connection.connection.driver_connection
        for channel in self._channels:
            self._driver.execute(f"LISTEN {channel}")
        return True

    def _cursor(self) -> Any:
        if self.dialect == SQLITE:
            cursor = self._driver.cursor()
            cursor.row_factory = _named_row
            return cursor
        return self._driver.cursor(row_factory=_named_rows)

    def _native(self, sql: str) -> str:
        return sql if self.dialect == SQLITE else _pyformat(sql)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Everything inside commits together or not at all."""
        with self._lock:
            self.execute("BEGIN IMMEDIATE" if self.dialect == SQLITE else "BEGIN")
            self._in_transaction = True
            try:
                yield self
            except BaseException:
                if not self.connection_lost():  # a lost connection took its transaction with it
                    self.execute("ROLLBACK")
                raise
            else:
                self.execute("COMMIT")
            finally:
                self._in_transaction = False

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """Part of the transaction already open, else a transaction of its own."""
        if self._in_transaction:
            yield self
        else:
            with self.transaction():
                yield self

    def listen(self, channel: str) -> None:
        """PostgreSQL: receive the notices sent on ``channel`` (see :meth:`notified`), also on
        the new connection after a lost one."""
        self.execute(f"LISTEN {channel}")
        self._channels.append(channel)

    def notified(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a notice on a channel listened to; whether one came.

        Also True when the connection was lost meanwhile or has just been replaced (listening
        again): notices sent in between are gone, so the caller must look for itself. Raises
        while the server cannot be reached."""
        with self._lock:
            if self._reconnect_if_broken():
                return True
        try:
            return any(True for _ in self._driver.notifies(timeout=timeout, stop_after=1))
        except Exception:
            if not self.connection_lost():
                raise
            return True

    def json_items(self, column: str, alias: str) -> str:
        """A FROM item listing the strings of the JSON array in ``column``, as ``alias.value``."""
        if self.dialect == SQLITE:
            return f"json_each({column}) {alias}"
        return f"json_array_elements_text({column}::json) {alias}(value)"

    def data_version(self) -> int:
        """A number that changes when another connection has committed. SQLite counts exactly
        that; PostgreSQL's next transaction id also moves with this connection's own writes, so
        a cache keyed on it is rebuilt more often than needed, never less."""
        if self.dialect == SQLITE:
            return self.scalar("PRAGMA data_version")
        return int(self.scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))

    def id_high_water(self, table: str) -> int | None:
        """The largest id ``table`` has handed out, counting deleted rows where the engine keeps
        count (SQLite's AUTOINCREMENT, PostgreSQL's sequences); None for tables without generated ids."""
        if table not in GENERATED_IDS:
            return None
        key = GENERATED_IDS[table]
        largest = self.scalar(f"SELECT COALESCE(MAX({key}), 0) FROM {table}")
        if self.dialect == SQLITE:
            kept = self.scalar("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,))
        else:
            kept = self.scalar(
                "SELECT last_value FROM pg_sequences WHERE schemaname || '.' || sequencename = "
                "pg_get_serial_sequence(?, ?)",
                (table, key),
            )
        return max(largest, kept or 0)

    def set_id_high_water(self, table: str, value: int) -> None:
        """Make ``table`` hand out ids above ``value`` from now on (after rows were copied in)."""
        if self.dialect == SQLITE:
            autoincrement = self.scalar(
                "SELECT 1 FROM sqlite_master WHERE name = ? AND sql LIKE '%AUTOINCREMENT%'", (table,)
            )
            if (
                autoincrement
                and not self.execute(
                    "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (value, table)
                ).rowcount
            ):
                self.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, value))
        else:
            sequence = (table, GENERATED_IDS[table], max(value, 1), value > 0)
            self.execute("SELECT setval(pg_get_serial_sequence(?, ?), ?, ?)", sequence)


def marks(items: Sized) -> str:
    """Placeholders for ``IN (…)`` over ``items``; ``NULL`` for none, which matches nothing
    (PostgreSQL refuses an empty list, SQLite accepts it)."""
    return ", ".join("?" * len(items)) or "NULL"


@functools.lru_cache(maxsize=2048)
def _pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


@functools.lru_cache(maxsize=256)
def _row_type(names: tuple[str, ...]) -> type:
    return namedtuple("Row", names, rename=True)


def _named_row(cursor: Any, values: tuple) -> tuple:
    """An sqlite3 row as a named tuple (a repeated or odd column name becomes ``_<position>``)."""
    return _row_type(tuple(column[0] for column in cursor.description))(*values)


def _named_rows(cursor: Any) -> Any:
    """psycopg's row factory making the same named tuples."""
    make = _row_type(tuple(column.name for column in cursor.description or ()))
    return lambda values: make(*values)
