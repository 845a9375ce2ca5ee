"""What the web app works with: the knowledge base for reading, accounts, and the writer queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import abort, current_app

from kb.accounts import Accounts
from kb.config import Config
from kb.documents import DocumentRecord
from kb.errors import DocumentNotFound
from kb.ingestion import original_path
from kb.service import KnowledgeBase
from web.jobs import JobRunner


class Services:
    def __init__(self, config: Config, kb: KnowledgeBase) -> None:
        self.config = config
        self.kb = kb
        self.accounts = Accounts(config.catalogue_path)
        self.jobs = JobRunner(config, lambda: kb.embedder)
        self._read_lock = threading.Lock()  # one SQLite connection and Whoosh searcher for readers

    @contextmanager
    def reading(self) -> Iterator[KnowledgeBase]:
        """The knowledge base, with the indexes the writer saved last."""
        with self._read_lock:
            self.kb.refresh()
            yield self.kb


def services() -> Services:
    return current_app.extensions["kreiswissen"]


def document_or_404(document_id: int) -> DocumentRecord:
    with services().reading() as kb:
        try:
            return kb.document(document_id)
        except DocumentNotFound:
            abort(404)


def original_file(record: DocumentRecord) -> Path | None:
    """The kept original of ``record`` (its path derives from the content hash only)."""
    path = original_path(services().config.originals_dir, record.content_hash, record.file_name)
    return path if path.is_file() else None
