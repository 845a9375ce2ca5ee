"""What a long-running server works with: a pool of readers, one background writer, accounts."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kb.core.access import OPERATOR, Viewer
from kb.core.config import Config
from kb.core.documents import NO_FILTERS, DocumentRecord, Passage, SearchFilters
from kb.core.errors import KbError
from kb.core.vocabulary import canonical_county
from kb.service.accounts import Account, Accounts
from kb.service.experience import CountyExperience, experience
from kb.service.follower import Following
from kb.service.gaps import GapGroup, GapLog
from kb.service.knowledge import KnowledgeBase
from kb.service.merkliste import Merkliste
from kb.service.network import CountyProfile, Network, county_named
from kb.service.presenters import filters_text
from kb.service.saved_searches import NewDocument, SavedSearch, SavedSearches, new_documents
from kb.service.visible import VisibleKnowledge
from kb.service.writer import Writer


class KnowledgeServer:
    def __init__(self, config: Config, kb: KnowledgeBase) -> None:
        self.config = config
        self.kb = kb
        self.accounts = Accounts(config.database)
        self.merkliste = Merkliste(config.database)
        self.network = Network(config.database)
        self.gaps = GapLog(config.database, config.gaps_retention_days)
        self.saved_searches = SavedSearches(config.database)
        self.writer = Writer(config, lambda: kb.embedder)
        self._readers = ReaderPool(kb, config.readers)
        self._following: Following | None = None

    @contextmanager
    def reading(self, viewer: Viewer) -> Iterator[VisibleKnowledge]:
        """The knowledge base as ``viewer`` may see it, for this request alone, with the indexes
        the writer saved last."""
        with self._readers.borrow() as kb:
            yield VisibleKnowledge(kb, viewer)

    def collect(self, viewer: Viewer, passage_id: int) -> None:
        """Put a passage on the viewer's Merkliste; one they may not see is reported as missing."""
        with self.reading(viewer) as kb:
            kb.passage(passage_id)
        self.merkliste.add(viewer.id, passage_id)

    def collected(self, viewer: Viewer) -> list[tuple[Passage, DocumentRecord]]:
        """The viewer's Merkliste as they may see it now."""
        with self.reading(viewer) as kb:
            return kb.quotes(self.merkliste.passage_ids(viewer.id), strict=False)

    def county_profile(self, viewer: Viewer, county: str) -> CountyProfile:
        """A county's role, the documents of it the viewer may see, and, for members, its contacts."""
        name = county_named(county)
        with self.reading(viewer) as kb:
            documents = [d for d in kb.documents("ready") if d.metadata.county == name]
        role, contacts = self.network.role(name), self.network.contacts(name)
        if not (documents or role or contacts or canonical_county(name)):
            raise KbError(f"Den Landkreis {name} kennt Kreiswissen nicht.")  # nor any document of it you may see
        return CountyProfile(name, role, documents, contacts if viewer.is_member else [])

    def note(self, kind: str, query: str, filters: SearchFilters, asker: Account | None) -> None:
        """Count a question for „Was dem Netzwerk fehlt“ — not a member's who switched that off."""
        if asker is not None and not asker.records_searches:
            return
        self.gaps.record(kind, query, filters_text(filters))
        self.gaps.purge()

    def gap_groups(self) -> list[GapGroup]:
        self.gaps.purge()
        return self.gaps.groups(self.kb.embedder.embed_query)

    def news(self, member: Account) -> list[tuple[SavedSearch, list[NewDocument]]]:
        """Each saved search of ``member`` with what arrived since it was saved, as they may see it."""
        with self.reading(member.viewer) as kb:
            return [
                (saved, new_documents(kb, saved, saved.created_at)) for saved in self.saved_searches.of(member.name)
            ]

    def feed(self, token: str) -> tuple[SavedSearch, list[NewDocument]] | None:
        """The saved search of a feed token and its news as its owner may see them now."""
        saved = self.saved_searches.by_token(token)
        owner = self.accounts.account(saved.owner) if saved else None
        if saved is None or owner is None:
            return None
        with self.reading(owner.viewer) as kb:
            return saved, new_documents(kb, saved, saved.created_at)

    def experience(
        self, viewer: Viewer, query: str, topic: str | None, filters: SearchFilters = NO_FILTERS
    ) -> list[CountyExperience]:
        """Wer hat damit Erfahrung: counties ranked by material above the floor, with their role
        and, for signed-in members, their contact people for the topic (or the material's topics)."""
        with self.reading(viewer) as kb:
            found = experience(kb, query, topic, filters)
        roles = self.network.roles()
        for county in found:
            county.role = roles.get(county.county)
            if viewer.is_member:
                wanted = {topic} if topic else county.topics
                county.contacts = [c for c in self.network.contacts(county.county) if c.topic in wanted]
        return found

    def follow(self) -> None:
        """With a shared catalogue: bring this node's indexes up to date, then keep them so in a
        thread until :meth:`close` (kb/service/follower.py). Without one, nothing to do."""
        if self.config.shared and self._following is None:
            self._following = Following(self.config, self.kb.embedder)

    def close(self) -> None:
        if self._following is not None:
            self._following.stop()
            self._following = None

    def warm_up(self) -> None:
        """Load the model, the indexes and the keyword analysis before the first request."""
        with self.reading(OPERATOR) as kb:
            if kb.counts()[1]:
                kb.search("Aufwärmen")


class ReaderPool:
    """Up to ``size`` readers, each with its own SQLite connection and index handles.

    All share ``first``'s embedding model, whose query batching then serves concurrent searches
    together, the FAISS index in memory of each saved generation (index/vector.py) and the
    memory-mapped keyword index. Readers are made on demand; a request waits for a free one in
    arrival order, with the indexes the writer saved last. A thread that borrows again while it
    holds a reader gets the same one: waiting for a second reader while holding one could wait for
    ever once every reader is taken.
    """

    def __init__(self, first: KnowledgeBase, size: int) -> None:
        self._first = first
        self._free: queue.Queue[KnowledgeBase] = queue.Queue()
        self._free.put(first)
        self._made = 1
        self._size = max(size, 1)
        self._lock = threading.Lock()
        self._held = threading.local()  # this thread's reader and how many borrows hold it

    @contextmanager
    def borrow(self) -> Iterator[KnowledgeBase]:
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield self._held.kb
            finally:
                self._held.depth -= 1
            return
        kb = self._take()
        kb.refresh()  # a nested borrow keeps the indexes its holder started with
        self._held.kb, self._held.depth = kb, 1
        try:
            yield kb
        finally:
            self._held.kb, self._held.depth = None, 0
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
