"""How the fusion of keyword and dense rankings behaves on BEIR-layout sets.

Prints nDCG@10 for dense alone, keyword alone, convex fusion over a range of dense weights, and
reciprocal rank fusion (k=60, equal and dense-weighted), so the default weight can be chosen
where it is robust rather than where one set peaks.

    .venv/bin/python bench/fusion.py ../shared/eval/localzero_measures_de [more sets...]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.fusion import convex_fusion, reciprocal_rank_fusion  # noqa: E402
from kb.core.config import Config  # noqa: E402
from kb.service.evaluation import MEASURES, BeirSet, index_set, score_runs  # noqa: E402

WEIGHTS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0)


def main() -> None:
    config = Config.from_env()
    for folder in map(Path, sys.argv[1:]):
        beir = BeirSet.read(folder)
        kb = index_set(beir, config)
        searcher = kb.searcher
        query_ids = list(beir.queries)
        vectors = kb.embedder.embed_queries([beir.queries[q] for q in query_ids])
        retrieved = {}
        for query_id, vector in zip(query_ids, vectors, strict=True):
            _, dense, keyword = searcher.rank(beir.queries[query_id], mode="hybrid", depth=300, query_vector=vector)
            retrieved[query_id] = (dense, keyword)
        key_of = kb.catalogue.passage_sources()
        variants = {"dense": lambda d, k: d, "keyword": lambda d, k: k}
        for weight in WEIGHTS:
            variants[f"convex w={weight}"] = lambda d, k, w=weight: convex_fusion(d, k, dense_weight=w)
        variants["rrf k=60"] = lambda d, k: reciprocal_rank_fusion([d, k])
        variants["rrf k=60 2:1"] = lambda d, k: reciprocal_rank_fusion([d, k], weights=[2, 1])
        print(f"\n{beir.name} ({len(beir.corpus)} documents, {len(query_ids)} queries)")
        print(f"{'method':<16}" + "".join(f"{m:>12}" for m in MEASURES))
        for name, fuse in variants.items():
            rankings = {q: fuse(*retrieved[q]) for q in query_ids}
            scores = score_runs(beir, rankings, key_of)
            print(f"{name:<16}" + "".join(f"{scores[m]:>12.4f}" for m in MEASURES))
        kb.close()


if __name__ == "__main__":
    main()
