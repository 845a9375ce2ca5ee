"""Rebuild headings and paragraphs from extracted lines, where the format has no markup for them."""

from __future__ import annotations

import re
import statistics

from kb.core.documents import Block

# "3.2 Mobilität", "4 Energie- und CO2-Bilanz": a short numbered line without an end stop.
NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-ZÄÖÜ][^!?;:]{2,80}?)(?<![.,])$")
_REAL_WORD = re.compile(r"[^\W\d_]{4,}")  # "84 GWh/a" is a chart label, not a heading
_BULLET = re.compile(r"^\s*(?:[•▪◦‣·\-–*]|\d{1,2}[.)]|[a-z][.)])\s+")
_END = re.compile(r"[.!?:…]\s*$")


def paragraphs_from_lines(lines: list[str]) -> list[str]:
    """Join wrapped lines into paragraphs; blank lines, short final lines and bullets end them.

    Each list item becomes a paragraph of its own.
    """
    content = [line.strip() for line in lines]
    lengths = [len(line) for line in content if line]
    typical = statistics.median(lengths) if lengths else 0
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in content:
        if not line:
            flush()
            continue
        if _BULLET.match(line):
            flush()
            current.append(line)
            continue
        current.append(line)
        if _END.search(line) and len(line) < 0.7 * typical:
            flush()
    flush()
    return paragraphs


def page_blocks(
    text: str,
    page: int,
    outline: dict[str, int],
    ocr_confidence: float | None = None,
    by_numbering: bool = True,
) -> list[Block]:
    """A page's text as headings and paragraphs; ``outline`` maps known heading titles to levels.

    With ``by_numbering`` a short numbered line is a heading too; without, only ``outline`` counts
    (for PDFs, whose type tells headings from numbered footnotes, list items and contents lines).
    """
    blocks: list[Block] = []
    lines: list[str] = []
    for line in text.split("\n"):
        heading = _heading_level(line, outline, by_numbering)
        if heading:
            numbered = NUMBERED_HEADING.match(line.strip())
            if (
                not any(lines)
                and not numbered
                and blocks
                and blocks[-1].kind == "heading"
                and blocks[-1].level == heading
            ):
                joined = f"{blocks[-1].text} {line.strip()}"  # a heading set on two lines
                blocks[-1] = Block(joined, page, "heading", heading, ocr_confidence)
                continue
            blocks.extend(Block(p, page, ocr_confidence=ocr_confidence) for p in paragraphs_from_lines(lines))
            lines = []
            blocks.append(Block(line.strip(), page, "heading", heading, ocr_confidence))
        else:
            lines.append(line)
    blocks.extend(Block(p, page, ocr_confidence=ocr_confidence) for p in paragraphs_from_lines(lines))
    return blocks


def _heading_level(line: str, outline: dict[str, int], by_numbering: bool) -> int:
    title = key(line)
    if title in outline or not by_numbering:
        return outline.get(title, 0)
    match = NUMBERED_HEADING.match(line.strip())
    if match and len(match.group(2).split()) <= 8 and _REAL_WORD.search(match.group(2)):
        return match.group(1).count(".") + 1
    return 0


def key(text: str) -> str:
    """A heading compared regardless of case and spacing."""
    return " ".join(text.casefold().split())
