"""Search latency with visibility filtering against without, in one run (same index, same queries).

Documents cycle through öffentlich, Netzwerk and Kreis-intern and through four counties. Each
mode is timed as the operator (no restriction: the path of every search before issue 12), as a
member of one county (public + network + own county's internal: 75 % of the passages) and as an
anonymous visitor (public only: 33 %). Every query is embedded once before timing, so the figures
compare retrieval with and without the filter, not the model.

    .venv/bin/python bench/access_latency.py [--sizes 10000] [--queries 200]
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
from bench.search_latency import COUNTIES, build, percentile, synthetic_vectors  # noqa: E402
from kb.core.access import ANONYMOUS, LEVELS, OPERATOR, member  # noqa: E402
from kb.core.config import Config  # noqa: E402
from kb.service import KnowledgeBase  # noqa: E402
from kb.service.visible import VisibleKnowledge  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=int, default=500, help="passages embedded with the real model")
    args = parser.parse_args()

    config = Config.from_env()
    rng = np.random.default_rng(7)
    query_texts = queries()[: args.queries]
    viewers = {"ohne Filter": OPERATOR, "Mitglied": member("m", COUNTIES[0], "leser"), "anonym": ANONYMOUS}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            texts = passages(size)
            kb = KnowledgeBase(dataclasses.replace(config, data_dir=Path(tmp) / str(size)))
            vectors = synthetic_vectors(kb.embedder.embed_passages(texts[: args.real]), size, rng)
            build(kb, texts, vectors, levels=LEVELS)
            for q in query_texts:  # embedded once (the query cache), so only retrieval is timed
                kb.embedder.embed_query(" ".join(q.split()))
            for mode in ("keyword", "dense", "hybrid"):
                for name, viewer in viewers.items():
                    seen = VisibleKnowledge(kb, viewer)
                    times = []
                    for q in query_texts:
                        started = time.perf_counter()
                        seen.search(q, mode=mode, limit=10)
                        times.append((time.perf_counter() - started) * 1000)
                    rows.append((size, mode, name, statistics.median(times), percentile(times, 95)))
            kb.close()
    print(f"\n{'passages':>9} {'mode':<8} {'viewer':<12} {'p50 ms':>8} {'p95 ms':>8} {'p50 ratio':>10}")
    base = {(size, mode): p50 for size, mode, name, p50, _ in rows if name == "ohne Filter"}
    for size, mode, name, p50, p95 in rows:
        print(f"{size:>9} {mode:<8} {name:<12} {p50:>8.1f} {p95:>8.1f} {p50 / base[size, mode]:>10.2f}")
    print(f"(queries per mode and viewer: {len(query_texts)}; one process, same index)")


if __name__ == "__main__":
    main()
