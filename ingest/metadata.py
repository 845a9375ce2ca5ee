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
_COUNTY_WORDS = ("kreisangehörig", "kreisgebiet", "landkreis", "kreistag", "kreisverwaltung", "kreiskommun")
_NOT_A_TITLE = re.compile(
    r"^microsoft (?:word|powerpoint|excel)\b|^[a-z]:\\|\\|\.(?:docx?|pptx?|xlsx?|pdf|indd|odt)\s*$|^[^\s]*_[^\s]*$",
    re.IGNORECASE,
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
    """The printed date („Stand:“, a date on the title page) first, then a year in the title
    that is no target year (not after the file was made: „Klimaschutzkonzept 2020“ of 2010),
    then the file's own date."""
    latest = date.today().year + 1
    made = int(created[:4]) if created and created[:4].isdigit() and 1990 <= int(created[:4]) <= latest else None
    opening = text[:3000]
    stand = r"\bstand:?\s+(?:\d{1,2}\.\s*)?(?:(?:" + _MONTHS + r")\s+|\d{1,2}\.\d{1,2}\.)?" + _YEAR
    dates = (
        r"(?:\d{1,2}\.\s*)?(?:" + _MONTHS + r")\s+" + _YEAR,
        r"(?<![\d.])\d{1,2}\.\d{1,2}\." + _YEAR + r"\b",
        r"\b" + _YEAR + r"-\d{2}-\d{2}\b",
    )
    found = [m for m in re.finditer(stand, opening, re.IGNORECASE) if 1990 <= int(m.group(1)) <= latest]
    if not found:  # no "Stand:": the first date printed
        found = [m for p in dates for m in re.finditer(p, opening, re.IGNORECASE) if 1990 <= int(m.group(1)) <= latest]
    if found:
        return int(min(found, key=lambda m: m.start()).group(1))
    for match in re.finditer(_YEAR, title or ""):
        if 1990 <= int(match.group(1)) <= min(latest, made or latest):
            return int(match.group(1))
    return made


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
    if not any(word.startswith(_COUNTY_WORDS) for word in words):
        scores.pop("kreisangehörige Gemeinden", None)  # a city's page speaks of „Kommunen“ too
    needed = max(3, len(words) // 400)  # at least 3 mentions, 1 per 400 words in long texts
    return [topic for topic, count in scores.most_common(limit) if count >= needed]


def plausible_title(title: str | None) -> bool:
    """Whether a title a file declares is one: not a path, a file name or „Microsoft Word - …docx“."""
    return bool(title and title.strip()) and not _NOT_A_TITLE.search(title.strip())  # type: ignore[union-attr]


def readable_file_title(title: str | None) -> str | None:
    """A title written as a file name made of words („KWW-Datenkompass_Hessen_26-06-2024“) with
    spaces for its underscores; None for paths, „Microsoft Word - …“ and names of few words."""
    if not title or "\\" in title or re.match(r"microsoft ", title, re.IGNORECASE):
        return None
    spaced = " ".join(re.sub(r"\.(?:docx?|pptx?|pdf|indd|odt)$", "", title.strip(), flags=re.IGNORECASE).split("_"))
    words = re.findall(r"\b[A-ZÄÖÜ][^\W\d_]{3,}", spaced)
    return spaced if len(words) >= 2 else None


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
