"""Ingest throughput against its limit, the model's raw encode throughput, on the same passages.

Generates long concept PDFs (tests/pdfgen.py), ingests them into a fresh knowledge base, then
encodes exactly the stored passages again with the bare model. Also reports PDF parsing speed
(pages/s) and passages per page. Medians of ``--runs`` runs, measured in one process.

    .venv/bin/python bench/ingest_throughput.py [--documents 3] [--pages 64] [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.memory import peak_megabytes  # noqa: E402
from index.keyword import analyze  # noqa: E402
from ingest import load  # noqa: E402
from kb.core.config import Config  # noqa: E402
from kb.core.documents import passage_context  # noqa: E402
from kb.service import KnowledgeBase  # noqa: E402
from tests.pdfgen import make_long_concept_pdf  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=3)
    parser.add_argument("--pages", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = Config.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for number in range(args.documents):
            make_long_concept_pdf(corpus / f"konzept-{number}.pdf", pages=args.pages)
        files = sorted(corpus.glob("*.pdf"))

        parse_rates = []
        for _ in range(args.runs):
            started = time.perf_counter()
            pages = sum(load(f, max_bytes=10**9).page_count or 0 for f in files)
            parse_rates.append(pages / (time.perf_counter() - started))

        embedder = None
        ingest_rates, encode_rates, passages_per_page = [], [], []
        for run in range(args.runs):
            kb = KnowledgeBase(dataclasses.replace(config, data_dir=Path(tmp) / f"data-{run}"), embedder=embedder)
            embedder = kb.embedder
            embedder.embed_passages(["Aufwärmen des Modells."])
            analyze("Aufwärmen der Schlüsselwortanalyse")  # loads the compound splitter's tables once
            started = time.perf_counter()
            report = kb.ingest([corpus])
            ingest_seconds = time.perf_counter() - started
            texts = [passage_context(p.heading_path, p.text) for p in kb.catalogue.iter_ready_passages()]
            started = time.perf_counter()
            embedder.embed_passages(texts)
            encode_seconds = time.perf_counter() - started
            ingest_rates.append(report.passages / ingest_seconds)
            encode_rates.append(len(texts) / encode_seconds)
            passages_per_page.append(report.passages / pages)
            kb.close()

    ingest, encode = statistics.median(ingest_rates), statistics.median(encode_rates)
    print(f"corpus: {args.documents} generated concept PDFs, {pages} pages, {report.passages} passages")
    print(f"{'measure':<36} {'median':>10}")
    print(f"{'PDF parsing (pages/s)':<36} {statistics.median(parse_rates):>10.1f}")
    print(f"{'passages per page':<36} {statistics.median(passages_per_page):>10.2f}")
    print(f"{'ingest end to end (passages/s)':<36} {ingest:>10.2f}")
    print(f"{'raw model encode (passages/s)':<36} {encode:>10.2f}")
    print(f"{'ingest / raw encode':<36} {ingest / encode:>10.1%}")
    print(f"{'peak RSS (MB)':<36} {peak_megabytes():>10.0f}")


if __name__ == "__main__":
    main()
