"""The durable queue of write jobs in the catalogue's database, shared by every node and worker.

A job is a row: what to do (``payload``), who asked (``owner``: only they and administrators see
it), where it stands (``state``, ``progress``, ``results``). A worker claims the oldest job that is
queued or whose lease has run out — PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so workers
racing for jobs each get a different one without waiting; SQLite: inside ``BEGIN IMMEDIATE``, one
claimer at a time — and keeps its lease alive while it works. A worker that dies stops renewing:
after the lease another worker takes the job over and redoes what the first left unfinished
(the catalogue's pending/ready status keeps half-done work out of sight). Every write of a
worker names its lease, so a worker that lost its job to another changes nothing of it.

Uploaded files travel with their job: on PostgreSQL as bytes in ``job_files`` (any machine's
worker reads them through the connection it already has, in the same transaction as the job),
on SQLite as the path of the staged copy in the data directory (one machine), removed when the
job ends, however it ends.

A new job sends ``NOTIFY kb_jobs`` on PostgreSQL, which wakes idle workers on every machine at
once; on SQLite an idle worker asks every second whether one is queued
(:meth:`JobQueue.has_queued`). Finished jobs are kept ``KB_JOBS_RETENTION_DAYS`` for their
submitters to look up, then purged (:meth:`JobQueue.purge`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Row

from kb.core.access import Viewer
from kb.core.documents import Metadata
from kb.service.catalogue import CatalogueStore
from kb.service.database import POSTGRESQL
from kb.service.ingestion import FileResult

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
MAX_ATTEMPTS = 3  # a job whose worker died this often is given up (it may be what kills them)
JOBS_CHANNEL = "kb_jobs"  # PostgreSQL NOTIFY channel: a job was submitted


@dataclass(frozen=True)
class JobFile:
    """One file of an upload job, as submitted."""

    name: str  # the safe form of the name it was uploaded under
    format: str  # what the upload check found
    source_key: str  # the document it becomes (a known key replaces that document)
    metadata: Metadata


@dataclass(frozen=True)
class Job:
    """A job as its row says now."""

    id: int
    kind: str  # "upload" | "update" | "delete"
    total: int
    owner: str  # the Viewer.id that submitted it
    created_at: str
    status: str = QUEUED
    results: list[FileResult] = field(default_factory=list)
    error: str | None = None
    progress: str | None = None  # what the running job is doing right now

    @property
    def done(self) -> int:
        return len(self.results)

    @property
    def is_finished(self) -> bool:
        return self.status in (DONE, FAILED)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "total": self.total,
            "done": self.done,
            "progress": self.progress,
            "error": self.error,
            "created_at": self.created_at,
            "files": [result.as_json() for result in self.results],
        }


@dataclass(frozen=True)
class Claim:
    """A job a worker holds the lease of, with what it needs to do it."""

    job: Job
    payload: dict
    worker: str
    attempt: int = 1  # 2 and more: a worker before this one claimed the job and stopped renewing


class JobQueue(CatalogueStore):
    """The jobs of every node, in the catalogue's database."""

    @property
    def keeps_bytes(self) -> bool:
        """Whether a job holds its files' bytes (PostgreSQL) rather than the staged copies' paths."""
        return self._db.dialect == POSTGRESQL

    # submitting

    def submit_upload(self, owner: Viewer, files: Sequence[tuple[JobFile, Path]]) -> Job:
        """One job for ``files`` (each with its staged copy); on PostgreSQL their bytes go along."""
        payload = {"files": [_file_json(file) for file, _ in files]}
        with self._db.transaction():
            job_id = self._insert("upload", owner, payload, len(files))
            for position, (_, path) in enumerate(files):
                if self.keeps_bytes:
                    content, staged = path.read_bytes(), None
                else:
                    content, staged = None, str(path)
                self._db.execute(
                    "INSERT INTO job_files (job_id, position, content, staged_path) VALUES (?, ?, ?, ?)",
                    (job_id, position, content, staged),
                )
        return self.job(job_id)

    def submit(self, kind: str, owner: Viewer, payload: dict) -> Job:
        """A job without files (``update``, ``delete``)."""
        return self.job(self._insert(kind, owner, payload, 1))

    def _insert(self, kind: str, owner: Viewer, payload: dict, total: int) -> int:
        with self._db.atomic():
            job_id = self._db.scalar(
                "INSERT INTO jobs (kind, owner, state, payload, total, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (kind, owner.id, QUEUED, json.dumps(payload, ensure_ascii=False), total, _now()),
            )
            if self._db.dialect == POSTGRESQL:
                self._db.execute(f"NOTIFY {JOBS_CHANNEL}")  # sent with the commit: the job is there
        return job_id

    # following

    def get(self, job_id: int, viewer: Viewer) -> Job | None:
        """The job if ``viewer`` submitted it (or administers); others' jobs do not exist for it."""
        job = self.job(job_id)
        return job if job is not None and (job.owner == viewer.id or viewer.sees_all) else None

    def recent(self, viewer: Viewer, count: int = 20) -> list[Job]:
        if viewer.sees_all:
            rows = self._db.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (count,))
        else:
            rows = self._db.execute("SELECT * FROM jobs WHERE owner = ? ORDER BY id DESC LIMIT ?", (viewer.id, count))
        return [_job(row) for row in rows]

    def job(self, job_id: int) -> Job | None:
        """The job, whoever submitted it (for those who already hold it)."""
        row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    # working

    def claim(self, worker: str, lease_seconds: float) -> Claim | None:
        """Take the oldest job that is queued or whose lease ran out; None when there is none."""
        skip_locked = " FOR UPDATE SKIP LOCKED" if self._db.dialect == POSTGRESQL else ""
        while True:
            staged: list[Path] = []
            with self._db.transaction():
                now = self._clock()
                row = self._db.execute(
                    "SELECT * FROM jobs WHERE state = ? OR (state = ? AND lease_until < ?) ORDER BY id LIMIT 1"
                    + skip_locked,
                    (QUEUED, RUNNING, now),
                ).fetchone()
                if row is None:
                    return None
                if row.attempts >= MAX_ATTEMPTS:
                    message = f"Der Auftrag wurde {row.attempts}-mal abgebrochen und aufgegeben."
                    staged = self._end(row.id, FAILED, message)
                else:
                    self._db.execute(
                        "UPDATE jobs SET state = ?, lease_owner = ?, lease_until = ?, attempts = attempts + 1, "
                        "started_at = COALESCE(started_at, ?) WHERE id = ?",
                        (RUNNING, worker, now + lease_seconds, _now(), row.id),
                    )
            if row.attempts >= MAX_ATTEMPTS:
                _remove_staged(staged)
                continue
            return Claim(_job(row), json.loads(row.payload), worker, row.attempts + 1)

    def has_queued(self) -> bool:
        """Whether a job waits to be claimed: a read, cheap enough to ask every second."""
        return self._db.scalar("SELECT 1 FROM jobs WHERE state = ? LIMIT 1", (QUEUED,)) is not None

    def seconds_to_next_lease_end(self) -> float | None:
        """How long until the first lease of a running job runs out (its worker may have died); None without one."""
        ends = self._db.scalar("SELECT MIN(lease_until) FROM jobs WHERE state = ?", (RUNNING,))
        return None if ends is None else max(0.0, ends - self._clock())

    def renew(self, claim: Claim, lease_seconds: float) -> bool:
        """Extend the lease; False if another worker has taken the job over meanwhile."""
        cursor = self._db.execute(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = ?",
            (self._clock() + lease_seconds, claim.job.id, claim.worker, RUNNING),
        )
        return cursor.rowcount == 1

    def note_progress(self, claim: Claim, progress: str | None) -> None:
        self._db.execute(
            "UPDATE jobs SET progress = ? WHERE id = ? AND lease_owner = ?", (progress, claim.job.id, claim.worker)
        )

    def note_results(self, claim: Claim, results: Sequence[FileResult]) -> None:
        """The files done so far (a worker taking the job over continues after them)."""
        self._db.execute(
            "UPDATE jobs SET results = ? WHERE id = ? AND lease_owner = ?",
            (json.dumps([r.as_json() for r in results], ensure_ascii=False), claim.job.id, claim.worker),
        )

    def file_source(self, claim: Claim, position: int) -> bytes | Path | None:
        """An upload's file: its bytes, the path of its staged copy, or None if it is gone."""
        row = self._db.execute(
            "SELECT content, staged_path FROM job_files WHERE job_id = ? AND position = ?", (claim.job.id, position)
        ).fetchone()
        if row is None:
            return None
        return bytes(row.content) if row.content is not None else Path(row.staged_path)

    def finish(self, claim: Claim, error: str | None = None) -> bool:
        """Mark the job done (or failed with ``error``) and drop its files; False if the lease was lost."""
        with self._db.transaction():
            held = self._db.execute(
                "SELECT id FROM jobs WHERE id = ? AND lease_owner = ? AND state = ?",
                (claim.job.id, claim.worker, RUNNING),
            ).fetchone()
            if held is None:
                return False
            staged = self._end(claim.job.id, FAILED if error else DONE, error)
        _remove_staged(staged)
        return True

    def purge(self, retention_days: int) -> int:
        """Forget the jobs finished more than ``retention_days`` ago, with their files; returns how many."""
        cutoff = (datetime.now(UTC) - timedelta(days=retention_days)).isoformat(timespec="seconds")
        ended = f"state IN ('{DONE}', '{FAILED}') AND finished_at < ?"
        with self._db.transaction():
            staged = self._staged_paths(f"SELECT id FROM jobs WHERE {ended}", (cutoff,))
            self._db.execute(f"DELETE FROM job_files WHERE job_id IN (SELECT id FROM jobs WHERE {ended})", (cutoff,))
            purged = self._db.execute(f"DELETE FROM jobs WHERE {ended}", (cutoff,)).rowcount
        _remove_staged(staged)
        return purged

    def _end(self, job_id: int, state: str, error: str | None) -> list[Path]:
        """Mark the job ended and drop its files; returns the staged copies to remove after the commit."""
        self._db.execute(
            "UPDATE jobs SET state = ?, error = ?, progress = NULL, lease_until = NULL, finished_at = ? WHERE id = ?",
            (state, error, _now(), job_id),
        )
        staged = self._staged_paths("SELECT ?", (job_id,))
        self._db.execute("DELETE FROM job_files WHERE job_id = ?", (job_id,))
        return staged

    def _staged_paths(self, jobs: str, args: Sequence[object]) -> list[Path]:
        """The staged copies (SQLite) of the files of the jobs ``jobs`` selects."""
        rows = self._db.execute(
            f"SELECT staged_path FROM job_files WHERE staged_path IS NOT NULL AND job_id IN ({jobs})", args
        )
        return [Path(row.staged_path) for row in rows]

    def _clock(self) -> float:
        """Now, in seconds since the epoch: the database's clock on PostgreSQL, so workers on
        machines whose clocks differ agree on when a lease ends."""
        if self._db.dialect == POSTGRESQL:
            return float(self._db.scalar("SELECT extract(epoch FROM clock_timestamp())"))
        return time.time()


def _remove_staged(paths: Sequence[Path]) -> None:
    """Remove staged copies of an ended job's files, and each one's private folder once empty.
    (A worker removes each file it has done; these are the ones a failed job never reached.)"""
    for path in paths:
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()
        except OSError:
            pass  # not empty, or gone: not an upload's private folder after all


def job_file(payload: dict, position: int) -> JobFile:
    entry = payload["files"][position]
    return JobFile(entry["name"], entry["format"], entry["source_key"], Metadata(**entry["metadata"]))


def _file_json(file: JobFile) -> dict:
    return {
        "name": file.name,
        "format": file.format,
        "source_key": file.source_key,
        "metadata": dataclasses.asdict(file.metadata),
    }


def _job(row: Row) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        total=row.total,
        owner=row.owner,
        created_at=row.created_at,
        status=row.state,
        results=[FileResult(**result) for result in json.loads(row.results)],
        error=row.error,
        progress=row.progress,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
