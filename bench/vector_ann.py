"""Exact vs approximate (IVF) dense search: recall@10, latency and memory at 10k, 100k and 1M.

Vectors: real multilingual-e5-small embeddings of ``--real`` passages sampled from German text
(cached in the system temp folder), extended to larger sizes by normalised mixtures of two real
vectors plus noise, which keeps the anisotropy of e5 vectors that random vectors lack.

    .venv/bin/python bench/vector_ann.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import passages, queries  # noqa: E402
from bench.memory import peak_megabytes  # noqa: E402
from bench.search_latency import synthetic_vectors  # noqa: E402
from index import vector  # noqa: E402
from index.vector import VectorIndex  # noqa: E402
from kb.core.config import Config  # noqa: E402


def real_vectors(count: int) -> tuple[np.ndarray, np.ndarray]:
    cache = Path(tempfile.gettempdir()) / f"kreiswissen-bench-vectors-{count}.npz"
    if cache.exists():
        data = np.load(cache)
        return data["passages"], data["queries"]
    from index.embedder import Embedder
    from index.model import ensure_model

    embedder = Embedder(ensure_model(Config.from_env().resolved().model_dir), threads=2)
    result = embedder.embed_passages(passages(count)), embedder.embed_queries(queries()[:300])
    np.savez(cache, passages=result[0], queries=result[1])
    return result


def timed(
    index: VectorIndex, query_vectors: np.ndarray, allowed: np.ndarray | None
) -> tuple[list[set[int]], float, float]:
    found, times = [], []
    for q in query_vectors:
        started = time.perf_counter()
        hits = index.search(q, 10, allowed)
        times.append((time.perf_counter() - started) * 1000)
        found.append({i for i, _ in hits})
    return found, statistics.median(times), float(np.percentile(times, 95))


def row(label: str, n: int, filtered: str, recall: float, p50: float, p95: float, build: float, mb: float) -> None:
    print(f"{n:>9} {label:<16} {filtered:<7} {recall:>9.3f} {p50:>8.2f} {p95:>8.2f} {build:>8.1f} {mb:>7.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--real", type=int, default=2000)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.2, 0.3])
    args = parser.parse_args()
    real, query_vectors = real_vectors(args.real)
    rng = np.random.default_rng(7)
    print(f"{'n':>9} {'index':<16} {'filter':<7} {'recall@10':>9} {'p50 ms':>8} {'p95 ms':>8} {'build s':>8} {'MB':>7}")
    for n in args.sizes:
        data = synthetic_vectors(real, n, rng)
        ids = np.arange(1, n + 1, dtype=np.int64)
        allowed = ids[rng.random(n) < 0.01]
        started = time.perf_counter()
        exact = VectorIndex(real.shape[1], ann_threshold=n + 1)
        exact.add(ids, data)
        exact_build = time.perf_counter() - started
        truth = {f: timed(exact, query_vectors, a) for f, a in (("none", None), ("1 %", allowed))}
        megabytes = n * 384 * 4 / 1e6
        for f, (_, p50, p95) in truth.items():
            row("flat (exact)", n, f, 1.0, p50, p95, exact_build, megabytes)
        started = time.perf_counter()
        approx = VectorIndex(real.shape[1], ann_threshold=0)
        approx.add(ids, data)
        approx.optimize()
        build = time.perf_counter() - started
        for share in args.shares:
            vector.PROBE_SHARE = share
            for f, a in (("none", None), ("1 %", allowed)):
                found, p50, p95 = timed(approx, query_vectors, a)
                recall = statistics.mean(len(x & y) / max(len(y), 1) for x, y in zip(found, truth[f][0], strict=True))
                label = f"IVF{approx._index.nlist} p={approx.nprobe}"
                row(label, n, f, recall, p50, p95, build, megabytes)
        del exact, approx, data
    print(f"peak RSS of the process: {peak_megabytes():.0f} MB")


if __name__ == "__main__":
    main()
