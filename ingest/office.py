"""DOCX (python-docx) and PPTX (python-pptx) loaders; a slide is a page, notes included."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ingest.normalize import clean_text
from kb.core.documents import Block, LoadedDocument, Metadata
from kb.core.errors import IngestError

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift)\s*(\d)$", re.IGNORECASE)


def load_docx(path: Path) -> LoadedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = _open(path, docx.Document, "Word-Dokument (DOCX)")
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = clean_text(item.text).strip()
            if not text:
                continue
            style = item.style.name if item.style is not None else ""
            level = _heading_level(style)
            if level:
                blocks.append(Block(text, None, "heading", level))
            else:
                blocks.append(Block(text, None))
        elif isinstance(item, Table):
            rows = [_row_text(cell.text for cell in row.cells) for row in item.rows]
            table = "\n".join(row for row in rows if row)
            if table:
                blocks.append(Block(table, None))
    properties = document.core_properties
    return LoadedDocument(
        format="docx",
        blocks=blocks,
        metadata=Metadata(title=(properties.title or "").strip() or None),
        created=properties.created.date().isoformat() if properties.created else None,
    )


def load_pptx(path: Path) -> LoadedDocument:
    from pptx import Presentation

    presentation = _open(path, Presentation, "PowerPoint-Präsentation (PPTX)")
    blocks: list[Block] = []
    empty: list[int] = []
    for number, slide in enumerate(presentation.slides, 1):
        title_shape = slide.shapes.title
        title = clean_text(title_shape.text_frame.text).strip() if title_shape is not None else ""
        title_id = title_shape.shape_id if title_shape is not None else None
        body = [text for shape in slide.shapes if shape.shape_id != title_id for text in _shape_texts(shape)]
        if slide.has_notes_slide:
            notes = clean_text(slide.notes_slide.notes_text_frame.text).strip()
            if notes:
                body.append(notes)
        if not title and not body:
            empty.append(number)
            continue
        if title:
            blocks.append(Block(title.replace("\n", " "), number, "heading", 1))
        blocks.extend(Block(text, number) for text in body)
    if len(empty) == len(presentation.slides):
        raise IngestError(path, "Die Präsentation enthält keinen Text (nur Bilder oder leere Folien).")
    properties = presentation.core_properties
    return LoadedDocument(
        format="pptx",
        blocks=blocks,
        page_count=len(presentation.slides),
        pages_without_text=empty,
        metadata=Metadata(title=(properties.title or "").strip() or None),
        created=properties.created.date().isoformat() if properties.created else None,
    )


def _shape_texts(shape: object) -> list[str]:
    """Texts of a shape: its paragraphs, its table rows, or those of grouped shapes."""
    if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
        return [text for child in shape.shapes for text in _shape_texts(child)]  # type: ignore[attr-defined]
    if getattr(shape, "has_table", False):
        rows = [_row_text(cell.text for cell in row.cells) for row in shape.table.rows]  # type: ignore[attr-defined]
        return ["\n".join(row for row in rows if row)] if any(rows) else []
    if getattr(shape, "has_text_frame", False):
        lines = [clean_text(p.text).strip() for p in shape.text_frame.paragraphs]  # type: ignore[attr-defined]
        text = "\n".join(line for line in lines if line)
        return [text] if text else []
    return []


def _row_text(cells: object) -> str:
    seen: list[str] = []
    for cell in cells:  # type: ignore[attr-defined]
        text = " ".join(clean_text(cell).split())
        if text and (not seen or seen[-1] != text):  # merged cells repeat their text
            seen.append(text)
    return " | ".join(seen)


def _heading_level(style: str) -> int:
    if style.casefold() == "title":
        return 1
    match = _HEADING_STYLE.match(style)
    return int(match.group(1)) if match else 0


def _open(path: Path, opener: object, kind: str) -> object:
    try:
        return opener(str(path))  # type: ignore[operator]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise IngestError(path, f"Die Datei ist kein lesbares {kind}: {error}") from None
    except Exception as error:  # python-docx/pptx raise their own types for broken packages
        raise IngestError(path, f"Die Datei ist kein lesbares {kind}: {type(error).__name__}: {error}") from None
