"""A passage in its place: where it stands on its PDF pages, or in its document's text.

PDFs get highlight rectangles per page (``ingest.pdflocate``), which the viewer draws over the
rendered page. Every format gets a reading view: the document's passages in order, the overlap
each repeats from the one before left out, and the shown passage marked.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.pdflocate import Box, locate_passage
from kb.core.documents import DocumentRecord, Passage


@dataclass(frozen=True)
class Place:
    passage: Passage
    document: DocumentRecord
    boxes: list[Box]  # PDF only; empty where the passage was not found (text from OCR, no original)

    @property
    def pages(self) -> list[int]:
        """The pages the passage is highlighted on, else the pages it was read from."""
        marked = sorted({box.page for box in self.boxes})
        if marked or self.passage.page_start is None:
            return marked
        return list(range(self.passage.page_start, (self.passage.page_end or self.passage.page_start) + 1))


@dataclass(frozen=True)
class Stretch:
    """A piece of the reading view: what one passage adds to the text before it."""

    passage_id: int
    heading: str | None  # the section's heading, where a new section begins
    level: int  # its depth in the heading path (1 = top)
    text: str
    marked: tuple[int, int] | None  # the part of ``text`` that belongs to the shown passage


def locate(passage: Passage, document: DocumentRecord, original: Path | None) -> Place:
    """The passage with its highlight rectangles (for a PDF whose original is kept)."""
    boxes: list[Box] = []
    if document.format == "pdf" and original is not None and passage.page_start is not None:
        pages = range(passage.page_start, (passage.page_end or passage.page_start) + 1)
        boxes = locate_passage(original, passage.text, pages)
    return Place(passage, document, boxes)


def reading_view(passages: Sequence[Passage], shown: int) -> list[Stretch]:
    """The document's text passage by passage, with passage ``shown`` (an id) marked in full,
    also where its first sentences stand at the end of the passage before (the overlap)."""
    stretches: list[Stretch] = []
    previous: Passage | None = None
    for passage in sorted(passages, key=lambda p: p.ordinal):
        same_section = previous is not None and previous.heading_path == passage.heading_path
        overlap = _overlap(previous.text, passage.text) if previous and same_section else 0
        text = passage.text[overlap:].lstrip()
        heading = None if same_section or not passage.heading_path else passage.heading_path[-1]
        if passage.id == shown:
            _mark_tail(stretches, overlap)
        marked = (0, len(text)) if passage.id == shown else None
        stretches.append(Stretch(passage.id, heading, len(passage.heading_path), text, marked))
        previous = passage
    return stretches


def _overlap(before: str, after: str) -> int:
    """Length of the longest start of ``after`` (ending at a word boundary) that ends ``before``."""
    for match in re.finditer(r"(?:^|(?<=\s))\S", before):
        tail = before[match.start() :]
        if after.startswith(tail) and (len(after) == len(tail) or after[len(tail)].isspace()):
            return len(tail)
    return 0


def _mark_tail(stretches: list[Stretch], length: int) -> None:
    """Mark the last ``length`` characters of the text so far (the shown passage's overlap)."""
    for index in range(len(stretches) - 1, -1, -1):
        if length <= 0:
            return
        stretch = stretches[index]
        start = max(len(stretch.text) - length, 0)
        stretches[index] = dataclasses.replace(stretch, marked=(start, len(stretch.text)))
        length -= len(stretch.text) - start + 1  # and the space that joined them
