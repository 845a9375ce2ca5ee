"""Headings of a PDF told by how they are set: type larger than the body text, or numbered and bold.

Lines in small type (footnotes, chart labels), lines without a real word („84 GWh/a“), contents
pages and lines that recur on many pages (running titles, „Projektbeschreibung“ on every measure
sheet) are never headings.
"""

from __future__ import annotations

import re
from collections import Counter

from ingest.blocks import NUMBERED_HEADING, key
from ingest.normalize import clean_text
from ingest.pdftext import Line

_LARGER = 1.15  # a heading's type is at least this much larger than the body's …
_SMALLER = 0.95  # … or, numbered and bold, not smaller than this
_MAX_WORDS = 14
_WORD = re.compile(r"[^\W\d_]{4,}")
_NOT_A_HEADING_END = re.compile(r"[.,;:!?]\d{0,3}\s*$")  # also a sentence ending in a footnote mark
_CONTENTS_ENTRY = re.compile(r"(?:\.{4}|…{2}|\. \. \.)|\s\d{1,3}$")  # dot leaders or a page number
_TABLE_ROW = re.compile(r"(?:\s[Xx✓✔●])+$")  # a row of a check-mark table
_MAX_LEVELS = 3
_RECURRING = 4  # a line on this many pages is a label or a running title, not a heading
_CONTENTS_LINES = 4  # a page with this many lines ending in dot leaders or page numbers


def styled_headings(pages: list[list[Line]], body: float) -> dict[str, int]:
    """Heading texts (compared by ``blocks.key``) with their levels (1 = top)."""
    candidates: list[tuple[str, float, int, bool]] = []  # key, size, numbering depth (0: none), continues
    pages_with: Counter[str] = Counter()
    for lines in pages:
        texts = [clean_text(line.text).replace("\n", " ").strip() for line in lines]
        pages_with.update({key(text) for text in texts if text})
        if not body or sum(1 for text in texts if _CONTENTS_ENTRY.search(text)) >= _CONTENTS_LINES:
            continue  # a table of contents repeats the headings with their pages
        previous: Line | None = None
        for line, text in zip(lines, texts, strict=True):
            if not line.size or not text:
                continue
            if line.size < _SMALLER * body:
                previous = None
                continue
            numbered = NUMBERED_HEADING.match(text)
            depth = numbered.group(1).count(".") + 1 if numbered else 0
            if _plausible(text) and (line.size >= _LARGER * body or (depth and line.bold)):
                continues = previous is not None and not depth and abs(previous.size - line.size) < 0.5
                candidates.append((key(text), line.size, depth, continues))
                previous = line
            else:
                previous = None
    recurring = {text for text, count in pages_with.items() if count >= _RECURRING}
    sizes = sorted({round(size * 2) / 2 for _, size, depth, _ in candidates if not depth}, reverse=True)
    headings: dict[str, int] = {}
    level = 0
    for text, size, depth, continues in candidates:
        if text in recurring:
            continue
        # the second line of a heading set on two lines takes the level of the first
        level = level if continues and level else depth or min(sizes.index(round(size * 2) / 2) + 1, _MAX_LEVELS)
        headings.setdefault(text, level)
    return headings


def _plausible(text: str) -> bool:
    """A short line with a real word that does not end like a sentence, a label or a list item."""
    return (
        len(text.split()) <= _MAX_WORDS
        and _WORD.search(text) is not None
        and not _NOT_A_HEADING_END.search(text)
        and not _CONTENTS_ENTRY.search(text)
        and not _TABLE_ROW.search(text)
        and not text.startswith(("•", "-", "–", "▪", "\uf0b7", "*"))
    )


def cover_title(lines: list[Line]) -> str | None:
    """The largest type on a title page (its consecutive lines joined), when it has a real word."""
    sized = [(line, clean_text(line.text).replace("\n", " ").strip()) for line in lines if line.size]
    sized = [(line, text) for line, text in sized if _WORD.search(text)]
    if not sized:
        return None
    largest = max(line.size for line, _ in sized)
    title: list[str] = []
    for line, text in sized:
        if abs(line.size - largest) < 0.5:
            title.append(text)
        elif title:
            break
    return " ".join(title[:3]) or None
