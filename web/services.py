"""What the web app works with: the knowledge base for reading, accounts, and the writer queue."""

from __future__ import annotations

import queue
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
        self._readers = ReaderPool(kb, config.readers)

    @contextmanager
    def reading(self) -> Iterator[KnowledgeBase]:
        """A knowledge base for this request alone, with the indexes the writer saved last."""
        with self._readers.borrow() as kb:
            kb.refresh()
            yield kb


class ReaderPool:
    """Up to ``size`` readers, each with its own SQLite connection, FAISS copy and Whoosh searcher.

    All share ``first``'s embedding model, whose query batching then serves concurrent searches
    together. Readers are made on demand; a request waits for a free one in arrival order.
    """

    def __init__(self, first: KnowledgeBase, size: int) -> None:
        self._first = first
        self._free: queue.Queue[KnowledgeBase] = queue.Queue()
        self._free.put(first)
        self._made = 1
        self._size = max(size, 1)
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self) -> Iterator[KnowledgeBase]:
        kb = self._take()
        try:
            yield kb
        finally:
            self._free.put(kb)

    def _take(self) -> KnowledgeBase:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            make = self._made < self._size
            self._made += make
        if make:
            return KnowledgeBase(self._first.config, embedder=self._first.embedder)
        return self._free.get()


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
