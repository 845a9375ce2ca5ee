"""Metadata of a document: its sidecar file, and detection from its title and text.

Detection only answers when it is reliable: a county must be named in the title or clearly
dominate the first pages, a document type needs a telling word in the title or opening, topics
need repeated cues. Unknown is better than wrong.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from functools import lru_cache
from pathlib import Path

from kb.core.documents import Metadata
from kb.core.errors import IngestError, KbError
from kb.core.vocabulary import METADATA_FIELDS, county_aliases, metadata_from

# Word stems (lower case, matched at word starts or inside compounds) that signal a topic.
_TOPIC_CUES: dict[str, tuple[str, ...]] = {
    "Energie": ("energie", "photovoltaik", "solar", "windenergie", "windkraft", "strom", "erneuerbar", "biogas"),
    "Gebäude und Wärme": ("wärme", "gebäude", "sanierung", "heizung", "dämmung", "liegenschaft", "fernwärme"),
    "Mobilität": (
        "mobilität",
        "radverkehr",
        "öpnv",
        "verkehr",
        "ladeinfrastruktur",
        "ladesäule",
        "carsharing",
        "radweg",
        "pendler",
    ),
    "Klimaanpassung": ("klimaanpassung", "starkregen", "hitze", "hochwasser", "dürre", "anpassung", "überflutung"),
    "Beteiligung und Kommunikation": (
        "beteiligung",
        "öffentlichkeitsarbeit",
        "kommunikation",
        "bürgerinnen",
        "kampagne",
        "bürgerbeteiligung",
        "veranstaltung",
    ),
    "kreisangehörige Gemeinden": ("gemeinde", "kommune", "bürgermeister", "kreisangehörig", "kreisgebiet"),
    "Förderung": ("förder", "kommunalrichtlinie", "zuschuss", "fördermittel", "förderprogramm"),
    "Klimaschutzmanagement": (
        "klimaschutzmanage",
        "klimaschutzmanager",
        "klimaschutzkonzept",
        "controlling",
        "treibhausgasbilanz",
    ),
    "Beschaffung": ("beschaffung", "vergabe", "einkauf", "ausschreibung"),
    "Landwirtschaft": ("landwirtschaft", "landwirt", "moor", "humus", "acker"),
    "Abfall und Kreislaufwirtschaft": ("abfall", "kreislauf", "recycling", "wertstoff"),
    "Bildung": ("bildung", "schule", "kita", "umweltbildung", "schüler"),
}
_TYPE_CUES: tuple[tuple[str, str], ...] = (
    (r"klimaschutzkonzept|klimaschutzplan|masterplan\s+100", "Klimaschutzkonzept"),
    (r"ergebnisprotokoll|protokoll|niederschrift", "Workshop-Protokoll"),
    (
        r"dokumentation\s+des\s+workshops|workshop-?ergebnisse|ergebnisse\s+des\s+workshops|ergebnisdokumentation",
        "Workshop-Ergebnis",
    ),
    (r"leitfaden|handreichung|arbeitshilfe|handlungsleitfaden", "Leitfaden"),
    (r"praxisbeispiel|good[\s-]practice|steckbrief|best[\s-]practice", "Good Practice"),
    (r"sachstandsbericht|jahresbericht|abschlussbericht|bericht", "Bericht"),
)
_MONTHS = "januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
_YEAR = r"(19[9]\d|20\d\d)"


# counties


@lru_cache(maxsize=1)
def _county_pattern() -> re.Pattern[str]:
    names = sorted(county_aliases(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])", re.IGNORECASE)


def detect_county(title: str, text: str) -> str | None:
    """The county a document is about, if its title names one or one clearly dominates."""
    pattern = _county_pattern()
    aliases = county_aliases()
    in_title = {aliases[m.group(1).lower()] for m in pattern.finditer(title or "")}
    if len(in_title) == 1:
        return in_title.pop()
    mentions = Counter(aliases[m.group(1).lower()] for m in pattern.finditer(text[:20_000]))
    if not mentions:
        return None
    (best, count), *rest = mentions.most_common(2)
    runner_up = rest[0][1] if rest else 0
    return best if count >= 2 and count >= 2 * runner_up else None


# document types, years, topics


def detect_doc_type(title: str, text: str, format: str) -> str | None:
    for source in (title or "", text[:300]):  # title and title page; later mentions prove nothing
        lowered = source.lower()
        for pattern, doc_type in _TYPE_CUES:
            if re.search(pattern, lowered):
                return doc_type
    if format == "pptx":
        return "Präsentation"
    if format == "html":
        return "Webseite"
    return None


def detect_year(title: str, text: str, created: str | None) -> int | None:
    latest = date.today().year + 1
    opening = text[:3000]
    patterns = (
        (title or "", _YEAR),
        (opening, r"stand:?\s+(?:\d{1,2}\.\s*)?(?:(?:" + _MONTHS + r")\s+)?" + _YEAR),
        (opening, r"\d{1,2}\.\s*(?:" + _MONTHS + r")\s+" + _YEAR),
        (opening, r"\b\d{1,2}\.\d{1,2}\." + _YEAR + r"\b"),
    )
    for source, pattern in patterns:
        match = re.search(pattern, source, re.IGNORECASE)
        if match and 1990 <= int(match.group(1)) <= latest:
            return int(match.group(1))
    if created and created[:4].isdigit() and 1990 <= int(created[:4]) <= latest:
        return int(created[:4])
    return None


def detect_topics(text: str, limit: int = 5) -> list[str]:
    """Handlungsfelder whose cues recur in the text, strongest first."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return []
    scores: Counter[str] = Counter()
    for word, count in Counter(words).items():
        for topic, cues in _TOPIC_CUES.items():
            if any(cue in word for cue in cues):
                scores[topic] += count
    needed = max(3, len(words) // 400)  # at least 3 mentions, 1 per 400 words in long texts
    return [topic for topic, count in scores.most_common(limit) if count >= needed]


def detect_metadata(title: str | None, text: str, format: str, created: str | None = None) -> Metadata:
    return Metadata(
        county=detect_county(title or "", text),
        doc_type=detect_doc_type(title or "", text, format),
        year=detect_year(title or "", text, created),
        topics=detect_topics(text),
    )


# user-given metadata


def read_sidecar(path: Path) -> Metadata:
    """Metadata from ``<file>.meta.json`` next to ``path``; empty when there is none."""
    sidecar = path.with_name(path.name + ".meta.json")
    if not sidecar.is_file():
        return Metadata()
    try:
        data = json.loads(sidecar.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IngestError(sidecar, f"Die Metadaten-Datei ist kein gültiges JSON: {error}") from None
    if not isinstance(data, dict):
        raise IngestError(sidecar, f"Erwartet wird ein JSON-Objekt mit den Schlüsseln {', '.join(METADATA_FIELDS)}.")
    try:
        return metadata_from(data, source=sidecar, strict=True)
    except KbError as error:
        raise IngestError(sidecar, str(error).split(": ", 1)[1]) from None
