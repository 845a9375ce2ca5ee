"""Fuse the rankings of the keyword and the dense retriever into one.

Two methods, chosen by measurement (``bench/fusion.py``, README):

* ``reciprocal_rank_fusion`` – Cormack, Clarke & Büttcher (2009), weighted.
* ``convex_fusion`` – a weighted sum of normalised scores (Bruch, Gai & Ingber 2023, "An
  Analysis of Fusion Functions for Hybrid Retrieval"): unlike RRF it keeps how *much* better a
  hit is, so a dense retriever that is clearly sure is not out-voted by weak keyword matches.
* ``evidence_fusion`` – the default: raw cosine plus BM25 scaled by the query's idf mass. No
  score is normalised within the list (min-max throws away how good the best hit really is, and
  stretches a flat list of weak cosines to 0…1), so the fused score is comparable across queries
  and feeds the calibrated relevance (``index/relevance.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Ranking = Sequence[tuple[int, float]]  # (id, score), best first


def reciprocal_rank_fusion(
    rankings: Sequence[Ranking], *, k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Merge ranked lists by sum of ``weight / (k + rank)``; returns ``(id, score)`` best first."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (item, _) in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def convex_fusion(dense: Ranking, keyword: Ranking, *, dense_weight: float) -> list[tuple[int, float]]:
    """``dense_weight * dense' + (1 - dense_weight) * keyword'`` over the union of both lists.

    Dense cosine scores are min-max normalised within the list; keyword (BM25) scores are
    divided by the best keyword score, with 0 as the theoretical minimum (a missing term scores
    nothing). An id missing from a list gets that list's minimum.
    """
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"dense_weight must be in [0, 1]; got {dense_weight}")
    dense_norm = _min_max(dense)
    keyword_norm = _by_max(keyword)
    fused = {
        item: dense_weight * dense_norm.get(item, 0.0) + (1 - dense_weight) * keyword_norm.get(item, 0.0)
        for item in dense_norm.keys() | keyword_norm.keys()
    }
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


KEYWORD_WEIGHT = 0.025  # chosen across all evaluation sets by bench/fusion.py (README, "Search quality")


def fused_scores(cosines: np.ndarray, bm25: np.ndarray, idf_mass: float, *, keyword_weight: float) -> np.ndarray:
    """``cosine + keyword_weight · min(1, BM25 / idf_mass)`` per candidate (BM25 0 where keyword missed it).

    The idf mass (sum of the query terms' idf) is about what a passage matching every query term
    scores: a bound that depends on the query, not on the list, so a passage matching one common
    word of a long question gets little, however weak the rest of the list is (Bruch, Gai &
    Ingber 2023 normalise by theoretical bounds for the same reason). Capped at 1: matching every
    term is full keyword evidence. The cosine stays raw, so the score keeps its absolute meaning.
    """
    share = np.asarray(bm25, dtype=np.float64) / idf_mass if idf_mass > 0 else np.zeros(len(bm25))
    return np.asarray(cosines, dtype=np.float64) + keyword_weight * np.minimum(share, 1.0)


def evidence_fusion(
    keyword: Ranking, cosines: Mapping[int, float], idf_mass: float, *, keyword_weight: float = KEYWORD_WEIGHT
) -> list[tuple[int, float]]:
    """Fuse the exact cosines of all candidates (``cosines``) with their keyword scores; best first."""
    ids = list(cosines)
    bm25 = dict(keyword)
    scores = fused_scores(
        np.fromiter((cosines[i] for i in ids), np.float64, len(ids)),
        np.fromiter((bm25.get(i, 0.0) for i in ids), np.float64, len(ids)),
        idf_mass,
        keyword_weight=keyword_weight,
    )
    return sorted(zip(ids, scores.tolist(), strict=True), key=lambda pair: (-pair[1], pair[0]))


def _min_max(ranking: Ranking) -> dict[int, float]:
    if not ranking:
        return {}
    scores = [score for _, score in ranking]
    low, high = min(scores), max(scores)
    span = high - low
    return {item: (score - low) / span if span > 0 else 1.0 for item, score in ranking}


def _by_max(ranking: Ranking) -> dict[int, float]:
    if not ranking:
        return {}
    high = max(score for _, score in ranking)
    return {item: score / high if high > 0 else 0.0 for item, score in ranking}
