"""Ingest throughput against its limit, the model's raw encode throughput, on the same passages.

Generates long concept PDFs (tests/pdfgen.py), ingests them into a fresh knowledge base, then
encodes exactly the stored passages again with the bare model. Also reports PDF parsing speed
(pages/s) and passages per page. Medians of ``--runs`` runs, measured in one process.

Near-duplicate detection (signatures, LSH, groups) is measured twice: as the ratio of the ingest
time to that of ingesting the same files with the step switched off (alternating which goes
first), and as the time spent inside the step, timed during the ingest, over the ingest time (the
steadier figure on a shared machine). The generated concepts repeat the same filler sentences,
so many passages are copies of each other (the step's expensive case). The time to build the LSH
index from stored signatures, paid when a writer first ingests, is measured on 10,000 and
100,000 signatures.

    .venv/bin/python bench/ingest_throughput.py [--documents 3] [--pages 64] [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.memory import peak_megabytes  # noqa: E402
from index.keyword import analyze  # noqa: E402
from index.neardup import NUM_PERM, DuplicateFinder  # noqa: E402
from ingest import load  # noqa: E402
from kb.core.config import Config  # noqa: E402
from kb.core.documents import passage_context  # noqa: E402
from kb.service import KnowledgeBase  # noqa: E402
from kb.service.duplicates import NearDuplicates  # noqa: E402
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
        ingest_rates, encode_rates, passages_per_page, overheads, shares, groups = [], [], [], [], [], []
        for run in range(args.runs):
            kb = KnowledgeBase(dataclasses.replace(config, data_dir=Path(tmp) / f"data-{run}"), embedder=embedder)
            embedder = kb.embedder
            embedder.embed_passages(["Aufwärmen des Modells."])
            analyze("Aufwärmen der Schlüsselwortanalyse")  # loads the compound splitter's tables once
            plain = KnowledgeBase(dataclasses.replace(config, data_dir=Path(tmp) / f"plain-{run}"), embedder=embedder)
            if run % 2:  # alternate which goes first, so warming up favours neither
                plain_seconds = _ingest_without_detection(plain, corpus)
            detection = [0.0]
            with _timed_detection(detection):
                started = time.perf_counter()
                report = kb.ingest([corpus])
                ingest_seconds = time.perf_counter() - started
            shares.append(detection[0] / ingest_seconds)
            if not run % 2:
                plain_seconds = _ingest_without_detection(plain, corpus)
            overheads.append(ingest_seconds / plain_seconds)
            groups.append(len(set(kb.catalogue.duplicate_groups().values())))
            plain.close()
            texts = [passage_context(p.heading_path, p.text) for p in kb.catalogue.iter_ready_passages()]
            started = time.perf_counter()
            embedder.embed_passages(texts)
            encode_seconds = time.perf_counter() - started
            ingest_rates.append(report.passages / ingest_seconds)
            encode_rates.append(len(texts) / encode_seconds)
            passages_per_page.append(report.passages / pages)
            kb.close()

    build_seconds = {size: _finder_build_seconds(size) for size in (10_000, 100_000)}
    ingest, encode = statistics.median(ingest_rates), statistics.median(encode_rates)
    print(f"corpus: {args.documents} generated concept PDFs, {pages} pages, {report.passages} passages")
    print(f"{'measure':<36} {'median':>10}")
    print(f"{'PDF parsing (pages/s)':<36} {statistics.median(parse_rates):>10.1f}")
    print(f"{'passages per page':<36} {statistics.median(passages_per_page):>10.2f}")
    print(f"{'ingest end to end (passages/s)':<36} {ingest:>10.2f}")
    print(f"{'raw model encode (passages/s)':<36} {encode:>10.2f}")
    print(f"{'ingest / raw encode':<36} {ingest / encode:>10.1%}")
    print(f"{'near-duplicate groups found':<36} {statistics.median(groups):>10.0f}")
    print(f"{'ingest time with / without detection':<36} {statistics.median(overheads):>10.3f}")
    print(f"{'detection time / ingest time':<36} {statistics.median(shares):>10.2%}")
    for size, seconds in build_seconds.items():
        print(f"{f'LSH build from {size:,} signatures (s)':<36} {seconds:>10.2f}")
    print(f"{'peak RSS (MB)':<36} {peak_megabytes():>10.0f}")


def _ingest_without_detection(kb: KnowledgeBase, corpus: Path) -> float:
    """Seconds to ingest ``corpus`` with near-duplicate detection switched off."""
    with _detection_off():
        started = time.perf_counter()
        kb.ingest([corpus])
        return time.perf_counter() - started


@contextmanager
def _detection_off() -> Iterator[None]:
    saved = NearDuplicates.add, NearDuplicates.forget, NearDuplicates.regroup
    NearDuplicates.add = lambda self, passages: None
    NearDuplicates.forget = lambda self, passage_ids: set()
    NearDuplicates.regroup = lambda self, members: None
    try:
        yield
    finally:
        NearDuplicates.add, NearDuplicates.forget, NearDuplicates.regroup = saved


@contextmanager
def _timed_detection(total: list[float]) -> Iterator[None]:
    """Add the seconds spent in the near-duplicate step to ``total[0]``."""
    saved = NearDuplicates.add, NearDuplicates.forget, NearDuplicates.regroup

    def timed(method):
        def run(self, *args):
            started = time.perf_counter()
            try:
                return method(self, *args)
            finally:
                total[0] += time.perf_counter() - started

        return run

    NearDuplicates.add, NearDuplicates.forget, NearDuplicates.regroup = (timed(m) for m in saved)
    try:
        yield
    finally:
        NearDuplicates.add, NearDuplicates.forget, NearDuplicates.regroup = saved


def _finder_build_seconds(size: int) -> float:
    """Seconds to build the LSH index from ``size`` stored signatures (random: no matches)."""
    signatures = np.random.default_rng(0).integers(0, 2**32, size=(size, NUM_PERM), dtype=np.uint32)
    started = time.perf_counter()
    DuplicateFinder(enumerate(signatures))
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
