"""The knowledge base as one viewer may see and change it: the one place access is enforced.

Every read of the web app goes through :class:`VisibleKnowledge`. Searches, answers, similar
passages and facet counts carry the viewer's :class:`~kb.core.access.Access` in their filters,
so the catalogue (SQL), FAISS (the allowed-id selector) and the keyword index (its visibility
field) leave hidden documents out before anything is ranked or counted. A hidden document or
passage is reported exactly like one that does not exist.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kb.core.access import Viewer
from kb.core.documents import NO_FILTERS, DocumentRecord, Metadata, Passage, SearchFilters
from kb.core.errors import DocumentNotFound, Forbidden, PassageNotFound
from kb.service.knowledge import KnowledgeBase
from kb.service.search import Answer, Hit, SearchResult


class VisibleKnowledge:
    def __init__(self, kb: KnowledgeBase, viewer: Viewer) -> None:
        self.kb = kb
        self.viewer = viewer

    @property
    def config(self):
        return self.kb.config

    def filters(self, filters: SearchFilters = NO_FILTERS) -> SearchFilters:
        """``filters`` narrowed to what the viewer may see."""
        return dataclasses.replace(filters, access=self.viewer.access)

    def _sees(self, document: DocumentRecord) -> bool:
        return self.viewer.sees(document.metadata.visibility or "", document.metadata.county)

    # reading

    def search(
        self, query: str, *, filters: SearchFilters = NO_FILTERS, mode: str = "hybrid", limit: int = 10, offset: int = 0
    ) -> SearchResult:
        return self.kb.search(query, filters=self.filters(filters), mode=mode, limit=limit, offset=offset)

    def answer(self, query: str, *, filters: SearchFilters = NO_FILTERS, limit: int = 5) -> Answer:
        return self.kb.answer(query, filters=self.filters(filters), limit=limit)

    def similar(self, passage_id: int, *, limit: int = 5, filters: SearchFilters = NO_FILTERS) -> list[Hit]:
        self.passage(passage_id)
        return self.kb.similar(passage_id, limit=limit, filters=self.filters(filters))

    def facets(self, filters: SearchFilters = NO_FILTERS) -> dict[str, list[tuple[str, int]]]:
        return self.kb.facets(self.filters(filters))

    def documents(self, status: str | None = None) -> list[DocumentRecord]:
        return self.kb.documents(status, self.viewer.access)

    def counts(self) -> tuple[int, int]:
        """(documents, passages) this viewer's searches run over."""
        ready = self.documents("ready")
        return len(ready), sum(d.passage_count for d in ready)

    def document(self, document_id: int) -> DocumentRecord:
        record = self.kb.document(document_id)
        if not self._sees(record):
            raise DocumentNotFound.numbered(document_id)
        return record

    def passages(self, document_id: int) -> list[Passage]:
        self.document(document_id)
        return self.kb.passages(document_id)

    def passage(self, passage_id: int) -> tuple[Passage, DocumentRecord]:
        found, document = self.kb.passage(passage_id)
        if not self._sees(document):
            raise PassageNotFound.numbered(passage_id)
        return found, document

    def original(self, document: DocumentRecord) -> Path | None:
        return self.kb.original(self.document(document.id))

    # what writes are allowed (the writer then applies them)

    def changeable(self, document_id: int) -> DocumentRecord:
        """A document this viewer may change; hidden ones are not found, others' are forbidden."""
        record = self.document(document_id)
        if not self.viewer.may_place(record.metadata.county):
            raise Forbidden(self._not_yours(record.metadata.county))
        return record

    def placed(self, metadata: Metadata) -> Metadata:
        """Metadata for a new or changed document, checked: editors keep to their own county.

        An editor's upload without a county belongs to the editor's county.
        """
        if not self.viewer.writes:
            raise Forbidden("Dieses Konto darf keine Dokumente aufnehmen oder ändern.")
        if not metadata.county and not self.viewer.all_counties:
            metadata = dataclasses.replace(metadata, county=self.viewer.county)
        if not self.viewer.may_place(metadata.county):
            raise Forbidden(self._not_yours(metadata.county))
        return metadata

    def _not_yours(self, county: str | None) -> str:
        own = self.viewer.county or "keinen Landkreis"
        return (
            f"Sie dürfen nur Dokumente Ihres Landkreises ({own}) aufnehmen und ändern, "
            f"nicht von {county or 'Dokumenten ohne Landkreis'}."
        )
