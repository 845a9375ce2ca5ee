"""What a shared catalogue (PostgreSQL) holds so that no node needs another node's files: each
passage's vector and answer units (search nodes build and update their local indexes from them,
without the model), the kept originals (served by any node) and settings every node must share
(the key that signs sessions, so a sign-in on one node holds on the others).

``passage_vectors``: the passage vector as float32 bytes, its answer units as int32 start/end pairs
and float16 vectors (the layout of index/units.py). ``originals``: a file's bytes by content hash.
``settings``: name → value. All three stay empty with the embedded SQLite catalogue, whose one
machine keeps them in its data directory.

Revision ID: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passage_vectors",
        sa.Column("passage_id", sa.Integer, sa.ForeignKey("passages.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("unit_spans", sa.LargeBinary, nullable=False),
        sa.Column("unit_vectors", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "originals",
        sa.Column("digest", sa.Text, primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
