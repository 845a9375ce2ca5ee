"""How fusion functions of keyword and dense evidence behave on every set, chosen across sets.

Reads a candidate dump (``bench/candidates.py``; more dumps are merged), prints nDCG@10 per set
for dense alone, keyword alone, the old convex min-max fusion, reciprocal rank fusion, the
evidence fusion ``cosine + w · min(1, BM25 / idf mass)`` and the standardised fusion
``z(cosine) + a · z(BM25)`` (z-scores over each retriever's own top 100; measured, not used: it
lets a weak keyword list of paraphrased questions outrank the model). Each family's parameter is
chosen where the smallest margin over the better half across all sets is largest (evidence: among
the weights keeping the published sets at or above the old fusion); leave-one-set-out shows how
that choice carries to a set it did not see.

    python -m bench.fusion /tmp/candidates.pkl [/tmp/more-candidates.pkl ...]
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np

from bench.offline import leave_one_set_out, mean_ndcg
from index.fusion import KEYWORD_WEIGHT, convex_fusion, fused_scores, reciprocal_rank_fusion

PUBLISHED = ("localzero_measures_de", "germanquad_retrieval")
GRID = (0.0, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08, 0.1)
STANDARD_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def _ranked(record: dict, fused: list[tuple[int, float]]) -> np.ndarray:
    """Scores aligned with the record's candidates from a fused ``(id, score)`` list."""
    position = {int(i): n for n, i in enumerate(record["ids"])}
    scores = np.full(len(record["ids"]), -np.inf)
    for rank, (item, _) in enumerate(fused):
        scores[position[item]] = -rank
    return scores


def _lists(record: dict) -> tuple[list, list]:
    ids = record["ids"].tolist()
    dense = sorted(
        ((i, float(c)) for i, c, d in zip(ids, record["cos"], record["in_dense"], strict=True) if d),
        key=lambda p: -p[1],
    )
    keyword = sorted(
        ((i, float(b)) for i, b, k in zip(ids, record["bm25"], record["in_keyword"], strict=True) if k),
        key=lambda p: -p[1],
    )
    return dense, keyword


def dense(record: dict) -> np.ndarray:
    return np.where(record["in_dense"], record["cos"], -np.inf)


def keyword(record: dict) -> np.ndarray:
    return np.where(record["in_keyword"], record["bm25"], -np.inf)


def convex(weight: float):  # noqa: ANN201
    return lambda r: _ranked(r, convex_fusion(*_lists(r), dense_weight=weight))


def rrf(record: dict) -> np.ndarray:
    return _ranked(record, reciprocal_rank_fusion(list(_lists(record))))


def evidence(weight: float, dense_only: bool = False):  # noqa: ANN201
    def score(record: dict) -> np.ndarray:
        fused = fused_scores(record["cos"], record["bm25"], record["idf_mass"], keyword_weight=weight)
        return np.where(record["in_dense"], fused, -np.inf) if dense_only else fused

    return score


def standardised(weight: float, depth: int = 100):  # noqa: ANN201
    """``z(cosine) + weight · z(BM25)``, each z over its own retriever's top ``depth`` (BM25 0 where missed)."""

    def score(record: dict) -> np.ndarray:
        top_cos = np.sort(record["cos"][record["in_dense"]])[::-1][:depth]
        top_bm25 = np.sort(record["bm25"][record["in_keyword"]])[::-1][:depth]
        fused = (record["cos"] - top_cos.mean()) / top_cos.std()
        if len(top_bm25) > 1 and top_bm25.std() > 0:
            fused = fused + weight * (record["bm25"] - top_bm25.mean()) / top_bm25.std()
        return fused

    return score


def main() -> None:
    dump: dict[str, list[dict]] = {}
    for path in sys.argv[1:]:
        dump |= pickle.loads(Path(path).read_bytes())
    sets = {name: [r for r in records if r["gain"].any() or r.get("judged")] for name, records in dump.items()}
    halves = {name: max(mean_ndcg(rs, dense), mean_ndcg(rs, keyword)) for name, rs in sets.items()}
    variants = {"dense": dense, "keyword": keyword, "convex min-max 0.8 (old)": convex(0.8), "rrf k=60": rrf}
    for weight in GRID:
        variants[f"evidence w={weight}"] = evidence(weight)
    variants[f"evidence w={KEYWORD_WEIGHT}, dense cand."] = evidence(KEYWORD_WEIGHT, dense_only=True)
    for weight in STANDARD_GRID:
        variants[f"standardised a={weight}"] = standardised(weight)
    names = list(sets)
    print(f"nDCG@10 ({', '.join(f'{n}: {len(sets[n])} queries' for n in names)})\n")
    print("| method | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, scorer in variants.items():
        print(f"| {label} | " + " | ".join(f"{mean_ndcg(sets[n], scorer):.4f}" for n in names) + " |")
    # Sets with published figures of today's fusion (README) must not fall below them.
    today = {name: mean_ndcg(rs, convex(0.8)) if name in PUBLISHED else -1.0 for name, rs in sets.items()}
    for family, grid, make, floors in (
        ("evidence (no published set below today's fusion first)", GRID, evidence, today),
        ("standardised (not used)", STANDARD_GRID, standardised, dict.fromkeys(sets, -1.0)),
    ):
        chosen, held_out = leave_one_set_out(sets, grid, make, halves, floors)
        print(f"\n{family}: chosen on all sets (largest smallest margin over the better half): {grid[chosen]}")
        print("\nleave-one-set-out (weight chosen on the other sets):\n")
        print("| held out | weight | nDCG@10 | better half | margin |")
        print("|---|---|---|---|---|")
        for held, (weight, value) in held_out.items():
            print(f"| {held} | {weight} | {value:.4f} | {halves[held]:.4f} | {value - halves[held]:+.4f} |")


if __name__ == "__main__":
    main()
