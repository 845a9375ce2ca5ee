"""Bring files into the knowledge base: check, load, describe, split, embed, store, index.

:class:`Ingestion` runs these steps for one batch; the catalogue marks a document ``ready``
(visible to search) only after its passages are saved in both indexes, so a crash at any moment
leaves nothing half-ingested in sight.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ingest import load, supported
from ingest.metadata import detect_metadata, read_sidecar
from ingest.ocr import OcrSettings
from ingest.text import text_document
from kb.core.access import COUNTY
from kb.core.documents import DocumentRecord, LoadedDocument, Metadata, Passage, PassageDraft
from kb.core.errors import DiskFull, IngestError, KbError
from kb.core.files import file_sha256, is_disk_full
from kb.core.vocabulary import canonical_county
from kb.service.answering import Embedded, embed_with_units
from kb.service.originals import keep_original
from kb.service.vector_rows import encode

if TYPE_CHECKING:
    from kb.service.knowledge import KnowledgeBase

ADDED, UPDATED, UNCHANGED, FAILED, SKIPPED = "added", "updated", "unchanged", "failed", "skipped"
OcrProgress = Callable[[str, int, int], None]  # (file name, pages done, pages to read)


@dataclass(slots=True)
class FileResult:
    file: str  # as the user knows it: the path given to `kb ingest`, or an upload's file name
    outcome: str  # added | updated | unchanged | failed | skipped
    document_id: int | None = None
    passages: int = 0
    pages: int | None = None
    pages_without_text: list[int] = field(default_factory=list)
    message: str | None = None
    ocr_pages: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        """The one JSON shape of a file's result (CLI ``--json`` and the API's jobs)."""
        return dataclasses.asdict(self)


@dataclass(slots=True)
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    stopped: str | None = None  # why the batch ended before its last file (a full disk)

    def stop(self, reason: str, unsaved: Sequence[int]) -> None:
        """End the report early; files whose documents could not be saved count as failed."""
        self.stopped = reason
        for result in self._stored():
            if result.document_id in unsaved:
                result.outcome, result.message = FAILED, reason

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    def _stored(self) -> list[FileResult]:
        return [f for f in self.files if f.outcome in (ADDED, UPDATED)]

    @property
    def passages(self) -> int:
        return sum(f.passages for f in self._stored())

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.outcome == FAILED]

    @property
    def pages_without_text(self) -> int:
        return sum(len(f.pages_without_text) for f in self._stored())

    @property
    def ocr_pages(self) -> int:
        return sum(len(f.ocr_pages) for f in self._stored())

    def summary(self) -> str:
        return (
            f"{self.count(ADDED)} neu, {self.count(UPDATED)} aktualisiert, "
            f"{self.count(UNCHANGED)} unverändert, {self.count(FAILED)} fehlgeschlagen, "
            f"{self.count(SKIPPED)} übersprungen · {self.passages} Passagen · "
            f"{self.ocr_pages} Seiten per Texterkennung · {self.pages_without_text} Seiten ohne Text"
        )

    def as_json(self) -> dict:
        return {
            **{outcome: self.count(outcome) for outcome in (ADDED, UPDATED, UNCHANGED, FAILED, SKIPPED)},
            "passages": self.passages,
            "pages_without_text": self.pages_without_text,
            "ocr_pages": self.ocr_pages,
            "stopped": self.stopped,
            "files": [f.as_json() for f in self.files],
        }


@dataclass(slots=True)
class Prepared:
    """A file read, described, split and embedded, waiting to be stored."""

    path: Path
    shown: str  # the name the user knows
    source_key: str
    digest: str
    loaded: LoadedDocument
    metadata: Metadata
    drafts: list[PassageDraft]
    embedded: Embedded


@dataclass(slots=True)
class Unreadable:
    """A file that failed before it could be stored; its failure is recorded with the stored ones."""

    path: Path
    shown: str
    source_key: str
    error: KbError
    given: Metadata


class Ingestion:
    """One batch of files going into a knowledge base (its catalogue, indexes and model).

    Indexes are saved, and the documents in them marked ready, at least every
    ``flush_seconds`` and at the end (:meth:`finish`).
    """

    def __init__(self, kb: KnowledgeBase, *, on_ocr_page: OcrProgress | None = None) -> None:
        self.kb = kb
        self.config = kb.config
        self.on_ocr_page = on_ocr_page
        self._waiting: list[int] = []  # documents indexed but not yet saved to disk
        self._last_flush = time.monotonic()

    def files(self, paths: Sequence[Path], given: Metadata) -> Iterator[FileResult]:
        """Ingest every supported file under ``paths``; a bad file never stops the batch."""
        for path, explicit in discover(paths, supported, exclude=self.config.data_dir):
            if explicit:
                yield self.file(path, given)
            else:
                yield FileResult(str(path), SKIPPED, message="Format wird nicht unterstützt")
            if self._waiting and time.monotonic() - self._last_flush >= self.config.flush_seconds:
                self.flush()

    def file(
        self,
        path: Path,
        given: Metadata,
        *,
        source_key: str | None = None,
        shown_name: str | None = None,
        checked_format: str | None = None,
    ) -> FileResult:
        """Add or update one file; ``source_key`` of a known document replaces it.

        ``shown_name`` is the name the user knows (an upload's), ``checked_format`` the format an
        upload check already established.
        """
        return self.store_prepared(
            self.prepare(path, given, source_key=source_key, shown_name=shown_name, checked_format=checked_format)
        )

    def prepare(
        self,
        path: Path,
        given: Metadata,
        *,
        source_key: str | None = None,
        shown_name: str | None = None,
        checked_format: str | None = None,
    ) -> Prepared | Unreadable | FileResult:
        """Read, describe, split and embed one file: the slow part, which changes nothing, so an
        upload's worker runs it outside the write lock. An unchanged file is its result already."""
        shown = shown_name or str(path)
        source_key = source_key or str(path.resolve())
        try:
            if not path.is_file():
                raise IngestError(shown, "Die Datei gibt es nicht.")
            digest = file_sha256(path)
            existing = self.kb.catalogue.find_by_source(source_key)
            if existing and existing.content_hash == digest and existing.status == "ready":
                return _unchanged(shown, existing)
            loaded = load(
                path,
                max_bytes=self.config.max_upload_mb * 1_000_000,
                ocr=self._ocr_settings(),
                on_progress=self._progress(Path(shown).name),
                checked_format=checked_format,
            )
            metadata = describe(loaded, given, read_sidecar(path), fallback_title=Path(shown).stem)
            if existing and not metadata.visibility:  # a new version keeps its level unless one is given
                metadata.visibility = existing.metadata.visibility
            drafts = self.kb.splitter.split(loaded.blocks)
            if not drafts:
                raise IngestError(path, "Die Datei enthält keinen Text, der sich durchsuchen ließe.")
            embedded = embed_with_units(self.kb.embedder, [(d.heading_path, d.text) for d in drafts])
        except KbError as error:
            return Unreadable(path, shown, source_key, error, given)
        except Exception as error:  # a loader library's bug must not abort the batch
            if is_disk_full(error):
                raise
            unexpected = IngestError(path, f"unerwarteter Fehler: {type(error).__name__}: {error}")
            return Unreadable(path, shown, source_key, unexpected, given)
        return Prepared(path, shown, source_key, digest, loaded, metadata, drafts, embedded)

    def store_prepared(self, prepared: Prepared | Unreadable | FileResult) -> FileResult:
        """Store what :meth:`prepare` made of a file (under the write lock), or record its failure."""
        if isinstance(prepared, FileResult):
            return prepared
        if isinstance(prepared, Unreadable):
            return self._failed(prepared.path, prepared.shown, prepared.source_key, prepared.error, prepared.given)
        existing = self.kb.catalogue.find_by_source(prepared.source_key)  # as it stands now, under the lock
        if existing and existing.content_hash == prepared.digest and existing.status == "ready":
            return _unchanged(prepared.shown, existing)  # another writer stored the same file meanwhile
        loaded = prepared.loaded
        keep_original(prepared.path, prepared.digest, self.config, self.kb.catalogue)
        document_id, passages = self.store(
            prepared.source_key,
            prepared.digest,
            Path(prepared.shown).name,
            loaded,
            prepared.metadata,
            prepared.drafts,
            prepared.embedded,
            existing,
        )
        self._waiting.append(document_id)
        return FileResult(
            prepared.shown,
            UPDATED if existing and existing.status != "failed" else ADDED,
            document_id,
            len(passages),
            loaded.page_count,
            loaded.pages_without_text,
            _notes(loaded),
            loaded.ocr_pages,
        )

    def texts(self, items: Sequence[tuple[str, str, str]], on_progress: Callable[[int, int], None] | None) -> None:
        """Index ``(key, title, text)`` records that have no file (evaluation corpora)."""
        for done, (key, title, text) in enumerate(items, 1):
            loaded = text_document(title, text)
            drafts = self.kb.splitter.split(loaded.blocks)
            if drafts:
                embedded = embed_with_units(self.kb.embedder, [(d.heading_path, d.text) for d in drafts])
                existing = self.kb.catalogue.find_by_source(key)
                document_id, _ = self.store(key, key, key, loaded, Metadata(title=title), drafts, embedded, existing)
                self._waiting.append(document_id)
            if on_progress:
                on_progress(done, len(items))

    def store(
        self,
        source_key: str,
        digest: str,
        file_name: str,
        loaded: LoadedDocument,
        metadata: Metadata,
        drafts: Sequence[PassageDraft],
        embedded: Embedded,
        existing: DocumentRecord | None,
    ) -> tuple[int, list[Passage]]:
        """Write a document's passages to the catalogue (pending), with their near-duplicate
        groups, and to both indexes; a shared catalogue keeps their vectors instead, and each
        node's indexes follow it (kb/service/follower.py)."""
        catalogue, duplicates = self.kb.catalogue, self.kb.duplicates
        old_ids = catalogue.passage_ids(existing.id) if existing else []
        with catalogue.transaction(), duplicates.kept_in_step():
            document_id = catalogue.upsert_document(
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
            left = duplicates.forget(old_ids)
            passages = catalogue.replace_passages(document_id, drafts)
            duplicates.regroup(left)
            duplicates.add(passages)
            if self.config.shared:
                catalogue.store_vectors(
                    (p.id, *encode(vector, spans, units))
                    for p, vector, spans, units in zip(
                        passages, embedded.vectors, embedded.unit_spans, embedded.unit_vectors, strict=True
                    )
                )
        if self.config.shared:
            return document_id, passages
        indexes = self.kb.indexes
        if existing:
            indexes.remove(document_id, old_ids)
        indexes.add(document_id, metadata, passages, embedded.vectors, embedded.unit_spans, embedded.unit_vectors)
        return document_id, passages

    def flush(self) -> None:
        """Save the indexes, then mark the documents in them ready (visible to search; with a
        shared catalogue, to the nodes' indexes that follow it)."""
        self._last_flush = time.monotonic()
        if not self._waiting:
            return
        if not self.config.shared:
            self.kb.indexes.save()
        with self.kb.catalogue.transaction():
            for document_id in self._waiting:
                self.kb.catalogue.set_status(document_id, "ready")
        self._waiting.clear()

    @property
    def waiting(self) -> list[int]:
        """Documents indexed in memory whose indexes are not saved yet (not ready)."""
        return list(self._waiting)

    @contextmanager
    def stopping_on_full_disk(self) -> Iterator[None]:
        """Turn a full file system into :class:`DiskFull`, after saving what waits if space allows."""
        try:
            yield
        except Exception as error:
            if not is_disk_full(error):
                raise
            try:
                self.flush()
            except Exception as again:  # still full: the waiting documents stay pending, redone next time
                if not is_disk_full(again):
                    raise
            raise DiskFull(self.config.data_dir) from error

    def _failed(self, path: Path, shown: str, source_key: str, error: KbError, given: Metadata) -> FileResult:
        """Record the failure; a previously ingested version of the file stays searchable.

        The record of a new file that failed is Kreis-intern unless a level was given: its
        sidecar, which might have said so, may be what failed.
        """
        catalogue = self.kb.catalogue
        existing = catalogue.find_by_source(source_key)
        document_id = existing.id if existing else None
        message = str(error).replace(str(path), shown)  # name the file as the user knows it
        file_name = Path(shown).name
        if existing is None and path.is_file():
            with catalogue.transaction():
                document_id = catalogue.upsert_document(
                    source_key=source_key,
                    content_hash=file_sha256(path),
                    file_name=file_name,
                    format=Path(file_name).suffix.lower().lstrip("."),
                    metadata=Metadata(
                        title=Path(file_name).stem, county=given.county, visibility=given.visibility or COUNTY
                    ),
                    page_count=None,
                    pages_without_text=[],
                    status="failed",
                    error=message,
                )
        elif existing is not None and existing.status == "failed":
            catalogue.set_status(existing.id, "failed", message)
        return FileResult(shown, FAILED, document_id, message=message)

    def _ocr_settings(self) -> OcrSettings | None:
        if not self.config.ocr:
            return None
        return OcrSettings(
            languages=self.config.ocr_languages,
            page_seconds=self.config.ocr_page_seconds,
            max_pages=self.config.ocr_max_pages,
            dpi=self.config.ocr_dpi,
            workers=self.config.threads,
        )

    def _progress(self, file_name: str) -> Callable[[int, int], None] | None:
        report = self.on_ocr_page
        return (lambda done, total: report(file_name, done, total)) if report else None


def discover(paths: Iterable[Path], is_supported: Callable[[Path], bool], exclude: Path) -> Iterator[tuple[Path, bool]]:
    """Files to ingest, as ``(path, explicit)``; folders are walked recursively in name order.

    Files found in a folder walk that no loader supports are yielded with ``explicit=False`` so
    the caller can list them as skipped; hidden files, ``.meta.json`` sidecars and everything
    under ``exclude`` (the knowledge base's own data directory) are ignored.
    """
    exclude = exclude.resolve()
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if (
                    child.is_file()
                    and not any(part.startswith(".") for part in relative)
                    and not child.name.endswith(".meta.json")
                    and "__pycache__" not in relative
                    and not child.resolve().is_relative_to(exclude)
                ):
                    yield child, is_supported(child)
        else:
            yield path, True


def describe(loaded: LoadedDocument, given: Metadata, sidecar: Metadata, fallback_title: str) -> Metadata:
    """Metadata by precedence: given (CLI/form) > sidecar > the file's own > detection."""
    declared = given.merged_over(sidecar).merged_over(loaded.metadata)
    text = "\n".join(block.text for block in loaded.blocks[:400])
    detected = detect_metadata(declared.title, text, loaded.format, loaded.created)
    merged = declared.merged_over(detected)
    if merged.county:
        merged.county = canonical_county(merged.county) or merged.county
    merged.title = merged.title or fallback_title
    return merged


def _unchanged(shown: str, existing: DocumentRecord) -> FileResult:
    return FileResult(
        shown,
        UNCHANGED,
        existing.id,
        existing.passage_count,
        existing.page_count,
        existing.pages_without_text,
        ocr_pages=existing.ocr_pages,
    )


def _notes(loaded: LoadedDocument) -> str | None:
    notes = list(loaded.warnings)
    if loaded.ocr_pages:
        notes.insert(0, f"Texterkennung auf {page_list(loaded.ocr_pages)}")
    if loaded.pages_without_text:
        notes.append(f"ohne Text: {page_list(loaded.pages_without_text)}")
    return " · ".join(notes) or None


def page_list(pages: Sequence[int]) -> str:
    """ "Seiten 1–3, 7" for [1, 2, 3, 7], "Seite 4" for [4]."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    listed = ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)
    return f"{'Seite' if len(pages) == 1 else 'Seiten'} {listed}"
