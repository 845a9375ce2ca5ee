"""`kb migrate --to URL`: the catalogue moved, table by table, into another database (SQLite to
PostgreSQL or back), ids and the counters that keep them from being reused included, then both
sides compared: rows per table and a hash over each table's rows in key order.

The target must be empty: a fresh PostgreSQL database, or an SQLite file that does not exist yet.
The data directory's indexes stay as they are and fit the copy (the same ids), so `kb check`
against the target confirms it. The kept originals follow the catalogue: into a shared target's
table, or out of a shared source into the data directory (``KnowledgeBase.transfer``). A shared
target also gets every passage's vector and answer units from the data directory's index
(:func:`copy_vectors`): its nodes index from those; moving back, the data directory's index is
brought up to date first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import MetaData

from index.indexes import IndexSet
from kb.core.errors import KbError
from kb.service.catalogue import Catalogue
from kb.service.database import Database, location
from kb.service.vector_rows import encode

# Parents before children (foreign keys); every table of the schema but Alembic's own.
TABLES = (
    "documents",
    "passages",
    "users",
    "api_keys",
    "sessions",
    "saved_searches",
    "merkliste",
    "county_roles",
    "contacts",
    "gaps",
    "passage_signatures",
    "near_duplicates",
    "changes",
)
_BATCH = 2000


@dataclass
class TableCopy:
    name: str
    rows: int
    source_hash: str
    target_hash: str

    @property
    def same(self) -> bool:
        return self.source_hash == self.target_hash


@dataclass
class TransferReport:
    tables: list[TableCopy] = field(default_factory=list)
    vectors: int | None = None  # passage vectors a shared target got from the data directory's index
    missing_vectors: int = 0  # ready passages the index had no vector for
    originals: int | None = None  # kept originals carried to where the target looks for them

    @property
    def ok(self) -> bool:
        return all(table.same for table in self.tables) and not self.missing_vectors

    def lines(self) -> list[str]:
        lines = [
            f"{t.name}: {t.rows} Zeilen, {'gleich' if t.same else 'VERSCHIEDEN'} (SHA-256 {t.target_hash[:12]})"
            for t in self.tables
        ]
        if self.vectors is not None:
            lines.append(f"passage_vectors: {self.vectors} Zeilen aus dem Index dieses Datenverzeichnisses")
        if self.missing_vectors:
            lines.append(f"{self.missing_vectors} Passagen ohne Vektor im Index: `kb reindex`, dann neu umziehen")
        if self.originals is not None:
            lines.append(f"Originaldateien: {self.originals} mitgenommen")
        return lines


def target_location(target: str | Path) -> str | Path:
    """A ``--to`` value as a database location: a PostgreSQL URL, or an SQLite file's path."""
    return location(target) if isinstance(target, str) else target


def is_shared(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL database (else an SQLite file)."""
    return isinstance(target_location(target), str)


def copy_vectors(indexes: IndexSet, passage_ids: Sequence[int], target: str | Path, report: TransferReport) -> None:
    """Give a shared target the vectors and answer units of these passages from ``indexes``
    (an embedded catalogue keeps them only there; every node of a shared one indexes from them)."""
    catalogue = Catalogue(target)
    known = set(indexes.vectors.ids().tolist())
    present = [item for item in passage_ids if item in known]
    report.vectors, report.missing_vectors = len(present), len(passage_ids) - len(present)
    no_units = ([], np.zeros((0, indexes.dim), np.float32))
    try:
        with catalogue.transaction():
            for start in range(0, len(present), _BATCH):
                chunk = present[start : start + _BATCH]
                vectors = indexes.vectors.vectors(chunk)
                catalogue.store_vectors(
                    (item, *encode(vector, *(indexes.units.units(item) or no_units)))
                    for item, vector in zip(chunk, vectors, strict=True)
                )
    finally:
        catalogue.close()


def transfer(source: str | Path, target: str | Path) -> TransferReport:
    """Copy every table of ``source`` into the empty database ``target`` and compare both."""
    target = target_location(target)
    if isinstance(target, Path) and target.exists():
        raise KbError(f"{target} gibt es schon; das Ziel muss eine neue Datei sein.")
    origin, copy = Database(source), Database(target)
    try:
        if copy.scalar("SELECT EXISTS (SELECT 1 FROM documents) OR EXISTS (SELECT 1 FROM users)"):
            raise KbError("Die Zieldatenbank ist nicht leer; Kreiswissen zieht nur in eine leere um.")
        keys = primary_keys(origin)
        with copy.transaction():
            for table in TABLES:
                _copy_table(origin, copy, table, keys[table])
                high = origin.id_high_water(table)
                if high is not None:
                    copy.set_id_high_water(table, high)
        report = TransferReport()
        for table in TABLES:
            rows, source_hash = table_digest(origin, table, keys[table])
            _, target_hash = table_digest(copy, table, keys[table])
            report.tables.append(TableCopy(table, rows, source_hash, target_hash))
        return report
    finally:
        origin.close()
        copy.close()


def primary_keys(db: Database) -> dict[str, list[str]]:
    metadata = MetaData()
    metadata.reflect(db.connection, only=TABLES)
    return {name: [c.name for c in metadata.tables[name].primary_key.columns] for name in TABLES}


def _columns(db: Database, table: str) -> list[str]:
    return [column[0] for column in db.execute(f"SELECT * FROM {table} WHERE 1 = 0").description]


def _copy_table(origin: Database, copy: Database, table: str, key: list[str]) -> None:
    columns = _columns(origin, table)
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    rows = origin.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(key)}")
    while batch := rows.fetchmany(_BATCH):
        copy.executemany(insert, [tuple(row) for row in batch])


def table_digest(db: Database, table: str, key: list[str]) -> tuple[int, str]:
    """How many rows ``table`` has and a SHA-256 over them in key order (columns by name)."""
    columns = sorted(_columns(db, table))
    digest, count = hashlib.sha256(), 0
    for row in db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(key)}"):
        digest.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode())
        count += 1
    return count, digest.hexdigest()
