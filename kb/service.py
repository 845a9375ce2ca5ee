"""The knowledge base: the one door through which the CLI and the web reach documents and search."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kb.catalogue import Catalogue
from kb.config import Config
from kb.documents import (
    NO_FILTERS,
    DocumentRecord,
    LoadedDocument,
    Metadata,
    Passage,
    PassageDraft,
    SearchFilters,
    passage_context,
)
from kb.errors import DocumentNotFound, IngestError, KbError
from kb.indexes import IndexSet, keyword_entry, new_generation, publish
from kb.ingestion import (
    ADDED,
    FAILED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    FileResult,
    IngestReport,
    content_hash,
    describe,
    discover,
    keep_original,
)
from kb.locking import writing

OcrProgress = Callable[[str, int, int], None]  # (file name, pages done, pages to read)


class KnowledgeBase:
    """Catalogue + indexes + embedding model of one data directory.

    The embedding model is loaded on first use, so listing documents never imports torch.
    """

    def __init__(self, config: Config, *, embedder: object | None = None) -> None:
        self.config = config.resolved()
        self.catalogue = Catalogue(self.config.catalogue_path)
        self._embedder = embedder
        self._tokens = None
        self._indexes: IndexSet | None = None

    def close(self) -> None:
        self.catalogue.close()

    # components, loaded lazily

    @property
    def model_dir(self) -> Path:
        from index.embedder import ensure_model

        return ensure_model(self.config.model_dir)

    @property
    def embedder(self):  # noqa: ANN201 - index.embedder.Embedder, imported lazily
        if self._embedder is None:
            from index.embedder import Embedder

            self._embedder = Embedder(self.model_dir, threads=self.config.threads)
        return self._embedder

    @property
    def indexes(self) -> IndexSet:
        if self._indexes is None:
            if not self.config.index_dir.exists():  # a new data directory starts with generation 1
                first = new_generation(self.config.index_dir)
                first.mkdir(parents=True)
                publish(self.config.index_dir, first)
            self._indexes = IndexSet(
                self.config.index_dir,
                model_id=self.embedder.model_id,
                dim=self.embedder.dim,
                ann_threshold=self.config.ann_threshold,
            )
        return self._indexes

    def refresh(self) -> None:
        """Pick up indexes another process or thread has saved since they were loaded here."""
        if self._indexes is not None and self._indexes.changed_on_disk():
            self._indexes = None

    @property
    def searcher(self):  # noqa: ANN201 - kb.search.Searcher
        from kb.search import Searcher

        return Searcher(self.catalogue, self.indexes, self.embedder)

    def search(self, query: str, **options: object):  # noqa: ANN201 - kb.search.SearchResult
        return self.searcher.search(query, **options)

    def answer(self, query: str, **options: object):  # noqa: ANN201 - kb.search.Answer
        return self.searcher.answer(query, **options)

    def similar(self, passage_id: int, **options: object) -> list:
        return self.searcher.similar(passage_id, **options)

    def facets(self, filters: SearchFilters = NO_FILTERS) -> dict[str, list[tuple[str, int]]]:
        return self.catalogue.facets(filters)

    def _splitter(self):  # noqa: ANN202 - ingest.splitter.Splitter
        from index.embedder import TokenCounter
        from ingest.splitter import Splitter

        if self._tokens is None:
            self._tokens = TokenCounter(self.model_dir)
        return Splitter(
            self._tokens.count,
            max_tokens=self._tokens.max_tokens,
            target_tokens=self.config.passage_tokens,
            overlap_tokens=self.config.overlap_tokens,
        )

    # documents

    def documents(self) -> list[DocumentRecord]:
        return self.catalogue.documents()

    def document(self, document_id: int) -> DocumentRecord:
        return self.catalogue.get(document_id)

    def passages(self, document_id: int) -> list[Passage]:
        self.catalogue.get(document_id)
        return self.catalogue.passages(document_id)

    @writing
    def update_metadata(self, document_id: int, metadata: Metadata) -> DocumentRecord:
        """Change a document's metadata in the catalogue and in the keyword index's filter fields."""
        self.catalogue.get(document_id)
        with self.catalogue.transaction():
            self.catalogue.update_metadata(document_id, metadata)
        self.indexes.replace_keyword_entries(
            [keyword_entry(p, document_id, metadata) for p in self.catalogue.passages(document_id)]
        )
        return self.catalogue.get(document_id)

    @writing
    def remove(self, document_id: int) -> DocumentRecord:
        """Delete a document from the catalogue and both indexes."""
        record = self.catalogue.get(document_id)
        passage_ids = self.catalogue.passage_ids(document_id)
        self.catalogue.set_status(document_id, "pending")
        self.indexes.remove(document_id, passage_ids)
        self.indexes.save()
        with self.catalogue.transaction():
            self.catalogue.delete_document(document_id)
        return record

    # ingest

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

        ``on_ocr_page(file, done, total)`` follows the pages read by OCR.
        """
        from ingest import supported

        report = IngestReport()
        waiting: list[int] = []  # documents indexed but not yet saved to disk
        last_flush = time.monotonic()
        for path, explicit in discover(paths, supported, exclude=self.config.data_dir):
            if not explicit:
                result = FileResult(str(path), SKIPPED, message="Format wird nicht unterstützt")
            else:
                result = self._ingest_file(path, metadata or Metadata(), waiting, on_ocr_page=on_ocr_page)
            report.files.append(result)
            if waiting and time.monotonic() - last_flush >= self.config.flush_seconds:
                self._flush(waiting)
                last_flush = time.monotonic()
            if on_file:
                on_file(result)
        self._flush(waiting)
        return report

    @writing
    def ingest_upload(
        self,
        path: Path,
        metadata: Metadata,
        *,
        source_key: str,
        file_name: str | None = None,
        on_ocr_page: OcrProgress | None = None,
    ) -> FileResult:
        """Ingest one uploaded file under ``source_key`` (a new key adds, a known key replaces)."""
        waiting: list[int] = []
        result = self._ingest_file(
            path, metadata, waiting, source_key=source_key, file_name=file_name, on_ocr_page=on_ocr_page
        )
        self._flush(waiting)
        # name the file as the user knows it, not by its staging path
        shown = file_name or path.name
        message = result.message.replace(str(path), shown) if result.message else None
        return dataclasses.replace(result, path=shown, message=message)

    def _ingest_file(
        self,
        path: Path,
        given: Metadata,
        waiting: list[int],
        *,
        source_key: str | None = None,
        file_name: str | None = None,
        on_ocr_page: OcrProgress | None = None,
    ) -> FileResult:
        from ingest import load
        from ingest.metadata import read_sidecar

        source_key = source_key or str(path.resolve())
        file_name = file_name or path.name
        try:
            if not path.is_file():
                raise IngestError(path, "Die Datei gibt es nicht.")
            digest = content_hash(path)
            existing = self.catalogue.find_by_source(source_key)
            if existing and existing.content_hash == digest and existing.status == "ready":
                return FileResult(
                    str(path),
                    UNCHANGED,
                    existing.id,
                    existing.passage_count,
                    existing.page_count,
                    existing.pages_without_text,
                    ocr_pages=existing.ocr_pages,
                )
            loaded = load(
                path,
                max_bytes=self.config.max_upload_mb * 1_000_000,
                ocr=self._ocr_settings(),
                on_progress=(lambda done, total: on_ocr_page(file_name, done, total)) if on_ocr_page else None,
            )
            sidecar = read_sidecar(path)
            metadata = describe(loaded, given, sidecar, fallback_title=Path(file_name).stem)
            drafts = self._splitter().split(loaded.blocks)
            if not drafts:
                raise IngestError(path, "Die Datei enthält keinen Text, der sich durchsuchen ließe.")
            vectors = self.embedder.embed_passages([passage_context(d.heading_path, d.text) for d in drafts])
        except KbError as error:
            return self._failed(path, source_key, file_name, error)
        except Exception as error:  # a loader library's bug must not abort the batch
            return self._failed(
                path,
                source_key,
                file_name,
                IngestError(file_name, f"unerwarteter Fehler: {type(error).__name__}: {error}"),
            )

        keep_original(path, digest, self.config.originals_dir)
        document_id, passages = self._store(source_key, digest, file_name, loaded, metadata, drafts, vectors, existing)
        waiting.append(document_id)
        outcome = UPDATED if existing and existing.status != "failed" else ADDED
        notes = list(loaded.warnings)
        if loaded.ocr_pages:
            notes.insert(0, f"Texterkennung auf {_page_list(loaded.ocr_pages)}")
        if loaded.pages_without_text:
            notes.append(f"ohne Text: {_page_list(loaded.pages_without_text)}")
        return FileResult(
            str(path),
            outcome,
            document_id,
            len(passages),
            loaded.page_count,
            loaded.pages_without_text,
            " · ".join(notes) or None,
            loaded.ocr_pages,
        )

    def _ocr_settings(self):  # noqa: ANN202 - ingest.ocr.OcrSettings | None
        from ingest.ocr import OcrSettings

        if not self.config.ocr:
            return None
        return OcrSettings(
            languages=self.config.ocr_languages,
            page_seconds=self.config.ocr_page_seconds,
            max_pages=self.config.ocr_max_pages,
            dpi=self.config.ocr_dpi,
            workers=self.config.threads,
        )

    def _store(
        self,
        source_key: str,
        digest: str,
        file_name: str,
        loaded: LoadedDocument,
        metadata: Metadata,
        drafts: Sequence[PassageDraft],
        vectors: np.ndarray,
        existing: DocumentRecord | None,
    ) -> tuple[int, list[Passage]]:
        """Write a document's passages to the catalogue (pending) and to both indexes."""
        old_ids = self.catalogue.passage_ids(existing.id) if existing else []
        with self.catalogue.transaction():
            document_id = self.catalogue.upsert_document(
                source_key=source_key,
                content_hash=digest,
                file_name=file_name,
                format=loaded.format,
                metadata=metadata,
                page_count=loaded.page_count,
                pages_without_text=loaded.pages_without_text,
                ocr_pages=loaded.ocr_pages,
                status="pending",
            )
            passages = self.catalogue.replace_passages(document_id, drafts)
        if existing:
            self.indexes.remove(document_id, old_ids)
        self.indexes.add(document_id, metadata, passages, vectors)
        return document_id, passages

    @writing
    def add_texts(
        self, items: Sequence[tuple[str, str, str]], on_progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Index ``(key, title, text)`` records that have no file (evaluation corpora)."""
        from ingest.text import text_document

        splitter = self._splitter()
        for done, (key, title, text) in enumerate(items, 1):
            loaded = text_document(title, text)
            drafts = splitter.split(loaded.blocks)
            if drafts:
                vectors = self.embedder.embed_passages([passage_context(d.heading_path, d.text) for d in drafts])
                document_id, _ = self._store(
                    key, key, key, loaded, Metadata(title=title), drafts, vectors, self.catalogue.find_by_source(key)
                )
                self.catalogue.set_status(document_id, "ready")
            if on_progress:
                on_progress(done, len(items))
        self.indexes.save()

    def _failed(self, path: Path, source_key: str, file_name: str, error: KbError) -> FileResult:
        """Record the failure; a previously ingested version of the file stays searchable."""
        existing = self.catalogue.find_by_source(source_key)
        document_id = existing.id if existing else None
        if existing is None and path.is_file():
            with self.catalogue.transaction():
                document_id = self.catalogue.upsert_document(
                    source_key=source_key,
                    content_hash=content_hash(path),
                    file_name=file_name,
                    format=Path(file_name).suffix.lower().lstrip("."),
                    metadata=Metadata(title=Path(file_name).stem),
                    page_count=None,
                    pages_without_text=[],
                    status="failed",
                    error=str(error),
                )
        elif existing is not None and existing.status == "failed":
            self.catalogue.set_status(existing.id, "failed", str(error))
        return FileResult(str(path), FAILED, document_id, message=str(error))

    def _flush(self, waiting: list[int]) -> None:
        """Save the indexes, then mark the documents in them ready (visible to search)."""
        if not waiting:
            return
        self.indexes.save()
        with self.catalogue.transaction():
            for document_id in waiting:
                self.catalogue.set_status(document_id, "ready")
        waiting.clear()

    def check(self):  # noqa: ANN201 - kb.consistency.ConsistencyReport
        """Compare the catalogue's ready passages with both indexes."""
        from kb.consistency import compare

        ready = {p.id for p in self.catalogue.iter_ready_passages()}
        unfinished = [d.id for d in self.catalogue.documents("pending")]
        return compare(ready, self.indexes.vectors.ids().tolist(), self.indexes.keywords.passage_ids(), unfinished)

    @writing
    def reindex(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild both indexes from the catalogue; returns the number of passages indexed.

        The new indexes are built in a new generation folder and published by replacing the
        ``index`` symlink, so searches never wait or fail meanwhile, and a failed rebuild leaves
        the old indexes in place (also when they belong to another model).
        """
        from index.embedder import MODEL_ID

        building = new_generation(self.config.index_dir)
        indexes = IndexSet(building, model_id=MODEL_ID, dim=self.embedder.dim, ann_threshold=self.config.ann_threshold)
        passages = list(self.catalogue.iter_ready_passages())
        documents = {d.id: d for d in self.catalogue.documents("ready")}
        batch = 256
        for start in range(0, len(passages), batch):
            chunk = passages[start : start + batch]
            vectors = self.embedder.embed_passages([passage_context(p.heading_path, p.text) for p in chunk])
            for document_id in dict.fromkeys(p.document_id for p in chunk):
                mine = [i for i, p in enumerate(chunk) if p.document_id == document_id]
                indexes.add(document_id, documents[document_id].metadata, [chunk[i] for i in mine], vectors[mine])
            if on_progress:
                on_progress(min(start + batch, len(passages)), len(passages))
        indexes.save()
        publish(self.config.index_dir, building)
        self._indexes = None
        return len(passages)


def _page_list(pages: Sequence[int]) -> str:
    """ "Seiten 1–3, 7" for [1, 2, 3, 7], "Seite 4" for [4]."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    listed = ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)
    return f"{'Seite' if len(pages) == 1 else 'Seiten'} {listed}"


def find_document(kb: KnowledgeBase, key: str) -> DocumentRecord:
    """A document by id or by file name (as users type them on the command line)."""
    if key.isdigit():
        return kb.document(int(key))
    matches = [d for d in kb.documents() if d.file_name == key or d.source_key == key]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DocumentNotFound(f"Kein Dokument mit der Nummer oder dem Dateinamen {key!r}.")
    raise DocumentNotFound(
        f"{len(matches)} Dokumente heißen {key!r}: "
        + ", ".join(str(d.id) for d in matches)
        + ". Bitte die Nummer angeben."
    )
