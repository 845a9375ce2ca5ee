"""Writes of the web app: jobs go into the shared queue (kb/service/jobs.py), workers do them.

The keyword index allows one writer at a time per data directory, so every write of the web app
is a job; a :class:`Worker` — a thread of ``kb serve`` (by default) or a ``kb worker`` process on
any machine with the same database — claims jobs one by one, with its own KnowledgeBase (own
connection and indexes). Readers pick the saved indexes up via ``KnowledgeBase.refresh``.

API and staff area submit the same jobs and wait the same way (:meth:`Writer.settle`): a job
that has not finished in time is reported as still queued or running, never as done.
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
from kb.core.errors import KbError
from kb.service.ingestion import FileResult
from kb.service.jobs import DONE, FAILED, QUEUED, RUNNING, Claim, Job, JobFile, JobQueue, job_file
from kb.service.knowledge import KnowledgeBase
from kb.service.uploads import StagedFile

__all__ = ["DONE", "FAILED", "QUEUED", "RUNNING", "Job", "Worker", "Writer"]

POLL_SECONDS = 1.0  # how often an idle worker looks for jobs other nodes submitted
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

    def __init__(self, config: Config, embedder: Embedder | None = None) -> None:
        self._config = config
        self._queue = JobQueue(config.database)
        self._kb = KnowledgeBase(config, embedder=embedder)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._wake = threading.Event()
        self._finished = threading.Condition()
        self._stop = threading.Event()

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
            if until_idle:
                break
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
        return done

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
                self._kb.remove(payload["document_id"])
            return None
        except KbError as error:
            return str(error)
        except Exception as error:  # the worker must survive a bug in one job
            _log.exception("job %s failed", claim.job.id)
            return f"unerwarteter Fehler: {type(error).__name__}: {error}"

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
