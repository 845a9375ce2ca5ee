"""Per-query candidate lists with their raw evidence, dumped once per set for offline study.

For every query: the union of the dense and the keyword top-100 passages, each with its raw
cosine (exact, from the stored vectors), raw BM25F (0 when the keyword side did not return it),
its rank on each side, its relevance label, plus the query's idf mass. ``bench/fusion.py`` and
``bench/calibration.py`` read the dump, so fusion and calibration are studied in numpy without
re-running the retrievers.

    KB_DATA_DIR=/tmp/bench-data python -m bench.candidates /tmp/candidates.pkl \
        [--real-public-de /tmp/real_public_de/data]

Sets: localzero_measures_de, germanquad_retrieval (../shared/eval), our own question sets
(bench/questions, answerable and unanswerable) and, if its knowledge base is given,
real_public_de (labels by its score.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.question_sets import answerable, contains_answer, questions_kb, read_jsonl, unanswerable
from kb.core.config import Config
from kb.service.evaluation import BeirSet, index_set

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
DEPTH = 100


def collect(kb, queries: list[tuple[str, str, bool]], label: Callable[[str, dict], dict[int, int]]) -> list[dict]:  # noqa: ANN001
    """One record per ``(query_id, text, answerable)``; ``label(query_id, passages)`` -> {pid: gain}."""
    searcher, indexes = kb.searcher, kb.indexes
    vectors = kb.embedder.embed_queries([text for _, text, _ in queries])
    records = []
    for (query_id, text, is_answerable), vector in zip(queries, vectors, strict=True):
        _, dense, keyword = searcher.rank(text, mode="hybrid", depth=DEPTH, query_vector=vector)
        ids = list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in keyword]))
        bm25 = dict(keyword)
        passages = kb.catalogue.passages_by_id(ids)
        ids = [i for i in ids if i in passages]
        gains = label(query_id, {i: passages[i] for i in ids})
        records.append(
            {
                "query_id": query_id,
                "query": text,
                "answerable": is_answerable,
                "ids": np.asarray(ids, dtype=np.int64),
                "cos": indexes.vectors.vectors(ids) @ vector if ids else np.zeros(0, np.float32),
                "bm25": np.asarray([bm25.get(i, 0.0) for i in ids], dtype=np.float32),
                "in_dense": np.isin(ids, [i for i, _ in dense]),
                "in_keyword": np.isin(ids, [i for i, _ in keyword]),
                "idf_mass": indexes.keywords.idf_mass(text),
                "gain": np.asarray([gains.get(i, 0) for i in ids], dtype=np.int64),
                "keys": list(ids),
            }
        )
    return records


def beir_records(folder: Path, config: Config) -> list[dict]:
    beir = BeirSet.read(folder)
    kb = index_set(beir, config)
    key_of = kb.catalogue.passage_sources()
    queries = [(q, text, True) for q, text in beir.queries.items()]

    def label(query_id: str, passages: dict) -> dict[int, int]:
        return {i: beir.qrels[query_id].get(key_of[i], 0) for i in passages}

    records = collect(kb, queries, label)
    for record in records:  # judged on documents: a document counts once, at its best passage
        record["keys"] = [key_of[i] for i in record["ids"].tolist()]
        record["judged"] = beir.qrels[record["query_id"]]
    kb.close()
    return records


def question_records(config: Config) -> list[dict]:
    kb = questions_kb(config)
    by_id = {q["id"]: q for q in answerable() + unanswerable()}
    queries = [(q["id"], q["question"], "answers" in q) for q in by_id.values()]

    def label(query_id: str, passages: dict) -> dict[int, int]:
        return {i: int(contains_answer(by_id[query_id], p.text)) for i, p in passages.items()}

    records = collect(kb, queries, label)
    kb.close()
    return records


def real_public_records(data_dir: Path, config: Config) -> list[dict]:
    from kb.service import KnowledgeBase

    folder = EVAL / "real_public_de"
    spec = importlib.util.spec_from_file_location("real_public_score", folder / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    questions = {q["id"]: q for q in read_jsonl(folder / "questions.jsonl")}
    kb = KnowledgeBase(dataclasses.replace(config, data_dir=data_dir))
    queries = [(q["id"], q["question"], q["answerable"]) for q in questions.values()]

    def label(query_id: str, passages: dict) -> dict[int, int]:
        q = questions[query_id]
        if not q["answerable"]:
            return {}
        documents = kb.catalogue.documents_by_id({p.document_id for p in passages.values()})
        return {
            i: int(
                score.hit_correct(
                    q,
                    {
                        "file_name": documents[p.document_id].file_name,
                        "page": p.page_start,
                        "page_end": p.page_end,
                        "text": p.text,
                    },
                )
            )
            for i, p in passages.items()
        }

    records = collect(kb, queries, label)
    kb.close()
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--real-public-de", type=Path, help="data directory with real_public_de ingested")
    parser.add_argument("--sets", default="localzero_measures_de,germanquad_retrieval,questions,real_public_de")
    args = parser.parse_args()
    config = Config.from_env()
    wanted = args.sets.split(",")
    dump: dict[str, list[dict]] = {}
    for name in ("localzero_measures_de", "germanquad_retrieval"):
        if name in wanted:
            dump[name] = beir_records(EVAL / name, config)
    if "questions" in wanted:
        dump["questions"] = question_records(config)
    if "real_public_de" in wanted and args.real_public_de:
        dump["real_public_de"] = real_public_records(args.real_public_de, config)
    for name, records in dump.items():
        print(f"{name}: {len(records)} queries, {sum(len(r['ids']) for r in records)} candidates")
    args.out.write_bytes(pickle.dumps(dump))


if __name__ == "__main__":
    main()
