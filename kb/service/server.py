"""What a long-running server works with: a pool of readers, one background writer, accounts."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kb.core.access import OPERATOR, Viewer
from kb.core.config import Config
from kb.service.accounts import Accounts
from kb.service.knowledge import KnowledgeBase
from kb.service.visible import VisibleKnowledge
from kb.service.writer import Writer


class KnowledgeServer:
    def __init__(self, config: Config, kb: KnowledgeBase) -> None:
        self.config = config
        self.kb = kb
        self.accounts = Accounts(config.catalogue_path)
        self.writer = Writer(config, lambda: kb.embedder)
        self._readers = ReaderPool(kb, config.readers)

    @contextmanager
    def reading(self, viewer: Viewer) -> Iterator[VisibleKnowledge]:
        """The knowledge base as ``viewer`` may see it, for this request alone, with the indexes
        the writer saved last."""
        with self._readers.borrow() as kb:
            kb.refresh()
            yield VisibleKnowledge(kb, viewer)

    def warm_up(self) -> None:
        """Load the model, the indexes and the keyword analysis before the first request."""
        with self.reading(OPERATOR) as kb:
            if kb.counts()[1]:
                kb.search("Aufwärmen")


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
