"""PDF loader: text per page (PDFium) with page numbers, headings from outline (pypdf), type and numbering."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PIL import Image

from ingest.blocks import key, page_blocks
from ingest.headings import cover_title, styled_headings
from ingest.metadata import plausible_title, readable_file_title
from ingest.normalize import clean_text, has_text, strip_running_lines
from ingest.ocr import MAX_PIXELS, OcrSettings, PageText, Progress, read_pages, unavailable
from ingest.pdftext import PDFIUM, Line, body_size, draws_large_image, page_lines, page_text
from kb.core.documents import Block, LoadedDocument, Metadata
from kb.core.errors import IngestError


def load_pdf(path: Path, ocr: OcrSettings | None = None, on_progress: Progress | None = None) -> LoadedDocument:
    """Text per page; pages without a text layer (or with only running lines over a large
    image) are read by OCR when ``ocr`` is given."""
    import pypdfium2 as pdfium
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(path, "Das PDF ist verschlüsselt (Passwortschutz) und kann nicht gelesen werden.")
        page_count = len(reader.pages)
        outline = _outline_titles(reader)
        metadata = reader.metadata
        with PDFIUM:
            document = pdfium.PdfDocument(path)
    except IngestError:
        raise
    except (
        PdfReadError,
        pdfium.PdfiumError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
    ) as error:
        message = str(error) or type(error).__name__
        if "decrypt" in message.lower() or "encrypt" in message.lower() or "password" in message.lower():
            raise IngestError(
                path, "Das PDF ist verschlüsselt (Passwortschutz) und kann nicht gelesen werden."
            ) from None
        raise IngestError(path, f"Das PDF ist beschädigt und kann nicht gelesen werden ({message}).") from None
    if not page_count:
        with PDFIUM:
            document.close()
        raise IngestError(path, "Das PDF hat keine Seiten.")

    try:
        with PDFIUM:  # not held while Tesseract reads: the viewer's requests need PDFium meanwhile
            lines = [page_lines(document[index]) for index in range(len(document))]
            body = body_size(lines)
            heights = [document[index].get_height() for index in range(len(document))]
            layered = [clean_text(page_text(page, height, body)) for page, height in zip(lines, heights, strict=True)]
            pages = strip_running_lines(layered)
            empty = [number for number, text in enumerate(pages, 1) if not has_text(text)]
            # a page whose only text is a running header is no scan, unless it carries a large image
            scanned = [n for n in empty if not has_text(layered[n - 1]) or draws_large_image(document[n - 1])]
        read, warnings = _read_by_ocr(document, scanned, ocr, on_progress) if scanned and ocr else ({}, [])
    finally:
        with PDFIUM:
            document.close()
    if len(empty) == len(pages) and not read:
        raise IngestError(
            path,
            " ".join(
                [
                    f"Keine der {len(pages)} Seiten enthält extrahierbaren Text – vermutlich ein "
                    "gescanntes PDF (Bilder ohne Textebene)"
                    + (
                        "; auch die Texterkennung fand keinen Text." if ocr else "; die Texterkennung ist abgeschaltet."
                    ),
                    *warnings,
                ]
            ),
        )
    known = {**styled_headings(lines, body), **outline}
    blocks: list[Block] = []
    for number, text in enumerate(pages, 1):
        if number in read:
            blocks.extend(read[number].blocks())
        elif number not in empty:
            blocks.extend(page_blocks(text, number, known, by_numbering=not body))
    return LoadedDocument(
        format="pdf",
        blocks=blocks,
        page_count=len(pages),
        pages_without_text=[number for number in empty if number not in read],
        metadata=Metadata(title=_title(_meta_title(metadata), lines)),
        created=_meta_date(metadata),
        ocr_pages=sorted(read),
        warnings=warnings,
    )


def _read_by_ocr(
    document: object, scanned: list[int], settings: OcrSettings, on_progress: Progress | None
) -> tuple[dict[int, PageText], list[str]]:
    """OCR for the pages without a text layer that show something; their texts and warnings."""
    reason = unavailable(settings)
    if reason:
        return {}, [f"{reason} Seiten ohne Textebene bleiben ungelesen."]
    with PDFIUM:
        drawn = [number for number in scanned if next(document[number - 1].get_objects(max_depth=1), None) is not None]  # type: ignore[index]
    chosen, skipped = drawn[: settings.max_pages], drawn[settings.max_pages :]
    warnings = []
    if skipped:
        warnings.append(
            f"Texterkennung nur für {settings.max_pages} Seiten je Dokument (KB_OCR_MAX_PAGES); "
            f"{len(skipped)} weitere Seiten ohne Textebene bleiben ungelesen (ab Seite {skipped[0]})."
        )
    renders = ((number, partial(_render, document, number, settings.dpi)) for number in chosen)
    read = {}
    for page in read_pages(renders, len(chosen), settings, on_progress):
        if page.error:
            warnings.append(page.error)
        elif page.paragraphs:
            read[page.page] = page
    return read, warnings


def _render(document: object, number: int, dpi: int) -> Image.Image:
    """A page as a grey image at ``dpi``, or less if that would exceed ocr.MAX_PIXELS."""
    with PDFIUM:
        page = document[number - 1]  # type: ignore[index]
        width, height = page.get_size()  # points, 1/72 inch
        scale = min(dpi / 72, (MAX_PIXELS / max(width * height, 1)) ** 0.5)
        image = page.render(scale=scale, grayscale=True).to_pil()
        del page  # closes it now, under the lock
    image.info["dpi"] = (72 * scale, 72 * scale)
    return image


def _outline_titles(reader: object) -> dict[str, int]:
    """Bookmark titles mapped to their depth (1 = top level)."""
    titles: dict[str, int] = {}

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            elif getattr(item, "title", None):
                titles.setdefault(key(clean_text(str(item.title))), depth)

    try:
        walk(reader.outline, 1)  # type: ignore[attr-defined]
    except Exception:  # a broken outline costs only the headings, never the text
        return {}
    return titles


def _title(declared: str | None, pages: list[list[Line]]) -> str | None:
    """The declared title if it is one (or a file name made of words), else the largest type on
    the first page with text."""
    if plausible_title(declared):
        return declared
    if readable_file_title(declared):
        return readable_file_title(declared)
    return next((title for lines in pages if (title := cover_title(lines))), None)


def _meta_title(metadata: object) -> str | None:
    title = getattr(metadata, "title", None) if metadata else None
    return clean_text(str(title)).strip() or None if title else None


def _meta_date(metadata: object) -> str | None:
    try:
        created = metadata.creation_date if metadata else None  # type: ignore[attr-defined]
    except Exception:  # unparsable dates are common and harmless
        return None
    return created.date().isoformat() if created else None
