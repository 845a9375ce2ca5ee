"""Wer hat damit Erfahrung? The counties ranked by how much material on a question or topic they
have that clears the evidence floor, each with its best passages.

Counting passages above the floor (not all hits) keeps a county with one long concept from
outranking one with three protocols that actually answer; a county is listed only if at least
one of its passages clears the floor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from kb.core.documents import SearchFilters
from kb.service.network import Contact
from kb.service.search import Hit
from kb.service.visible import VisibleKnowledge

CANDIDATES = 100  # passages searched; enough for every county with material to show up
BEST = 3  # passages shown per county


@dataclass
class CountyExperience:
    county: str
    passages: int  # passages above the floor
    documents: int  # documents they come from
    best: list[Hit] = field(default_factory=list)
    topics: set[str] = field(default_factory=set)  # of the documents the passages come from
    role: str | None = None  # in the network
    contacts: list[Contact] = field(default_factory=list)  # for the topic; for signed-in members only


def experience(kb: VisibleKnowledge, query: str, topic: str | None, filters: SearchFilters) -> list[CountyExperience]:
    """Counties with material on ``query`` (or, without one, on ``topic``), most first.

    A topic alone searches for the topic's name among documents tagged with it.
    """
    if topic:
        filters = dataclasses.replace(filters, topics=(topic,))
    result = kb.search(query or topic or "", filters=filters, limit=CANDIDATES)
    by_county: dict[str, list[Hit]] = {}
    for hit in result.hits:
        county = hit.document.metadata.county
        if county and hit.matches:
            by_county.setdefault(county, []).append(hit)
    ranked = [
        CountyExperience(
            county,
            len(hits),
            len({h.document.id for h in hits}),
            hits[:BEST],
            {t for h in hits for t in h.document.metadata.topics},
        )
        for county, hits in by_county.items()
    ]
    return sorted(ranked, key=lambda c: (-c.passages, -c.best[0].score, c.county))
