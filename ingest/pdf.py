"""PDF loader (pypdf): text per page with page numbers, headings from outline and numbering."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.blocks import paragraphs_from_lines
from ingest.normalize import clean_text, has_text, strip_running_lines
from kb.documents import Block, LoadedDocument, Metadata
from kb.errors import IngestError

# "3.2 Mobilität", "4 Maßnahmenkatalog": a short numbered line without further digits or end stop.
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-ZÄÖÜ][^\d.!?;:]{2,80})$")


def load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(path, "Das PDF ist verschlüsselt (Passwortschutz) und kann nicht gelesen werden.")
        raw_pages = [page.extract_text() or "" for page in reader.pages]
        outline = _outline_titles(reader)
        metadata = reader.metadata
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as error:
        message = str(error) or type(error).__name__
        if "decrypt" in message.lower() or "encrypt" in message.lower():
            raise IngestError(
                path, "Das PDF ist verschlüsselt (Passwortschutz) und kann nicht gelesen werden."
            ) from None
        raise IngestError(path, f"Das PDF ist beschädigt und kann nicht gelesen werden ({message}).") from None
    if not raw_pages:
        raise IngestError(path, "Das PDF hat keine Seiten.")

    pages = strip_running_lines([clean_text(text) for text in raw_pages])
    empty = [number for number, text in enumerate(pages, 1) if not has_text(text)]
    if len(empty) == len(pages):
        raise IngestError(
            path,
            f"Keine der {len(pages)} Seiten enthält extrahierbaren Text – vermutlich ein "
            "gescanntes PDF (Bilder ohne Textebene); ohne Texterkennung (OCR) nicht durchsuchbar.",
        )
    blocks: list[Block] = []
    for number, text in enumerate(pages, 1):
        if number not in empty:
            blocks.extend(_page_blocks(text, number, outline))
    return LoadedDocument(
        format="pdf",
        blocks=blocks,
        page_count=len(pages),
        pages_without_text=empty,
        metadata=Metadata(title=_meta_title(metadata)),
        created=_meta_date(metadata),
    )


def _page_blocks(text: str, page: int, outline: dict[str, int]) -> list[Block]:
    blocks: list[Block] = []
    lines: list[str] = []
    for line in text.split("\n"):
        heading = _heading_level(line, outline)
        if heading:
            blocks.extend(Block(p, page) for p in paragraphs_from_lines(lines))
            lines = []
            blocks.append(Block(line.strip(), page, "heading", heading))
        else:
            lines.append(line)
    blocks.extend(Block(p, page) for p in paragraphs_from_lines(lines))
    return blocks


def _heading_level(line: str, outline: dict[str, int]) -> int:
    key = _key(line)
    if key in outline:
        return outline[key]
    match = _NUMBERED_HEADING.match(line.strip())
    if match and len(match.group(2).split()) <= 8:
        return match.group(1).count(".") + 1
    return 0


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _outline_titles(reader: object) -> dict[str, int]:
    """Bookmark titles mapped to their depth (1 = top level)."""
    titles: dict[str, int] = {}

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            elif getattr(item, "title", None):
                titles.setdefault(_key(clean_text(str(item.title))), depth)

    try:
        walk(reader.outline, 1)  # type: ignore[attr-defined]
    except Exception:  # a broken outline costs only the headings, never the text
        return {}
    return titles


def _meta_title(metadata: object) -> str | None:
    title = getattr(metadata, "title", None) if metadata else None
    return clean_text(str(title)).strip() or None if title else None


def _meta_date(metadata: object) -> str | None:
    try:
        created = metadata.creation_date if metadata else None  # type: ignore[attr-defined]
    except Exception:  # unparsable dates are common and harmless
        return None
    return created.date().isoformat() if created else None
