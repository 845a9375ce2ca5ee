"""Latency of answers against search for the same question, warm, at 10k passages.

The corpus is built as in bench/search_latency.py (real German sentences; the first ``--real``
passages embedded with the model, the rest mixtures of those vectors). Answer units are stored as
at ingest: the real passages' unit vectors from the model, the other passages' units (their real
spans) with vectors drawn from those. Each question is asked as a hybrid search and as an answer
(5 passages, as UI and API), on the loaded model: first as a new question (the query-embedding
cache cleared before each call, so both embed it), then repeated (embedding cached, as for paging
or the answer block beside the result list). Printed: p50/p95 of both, the answer/search ratio of
the medians, of the p95s and per question (median), and how many answers quoted something
(unanswered ones stop after the search).

    python -m bench.answer_latency [--size 10000] [--real 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.corpus import passages, queries
from bench.question_sets import answerable
from bench.search_latency import build, synthetic_vectors
from kb.core.config import Config
from kb.service import KnowledgeBase
from kb.service.answering import embed_with_units, units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--real", type=int, default=1000, help="passages embedded with the real model")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    asked = ([q["question"] for q in answerable()] + queries())[: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(dataclasses.replace(Config.from_env(), data_dir=Path(tmp) / "data"))
        texts = passages(args.size)
        rng = np.random.default_rng(7)
        real = embed_with_units(kb.embedder, [(("Kapitel",), text) for text in texts[: args.real]])
        pool = np.vstack(real.unit_vectors)
        spans = [[(u.start, u.end) for u in units(text)] for text in texts]
        unit_vectors = real.unit_vectors + [pool[rng.integers(0, len(pool), len(s))] for s in spans[args.real :]]
        build(kb, texts, synthetic_vectors(real.vectors, args.size, rng), units=(spans, unit_vectors))
        for question in asked[:5]:  # warm up model and caches
            kb.answer(question)
        rows, answered = {}, 0
        for label, new_question in (("new question", True), ("repeated question", False)):
            search_ms, answer_ms = [], []
            for question in asked:
                if new_question:  # every call embeds its question, as a server seeing it first
                    kb.embedder.embed_query.cache_clear()
                started = time.perf_counter()
                kb.search(question, limit=10)
                search_ms.append((time.perf_counter() - started) * 1000)
                if new_question:
                    kb.embedder.embed_query.cache_clear()
                started = time.perf_counter()
                answered += kb.answer(question, limit=5).answered
                answer_ms.append((time.perf_counter() - started) * 1000)
            rows[label] = (search_ms, answer_ms)
        kb.close()
    print(f"{args.size} passages, {len(asked)} questions, {answered // 2} answered with quotes\n")
    print("| query embedding | call | p50 ms | p95 ms |\n|---|---|---|---|")
    for label, (search_ms, answer_ms) in rows.items():
        for call, times in (("search (hybrid, 10 hits)", search_ms), ("answer (5 passages)", answer_ms)):
            print(f"| {label} | {call} | {statistics.median(times):.1f} | {np.percentile(times, 95):.1f} |")
    for label, (search_ms, answer_ms) in rows.items():
        ratios = [a / s for a, s in zip(answer_ms, search_ms, strict=True)]
        print(
            f"\n{label}: answer / search median {statistics.median(answer_ms) / statistics.median(search_ms):.2f}×, "
            f"p95 {np.percentile(answer_ms, 95) / np.percentile(search_ms, 95):.2f}×, "
            f"per question median {statistics.median(ratios):.2f}× (same run)"
        )


if __name__ == "__main__":
    main()
