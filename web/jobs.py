"""Background writes: one worker thread applies uploads, replacements, edits and deletions in order.

Whoosh allows one writer at a time, so every write of the web app goes through this queue; the
worker has its own KnowledgeBase (own SQLite connection and indexes) and shares the embedding
model with the readers. Readers pick the saved indexes up via ``KnowledgeBase.refresh``.
"""

from __future__ import annotations

import itertools
import queue
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kb.config import Config
from kb.documents import Metadata
from kb.errors import KbError
from kb.ingestion import FileResult
from kb.service import KnowledgeBase


@dataclass(frozen=True)
class Upload:
    """A staged file waiting for ingest. ``source_key`` of an existing document replaces it."""

    path: Path
    file_name: str
    metadata: Metadata
    source_key: str


@dataclass
class Job:
    id: int
    kind: str  # "upload" | "update" | "delete"
    total: int
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    status: str = "queued"  # queued | running | done | failed
    results: list[FileResult] = field(default_factory=list)
    error: str | None = None
    progress: str | None = None  # what the running job is doing right now
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def done(self) -> int:
        return len(self.results)


class JobRunner:
    def __init__(self, config: Config, shared_embedder: Callable[[], object]) -> None:
        self._config = config
        self._shared_embedder = shared_embedder
        self._queue: queue.Queue[tuple[Job, Callable[[KnowledgeBase, Job], None]]] = queue.Queue()
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def get(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def recent(self, count: int = 20) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.id, reverse=True)[:count]

    def upload(self, uploads: list[Upload]) -> Job:
        def work(kb: KnowledgeBase, job: Job) -> None:
            def on_ocr_page(name: str, done: int, total: int) -> None:
                job.progress = f"{name}: Texterkennung, Seite {done} von {total} gelesen"

            for item in uploads:
                job.progress = f"{item.file_name} wird aufgenommen"
                try:
                    job.results.append(
                        kb.ingest_upload(
                            item.path,
                            item.metadata,
                            source_key=item.source_key,
                            file_name=item.file_name,
                            on_ocr_page=on_ocr_page,
                        )
                    )
                finally:
                    shutil.rmtree(item.path.parent, ignore_errors=True)
            job.progress = None

        return self._submit("upload", len(uploads), work)

    def update(self, document_id: int, metadata: Metadata) -> Job:
        return self._submit("update", 1, lambda kb, job: kb.update_metadata(document_id, metadata))

    def delete(self, document_id: int) -> Job:
        return self._submit("delete", 1, lambda kb, job: kb.remove(document_id))

    def _submit(self, kind: str, total: int, work: Callable[[KnowledgeBase, Job], None]) -> Job:
        job = Job(next(self._ids), kind, total)
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
            job.status = "running"
            try:
                kb.refresh()  # another process (`kb ingest`) may have saved the indexes meanwhile
                work(kb, job)
                job.status = "done"
            except KbError as error:
                job.status, job.error = "failed", str(error)
            except Exception as error:  # the worker must survive a bug in one job
                job.status, job.error = "failed", f"unerwarteter Fehler: {type(error).__name__}: {error}"
            finally:
                job.finished.set()
