"""Retrieval quality on BEIR-layout sets (corpus.jsonl, queries.jsonl, qrels/test.tsv)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from kb.core.config import Config
from kb.core.errors import KbError
from kb.service.search import MODES

MEASURES = {"ndcg@10": "nDCG@10", "recall@10": "R@10", "recall@100": "R@100", "mrr@10": "RR@10"}
_DEPTH = 100  # documents ranked per query


@dataclasses.dataclass(frozen=True)
class BeirSet:
    name: str
    corpus: list[tuple[str, str, str]]  # (id, title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    @classmethod
    def read(cls, folder: Path) -> BeirSet:
        paths = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / "test.tsv"]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise KbError(f"{folder} ist kein BEIR-Verzeichnis; es fehlt: {', '.join(missing)}")
        corpus = [(str(d["_id"]), d.get("title") or "", d.get("text") or "") for d in _jsonl(paths[0])]
        queries = {str(q["_id"]): q["text"] for q in _jsonl(paths[1])}
        qrels: dict[str, dict[str, int]] = {}
        for line in paths[2].read_text("utf-8").splitlines()[1:]:
            query_id, doc_id, score = line.split("\t")[:3]
            if int(score) > 0:
                qrels.setdefault(query_id, {})[doc_id] = int(score)
        queries = {q: text for q, text in queries.items() if q in qrels}
        return cls(folder.resolve().name, corpus, queries, qrels)

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for doc_id, title, text in self.corpus:
            digest.update(f"{doc_id}\t{title}\t{text}\n".encode())
        return digest.hexdigest()[:16]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def index_set(beir: BeirSet, config: Config, on_progress: Callable[[str, int, int], None] | None = None):
    """A knowledge base of the set's corpus under ``<data_dir>/eval/<name>-<fingerprint>``,
    built on first use and reused while the corpus is unchanged. Its catalogue is always an SQLite
    file there: a measurement of this machine, never documents of a shared catalogue."""
    from kb.service.knowledge import KnowledgeBase

    data_dir = config.resolved().data_dir / "eval" / f"{beir.name}-{beir.fingerprint()}"
    kb = KnowledgeBase(dataclasses.replace(config, data_dir=data_dir, database_url=""))
    if kb.catalogue.count_passages() == 0:
        kb.add_texts(beir.corpus, lambda done, total: on_progress and on_progress("index", done, total))
    return kb


def score_runs(beir: BeirSet, rankings: dict[str, list[tuple[int, float]]], key_of: dict[int, str]) -> dict[str, float]:
    """The measures for passage rankings per query, judged on documents (best passage counts)."""
    import ir_measures

    run = [
        ir_measures.ScoredDoc(query_id, doc, float(_DEPTH - rank))
        for query_id, ranked in rankings.items()
        for rank, doc in enumerate(_documents_in_order(ranked, key_of)[:_DEPTH])
    ]
    qrels = [ir_measures.Qrel(q, d, s) for q, docs in beir.qrels.items() for d, s in docs.items()]
    measures = {name: ir_measures.parse_measure(m) for name, m in MEASURES.items()}
    scores = ir_measures.calc_aggregate(list(measures.values()), qrels, run)
    return {name: round(float(scores[m]), 4) for name, m in measures.items()}


def evaluate(
    folder: Path,
    config: Config,
    *,
    modes: tuple[str, ...] = MODES,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Run every query of a BEIR set in each mode and score the rankings with ir-measures."""
    beir = BeirSet.read(folder)
    kb = index_set(beir, config, on_progress)
    try:
        searcher = kb.searcher
        key_of = kb.catalogue.passage_sources()
        query_ids = list(beir.queries)
        vectors = kb.embedder.embed_queries([beir.queries[q] for q in query_ids])
        results: dict[str, dict[str, float]] = {}
        for mode in modes:
            rankings = {}
            for done, (query_id, vector) in enumerate(zip(query_ids, vectors, strict=True), 1):
                ranked = searcher.rank(beir.queries[query_id], mode=mode, depth=3 * _DEPTH, query_vector=vector).fused
                rankings[query_id] = searcher.collapse(ranked)  # as users see it: copies once
                if on_progress:
                    on_progress(mode, done, len(query_ids))
            results[mode] = score_runs(beir, rankings, key_of)
        return results
    finally:
        kb.close()


def _documents_in_order(ranked: list[tuple[int, float]], key_of: dict[int, str]) -> list[str]:
    """Each document once, at the rank of its best passage."""
    seen: dict[str, None] = {}
    for passage_id, _ in ranked:
        seen.setdefault(key_of[passage_id], None)
    return list(seen)
