"""Repair text extracted from documents: Unicode, ligatures, hyphenation, running headers."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
# A word broken at a line end: the token up to its last letter, maybe a space („kön - nen“, as
# some PDF writers set it), a hyphen (or a soft hyphen), a newline, the next token.
_LINE_BREAK_HYPHEN = re.compile(r"(\S*[^\W_])([ \t]?)(-|\u00ad)[ \t]*\n[ \t]*(?=(\w\S*))")
# Parts of web and mail addresses, whose hyphens are their own: lea-hessen.de, info@klima-netz.de
_ADDRESS = re.compile(r"https?:|www\.|@|/|\.(?:de|com|org|net|eu|info|bund|nrw)\b", re.IGNORECASE)
# Words after which "Klima- und Umweltschutz" keeps its hyphen: the first part is elliptical.
_ELLIPSIS_FOLLOWERS = frozenset({"und", "oder", "bzw", "sowie", "bis", "als", "noch", "wie"})
_PAGE_NUMBER = re.compile(
    r"^(?:(?:seite|s\.|page)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:von|/|of)\s*\d{1,4})?$",
    re.IGNORECASE,
)


def clean_text(text: str) -> str:
    """NFC, ligatures resolved, soft hyphens inside lines dropped, spaces collapsed per line."""
    text = unicodedata.normalize("NFC", text).translate(_LIGATURES)
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = join_hyphenated(text)
    text = text.replace("\u00ad", "")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def join_hyphenated(text: str) -> str:
    """Re-join words hyphenated at line breaks, keeping hyphens that belong to the word.

    >>> join_hyphenated("Klima-\\nschutz, E-\\nMobilität, Klima-\\nund Umweltschutz, kön -\\nnen, lea-\\nhessen.de")
    'Klimaschutz, E-Mobilität, Klima- und Umweltschutz, können, lea-hessen.de'
    """

    def repair(match: re.Match[str]) -> str:
        before, space, hyphen, following = match.groups()
        next_word = re.match(r"\w+", following).group().lower()  # type: ignore[union-attr]
        if hyphen == "-" and _ADDRESS.search(before + following):
            return before + "-"  # lea-hessen.de
        if space:
            if re.search(r"\w+$", before).group().lower() in _ELLIPSIS_FOLLOWERS:  # type: ignore[union-attr]
                return before + " -"  # "Umweltbewusstsein und -verhalten"
            if following[0].islower() and before[-1].isalpha():
                return before  # "kön - nen", "Wärme - netzbetreibern"
            return match.group(0)  # a dash between words: "Nachhaltigkeit - Koordinierungsstelle"
        if hyphen == "-" and (before[-1].isdigit() or following[0].isupper() or following[0].isdigit()):
            return before + "-"  # E-Mobilität, Klimaschutz-Management, CO2-neutral, 2020-2030
        if hyphen == "-" and next_word in _ELLIPSIS_FOLLOWERS:
            return before + "- "  # "Klima- und Umweltschutz"
        return before

    return _LINE_BREAK_HYPHEN.sub(repair, text)


def _signature(line: str) -> str:
    """How a line is compared across pages. Short lines get their digits masked, so that
    "Seite 3 von 60" and "Seite 4 von 60" look the same; longer lines must repeat exactly,
    as body text that differs only in a number is still body text."""
    line = " ".join(line.casefold().split())
    return re.sub(r"\d+", "#", line) if len(line.split()) <= 6 else line


def strip_running_lines(pages: Sequence[str], edge_lines: int = 3) -> list[str]:
    """Remove headers, footers and page numbers that repeat at the top or bottom of pages.

    A line counts as running when its digit-masked form appears among the first (or the last)
    ``edge_lines`` lines of at least three pages and of at least 40 % of the pages with text;
    on shorter documents a repeated line cannot be told from repeated content.
    """
    split_pages = [page.split("\n") for page in pages]
    zones: list[tuple[list[int], list[int]]] = []
    top_seen: Counter[str] = Counter()
    bottom_seen: Counter[str] = Counter()
    for lines in split_pages:
        content = [i for i, line in enumerate(lines) if line.strip()]
        top, bottom = content[:edge_lines], content[-edge_lines:]
        zones.append((top, bottom))
        top_seen.update({_signature(lines[i]) for i in top})
        bottom_seen.update({_signature(lines[i]) for i in bottom})
    pages_with_text = sum(1 for top, _ in zones if top)
    threshold = max(3, round(0.4 * pages_with_text))

    cleaned = []
    for lines, (top, bottom) in zip(split_pages, zones, strict=True):
        drop = {i for i in top if top_seen[_signature(lines[i])] >= threshold}
        drop |= {i for i in bottom if bottom_seen[_signature(lines[i])] >= threshold}
        drop |= {i for i in top + bottom if _PAGE_NUMBER.match(lines[i].strip())}
        cleaned.append("\n".join(line for i, line in enumerate(lines) if i not in drop).strip())
    return cleaned


def has_text(page: str, min_letters: int = 10) -> bool:
    """Whether a page carries real text (not just a stray page number or a few glyphs)."""
    return sum(ch.isalpha() for ch in page) >= min_letters
