"""Query latency of keyword, dense and hybrid search at 10k and 100k passages, end to end.

The passages are sampled from real German sentences (bench/corpus.py). Embedding 100k passages
would take hours here, so the vectors of the first ``--real`` passages are computed with the real
model and the rest are normalised mixtures of two of them plus noise: that keeps the anisotropic
geometry of real e5 vectors, which plain random vectors do not have.

    .venv/bin/python bench/search_latency.py [--sizes 10000 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import passages, queries  # noqa: E402
from bench.memory import peak_megabytes  # noqa: E402
from kb.core.config import Config  # noqa: E402
from kb.core.documents import Metadata, PassageDraft  # noqa: E402
from kb.service import KnowledgeBase  # noqa: E402

COUNTIES = [f"Landkreis {name}" for name in ("Hohenwalde", "Moorbach", "Birkenau-Süd", "Talheim-Ost")]
PER_DOCUMENT = 20


def synthetic_vectors(real: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    if count <= len(real):
        return real[:count]
    i = rng.integers(0, len(real), count)
    j = rng.integers(0, len(real), count)
    a = rng.uniform(0.5, 1.0, (count, 1)).astype(np.float32)
    mixed = a * real[i] + (1 - a) * real[j] + rng.normal(0, 0.01, (count, real.shape[1])).astype(np.float32)
    mixed[: len(real)] = real
    return mixed / np.linalg.norm(mixed, axis=1, keepdims=True)


def build(
    kb: KnowledgeBase,
    texts: list[str],
    vectors: np.ndarray,
    levels: tuple[str | None, ...] = (None,),
    units: tuple[list, list] | None = None,
) -> None:
    """Index ``texts`` as documents of PER_DOCUMENT passages, visibility levels taken in turn
    (with ``units``, per passage its answer units' spans and vectors are stored too)."""
    for start in range(0, len(texts), PER_DOCUMENT):
        chunk = texts[start : start + PER_DOCUMENT]
        number = start // PER_DOCUMENT
        metadata = Metadata(
            title=f"Dokument {number}",
            county=COUNTIES[number % 4],
            doc_type="Klimaschutzkonzept",
            year=2015 + number % 10,
            topics=["Energie"],
            visibility=levels[number % len(levels)],
        )
        drafts = [PassageDraft(i, t, i + 1, i + 1, ("Kapitel",), 0, len(t), 150) for i, t in enumerate(chunk)]
        with kb.catalogue.transaction():
            document_id = kb.catalogue.upsert_document(
                source_key=f"bench:{number}",
                content_hash=str(number),
                file_name=f"{number}.pdf",
                format="pdf",
                metadata=metadata,
                page_count=len(chunk),
                pages_without_text=[],
                status="ready",
            )
            stored = kb.catalogue.replace_passages(document_id, drafts)
        chosen = slice(start, start + len(chunk))
        kb.indexes.add(
            document_id, metadata, stored, vectors[chosen], *((units[0][chosen], units[1][chosen]) if units else ())
        )
    kb.indexes.save()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=int, default=1000, help="passages embedded with the real model")
    args = parser.parse_args()

    config = Config.from_env()
    rng = np.random.default_rng(7)
    query_texts = queries()[: args.queries]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            texts = passages(size)
            kb = KnowledgeBase(dataclasses.replace(config, data_dir=Path(tmp) / str(size)))
            started = time.perf_counter()
            real = kb.embedder.embed_passages(texts[: args.real])
            embed_seconds = time.perf_counter() - started
            started = time.perf_counter()
            build(kb, texts, synthetic_vectors(real, size, rng))
            build_seconds = time.perf_counter() - started
            for q in query_texts[:5]:  # warm up model and caches
                kb.search(q, mode="hybrid")
            for mode in ("keyword", "dense", "hybrid"):
                times = []
                for q in query_texts:
                    started = time.perf_counter()
                    kb.search(q, mode=mode, limit=10)
                    times.append((time.perf_counter() - started) * 1000)
                rows.append((size, mode, statistics.median(times), percentile(times, 95), build_seconds, embed_seconds))
            kb.close()
    print(f"\n{'passages':>9} {'mode':<8} {'p50 ms':>8} {'p95 ms':>8} {'index build s':>14}")
    for size, mode, p50, p95, build_s, _ in rows:
        print(f"{size:>9} {mode:<8} {p50:>8.1f} {p95:>8.1f} {build_s:>14.1f}")
    print(f"peak RSS of the process: {peak_megabytes():.0f} MB")
    print(f"(queries per mode: {len(query_texts)}; build = catalogue + FAISS + Whoosh, without embedding)")


if __name__ == "__main__":
    main()
