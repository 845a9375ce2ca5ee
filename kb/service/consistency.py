"""Does every catalogue passage have exactly one vector and one keyword entry, and vice versa?"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class ConsistencyReport:
    passages: int = 0
    missing_vectors: list[int] = field(default_factory=list)
    stray_vectors: list[int] = field(default_factory=list)
    duplicate_vectors: list[int] = field(default_factory=list)
    missing_keywords: list[int] = field(default_factory=list)
    stray_keywords: list[int] = field(default_factory=list)
    unfinished_documents: list[int] = field(default_factory=list)  # status "pending"
    wrong_visibility: list[int] = field(default_factory=list)  # keyword entries filtered by another level

    @property
    def ok(self) -> bool:
        return not (
            self.missing_vectors
            or self.stray_vectors
            or self.duplicate_vectors
            or self.missing_keywords
            or self.stray_keywords
            or self.unfinished_documents
            or self.wrong_visibility
        )

    def lines(self) -> list[str]:
        problems = [
            ("Passagen ohne Vektor", self.missing_vectors),
            ("Vektoren ohne Passage", self.stray_vectors),
            ("doppelte Vektoren", self.duplicate_vectors),
            ("Passagen ohne Stichwort-Eintrag", self.missing_keywords),
            ("Stichwort-Einträge ohne Passage", self.stray_keywords),
            ("unvollständig aufgenommene Dokumente", self.unfinished_documents),
            ("Passagen, deren Sichtbarkeit im Stichwortindex nicht der im Katalog entspricht", self.wrong_visibility),
        ]
        lines = [f"{len(ids)} {label}: {_preview(ids)}" for label, ids in problems if ids]
        return lines or [
            f"In Ordnung: {self.passages} Passagen, je ein Vektor und ein Stichwort-Eintrag "
            "mit der Sichtbarkeit ihres Dokuments."
        ]


def compare(
    catalogue_ids: set[int], vector_ids: list[int], keyword_ids: set[int], unfinished: list[int]
) -> ConsistencyReport:
    vectors = Counter(vector_ids)
    return ConsistencyReport(
        passages=len(catalogue_ids),
        missing_vectors=sorted(catalogue_ids - vectors.keys()),
        stray_vectors=sorted(vectors.keys() - catalogue_ids),
        duplicate_vectors=sorted(i for i, n in vectors.items() if n > 1),
        missing_keywords=sorted(catalogue_ids - keyword_ids),
        stray_keywords=sorted(keyword_ids - catalogue_ids),
        unfinished_documents=unfinished,
    )


def _preview(ids: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, ids[:shown]))
    return text + (f" … (+{len(ids) - shown})" if len(ids) > shown else "")
