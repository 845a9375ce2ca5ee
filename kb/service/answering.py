"""Which sentences of the best passages are quoted as the answer.

A quotable unit is a sentence, or a list item / slide bullet on a line of its own. A unit that
leans on the one before („Dort …“, „Diese …“) is quoted together with it, so a quote never
starts with a reference the reader cannot resolve. A unit's vector is made at ingest in the
same forward pass as its passage's, from the passage's token vectors inside the unit
(:func:`embed_with_units`): it is read with its passage and heading around it, and an answer
embeds nothing but the question. Units are scored by that vector's similarity to the question,
plus how much of the question's idf mass they contain, plus a little when they hold the kind of
answer asked for (a number for „Wie viele …?“, a date for „Wann …?“). Weights are chosen so that
no question set loses, the unseen real_public_de included; weighting keywords by their rarity
among the candidates or crediting a keyword in the sentence before won on our questions and lost
there, and a weight for the passage's relevance made the first quote worse (bench/answers.py,
README).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.sentences import ABBREVIATIONS, split_sentences
from kb.core.documents import passage_context
from kb.core.embedding import Embedder
from kb.service.answer_kinds import answer_type_matches

MIN_WORDS = 3  # shorter units ("Stand: 2024") say nothing on their own
COVERAGE_WEIGHT = 0.1  # of the question's idf share in a unit, beside its cosine (bench/answers.py)
ANSWER_TYPE_WEIGHT = 0.02  # for a unit holding what the question asks for: a number, a date
MARGIN = 0.05  # further units are quoted only within this score of the best one
MAX_LEANING = 2  # a chain „A. Dort B. Dabei C.“ is quoted from A: at most this many sentences back
_BULLET = re.compile(r"\s*[•▪◦‣]\s+")
# A dash opens a list item only at the start of a line or sentence; inside one it is a dash
# („… fielen 219 Millionen Tonnen an – und machten …“), and before a number a range.
_DASH_BULLET = re.compile(r"[–-](?!\s*\d)\s+")
# Words that point back to the previous sentence when they open one.
_LEANS_BACK = re.compile(
    r"(Dort|Dabei|Damit|Dazu|Dafür|Daher|Deshalb|Dadurch|Darin|Davon|Danach|Hier|Diese[rsmn]?|Dies|Er|Sie|Es"
    r"|Ihr(e[rsmn]?)?|Sein(e[rsmn]?)?|Außerdem|Zudem|Zusätzlich|Trotzdem|Somit)\b"
)


@dataclass(frozen=True, slots=True)
class Unit:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int
    end: int
    bulleted: bool  # opens with a list marker


def units(text: str) -> list[Unit]:
    """Quotable units of a passage text, in order; a unit leaning back includes its predecessor,
    and that one's predecessor when it leans back too („A. Dort B. Dabei C.“ is quoted from A).

    What never answers by itself is left out: a question („Wer bezahlt die Karten?“), a lead-in
    to a list (ending in a colon, or unfinished before the first item: „… z. B. durch“), a
    table's header row.
    """
    pieces = _pieces(text)
    found: list[Unit] = []
    for n, piece in enumerate(pieces):
        first = n  # the unit's first piece: back while it leans on a finished sentence before it
        while first and n - first < MAX_LEANING and _leans_on(text, pieces[first - 1], pieces[first]):
            first -= 1
        start, end = pieces[first].start, piece.end
        following = pieces[n + 1] if n + 1 < len(pieces) else None
        if (
            len(text[start:end].split()) < MIN_WORDS
            or text[start:end].rstrip("\"'“”»«)")[-1:] in "?:"
            or _is_lead_in(text, piece, following)
            or _is_table_header(text, pieces, n)
        ):
            continue
        found.append(Unit(start, end))
    return found


# Words no sentence ends on: a line ending on one was broken inside a sentence (a PDF line break).
_CANNOT_END = frozenset(
    """der die das den dem des ein eine einer eines einem einen und oder sowie aber sondern dass ob
    welche welcher welches welchen welchem zu zur zum mit für von vom bei beim im in an am auf aus
    nach über unter um durch gegen ohne bis seit sich ihre ihrer ihren seine seiner seinen""".split()
)


def _pieces(text: str) -> list[_Piece]:
    """Sentences, cut further at list markers."""
    pieces: list[_Piece] = []
    for start, end in _join_broken_lines(text, split_sentences(text)):
        cut, bulleted = start, False
        dash = _DASH_BULLET.match(text, start, end)
        if dash:
            cut, bulleted = dash.end(), True
        for bullet in _BULLET.finditer(text, cut, end):
            if bullet.start() > cut:
                pieces.append(_Piece(cut, bullet.start(), bulleted))
            cut, bulleted = bullet.end(), True
        if cut < end:
            pieces.append(_Piece(cut, end, bulleted))
    return pieces


def _join_broken_lines(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Rejoin a sentence that a line break cut after a word no sentence ends on („…, welche⏎Rolle …“)."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined:
            before = text[joined[-1][0] : joined[-1][1]]
            words = before.split()
            broken = (
                "\n" in text[joined[-1][1] : start]
                and bool(words)
                and (words[-1].lower() in _CANNOT_END or before.endswith(","))
            )
            if broken and not _BULLET.match(text, start) and not _DASH_BULLET.match(text, start):
                joined[-1] = (joined[-1][0], end)
                continue
        joined.append((start, end))
    return joined


def _is_lead_in(text: str, piece: _Piece, following: _Piece | None) -> bool:
    """Unfinished text that a list continues („Daher kann die Kommune … belohnen, z. B. durch“ • …)."""
    return (
        not piece.bulleted
        and following is not None
        and following.bulleted
        and not _ends_sentence(text[piece.start : piece.end])
    )


def _ends_sentence(piece: str) -> bool:
    """Whether ``piece`` ends like a finished sentence (not on „z. B.“ or another abbreviation)."""
    piece = piece.rstrip("\"'“”»«) ")
    if piece[-1:] not in ".!?…":
        return False
    words = piece.split()
    last = words[-1].lstrip("(„\"'").rstrip(".").lower() if words else ""
    return not (last in ABBREVIATIONS or (len(last) == 1 and last.isalpha()))


def _is_table_header(text: str, pieces: list[_Piece], n: int) -> bool:
    """A table row (cells split by „|“) followed by another row, with no row before it."""

    def is_row(i: int) -> bool:
        return 0 <= i < len(pieces) and " | " in text[pieces[i].start : pieces[i].end]

    return is_row(n) and is_row(n + 1) and not is_row(n - 1)


def _leans_on(text: str, before: _Piece, piece: _Piece) -> bool:
    return leans_back(text[piece.start : piece.end]) and text[before.start : before.end].rstrip()[-1:] in ".!?:"


def leans_back(sentence: str) -> bool:
    return bool(_LEANS_BACK.match(sentence.lstrip("„\"'(")))


@dataclass(frozen=True, slots=True)
class Embedded:
    """Passage vectors and, per passage, its answer units' spans (in the passage text) and vectors."""

    vectors: np.ndarray
    unit_spans: list[list[tuple[int, int]]]
    unit_vectors: list[np.ndarray]


def embed_with_units(embedder: Embedder, passages: Sequence[tuple[tuple[str, ...], str]]) -> Embedded:
    """Embed ``(heading_path, text)`` passages as :func:`passage_context` and their units with them."""
    contexts, spans, shifted = [], [], []
    for heading_path, text in passages:
        context = passage_context(heading_path, text)
        shift = len(context) - len(text)
        found = [(u.start, u.end) for u in units(text)]
        contexts.append(context)
        spans.append(found)
        shifted.append([(a + shift, b + shift) for a, b in found])
    vectors, unit_vectors = embedder.embed_passages_and_spans(contexts, shifted)
    return Embedded(vectors, spans, unit_vectors)


Place = tuple[int, int, int]  # document id, start and end in the document's text


def choose(
    scores: Sequence[float],
    texts: Sequence[str],
    places: Sequence[Place] | None = None,
    *,
    limit: int = 3,
    margin: float = MARGIN,
) -> list[int]:
    """Indexes of the units to quote, best first: within ``margin`` of the best and none twice.

    Twice means the same text, one inside another, or – given the units' ``places`` – a stretch
    of one document shared with a unit already chosen: overlapping passages repeat sentences, and
    a unit joined with the sentence before it („A. Dort …“) shares that sentence with others.
    """
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    chosen: list[int] = []
    for i in order:
        if len(chosen) == limit or scores[i] < scores[order[0]] - margin:
            break
        flat = " ".join(texts[i].split())
        if any(flat in " ".join(texts[j].split()) or " ".join(texts[j].split()) in flat for j in chosen):
            continue
        if places is not None and any(_overlap(places[i], places[j]) for j in chosen):
            continue
        chosen.append(i)
    return chosen


def _overlap(one: Place, other: Place) -> bool:
    return one[0] == other[0] and one[1] < other[2] and other[1] < one[2]


def unit_scores(
    query: str, cosines: np.ndarray, texts: Sequence[str], coverage: Callable[[str, Sequence[str]], list[float]]
) -> np.ndarray:
    """Each unit's score: its cosine with the question, plus the share of the question's idf
    mass its words hold, plus a little when it holds the kind of answer asked for."""
    keywords = np.asarray(coverage(query, texts), dtype=np.float64)
    kind = np.asarray(answer_type_matches(query, texts), dtype=np.float64)
    return np.asarray(cosines, dtype=np.float64) + COVERAGE_WEIGHT * keywords + ANSWER_TYPE_WEIGHT * kind


NOTHING_FOUND = "Dazu steht nichts in den Dokumenten: keine Passage ist relevant genug, um daraus zu zitieren."
NEXT_STEPS = (
    "Andere Worte versuchen, z. B. den Fachbegriff oder ein Stichwort statt einer ganzen Frage.",
    "Weniger Filter setzen (Landkreis, Dokumenttyp, Thema, Jahr).",
    "Die Dokumente nach Landkreis und Handlungsfeld durchsehen.",
    "Im Netzwerk der Landkreise nachfragen, wer Erfahrung mit dem Thema hat.",
)
