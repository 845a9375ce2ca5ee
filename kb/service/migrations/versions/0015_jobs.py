"""The write jobs of the web app (uploads, replacements, metadata edits, deletions) become rows of
a durable queue that any worker of any node can claim, instead of living in one server's memory.

``job_files`` holds each uploaded file of a job: its bytes (PostgreSQL, where the worker may run
on another machine) or the path of its staged copy (SQLite, one machine).

Revision ID: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Text, sa.CheckConstraint("kind IN ('upload', 'update', 'delete')"), nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column(
            "state", sa.Text, sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')"), nullable=False
        ),
        sa.Column("payload", sa.Text, nullable=False),  # JSON: what to do (files, metadata, document id)
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("results", sa.Text, nullable=False, server_default="[]"),  # JSON: one FileResult per file done
        sa.Column("progress", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("lease_owner", sa.Text),  # the worker running it (when finished: the one that did)
        sa.Column("lease_until", sa.Float),  # seconds since the epoch, on the database's clock
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("started_at", sa.Text),
        sa.Column("finished_at", sa.Text),
        sqlite_autoincrement=True,
    )
    op.create_index("jobs_state", "jobs", ["state", "id"])
    op.create_index("jobs_owner", "jobs", ["owner", "id"])
    op.create_table(
        "job_files",
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("content", sa.LargeBinary),
        sa.Column("staged_path", sa.Text),
    )
