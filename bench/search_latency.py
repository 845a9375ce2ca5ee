"""Query latency of keyword, dense and hybrid search at 10k to 1M passages, end to end.

The passages are sampled from real German sentences (bench/corpus.py). Embedding 100k passages
would take hours here, so the vectors of the first ``--real`` passages are computed with the real
model and the rest are normalised mixtures of two of them plus noise: that keeps the anisotropic
geometry of real e5 vectors, which plain random vectors do not have.

Each size runs in a process of its own, so its peak RSS is its own. Every mode pays for its query
embeddings (the cache is emptied before each mode). ``--json`` prints only
``{"<size>": {"keyword": {"p50_ms", "p95_ms"}, "dense": {...}, "hybrid": {...}, "build_s",
"peak_rss_mb"}}`` on stdout, so runs can be compared; progress goes to stderr.

    .venv/bin/python bench/search_latency.py [--sizes 10000 100000 1000000] [--queries 200] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import passages, queries  # noqa: E402
from bench.memory import peak_megabytes  # noqa: E402
from index.keyword import analyze  # noqa: E402
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


def measure(size: int, query_texts: list[str], real_count: int, keep: Path | None) -> dict:
    """Build a knowledge base of ``size`` passages and time every mode; runs in a child process."""
    config = Config.from_env()
    rng = np.random.default_rng(7)
    texts = passages(size)
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        kb = KnowledgeBase(dataclasses.replace(config, data_dir=keep / str(size) if keep else Path(tmp)))
        real = kb.embedder.embed_passages(texts[:real_count])
        vectors = synthetic_vectors(real, size, rng)
        analyze("Klimaschutzkonzept")  # loads CharSplit's n-gram table once, outside the timed build
        started, cpu = time.perf_counter(), time.process_time()
        build(kb, texts, vectors)
        build_seconds = time.perf_counter() - started
        print(
            f"{size}: build {build_seconds:.0f} s wall, {time.process_time() - cpu:.0f} s CPU;"
            f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            file=sys.stderr,
        )
        del texts, vectors
        for q in query_texts[:5]:  # warm up model and caches
            kb.search(q, mode="hybrid")
        result: dict = {}
        for mode in ("keyword", "dense", "hybrid"):
            kb.embedder.embed_query.cache_clear()  # every mode pays for its query embeddings
            times = []
            for q in query_texts:
                started = time.perf_counter()
                kb.search(q, mode=mode, limit=10)
                times.append((time.perf_counter() - started) * 1000)
            result[mode] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 95), 1)}
            print(f"{size}: {mode} {result[mode]}", file=sys.stderr)
        kb.close()
    return result | {"build_s": round(build_seconds, 1), "peak_rss_mb": round(peak_megabytes())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=int, default=1000, help="passages embedded with the real model")
    parser.add_argument("--json", action="store_true", help="print only the figures as JSON")
    parser.add_argument("--keep", type=Path, help="build in KEEP/<size> and keep it (for bench/load.py)")
    args = parser.parse_args()
    if any(not 0 < size <= 1_000_000 for size in args.sizes):
        parser.error("--sizes must lie in 1..1000000")

    query_texts = queries()[: args.queries]
    figures = {}
    spawn = multiprocessing.get_context("spawn")
    for size in args.sizes:
        with spawn.Pool(1, maxtasksperchild=1) as pool:
            figures[str(size)] = pool.apply(measure, (size, query_texts, args.real, args.keep))
    if args.json:
        print(json.dumps(figures))
        return
    print(f"\n{'passages':>9} {'mode':<8} {'p50 ms':>8} {'p95 ms':>8} {'build s':>8} {'peak RSS MB':>12}")
    for size, row in figures.items():
        for mode in ("keyword", "dense", "hybrid"):
            print(
                f"{size:>9} {mode:<8} {row[mode]['p50_ms']:>8.1f} {row[mode]['p95_ms']:>8.1f}"
                f" {row['build_s']:>8.1f} {row['peak_rss_mb']:>12}"
            )
    print(f"(queries per mode: {len(query_texts)}; build = catalogue + FAISS + keyword index, without embedding)")


if __name__ == "__main__":
    main()
