"""Writes of the web app: jobs go into the shared queue (kb/service/jobs.py), workers do them.

The keyword index allows one writer at a time per data directory, so every write of the web app
is a job; a :class:`Worker` — a thread of ``kb serve`` (by default) or a ``kb worker`` process on
any machine with the same database — claims jobs one by one, with its own KnowledgeBase (own
connection and indexes). Readers pick the saved indexes up via ``KnowledgeBase.refresh``.

API and staff area submit the same jobs and wait the same way (:meth:`Writer.settle`): a job
that has not finished in time is reported as still queued or running, never as done.

An idle worker sleeps until a job may be waiting: woken by the notice a new job sends on
PostgreSQL (from any node), by its own process submitting one (:meth:`Worker.wake`), on SQLite by
a queued job it sees when it looks, every second (a ``kb worker`` beside ``kb serve --no-worker``:
another process's job), or after ``IDLE_POLL_SECONDS`` (sooner when a running job's lease runs
out: its worker may have died), the safety net for missed notices. While idle it
purges the jobs finished longer ago than ``KB_JOBS_RETENTION_DAYS``, once an hour.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kb.core.access import Viewer
from kb.core.config import Config
from kb.core.documents import DocumentRecord, Metadata
from kb.core.embedding import Embedder
from kb.core.errors import DocumentNotFound, KbError
from kb.service.database import Database
from kb.service.ingestion import FileResult
from kb.service.jobs import DONE, FAILED, JOBS_CHANNEL, QUEUED, RUNNING, Claim, Job, JobFile, JobQueue, job_file
from kb.service.knowledge import KnowledgeBase
from kb.service.uploads import StagedFile

__all__ = ["DONE", "FAILED", "QUEUED", "RUNNING", "Job", "Worker", "Writer"]

IDLE_POLL_SECONDS = 30.0  # an idle worker looks for jobs anyway this often (leases run out, missed notices)
PURGE_SECONDS = 3600.0  # how often an idle worker purges old finished jobs
_WAKE_CHECK_SECONDS = 0.5  # PostgreSQL: how often a worker waiting for a notice checks for stop and wake
_QUEUE_CHECK_SECONDS = 1.0  # SQLite: how often an idle worker looks for jobs other processes queued
_log = logging.getLogger(__name__)


class Writer:
    """The write path of a running server: submits jobs and, if ``config.serve_worker``, does them."""

    def __init__(self, config: Config, shared_embedder: Callable[[], Embedder]) -> None:
        self._config = config
        self._shared_embedder = shared_embedder
        self._queue = JobQueue(config.database)
        self._worker: Worker | None = None
        self._start_lock = threading.Lock()

    def get(self, job_id: int, viewer: Viewer) -> Job | None:
        """The job if ``viewer`` submitted it (or administers); others' jobs do not exist for it."""
        return self._queue.get(job_id, viewer)

    def recent(self, viewer: Viewer, count: int = 20) -> list[Job]:
        return self._queue.recent(viewer, count)

    def add(self, files: list[StagedFile], metadata: Metadata, owner: Viewer) -> Job:
        """New documents, one per staged file."""
        return self._upload([(file, metadata, f"upload:{file.path.parent.name}") for file in files], owner)

    def replace(self, document: DocumentRecord, file: StagedFile, metadata: Metadata, owner: Viewer) -> Job:
        """A new file (and metadata) for an existing document; its id stays."""
        return self._upload([(file, metadata, document.source_key)], owner)

    def update(self, document_id: int, metadata: Metadata, owner: Viewer) -> Job:
        return self._started(
            self._queue.submit("update", owner, {"document_id": document_id, "metadata": dataclasses.asdict(metadata)})
        )

    def delete(self, document_id: int, owner: Viewer) -> Job:
        return self._started(self._queue.submit("delete", owner, {"document_id": document_id}))

    def settle(self, job: Job, seconds: float) -> Job:
        """``job`` as it stands when finished or after ``seconds``; its status then says honestly where."""
        deadline = time.monotonic() + seconds
        while True:
            current = self._queue.job(job.id) or job
            remaining = deadline - time.monotonic()
            if current.is_finished or remaining <= 0:
                return current
            worker = self._worker
            if worker is not None:
                worker.wait_for_finish(min(remaining, 0.25))
            else:
                time.sleep(min(remaining, 0.1))

    def start(self) -> None:
        """Run this server's worker thread (if configured), e.g. to do jobs left from before a restart."""
        with self._start_lock:
            if self._worker is None and self._config.serve_worker:
                self._worker = Worker(self._config, self._shared_embedder())
                threading.Thread(target=self._worker.run, name="kreiswissen-writer", daemon=True).start()

    def _upload(self, items: list[tuple[StagedFile, Metadata, str]], owner: Viewer) -> Job:
        files = [(JobFile(file.name, file.format, key, metadata), file.path) for file, metadata, key in items]
        try:
            job = self._queue.submit_upload(owner, files)
        except BaseException:
            for file, _, _ in items:
                file.discard()
            raise
        if self._queue.keeps_bytes:
            for file, _, _ in items:
                file.discard()  # the job holds the bytes; the staged copy is not needed
        return self._started(job)

    def _started(self, job: Job) -> Job:
        self.start()
        if self._worker is not None:
            self._worker.wake()
        return job


class Worker:
    """Claims jobs from the queue and does them, one at a time, renewing each job's lease."""

    def __init__(self, config: Config, embedder: Embedder | None = None, *, idle_poll: float = IDLE_POLL_SECONDS):
        self._config = config
        self._queue = JobQueue(config.database)
        self._kb = KnowledgeBase(config, embedder=embedder)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._idle_poll = idle_poll
        self._wake = threading.Event()
        self._finished = threading.Condition()
        self._stop = threading.Event()
        self._next_purge = 0.0  # monotonic time of the next purge of old jobs
        self._listener: Database | None = None
        if config.shared:  # PostgreSQL: new jobs send a notice
            self._listener = Database(config.database, migrate=False)
            self._listener.listen(JOBS_CHANNEL)

    def run(self, *, until_idle: bool = False) -> int:
        """Do jobs until :meth:`stop` (or, ``until_idle``, until none is left); returns how many."""
        done, reachable = 0, True
        while not self._stop.is_set():
            try:
                if self.run_one():
                    done += 1
                    continue
                reachable = True
            except Exception:  # the database away for a while (a restart, the network): try again
                if until_idle:
                    raise
                if reachable:  # once per outage, not every second
                    _log.exception("worker %s cannot reach the job queue; trying again", self.name)
                reachable = False
            self._purge_now_and_then()
            if until_idle:
                break
            self.wait_for_work(self._idle_wait())
        return done

    def _idle_wait(self) -> float:
        """The safety poll, or less when a running job's lease runs out sooner (a worker that died)."""
        try:
            lease_end = self._queue.seconds_to_next_lease_end()
        except Exception:  # the database away: the next poll tries again
            return self._idle_poll
        return self._idle_poll if lease_end is None else min(self._idle_poll, lease_end + 0.1)

    def wait_for_work(self, seconds: float) -> bool:
        """Wait until a job may be waiting, at most ``seconds``: a notice of a new job (PostgreSQL,
        any node), a queued job seen (SQLite, any process), :meth:`wake` or :meth:`stop` in this
        process. Whether one of them came."""
        deadline = time.monotonic() + seconds
        woken = False
        while not woken and (left := deadline - time.monotonic()) > 0:
            if self._listener is None:
                woken = self._wake.wait(min(left, _QUEUE_CHECK_SECONDS)) or self._queued()
            else:
                woken = self._notified(min(left, _WAKE_CHECK_SECONDS)) or self._wake.is_set()
        self._wake.clear()
        return woken

    def _queued(self) -> bool:
        try:
            return self._queue.has_queued()
        except Exception:  # the catalogue busy or away: the next look tries again
            return False

    def _notified(self, seconds: float) -> bool:
        try:
            return self._listener.notified(seconds)
        except Exception:  # the database away (a restart): wait, then listen again
            self._wake.wait(seconds)
            return False

    def _purge_now_and_then(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_SECONDS
        try:
            purged = self._queue.purge(self._config.jobs_retention_days)
        except Exception:  # the database away: the next idle moment after an hour tries again
            _log.exception("worker %s could not purge old jobs", self.name)
            return
        if purged:
            _log.info(
                "worker %s purged %d jobs finished over %d days ago",
                self.name,
                purged,
                self._config.jobs_retention_days,
            )

    def run_one(self) -> bool:
        """Claim and do one job; False if none is waiting."""
        claim = self._queue.claim(self.name, self._config.job_lease_seconds)
        if claim is None:
            return False
        renewing = threading.Event()
        keeper = threading.Thread(target=self._keep_lease, args=(claim, renewing), daemon=True)
        keeper.start()
        try:
            error = self._do(claim)
        finally:
            renewing.set()
            keeper.join()
        if not self._queue.finish(claim, error):
            _log.warning("job %s was taken over by another worker before %s finished it", claim.job.id, self.name)
        with self._finished:
            self._finished.notify_all()
        return True

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def close(self) -> None:
        self._kb.close()
        self._queue.close()
        if self._listener is not None:
            self._listener.close()

    def wait_for_finish(self, seconds: float) -> None:
        with self._finished:
            self._finished.wait(seconds)

    def _keep_lease(self, claim: Claim, stop: threading.Event) -> None:
        lease = self._config.job_lease_seconds
        while not stop.wait(lease / 3):
            try:
                if not self._queue.renew(claim, lease):
                    return
            except Exception:  # a dropped connection: the next renewal tries again
                _log.exception("renewing the lease of job %s failed", claim.job.id)

    def _do(self, claim: Claim) -> str | None:
        """Do the claimed job; returns its error, if it failed."""
        try:
            self._kb.refresh()  # another process (`kb ingest`) may have saved the indexes meanwhile
            payload = claim.payload
            if claim.job.kind == "upload":
                self._ingest(claim)
            elif claim.job.kind == "update":
                self._kb.update_metadata(payload["document_id"], Metadata(**payload["metadata"]))
            else:
                self._remove(claim)
            return None
        except KbError as error:
            return str(error)
        except Exception as error:  # the worker must survive a bug in one job
            _log.exception("job %s failed", claim.job.id)
            return f"unerwarteter Fehler: {type(error).__name__}: {error}"

    def _remove(self, claim: Claim) -> None:
        try:
            self._kb.remove(claim.payload["document_id"])
        except DocumentNotFound:
            if claim.attempt == 1:
                raise
            # taken over: the worker before may have deleted it and died before it could say so

    def _ingest(self, claim: Claim) -> None:
        results: list[FileResult] = list(claim.job.results)  # a job taken over goes on after its done files

        def on_ocr_page(name: str, done: int, total: int) -> None:
            self._queue.note_progress(claim, f"{name}: Texterkennung, Seite {done} von {total} gelesen")

        for position in range(len(results), claim.job.total):
            file = job_file(claim.payload, position)
            self._queue.note_progress(claim, f"{file.name} wird aufgenommen")
            staged = self._staged(claim, position, file)
            try:
                results.append(
                    self._kb.ingest_upload(
                        staged.path,
                        file.metadata,
                        source_key=file.source_key,
                        file_name=file.name,
                        checked_format=file.format,
                        on_ocr_page=on_ocr_page,
                    )
                )
                self._queue.note_results(claim, results)  # before the file goes: a takeover needs it until then
            finally:
                staged.discard()
        self._queue.note_progress(claim, None)

    def _staged(self, claim: Claim, position: int, file: JobFile) -> StagedFile:
        """The file of ``position`` in a private folder of this worker's data directory."""
        source = self._queue.file_source(claim, position)
        if isinstance(source, Path) and source.is_file():
            return StagedFile(source, file.name, file.format)
        if not isinstance(source, bytes):
            raise KbError(f"{file.name}: Die hochgeladene Datei ist nicht mehr vorhanden; bitte erneut hochladen.")
        folder = self._config.uploads_dir / secrets.token_hex(8)
        folder.mkdir(parents=True)
        path = folder / file.name
        try:
            path.write_bytes(source)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return StagedFile(path, file.name, file.format)
