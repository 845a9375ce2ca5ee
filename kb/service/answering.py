"""Which sentences of the best passages are quoted as the answer (pure functions).

A quotable unit is a sentence, or a list item / slide bullet on a line of its own. A unit that
leans on the one before („Dort …“, „Diese …“) is quoted together with it, so a quote never
starts with a reference the reader cannot resolve. Units are scored by their own similarity to
the question plus the relevance of their passage: a sentence in a passage that answers the
question beats a look-alike sentence in a passage that does not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.sentences import split_sentences

MIN_WORDS = 3  # shorter units ("Stand: 2024") say nothing on their own
PASSAGE_WEIGHT = 0.1  # weight of the passage's relevance beside the unit's cosine (bench/answers.py)
MARGIN = 0.03  # further units are quoted only within this score of the best one
EMBEDDED_UNITS = 8  # units embedded per answer, the rest is cut by the shortlist (bench/answers.py)
_BULLET = re.compile(r"\s*[•▪◦‣–]\s+")
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
    """Quotable units of a passage text, in order; a unit leaning back includes its predecessor."""
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
        if len(text[start:end].split()) >= MIN_WORDS:
            found.append(Unit(start, end))
    return found


def leans_back(sentence: str) -> bool:
    return bool(_LEANS_BACK.match(sentence.lstrip("„\"'(")))


def shortlist(relevances: Sequence[float], overlaps: Sequence[int], size: int) -> list[int]:
    """Indexes of the ``size`` units to embed, in their original order: most words shared with
    the question first, the more relevant passage first among equals (embedding every unit of
    five passages costs far more than the search itself)."""
    order = sorted(range(len(relevances)), key=lambda i: (-(relevances[i] + overlaps[i]), i))
    return sorted(order[:size])


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
