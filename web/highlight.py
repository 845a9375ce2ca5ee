"""Highlighted text as HTML: the one place where match offsets become ``<mark>`` elements."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def marked(text: str, spans: Sequence[Sequence[int]]) -> Markup:
    """``text`` HTML-escaped, with each ``(start, end)`` span wrapped in ``<mark>``."""
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts += [escape(text[last:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        last = end
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def with_html_highlight(hit: dict) -> dict:
    """An API hit with ``highlight`` (HTML), kept in /api/v1 beside the offsets in ``highlights``."""
    hit["highlight"] = str(marked(hit["text"], hit["highlights"]))
    return hit
