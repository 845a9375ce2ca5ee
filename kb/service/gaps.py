"""Was dem Netzwerk fehlt: questions the documents did not answer, and answers marked as not
helpful, recorded without personal data and grouped by meaning.

A record holds the question, its filters, the kind and the time — no account, no address. It is
kept for a configured number of days. Groups come from the questions' embeddings: questions
whose vectors are close (average linkage over cosine distance) are one group, so „Förderung
von Lastenrädern“ and „Zuschuss für Lastenrad“ count together.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from kb.service.catalogue import CatalogueStore
from kb.service.database import marks

UNANSWERED, UNHELPFUL, HELPFUL = "unbeantwortet", "nicht hilfreich", "hilfreich"
KINDS = (UNANSWERED, UNHELPFUL, HELPFUL)
GAP_KINDS = (UNANSWERED, UNHELPFUL)  # what the network lacks; HELPFUL is counted beside them
# Questions this similar ask the same (multilingual-e5-small query vectors: paraphrases of one
# question measured 0.89–0.93, questions on neighbouring topics 0.76–0.88).
SAME_QUESTION = 0.89
# Grouping by meaning compares every pair: the newest this many distinct questions are grouped
# (2,000 take ~16 MB and well under a second), older ones each stand alone, counted all the same.
MAX_GROUPED = 2000
MAX_QUERY = 500


@dataclass(frozen=True, slots=True)
class Gap:
    id: int
    kind: str
    query: str
    filters: str  # as shown to people: "Landkreis X · Leitfaden · 2020–2024", "" without
    at: str  # ISO time, UTC, to the minute


@dataclass(frozen=True, slots=True)
class GapGroup:
    """Questions that ask the same, most recent first; ``label`` is the most typical one."""

    label: str
    gaps: list[Gap]

    @property
    def count(self) -> int:
        return len(self.gaps)

    def by_month(self) -> list[tuple[str, int]]:
        """(YYYY-MM, how many) in order, for counts over time."""
        return sorted(Counter(gap.at[:7] for gap in self.gaps).items())

    def count_of(self, kind: str) -> int:
        return sum(1 for gap in self.gaps if gap.kind == kind)


class GapLog(CatalogueStore):
    """The recorded gaps, forgotten after ``retention_days``."""

    def __init__(self, location: str | Path, retention_days: int) -> None:
        super().__init__(location)
        self.retention = timedelta(days=retention_days)
        self._vectors: dict[str, np.ndarray] = {}  # question -> vector, for the questions still kept

    def record(self, kind: str, query: str, filters: str, now: datetime | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        query = " ".join(query.split())[:MAX_QUERY]
        if not query:
            return
        filters = filters[:MAX_QUERY]  # unchecked counties from a form or an API body: as long as sent
        at = (now or datetime.now(UTC)).isoformat(timespec="minutes")
        self._db.execute("INSERT INTO gaps (kind, query, filters, at) VALUES (?, ?, ?, ?)", (kind, query, filters, at))

    def purge(self, now: datetime | None = None) -> int:
        """Forget records older than the retention period; returns how many."""
        cutoff = ((now or datetime.now(UTC)) - self.retention).isoformat(timespec="minutes")
        return self._db.execute("DELETE FROM gaps WHERE at < ?", (cutoff,)).rowcount

    def entries(self, kinds: Sequence[str] = GAP_KINDS) -> list[Gap]:
        rows = self._db.execute(
            f"SELECT id, kind, query, filters, at FROM gaps WHERE kind IN ({marks(kinds)}) ORDER BY at DESC, id DESC",
            tuple(kinds),
        )
        return [Gap(**row._asdict()) for row in rows]

    def count(self, kind: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM gaps WHERE kind = ?", (kind,)).fetchone()[0]

    def groups(self, embed: Callable[[str], np.ndarray]) -> list[GapGroup]:
        """The recorded gaps grouped by meaning, the largest group first.

        Each distinct question is embedded once per log (``embed`` is the model's query encoder),
        so showing the page again embeds only what was asked since.
        """
        gaps = self.entries()  # newest first
        newest_first = list(dict.fromkeys(gap.query.lower() for gap in gaps))
        if not newest_first:
            return []
        questions = sorted(newest_first[:MAX_GROUPED])
        known = self._vectors
        self._vectors = {question: known[question] if question in known else embed(question) for question in questions}
        vectors = np.stack([self._vectors[question] for question in questions])
        label_of = _cluster(vectors)
        index = {question: i for i, question in enumerate(questions)}
        members: dict[object, list[Gap]] = {}
        for gap in gaps:
            question = gap.query.lower()
            members.setdefault(label_of[index[question]] if question in index else question, []).append(gap)
        groups = [
            GapGroup(_typical(found, vectors, index) if found[0].query.lower() in index else found[0].query, found)
            for found in members.values()
        ]
        return sorted(groups, key=lambda group: (-group.count, group.label))


def _cluster(vectors: np.ndarray) -> list[int]:
    if len(vectors) == 1:
        return [0]
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors, method="average", metric="cosine")
    return [int(label) for label in fcluster(tree, t=1 - SAME_QUESTION, criterion="distance")]


def _typical(gaps: list[Gap], vectors: np.ndarray, index: dict[str, int]) -> str:
    """The group's question closest to the group's mean (as written the last time it was asked)."""
    rows = sorted({index[gap.query.lower()] for gap in gaps})
    centre = vectors[rows].mean(axis=0)
    best = rows[int(np.argmax(vectors[rows] @ centre))]
    return next(gap.query for gap in gaps if index[gap.query.lower()] == best)


def gaps_csv(groups: Sequence[GapGroup]) -> str:
    """One row per record: group, kind, question, filters, time (for spreadsheets, `;`-separated)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Gruppe", "Art", "Frage", "Filter", "Zeit (UTC)"])
    for group in groups:
        for gap in group.gaps:
            writer.writerow([_cell(group.label), gap.kind, _cell(gap.query), _cell(gap.filters), gap.at])
    return out.getvalue()


def _cell(text: str) -> str:
    """A question typed as ``=HYPERLINK(…)`` stays text in a spreadsheet (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
