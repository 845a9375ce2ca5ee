"""Text lines of a PDF page with their position and font, read by PDFium (pypdfium2).

PDFium places glyphs by the font's character positions, so words the PDF draws letter by letter
come out whole („Bauwesen“, where pypdf read „Bauw esen“), and it marks hyphens it found at line
ends (U+FFFE), which are handed on as a line break for ``normalize.join_hyphenated`` to judge.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

# PDFium is not thread-safe: no two of its calls may run at once, not even on different documents
# (pypdfium2's documentation; doing so crashes or corrupts the process). A server reads PDFs in
# its writer thread (ingest) and in request threads (the viewer's highlights), so every use of
# PDFium holds this lock.
PDFIUM = threading.RLock()

# PDFium's font weight is unreliable (Corbel Regular reports 640): the font name and the
# ForceBold flag of the font descriptor decide.
_BOLD_NAMES = ("bold", "semibold", "black", "heavy", "demi")
_FORCE_BOLD = 1 << 18
_FOOTNOTE_ZONE = 0.22  # footnotes sit in the bottom fifth of a page
_LARGE_IMAGE = 0.2  # an image covering this share of the page is content, not a logo
_IMAGE_OBJECT = 3  # FPDF_PAGEOBJ_IMAGE


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text as PDFium lays it out; coordinates in points, origin bottom left."""

    text: str
    left: float
    bottom: float
    top: float
    size: float  # type size of its first letter as drawn (font size times the text matrix's scale)
    bold: bool


def page_lines(page: object) -> list[Line]:
    """The page's lines in content order, each with box and font of its first letter."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        text = textpage.get_text_range()
        lines = []
        name = ctypes.create_string_buffer(128)
        flags = ctypes.c_int()
        matrix = raw.FS_MATRIX()
        separator = "\r\n" if "\r\n" in text else "\n"
        position = 0
        for raw_line in text.split(separator):
            start, position = position, position + len(raw_line) + len(separator)
            line_text = raw_line.replace("\ufffe", "-\n").rstrip("\n")
            first = next((i for i, ch in enumerate(raw_line) if ch.isalnum()), None)
            if first is None:
                lines.append(Line(line_text, 0, 0, 0, 0, False))
                continue
            index = start + first
            left, bottom, _, top = textpage.get_charbox(index, loose=True)
            raw.FPDFText_GetMatrix(textpage, index, ctypes.byref(matrix))
            scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            size = raw.FPDFText_GetFontSize(textpage, index) * scale or top - bottom
            raw.FPDFText_GetFontInfo(textpage, index, name, len(name), ctypes.byref(flags))
            font = name.value.decode("latin-1").lower()
            bold = bool(flags.value & _FORCE_BOLD) or any(word in font for word in _BOLD_NAMES)
            lines.append(Line(line_text, left, bottom, top, size, bold))
        return lines
    finally:
        textpage.close()


def body_size(pages: list[list[Line]]) -> float:
    """The font size most of the document's letters are set in."""
    weights: dict[float, int] = {}
    for lines in pages:
        for line in lines:
            if line.size:
                size = round(line.size, 1)
                weights[size] = weights.get(size, 0) + len(line.text)
    return max(weights, key=weights.__getitem__) if weights else 0.0


def page_text(lines: list[Line], height: float, body: float) -> str:
    """The page as text: a blank line where a new text frame or a change of size begins,
    footnotes (small type at the bottom) moved after the body text."""
    main: list[str] = []
    notes: list[str] = []
    previous: Line | None = None
    for line in lines:
        if not line.size:
            main.append(line.text)
            continue
        footnote = body and line.size < 0.9 * body and line.top < _FOOTNOTE_ZONE * height
        target = notes if footnote else main
        if previous is not None and _new_frame(previous, line):
            target.append("")
        target.append(line.text)
        previous = line
    return "\n".join(main + [""] + notes if notes else main)


def _new_frame(previous: Line, line: Line) -> bool:
    """Whether ``line`` starts a new block: it jumps up the page, leaves a gap, or changes size.
    A piece on the same line (after a footnote mark or a change of font) continues it."""
    if line.bottom < previous.top and line.top > previous.bottom:
        return False
    gap = previous.bottom - line.top
    return (
        line.top > previous.top  # up the page: the next column or box
        or gap > 0.8 * max(line.size, previous.size)
        or abs(line.size - previous.size) > 0.15 * max(line.size, previous.size)
    )


def draws_large_image(page: object) -> bool:
    """Whether images cover a large part of the page (a scanned or pasted-in sheet)."""
    width, height = page.get_size()  # type: ignore[attr-defined]
    area = 0.0
    for item in page.get_objects(max_depth=2):  # type: ignore[attr-defined]
        if item.type == _IMAGE_OBJECT:
            left, bottom, right, top = item.get_bounds()
            area += max(right - left, 0) * max(top - bottom, 0)
    return area >= _LARGE_IMAGE * width * height
