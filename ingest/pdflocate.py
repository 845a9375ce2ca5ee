"""Where a passage stands on its PDF pages: rectangles over its lines, read from PDFium's char boxes.

A stored passage is repaired text (hyphenation joined, running lines dropped, footnotes moved), so
it is not a substring of the page. Both sides are reduced to their letters and digits, folded
(NFKD without accents, casefold: „Wärme-\\nplanung“ and „Wärmeplanung“ both become ``warmeplanung``),
and the passage is aligned to the pages in order: long pieces of it are looked up on the page text,
skipping what the page has and the passage has not (a running header, a page number, a heading).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.pdftext import PDFIUM

_FIRST_ANCHOR = 32  # letters that must match to place the passage's start (a shorter one may recur)
_ANCHOR = 12  # letters that must match to resume after a skip
_MAX_STARTS = 8  # places of a repeated start that are tried
_MAX_SKIP = 800  # page letters the passage may jump over: running lines, page numbers, a heading


@dataclass(frozen=True, slots=True)
class Box:
    """A highlight rectangle on a page, in fractions of the page from its top left corner."""

    page: int  # 1-based
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class _Char:
    page: int
    index: int  # PDFium's char index on its page


def fold(text: str) -> str:
    """Letters and digits only, without accents, case-folded: what both sides are compared as."""
    return "".join(c for c in unicodedata.normalize("NFKD", text).casefold() if c.isalnum())


def locate_passage(path: Path, text: str, pages: Iterable[int]) -> list[Box]:
    """Rectangles covering ``text`` on ``pages`` (1-based) of the PDF at ``path``, in reading order.

    Parts of the passage not found on those pages (text from OCR, which has no text layer) get no
    rectangle; an empty list means nothing was found (or the file cannot be opened). Waits while
    another thread reads a PDF (:data:`ingest.pdftext.PDFIUM`).
    """
    import pypdfium2 as pdfium

    with PDFIUM:
        try:
            document = pdfium.PdfDocument(path)
        except (pdfium.PdfiumError, OSError):
            return []
        try:
            wanted = [p for p in pages if 1 <= p <= len(document)]
            textpages = {p: document[p - 1].get_textpage() for p in wanted}
            try:
                letters, owners = _page_letters(textpages)
                found = _align(fold(text), letters)
                return [
                    box for page in wanted for box in _boxes(document[page - 1], textpages[page], found, owners, page)
                ]
            finally:
                for textpage in textpages.values():
                    textpage.close()
        finally:
            document.close()


def _page_letters(textpages: dict[int, object]) -> tuple[str, list[_Char]]:
    """The folded letters of the pages in order, and for each letter the char it comes from."""
    import pypdfium2.raw as raw

    letters: list[str] = []
    owners: list[_Char] = []
    for page, textpage in textpages.items():
        for index in range(textpage.count_chars()):  # type: ignore[attr-defined]
            folded = fold(chr(raw.FPDFText_GetUnicode(textpage, index)))
            letters.append(folded)
            owners.extend([_Char(page, index)] * len(folded))
    return "".join(letters), owners


def _align(needle: str, haystack: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of ``haystack`` that ``needle`` matches, in order.

    The first piece of ``_FIRST_ANCHOR`` letters found on the pages places the passage (where
    the pages do not hold its start, the part before that piece stays unmarked); where the piece
    occurs more than once (a repeated phrase), the place from which most of the passage matches wins.
    """
    for offset in range(0, max(len(needle) - _FIRST_ANCHOR, 0) + 1, _FIRST_ANCHOR):
        piece = needle[offset : offset + _FIRST_ANCHOR]
        starts: list[int] = []
        position = haystack.find(piece)
        while position >= 0 and len(starts) < _MAX_STARTS:
            starts.append(position)
            position = haystack.find(piece, position + 1)
        if starts:
            tries = [_align_from(needle[offset:], haystack, start) for start in starts]
            return max(tries, key=lambda spans: sum(end - start for start, end in spans))
    return []


def _align_from(needle: str, haystack: str, start: int) -> list[tuple[int, int]]:
    """Greedy alignment of ``needle``, whose start matches at ``start``.

    After a mismatch the next ``_ANCHOR`` letters are looked up at most ``_MAX_SKIP`` letters
    further on, else that letter of the needle is dropped (the page does not have it here).
    """
    spans: list[tuple[int, int]] = []
    i, j = 0, start
    while i < len(needle):
        size = min(_ANCHOR, len(needle) - i)
        found = j if not spans else haystack.find(needle[i : i + size], j)
        if found < 0 or found - j > _MAX_SKIP or (size < _ANCHOR and found != j):
            i += 1
            continue
        end = found
        while i + (end - found) < len(needle) and end < len(haystack) and needle[i + end - found] == haystack[end]:
            end += 1
        spans.append((found, end))
        i += end - found
        j = end
    return spans


def _boxes(page: object, textpage: object, spans: list[tuple[int, int]], owners: list[_Char], number: int) -> list[Box]:
    """One rectangle per line of each matched run on this page."""
    # the crop box as shown, inherited from the page tree too (get_cropbox reads only the page)
    left, bottom, right, top = page.get_bbox()  # type: ignore[attr-defined]
    width, height = right - left, top - bottom
    boxes: list[Box] = []
    for start, end in spans:
        indices = [owner.index for owner in owners[start:end] if owner.page == number]
        if not indices:
            continue
        line: list[float] | None = None  # left, bottom, right, top in points
        for index in range(min(indices), max(indices) + 1):
            char = textpage.get_charbox(index, loose=True)  # type: ignore[attr-defined]
            if char[2] <= char[0] or char[3] <= char[1]:
                continue  # spaces and line ends PDFium made up have no box
            middle = (char[1] + char[3]) / 2
            if line and line[1] <= middle <= line[3] and char[0] >= line[0] - 1:
                line = [line[0], min(line[1], char[1]), max(line[2], char[2]), max(line[3], char[3])]
                continue
            if line:
                boxes.append(_relative(line, number, left, top, width, height))
            line = list(char)
        if line:
            boxes.append(_relative(line, number, left, top, width, height))
    return boxes


def _relative(line: list[float], page: int, left: float, top: float, width: float, height: float) -> Box:
    x0, y0, x1, y1 = line
    return Box(
        page,
        round((x0 - left) / width, 5),
        round((top - y1) / height, 5),
        round((x1 - x0) / width, 5),
        round((y1 - y0) / height, 5),
    )
