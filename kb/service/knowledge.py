"""The knowledge base of one data directory: its catalogue, indexes and embedding model."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from index.embedder import Embedder as ModelEmbedder
from index.indexes import IndexSet, keyword_entry, new_generation, publish
from index.model import ensure_model
from ingest.splitter import Splitter
from kb.core.access import Access
from kb.core.config import Config
from kb.core.documents import NO_FILTERS, DocumentRecord, Metadata, Passage, SearchFilters
from kb.core.embedding import Embedder
from kb.core.errors import DiskFull, DocumentNotFound, PassageNotFound
from kb.service.answering import embed_with_units
from kb.service.catalogue import Catalogue
from kb.service.consistency import ConsistencyReport, compare
from kb.service.duplicates import Copy, NearDuplicates, copies_of
from kb.service.follower import Follower, following
from kb.service.ingestion import (
    FileResult,
    Ingestion,
    IngestReport,
    OcrProgress,
    Prepared,
    Unreadable,
)
from kb.service.locking import writing
from kb.service.originals import carry_originals, kept_original
from kb.service.search import Answer, Hit, Searcher, SearchResult
from kb.service.transfer import TransferReport, copy_vectors, is_shared, target_location, transfer


class KnowledgeBase:
    """Catalogue + indexes + embedding model of one data directory.

    The model is loaded on first use, so listing documents never imports torch. Tests pass
    ``embedder=`` to share one model or to use a deterministic stand-in.
    """

    def __init__(self, config: Config, *, embedder: Embedder | None = None) -> None:
        self.config = config.resolved()
        self.catalogue = Catalogue(self.config.database)
        self.duplicates = NearDuplicates(self.catalogue)
        self._embedder = embedder
        self._indexes: IndexSet | None = None
        self._searcher: Searcher | None = None
        self._signatures_checked = False
        self._follower: Follower | None = None  # with a shared catalogue: updates the local indexes

    def close(self) -> None:
        if self._follower is not None:
            self._follower.close()
        self.catalogue.close()

    # components, loaded lazily

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = ModelEmbedder(ensure_model(self.config.model_dir), threads=self.config.threads)
        return self._embedder

    @property
    def indexes(self) -> IndexSet:
        if self._indexes is None:
            if self.config.shared and not following(self.config.data_dir):
                self.catch_up()  # no thread of this process keeps the cache current: bring it up to date once
            if not self.config.index_dir.exists():
                self._link_a_generation()
            self._indexes = IndexSet(
                self.config.index_dir,
                model_id=self.embedder.model_id,
                dim=self.embedder.dim,
                ann_threshold=self.config.ann_threshold,
            )
            if self._indexes.keywords.needs_visibility:
                self._upgrade_keywords()
            if not self._signatures_checked:  # once: from here on every stored passage is signed
                self._signatures_checked = True
                if self.catalogue.has_unsigned():
                    self._upgrade_duplicates()
        return self._indexes

    def _link_a_generation(self) -> None:
        """Give a data directory without an ``index`` link one: generation 1 for a new directory.

        Where generations exist, a writer is switching them (an older layout's plain folder is
        renamed, then linked): the link is back within moments. If it is not (that writer died
        between the two steps, or the link points at a deleted folder), the newest generation is
        linked. Never a new empty generation beside existing ones: readers would lose the index.
        """
        link = self.config.index_dir
        for _ in range(100):
            generations = sorted(g for g in link.parent.glob(f"{link.name}-*") if g.is_dir())
            if link.exists() or not generations:
                break
            time.sleep(0.05)
        if link.exists():
            return
        if generations:
            publish(link, generations[-1])
            return
        first = new_generation(link)
        first.mkdir(parents=True)
        publish(link, first)

    def catch_up(self) -> int:
        """Bring a shared catalogue's local index cache up to date (kb/service/follower.py);
        returns the number of changes applied."""
        if self._follower is None:
            self._follower = Follower(self.config, self.embedder)
        return self._follower.catch_up()

    @property
    def splitter(self) -> Splitter:
        return Splitter(
            self.embedder.count_tokens,
            max_tokens=self.embedder.max_passage_tokens,
            target_tokens=self.config.passage_tokens,
            overlap_tokens=self.config.overlap_tokens,
        )

    def refresh(self) -> None:
        """Pick up indexes another process or thread has saved since they were loaded here (with
        a shared catalogue: the changes since, unless a thread of this process follows them)."""
        if self._indexes is None:
            return  # loaded (and, with a shared catalogue, caught up) at first use
        if self.config.shared and not following(self.config.data_dir):
            self.catch_up()
        if self._indexes.changed_on_disk():
            self._indexes = None

    @property
    def searcher(self) -> Searcher:
        indexes = self.indexes
        if self._searcher is None or self._searcher.indexes is not indexes:
            self._searcher = Searcher(self.catalogue, indexes, self.embedder, lagging=self.config.shared)
        return self._searcher

    # reading

    def search(
        self, query: str, *, filters: SearchFilters = NO_FILTERS, mode: str = "hybrid", limit: int = 10, offset: int = 0
    ) -> SearchResult:
        return self.searcher.search(query, filters=filters, mode=mode, limit=limit, offset=offset)

    def answer(self, query: str, *, filters: SearchFilters = NO_FILTERS, limit: int = 5) -> Answer:
        return self.searcher.answer(query, filters=filters, limit=limit)

    def similar(self, passage_id: int, *, limit: int = 5, filters: SearchFilters = NO_FILTERS) -> list[Hit]:
        return self.searcher.similar(passage_id, limit=limit, filters=filters)

    def facets(self, filters: SearchFilters = NO_FILTERS) -> dict[str, list[tuple[str, int]]]:
        return self.catalogue.facets(filters)

    def documents(self, status: str | None = None, access: Access | None = None) -> list[DocumentRecord]:
        return self.catalogue.documents(status, access)

    def document(self, document_id: int) -> DocumentRecord:
        return self.catalogue.get(document_id)

    def passages(self, document_id: int) -> list[Passage]:
        self.catalogue.get(document_id)
        return self.catalogue.passages(document_id)

    def passage(self, passage_id: int) -> tuple[Passage, DocumentRecord]:
        found = self.catalogue.passages_by_id([passage_id]).get(passage_id)
        if found is None:
            raise PassageNotFound.numbered(passage_id)
        return found, self.catalogue.get(found.document_id)

    def copies(self, passage_ids: Sequence[int], access: Access | None = None) -> dict[int, list[Copy]]:
        """Passage id -> its near-duplicates in other places ``access`` lets see (all when None)."""
        return copies_of(self.catalogue, passage_ids, access)

    def original(self, document: DocumentRecord) -> Path | None:
        """The kept original file of ``document``, if it is stored (see :func:`kept_original`)."""
        return kept_original(document.content_hash, document.file_name, self.config, self.catalogue)

    def counts(self) -> tuple[int, int]:
        """(documents, passages) visible to search."""
        ready = self.catalogue.documents("ready")
        return len(ready), sum(d.passage_count for d in ready)

    def find_document(self, key: str) -> DocumentRecord:
        """A document by id or by file name (as users type them on the command line)."""
        if key.isdigit():
            return self.document(int(key))
        matches = [d for d in self.documents() if d.file_name == key or d.source_key == key]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise DocumentNotFound(f"Kein Dokument mit der Nummer oder dem Dateinamen {key!r}.")
        raise DocumentNotFound(
            f"{len(matches)} Dokumente heißen {key!r}: "
            + ", ".join(str(d.id) for d in matches)
            + ". Bitte die Nummer angeben."
        )

    # writing

    @writing
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        metadata: Metadata | None = None,
        on_file: Callable[[FileResult], None] | None = None,
        on_ocr_page: OcrProgress | None = None,
    ) -> IngestReport:
        """Add or update every supported file under ``paths``; a bad file never stops the batch.

        A full disk does: the report says so, and the documents saved before it stay.

        ``on_ocr_page(file, done, total)`` follows the pages read by OCR.
        """
        batch = Ingestion(self, on_ocr_page=on_ocr_page)
        report = IngestReport()
        try:
            with batch.stopping_on_full_disk():
                for result in batch.files(paths, metadata or Metadata()):
                    report.files.append(result)
                    if on_file:
                        on_file(result)
                batch.flush()
        except DiskFull as error:
            report.stop(str(error), unsaved=batch.waiting)
        return report

    def ingest_upload(
        self,
        path: Path,
        metadata: Metadata,
        *,
        source_key: str,
        file_name: str,
        checked_format: str,
        on_ocr_page: OcrProgress | None = None,
    ) -> FileResult:
        """Ingest one checked upload under ``source_key`` (a new key adds, a known key replaces).

        Reading, OCR and embedding run before the write lock is taken, so workers sharing a data
        directory do them side by side and wait for each other only to store and save.
        """
        batch = Ingestion(self, on_ocr_page=on_ocr_page)
        with batch.stopping_on_full_disk():
            prepared = batch.prepare(
                path, metadata, source_key=source_key, shown_name=file_name, checked_format=checked_format
            )
        return self._store_upload(batch, prepared)

    @writing
    def _store_upload(self, batch: Ingestion, prepared: Prepared | Unreadable | FileResult) -> FileResult:
        with batch.stopping_on_full_disk():
            result = batch.store_prepared(prepared)
            batch.flush()
        return result

    @writing
    def add_texts(
        self, items: Sequence[tuple[str, str, str]], on_progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Index ``(key, title, text)`` records that have no file (evaluation corpora)."""
        batch = Ingestion(self)
        batch.texts(items, on_progress)
        batch.flush()

    @writing
    def update_metadata(self, document_id: int, metadata: Metadata) -> DocumentRecord:
        """Change a document's metadata in the catalogue and in the keyword index's filter fields."""
        self.catalogue.get(document_id)
        with self.catalogue.transaction():
            self.catalogue.update_metadata(document_id, metadata)
        if self.config.shared:  # the nodes' indexes follow the change
            return self.catalogue.get(document_id)
        self.indexes.replace_keyword_entries(
            [keyword_entry(p, document_id, metadata) for p in self.catalogue.passages(document_id)]
        )
        return self.catalogue.get(document_id)

    @writing
    def remove(self, document_id: int) -> DocumentRecord:
        """Delete a document from the catalogue and both indexes."""
        record = self.catalogue.get(document_id)
        passage_ids = self.catalogue.passage_ids(document_id)
        if not self.config.shared:  # else the nodes' indexes follow the deletion
            self.catalogue.set_status(document_id, "pending")
            self.indexes.remove(document_id, passage_ids)
            self.indexes.save()
        with self.catalogue.transaction(), self.duplicates.kept_in_step():
            left = self.duplicates.forget(passage_ids)
            self.catalogue.delete_document(document_id)
            self.duplicates.regroup(left)
        return record

    def check(self) -> ConsistencyReport:
        """Compare the catalogue's ready passages with both indexes, each passage's visibility,
        and the near-duplicate groups with those the passages' signatures give.

        FAISS holds no visibility (dense search gets its allowed ids from the catalogue); the
        keyword index filters by the level stored with each entry, which must be the document's.
        """
        if self.config.shared:
            self.refresh()
        ready = {p.id for p in self.catalogue.iter_ready_passages()}
        unfinished = [d.id for d in self.catalogue.documents("pending")]
        report = compare(ready, self.indexes.vectors.ids().tolist(), self.indexes.keywords.passage_ids(), unfinished)
        indexed = self.indexes.keywords.visibilities()
        report.wrong_visibility = sorted(
            item for item, level in self.catalogue.passage_visibilities().items() if indexed.get(item, level) != level
        )
        report.unsigned_passages = [p.id for p in self.catalogue.unsigned_passages()]
        stored, expected = self.catalogue.duplicate_groups(), self.duplicates.expected_groups()
        report.stale_duplicate_groups = sorted(
            item for item in stored.keys() | expected.keys() if stored.get(item) != expected.get(item)
        )
        return report

    @writing
    def transfer(self, target: str | Path) -> TransferReport:
        """Copy the catalogue into the empty database ``target`` and compare both, under the
        write lock: nothing changes meanwhile (see :mod:`kb.service.transfer`); then the kept
        originals where the moved catalogue looks for them (its table, or the data directory)."""
        if self.config.shared:
            self.catch_up()  # the data directory's indexes then serve the embedded copy
        report = transfer(self.config.database, target)
        if report.ok:
            if not self.config.shared and is_shared(target):
                copy_vectors(self.indexes, [p.id for p in self.catalogue.iter_ready_passages()], target, report)
            moved = Catalogue(target_location(target))
            try:
                report.originals = carry_originals(self.catalogue.documents(), self.config, self.catalogue, moved)
            finally:
                moved.close()
        return report

    @writing
    @writing
    def _upgrade_duplicates(self) -> None:
        """Sign the passages from before near-duplicate detection and group them (no model needed)."""
        unsigned = self.catalogue.unsigned_passages()  # none if another process upgraded meanwhile
        by_document: dict[int, list[Passage]] = {}
        for passage in unsigned:
            by_document.setdefault(passage.document_id, []).append(passage)
        with self.catalogue.transaction(), self.duplicates.kept_in_step():
            for passages in by_document.values():
                self.duplicates.add(passages)

    @writing
    def _upgrade_keywords(self) -> None:
        """Give a keyword index from before visibility levels the level of every entry (no model needed)."""
        if self._indexes is None or not self._indexes.keywords.needs_visibility:
            return  # another process upgraded it meanwhile; the next access reloads
        documents = {d.id: d for d in self.catalogue.documents()}
        entries = [
            keyword_entry(p, document.id, document.metadata)
            for document in documents.values()
            if document.status != "failed"
            for p in self.catalogue.passages(document.id)
        ]
        self._indexes.rewrite_keywords(list(documents), entries)

    @writing
    def reindex(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild both indexes from the catalogue; returns the number of passages indexed.

        The new indexes are built in a new generation folder and published by replacing the
        ``index`` symlink, so searches never wait or fail meanwhile, and a failed rebuild leaves
        the old indexes in place (also when they belong to another model). With a shared
        catalogue, the node's cache is built from the vectors the catalogue holds (no model run).
        """
        if self.config.shared:
            self.catch_up()  # a follower of its own
            self._follower.rebuild()
            self._indexes = None
            return self.catalogue.count_passages()
        building = new_generation(self.config.index_dir)
        embedder = self.embedder
        indexes = IndexSet(
            building, model_id=embedder.model_id, dim=embedder.dim, ann_threshold=self.config.ann_threshold
        )
        passages = list(self.catalogue.iter_ready_passages())
        documents = {d.id: d for d in self.catalogue.documents("ready")}
        batch = 256
        for start in range(0, len(passages), batch):
            chunk = passages[start : start + batch]
            embedded = embed_with_units(embedder, [(p.heading_path, p.text) for p in chunk])
            for document_id in dict.fromkeys(p.document_id for p in chunk):
                mine = [i for i, p in enumerate(chunk) if p.document_id == document_id]
                indexes.add(
                    document_id,
                    documents[document_id].metadata,
                    [chunk[i] for i in mine],
                    embedded.vectors[mine],
                    [embedded.unit_spans[i] for i in mine],
                    [embedded.unit_vectors[i] for i in mine],
                )
            if on_progress:
                on_progress(min(start + batch, len(passages)), len(passages))
        indexes.save()
        with self.catalogue.transaction(), self.duplicates.kept_in_step():
            self.duplicates.rebuild(self.catalogue.passages(d.id) for d in self.catalogue.documents())
        publish(self.config.index_dir, building)
        self._indexes = None
        return len(passages)
