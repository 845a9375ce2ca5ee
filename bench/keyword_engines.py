"""Keyword engines side by side: build time and query latency of index/keyword.py against the
KeywordIndex of an earlier revision (``--baseline``, e.g. the last Whoosh one), on the same passages.

Queries run interleaved (each query on every engine in turn), so load from other work on the
machine falls on all engines alike; the ratios are the figures to trust on a busy machine. With
a Whoosh baseline it also times Whoosh with pruning: only passages that the query's rarer terms
select (document frequency <= ``--rare-share`` of the passages) are scored, by all terms
(``AndMaybe``), and reports how many of the plain top 10 that variant keeps.

    .venv/bin/python -m bench.keyword_engines [--sizes 10000 100000] [--baseline 0388f4e] [--json]
        [--only baseline|current]

A Whoosh baseline needs whoosh installed (`pip install whoosh`); the product no longer depends on it.
``--only`` measures one engine (a Whoosh build of 1M passages takes most of an hour here).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from bench.corpus import passages, queries
from index import keyword

ROOT = Path(__file__).resolve().parent.parent
COUNTIES = ["Landkreis Hohenwalde", "Landkreis Moorbach", "Landkreis Birkenau-Süd", "Landkreis Talheim-Ost"]
DEPTH = 100  # what the service asks each retriever for (kb.service.search._CANDIDATES)


def baseline_module(revision: str) -> ModuleType:
    """index/keyword.py as it was at ``revision``, imported under its own name."""
    source = subprocess.run(
        ["git", "show", f"{revision}:index/keyword.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    with tempfile.TemporaryDirectory(prefix="kb-baseline-") as tmp:
        path = Path(tmp) / "keyword_baseline.py"
        path.write_text(source, "utf-8")
        spec = importlib.util.spec_from_file_location("keyword_baseline", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return module


def entries(module: ModuleType, texts: list[str]) -> list:
    return [
        module.KeywordEntry(
            passage_id=i + 1,
            document_id=i // 20 + 1,
            text=text,
            title=f"Dokument {i // 20}",
            heading="Kapitel",
            county=COUNTIES[(i // 20) % 4],
            doc_type="Klimaschutzkonzept",
            topics=("Energie",),
            year=2015 + (i // 20) % 10,
        )
        for i, text in enumerate(texts)
    ]


def whoosh_pruned(module: ModuleType, index, rare_share: float) -> Callable[[str], list[tuple[int, float]]]:
    """Whoosh search that scores only the passages its rarer terms select."""
    from whoosh import query as q

    fields = list(module._TEXT_FIELDS)

    def search(text: str) -> list[tuple[int, float]]:
        terms = module.analyze_query(text)
        if not terms:
            return []
        searcher = index._current_searcher()
        limit = rare_share * searcher.doc_count()
        frequency = {t: sum(searcher.doc_frequency(f, t) for f in fields) for t in terms}
        rare = [t for t in terms if frequency[t] <= limit] or [min(terms, key=frequency.get)]
        common = [t for t in terms if t not in rare]
        selected = q.Or([q.Term(f, t) for f in fields for t in rare])
        query = q.AndMaybe(selected, q.Or([q.Term(f, t) for f in fields for t in common])) if common else selected
        results = searcher.search(query, limit=DEPTH, terms=False, optimize=True)
        return [(int(hit["passage_id"]), float(hit.score)) for hit in results]

    return search


def measure(size: int, query_texts: list[str], baseline: str | None, rare_share: float, only: str | None) -> dict:
    texts = passages(size)
    keyword.word_terms("klimaschutzkonzept")  # loads CharSplit's n-gram table (minutes on a busy machine)
    engines: dict[str, tuple[ModuleType, str]] = {}
    if only != "baseline":
        engines["current"] = (keyword, "")
    if baseline and only != "current":
        engines["baseline"] = (baseline_module(baseline), baseline)
    figures: dict = {}
    searches: dict[str, Callable[[str], list[tuple[int, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="kb-keyword-") as tmp:
        for name, (module, _) in engines.items():
            items = entries(module, texts)
            started = time.perf_counter()
            index = module.KeywordIndex(Path(tmp) / name)
            index.apply((), items)
            figures[name] = {"build_s": round(time.perf_counter() - started, 1)}
            print(f"{size} {name}: build {figures[name]['build_s']} s", file=sys.stderr, flush=True)
            del items
            searches[name] = lambda text, index=index: index.search(text, limit=DEPTH)
            if name == "baseline" and hasattr(module, "GermanTokenizer"):  # a Whoosh revision
                searches["baseline_pruned"] = whoosh_pruned(module, index, rare_share)
                figures["baseline_pruned"] = {}
        for text in query_texts[:5]:  # warm up caches of both
            for search in searches.values():
                search(text)
        times: dict[str, list[float]] = {name: [] for name in searches}
        kept = []
        for text in query_texts:
            found = {}
            for name, search in searches.items():
                started = time.perf_counter()
                found[name] = search(text)
                times[name].append((time.perf_counter() - started) * 1000)
            if "baseline_pruned" in found and found["baseline"]:
                top = {i for i, _ in found["baseline"][:10]}
                kept.append(len(top & {i for i, _ in found["baseline_pruned"][:10]}) / len(top))
    for name, values in times.items():
        figures[name] |= {
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(float(np.percentile(values, 95)), 2),
        }
    if kept:
        figures["baseline_pruned"]["top10_kept"] = round(statistics.mean(kept), 3)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline", help="a git revision whose index/keyword.py to compare with")
    parser.add_argument("--rare-share", type=float, default=0.02)
    parser.add_argument("--only", choices=("baseline", "current"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    query_texts = queries()[: args.queries]
    results = {str(size): measure(size, query_texts, args.baseline, args.rare_share, args.only) for size in args.sizes}
    if args.json:
        print(json.dumps(results))
        return
    print(f"{'passages':>9} {'engine':<16} {'build s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for size, figures in results.items():
        for name, row in figures.items():
            build = f"{row['build_s']:>8.1f}" if "build_s" in row else f"{'':>8}"
            extra = f"  top-10 kept {row['top10_kept']:.3f}" if "top10_kept" in row else ""
            print(f"{size:>9} {name:<16} {build} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f}{extra}")
        if "baseline" in figures and "current" in figures:
            ratio = figures["baseline"]["p95_ms"] / figures["current"]["p95_ms"]
            print(f"{'':>9} p95 baseline / current: {ratio:.1f}x")
    print(f"(queries: {len(query_texts)}, {DEPTH} hits each; baseline: {args.baseline or '-'})")


if __name__ == "__main__":
    main()
