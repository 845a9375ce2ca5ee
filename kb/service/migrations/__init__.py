"""The catalogue's schema, kept by Alembic for both engines (revisions in ``versions/``).

Revision 0012 is the baseline: the schema as the hand-made migration list of SQLite catalogues
left it at their version 12. A fresh database gets it created; an SQLite catalogue from before
Alembic is brought up to version 12 by the same old steps (its ``PRAGMA user_version`` says where
it stands) and is then stamped. Later revisions apply to both engines alike. Opening a database
runs what is missing, serialised between processes: SQLite's write lock, PostgreSQL's advisory lock.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from alembic.config import Config as AlembicConfig
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

if TYPE_CHECKING:
    from kb.service.database import Database

_LOCK_KEY = 0x4B57_0001  # PostgreSQL advisory lock held while migrating ("KW" 1)


@functools.cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(Path(__file__).parent))


def head() -> str:
    """The newest revision this Kreiswissen knows."""
    return scripts().get_current_head()


def current(db: Database) -> str | None:
    return MigrationContext.configure(db.connection).get_current_revision()


def upgrade(db: Database) -> None:
    """Bring the schema of ``db`` to :func:`head`; refuses a database from a newer Kreiswissen."""
    newest = head()
    if current(db) == newest:
        return
    with db.transaction():
        if db.dialect == "postgresql":
            db.execute(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
        found = current(db)
        if found == newest:
            return
        if found is not None and found not in {script.revision for script in scripts().walk_revisions()}:
            raise RuntimeError(
                f"{db.path or 'The database'} has schema revision {found}; this Kreiswissen knows "
                f"up to {newest}. Update Kreiswissen."
            )
        _run(db, newest)


def _run(db: Database, destination: str) -> None:
    script = scripts()

    def steps(revision, _context):
        return script._upgrade_revs(destination, revision)

    with EnvironmentContext(AlembicConfig(), script, fn=steps, destination_rev=destination) as environment:
        environment.configure(connection=db.connection)
        environment.run_migrations()
