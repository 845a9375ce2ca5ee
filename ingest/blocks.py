"""Rebuild paragraphs from extracted lines, where the format has no paragraph markup."""

from __future__ import annotations

import re
import statistics

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
