"""Offline measures over a candidate dump (``bench/candidates.py``): nDCG@10 of any scoring of
the candidates, and the leave-one-set-out choice of a parameter."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Scorer = Callable[[dict], np.ndarray]


def ndcg10(record: dict, scores: np.ndarray) -> float:
    """nDCG@10 of ``record``'s candidates ordered by ``scores``; each key (document) counts once."""
    judged = record.get("judged") or {k: int(g) for k, g in zip(record["keys"], record["gain"], strict=True) if g > 0}
    if not judged:
        return float("nan")
    seen: dict = {}
    for index in np.argsort(-scores, kind="stable"):
        if not np.isfinite(scores[index]):  # not retrieved by this scorer
            break
        seen.setdefault(record["keys"][index], None)
        if len(seen) == 10:
            break
    dcg = sum(judged.get(key, 0) / np.log2(rank + 2) for rank, key in enumerate(seen))
    ideal = sorted(judged.values(), reverse=True)[:10]
    return dcg / sum(g / np.log2(rank + 2) for rank, g in enumerate(ideal))


def mean_ndcg(records: Sequence[dict], scorer: Scorer) -> float:
    values = [ndcg10(r, scorer(r)) for r in records if len(r["ids"])]
    return float(np.nanmean(values))


def maximin(
    table: dict[str, list[float]], baselines: dict[str, float], names: Sequence[str], floors: dict[str, float]
) -> int:
    """Index of the grid value whose smallest margin over the sets' better halves is largest,
    among those that keep every set at or above its ``floors`` value (today's fusion)."""
    size = len(next(iter(table.values())))

    def merit(i: int) -> tuple[bool, float, float]:
        keeps = all(table[n][i] >= floors[n] - 1e-9 for n in names)
        return (keeps, min(table[n][i] - baselines[n] for n in names), float(np.mean([table[n][i] for n in names])))

    return max(range(size), key=merit)


def leave_one_set_out(
    sets: dict[str, list[dict]],
    grid: Sequence[float],
    make: Callable[[float], Scorer],
    baselines: dict[str, float],
    floors: dict[str, float],
) -> tuple[int, dict[str, tuple[float, float]]]:
    """The grid index chosen on all sets, and for each held-out set the grid value chosen on the
    others with the held-out set's nDCG@10 at that value."""
    table = {name: [mean_ndcg(records, make(value)) for value in grid] for name, records in sets.items()}
    held_out = {}
    for held in sets:
        best = maximin(table, baselines, [n for n in sets if n != held], floors)
        held_out[held] = (grid[best], table[held][best])
    return maximin(table, baselines, list(sets), floors), held_out
