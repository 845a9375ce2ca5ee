"""The Merkliste keeps its order in a column of its own: SQLite's rowid, which gave the order of
passages collected within one second, has no counterpart in PostgreSQL.

Revision ID: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("merkliste", sa.Column("seq", sa.Integer))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("UPDATE merkliste SET seq = rowid")
        op.execute("PRAGMA user_version = 13")  # a Kreiswissen from before Alembic refuses the file
    else:
        op.execute(
            "UPDATE merkliste m SET seq = o.n FROM (SELECT owner, passage_id, "
            "row_number() OVER (ORDER BY added_at, passage_id) AS n FROM merkliste) o "
            "WHERE o.owner = m.owner AND o.passage_id = m.passage_id"
        )
