"""The change log: one row per change of a document, written in the same transaction as the
change, numbered in commit order, so a search node that has applied changes up to a number
knows exactly which come next (never one missed, none twice).

Revision ID: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("seq", sa.Integer, primary_key=True),  # SQLite: AUTOINCREMENT, never reused
        sa.Column("document_id", sa.Integer, nullable=False),  # no foreign key: deletions are changes too
        sa.Column("at", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 14")
