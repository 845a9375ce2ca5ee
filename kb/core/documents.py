"""The records that flow from loaders through the splitter into the catalogue and indexes."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.core.access import Access


@dataclass(frozen=True, slots=True)
class Block:
    """A run of text a loader found: a heading or a paragraph, on one page."""

    text: str
    page: int | None  # 1-based; None for formats without pages
    kind: str = "paragraph"  # "heading" | "paragraph"
    level: int = 0  # heading level (1 = top) for kind == "heading"
    ocr_confidence: float | None = None  # Tesseract's mean word confidence (0–100) for OCR text


@dataclass(slots=True)
class Metadata:
    """What is known about a document; None/empty means unknown."""

    title: str | None = None
    county: str | None = None
    doc_type: str | None = None
    year: int | None = None
    topics: list[str] = field(default_factory=list)
    source_url: str | None = None
    visibility: str | None = None  # public | network | county (kb.core.access); None: not chosen

    def merged_over(self, base: Metadata) -> Metadata:
        """Fields set here win; unknown ones fall back to ``base``."""
        return Metadata(
            title=self.title or base.title,
            county=self.county or base.county,
            doc_type=self.doc_type or base.doc_type,
            year=self.year or base.year,
            topics=self.topics or base.topics,
            source_url=self.source_url or base.source_url,
            visibility=self.visibility or base.visibility,
        )


@dataclass(slots=True)
class LoadedDocument:
    """A file turned into blocks, before splitting."""

    format: str  # "pdf" | "docx" | "pptx" | "html" | "md" | "txt"
    blocks: list[Block]
    page_count: int | None = None
    pages_without_text: list[int] = field(default_factory=list)
    metadata: Metadata = field(default_factory=Metadata)  # what the file itself declares
    created: str | None = None  # ISO date the file declares (PDF/Office properties)
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text comes from OCR
    warnings: list[str] = field(default_factory=list)  # problems that cost part of the document


@dataclass(frozen=True, slots=True)
class PassageDraft:
    """A passage before it has a catalogue id."""

    ordinal: int
    text: str
    page_start: int | None
    page_end: int | None
    heading_path: tuple[str, ...]
    char_start: int  # offsets into the document's joined text
    char_end: int
    token_count: int
    ocr_confidence: float | None = None  # set when the text (or part of it) comes from OCR


@dataclass(frozen=True, slots=True)
class Passage:
    """A stored passage with its catalogue id and its document's metadata for the indexes."""

    id: int
    document_id: int
    ordinal: int
    text: str
    page_start: int | None
    page_end: int | None
    heading_path: tuple[str, ...]
    char_start: int
    char_end: int
    token_count: int
    ocr_confidence: float | None = None  # set when the text (or part of it) comes from OCR


@dataclass(slots=True)
class DocumentRecord:
    """A row of the catalogue's documents table."""

    id: int
    source_key: str
    content_hash: str
    file_name: str
    format: str
    metadata: Metadata
    page_count: int | None
    pages_without_text: list[int]
    passage_count: int
    status: str  # "pending" | "ready" | "failed"
    error: str | None
    added_at: str
    updated_at: str
    ocr_pages: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions applied inside every retriever (never by cutting a top-k afterwards).

    Empty tuples / None mean "no restriction". Values within one field are OR-ed, fields AND-ed.
    """

    counties: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    document_ids: tuple[int, ...] = ()
    access: Access | None = None  # who is asking may see only this (kb.service.access); None: all

    def is_empty(self) -> bool:
        return not (
            self.access
            or self.counties
            or self.doc_types
            or self.topics
            or self.document_ids
            or self.year_from is not None
            or self.year_to is not None
        )


def passage_context(heading_path: tuple[str, ...], text: str) -> str:
    """The text that is embedded for a passage: its nearest heading, then the passage itself.

    The splitter sizes passages by the tokens of exactly this string, so nothing is cut later.
    """
    return f"{heading_path[-1]}\n{text}" if heading_path else text


NO_FILTERS = SearchFilters()
