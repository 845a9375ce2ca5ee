"""The controlled vocabulary: document types, topics (Handlungsfelder), file formats, the 294
Landkreise, and the check of metadata that users give (CLI, sidecar, form, API)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from kb.core.access import visibility as visibility_code
from kb.core.documents import Metadata
from kb.core.errors import KbError

METADATA_FIELDS = ("title", "county", "doc_type", "year", "topics", "source_url", "visibility")
FORMATS: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".jpg": "image",
    ".jpeg": "image",
    ".png": "image",
    ".tif": "image",
    ".tiff": "image",
}

DOC_TYPES: tuple[str, ...] = (
    "Klimaschutzkonzept",
    "Workshop-Protokoll",
    "Workshop-Ergebnis",
    "Präsentation",
    "Leitfaden",
    "Good Practice",
    "Notiz",
    "Bericht",
    "Webseite",
)
TOPICS: tuple[str, ...] = (
    "Energie",
    "Gebäude und Wärme",
    "Mobilität",
    "Klimaanpassung",
    "Beteiligung und Kommunikation",
    "kreisangehörige Gemeinden",
    "Förderung",
    "Klimaschutzmanagement",
    "Beschaffung",
    "Landwirtschaft",
    "Abfall und Kreislaufwirtschaft",
    "Bildung",
)

# A county's part in the network (issue 13): pioneers pass experience on to climate counties and
# guest counties.
NETWORK_ROLES: tuple[str, ...] = ("Vorreiterkreis", "Klimakreis", "Gastkreis")


@lru_cache(maxsize=1)
def counties() -> dict[str, str]:
    """Canonical county name -> federal state, for all 294 Landkreise."""
    path = Path(__file__).parent / "data" / "landkreise.tsv"
    return dict(line.split("\t") for line in path.read_text("utf-8").splitlines() if line)


def _core(name: str) -> str:
    """ "Landkreis Rotenburg (Wümme)" -> "rotenburg (wümme)"; "Rhein-Sieg-Kreis" -> itself."""
    for prefix in ("Landkreis ", "Kreis "):
        if name.startswith(prefix):
            return name[len(prefix) :].lower()
    return name.lower()


@lru_cache(maxsize=1)
def county_aliases() -> dict[str, str]:
    """How a county may be written in running text (lower case) -> canonical name."""
    aliases: dict[str, str] = {}
    for name in counties():
        lowered = name.lower()
        aliases[lowered] = name
        if name.startswith(("Landkreis ", "Kreis ")):
            core = _core(name)
            short = re.sub(r"\s*\(.*\)$", "", core)  # "Rotenburg (Wümme)" is often just "Rotenburg"
            for variant in {core, short}:
                for prefix in ("landkreis", "landkreises", "kreis", "kreises", "lk", "lkr.", "lkr"):
                    aliases.setdefault(f"{prefix} {variant}", name)
                if "-" in variant:  # "Darmstadt-Dieburg" names only the county; "Rostock" also a city
                    aliases.setdefault(variant, name)
        else:
            # "Rhein-Sieg-Kreis" also as "Rhein-Sieg-Kreises"; "Region Hannover", "Städteregion Aachen".
            aliases.setdefault(lowered + "es", name)
    return aliases


def canonical_county(name: str) -> str | None:
    """The official name of a county given loosely ("LK Ahrweiler", "rhein-sieg"), else None."""
    key = " ".join(name.split()).lower()
    aliases = county_aliases()
    if key in aliases:
        return aliases[key]
    for candidate in (f"landkreis {key}", f"{key}-kreis", f"{key}kreis", f"kreis {key}"):
        if candidate in aliases:
            return aliases[candidate]
    return None


def county_name(name: str | None) -> str | None:
    """A county's official name if it is one of the 294, else as given with tidied spaces (so a
    county of a test or a new one works as documents, accounts and the network name it)."""
    if not name or not name.strip():
        return None
    return canonical_county(name) or " ".join(name.split())


_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def checked_email(value: str) -> str:
    """An e-mail address as given (trimmed), or a clear error."""
    address = value.strip()
    if not _EMAIL.match(address) or len(address) > 200:
        raise KbError(f"{value!r} ist keine gültige E-Mail-Adresse.")
    return address


def canonical_doc_type(name: str) -> str | None:
    return next((t for t in DOC_TYPES if t.lower() == name.strip().lower()), None)


def canonical_topic(name: str) -> str | None:
    return next((t for t in TOPICS if t.lower() == name.strip().lower()), None)


def validated_metadata(given: Metadata, *, source: object = "Angaben") -> Metadata:
    """User-supplied metadata checked against the vocabularies; raises with the allowed values."""
    problems = []
    doc_type = given.doc_type
    if doc_type:
        doc_type = canonical_doc_type(doc_type)
        if doc_type is None:
            problems.append(f"unbekannter Dokumenttyp {given.doc_type!r} (möglich: {', '.join(DOC_TYPES)})")
    topics = []
    for topic in given.topics:
        known = canonical_topic(topic)
        if known is None:
            problems.append(f"unbekanntes Handlungsfeld {topic!r} (möglich: {', '.join(TOPICS)})")
        else:
            topics.append(known)
    if given.year is not None and not 1900 <= given.year <= date.today().year + 1:
        problems.append(f"unplausibles Jahr {given.year}")
    level = None
    if given.visibility:
        try:
            level = visibility_code(given.visibility)
        except KbError as error:
            problems.append(str(error).rstrip(".").replace("Unbekannte", "unbekannte", 1))
    if given.source_url and not web_address(given.source_url):
        problems.append(f"source_url muss eine Webadresse (http:// oder https://) sein, nicht {given.source_url!r}")
    if problems:
        raise KbError(f"{source}: " + "; ".join(problems))
    return Metadata(
        title=given.title,
        county=county_name(given.county),
        doc_type=doc_type,
        year=given.year,
        topics=topics,
        source_url=given.source_url,
        visibility=level,
    )


def web_address(url: str | None) -> str | None:
    """``url`` if it is an http(s) address with a host, else None: a ``javascript:`` or ``data:``
    address must never become a link on the document page."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def metadata_from(values: Mapping[str, object], *, source: object, strict: bool = False) -> Metadata:
    """Metadata from user input (CLI options, a sidecar, a form, a JSON body), checked.

    Text fields take strings (numbers are accepted), ``topics`` a list or a comma-separated
    string, ``year`` a whole number. With ``strict``, keys outside :data:`METADATA_FIELDS` are
    refused. Raises ``KbError`` naming ``source`` and, for vocabulary fields, the allowed values.
    """
    if strict and (unknown := set(values) - set(METADATA_FIELDS)):
        raise KbError(
            f"{source}: unbekannte Felder {', '.join(sorted(unknown))}; erlaubt: {', '.join(METADATA_FIELDS)}."
        )

    def text(name: str) -> str | None:
        value = values.get(name)
        if value is None:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise KbError(f"{source}: {name} muss ein Text sein.")
        return str(value).strip() or None

    topics = values.get("topics") or []
    if isinstance(topics, str):
        topics = topics.split(",")
    if not isinstance(topics, list | tuple) or not all(isinstance(t, str) for t in topics):
        raise KbError(f"{source}: topics muss eine Liste von Handlungsfeldern sein.")
    year = text("year")
    if year is not None and not year.isdigit():
        raise KbError(f"{source}: year muss eine Jahreszahl sein, nicht {year!r}.")
    given = Metadata(
        title=text("title"),
        county=text("county"),
        doc_type=text("doc_type"),
        year=int(year) if year else None,
        topics=[t.strip() for t in topics if t.strip()],
        source_url=text("source_url"),
        visibility=text("visibility"),
    )
    return validated_metadata(given, source=source)
