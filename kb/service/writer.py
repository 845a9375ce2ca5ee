"""Background writes: one worker thread applies uploads, replacements, edits and deletions in order.

The keyword index allows one writer at a time, so every write of the web app goes through this queue; the
worker has its own KnowledgeBase (own SQLite connection and indexes) and shares the embedding
model with the readers. Readers pick the saved indexes up via ``KnowledgeBase.refresh``.

API and staff area submit the same jobs and wait the same way (:meth:`Writer.settle`): a job
that has not finished in time is reported as still queued or running, never as done.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kb.core.access import Viewer
from kb.core.config import Config
from kb.core.documents import DocumentRecord, Metadata
from kb.core.embedding import Embedder
from kb.core.errors import KbError
from kb.service.ingestion import FileResult
from kb.service.knowledge import KnowledgeBase
from kb.service.uploads import StagedFile

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass
class Job:
    id: int
    kind: str  # "upload" | "update" | "delete"
    total: int
    owner: str = ""  # the Viewer.id that submitted it: only it (and administrators) may follow it
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    status: str = QUEUED
    results: list[FileResult] = field(default_factory=list)
    error: str | None = None
    progress: str | None = None  # what the running job is doing right now
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def done(self) -> int:
        return len(self.results)

    @property
    def is_finished(self) -> bool:
        return self.finished.is_set()

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


Work = Callable[[KnowledgeBase, Job], None]


class Writer:
    """The one write path of a running server."""

    def __init__(self, config: Config, shared_embedder: Callable[[], Embedder]) -> None:
        self._config = config
        self._shared_embedder = shared_embedder
        self._queue: queue.Queue[tuple[Job, Work]] = queue.Queue()
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def get(self, job_id: int, viewer: Viewer) -> Job | None:
        """The job if ``viewer`` submitted it (or administers); others' jobs do not exist for it."""
        job = self._jobs.get(job_id)
        return job if job is not None and (job.owner == viewer.id or viewer.sees_all) else None

    def recent(self, viewer: Viewer, count: int = 20) -> list[Job]:
        mine = [j for j in self._jobs.values() if j.owner == viewer.id or viewer.sees_all]
        return sorted(mine, key=lambda j: j.id, reverse=True)[:count]

    def add(self, files: list[StagedFile], metadata: Metadata, owner: Viewer) -> Job:
        """New documents, one per staged file."""
        return self._ingest([(file, metadata, f"upload:{file.path.parent.name}") for file in files], owner)

    def replace(self, document: DocumentRecord, file: StagedFile, metadata: Metadata, owner: Viewer) -> Job:
        """A new file (and metadata) for an existing document; its id stays."""
        return self._ingest([(file, metadata, document.source_key)], owner)

    def update(self, document_id: int, metadata: Metadata, owner: Viewer) -> Job:
        return self._submit("update", 1, lambda kb, job: kb.update_metadata(document_id, metadata), owner)

    def delete(self, document_id: int, owner: Viewer) -> Job:
        return self._submit("delete", 1, lambda kb, job: kb.remove(document_id), owner)

    @staticmethod
    def settle(job: Job, seconds: float) -> Job:
        """Wait up to ``seconds`` for ``job``; its status then says honestly where it stands."""
        job.finished.wait(seconds)
        return job

    def _ingest(self, items: list[tuple[StagedFile, Metadata, str]], owner: Viewer) -> Job:
        def work(kb: KnowledgeBase, job: Job) -> None:
            def on_ocr_page(name: str, done: int, total: int) -> None:
                job.progress = f"{name}: Texterkennung, Seite {done} von {total} gelesen"

            for file, metadata, source_key in items:
                job.progress = f"{file.name} wird aufgenommen"
                try:
                    result = kb.ingest_upload(
                        file.path,
                        metadata,
                        source_key=source_key,
                        file_name=file.name,
                        checked_format=file.format,
                        on_ocr_page=on_ocr_page,
                    )
                    job.results.append(result)
                finally:
                    file.discard()
            job.progress = None

        return self._submit("upload", len(items), work, owner)

    def _submit(self, kind: str, total: int, work: Work, owner: Viewer) -> Job:
        job = Job(next(self._ids), kind, total, owner.id)
        self._jobs[job.id] = job
        self._queue.put((job, work))
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kreiswissen-writer", daemon=True)
                self._thread.start()
        return job

    def _run(self) -> None:
        kb = KnowledgeBase(self._config, embedder=self._shared_embedder())
        while True:
            job, work = self._queue.get()
            job.status = RUNNING
            try:
                kb.refresh()  # another process (`kb ingest`) may have saved the indexes meanwhile
                work(kb, job)
                job.status = DONE
            except KbError as error:
                job.status, job.error = FAILED, str(error)
            except Exception as error:  # the worker must survive a bug in one job
                job.status, job.error = FAILED, f"unerwarteter Fehler: {type(error).__name__}: {error}"
            finally:
                job.finished.set()
