"""Which sentences of the best passages are quoted as the answer.

A quotable unit is a sentence, or a list item / slide bullet on a line of its own. A unit that
leans on the one before („Dort …“, „Diese …“) is quoted together with it, so a quote never
starts with a reference the reader cannot resolve. A unit's vector is made at ingest in the
same forward pass as its passage's, from the passage's token vectors inside the unit
(:func:`embed_with_units`): it is read with its passage and heading around it, and an answer
embeds nothing but the question. Units are scored by that vector's similarity to the question
plus how much of the question's keyword weight (idf) they contain; a separate weight for the
passage's relevance made the first quote worse (bench/answers.py, README).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.sentences import split_sentences
from kb.core.documents import passage_context
from kb.core.embedding import Embedder

MIN_WORDS = 3  # shorter units ("Stand: 2024") say nothing on their own
COVERAGE_WEIGHT = 0.1  # of the question's idf share in a unit, beside its cosine (bench/answers.py)
MARGIN = 0.05  # further units are quoted only within this score of the best one
_BULLET = re.compile(r"\s*(?:[•▪◦‣]|–(?!\s*\d))\s+")  # a dash before a number is a range („2 – 4 Jahre“)
# Words that point back to the previous sentence when they open one.
_LEANS_BACK = re.compile(
    r"(Dort|Dabei|Damit|Dazu|Dafür|Daher|Deshalb|Dadurch|Darin|Davon|Danach|Hier|Diese[rsmn]?|Dies|Er|Sie|Es"
    r"|Ihr(e[rsmn]?)?|Sein(e[rsmn]?)?|Außerdem|Zudem|Zusätzlich|Trotzdem|Somit)\b"
)


@dataclass(frozen=True, slots=True)
class Unit:
    start: int
    end: int


def units(text: str) -> list[Unit]:
    """Quotable units of a passage text, in order; a unit leaning back includes its predecessor.

    A question („Wer bezahlt die Karten?“) or a lead-in ending in a colon never answers by itself.
    """
    pieces: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        cut = start
        for bullet in _BULLET.finditer(text, start, end):
            if bullet.start() > cut:
                pieces.append((cut, bullet.start()))
            cut = bullet.end()
        if cut < end:
            pieces.append((cut, end))
    found: list[Unit] = []
    for n, (start, end) in enumerate(pieces):
        if n and leans_back(text[start:end]) and text[pieces[n - 1][0] : pieces[n - 1][1]].rstrip()[-1:] in ".!?:":
            start = pieces[n - 1][0]
        if len(text[start:end].split()) >= MIN_WORDS and text[start:end].rstrip("\"'“”»«)")[-1:] not in "?:":
            found.append(Unit(start, end))
    return found


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


def choose(scores: Sequence[float], texts: Sequence[str], *, limit: int = 3, margin: float = MARGIN) -> list[int]:
    """Indexes of the units to quote, best first: within ``margin`` of the best, none twice and
    none contained in one already chosen."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    chosen: list[int] = []
    for i in order:
        if len(chosen) == limit or scores[i] < scores[order[0]] - margin:
            break
        flat = " ".join(texts[i].split())
        if any(flat in " ".join(texts[j].split()) or " ".join(texts[j].split()) in flat for j in chosen):
            continue
        chosen.append(i)
    return chosen


NOTHING_FOUND = "Dazu steht nichts in den Dokumenten: keine Passage ist relevant genug, um daraus zu zitieren."
NEXT_STEPS = (
    "Andere Worte versuchen, z. B. den Fachbegriff oder ein Stichwort statt einer ganzen Frage.",
    "Weniger Filter setzen (Landkreis, Dokumenttyp, Thema, Jahr).",
    "Die Dokumente nach Landkreis und Handlungsfeld durchsehen.",
    "Im Netzwerk der Landkreise nachfragen, wer Erfahrung mit dem Thema hat.",
)
