"""Ingest throughput against its limit, the model's raw encode throughput, on the same passages.

Generates long concept PDFs (tests/pdfgen.py), ingests them into a fresh knowledge base with OCR
off, then encodes exactly the stored passages again with the bare model. Each run gives the ratio
of the two rates, ingest and encode back to back in alternating order, so that a load which other
work puts on the machine for a minute falls on both; the figure is the median of those ratios
(with the ratio of CPU seconds per passage beside it). ``--scanned N`` adds a PDF of N scanned
pages without a text layer (tests/scangen.py, the sample notes) and ingests with OCR on. Also
reports PDF parsing speed (pages/s) and passages per page. Medians of ``--runs`` runs, measured
in one process.

Near-duplicate detection (signatures, LSH, groups) is measured twice: as the ratio of the ingest
time to that of ingesting the same files with the step switched off (alternating which goes
first), and as the time spent inside the step, timed during the ingest, over the ingest time (the
steadier figure on a shared machine). The generated concepts repeat the same filler sentences,
so many passages are copies of each other (the step's expensive case). The time to build the LSH
index from stored signatures, paid when a writer first ingests, is measured on 10,000 and
100,000 signatures.

    .venv/bin/python -m bench.ingest_throughput [--documents 3] [--pages 64] [--runs 3] [--scanned 12]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

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
from tests.scangen import SAMPLES, image_pdf, sample_paragraphs, scanned, typeset_page  # noqa: E402

T = TypeVar("T")
R = TypeVar("R")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=3)
    parser.add_argument("--pages", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scanned", type=int, default=0, help="add N scanned pages and ingest with OCR on")
    args = parser.parse_args()
    config = dataclasses.replace(Config.from_env(), ocr=args.scanned > 0)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for number in range(args.documents):
            make_long_concept_pdf(corpus / f"konzept-{number}.pdf", pages=args.pages)
        files = sorted(corpus.glob("*.pdf"))

        parse_rates = []  # of the PDFs with a text layer
        for _ in range(args.runs):
            started = time.perf_counter()
            pages = sum(load(f, max_bytes=10**9).page_count or 0 for f in files)
            parse_rates.append(pages / (time.perf_counter() - started))
        if args.scanned:
            _scanned_pdf(corpus / "scan.pdf", args.scanned)
            pages += args.scanned

        embedder = None
        ingest_rates, encode_rates, ratios, cpu_ratios, passages_per_page = [], [], [], [], []
        overheads, shares, groups, loads = [], [], [], []
        texts: list[str] = []  # the stored passages, the same in every run
        for run in range(args.runs):
            loads.append(os.getloadavg()[0])
            kb = KnowledgeBase(dataclasses.replace(config, data_dir=Path(tmp) / f"data-{run}"), embedder=embedder)
            embedder = kb.embedder
            embedder.embed_passages(["Aufwärmen des Modells."])
            analyze("Aufwärmen der Schlüsselwortanalyse")  # loads the compound splitter's tables once
            plain = KnowledgeBase(dataclasses.replace(config, data_dir=Path(tmp) / f"plain-{run}"), embedder=embedder)
            if run % 2:  # alternate which goes first, so warming up favours neither
                plain_seconds = _ingest_without_detection(plain, corpus)
                encode_seconds, encode_cpu, _ = _timed(embedder.embed_passages, texts)
            detection = [0.0]
            with _timed_detection(detection):
                ingest_seconds, ingest_cpu, report = _timed(kb.ingest, [corpus])
            texts = [passage_context(p.heading_path, p.text) for p in kb.catalogue.iter_ready_passages()]
            shares.append(detection[0] / ingest_seconds)
            if not run % 2:
                encode_seconds, encode_cpu, _ = _timed(embedder.embed_passages, texts)
                plain_seconds = _ingest_without_detection(plain, corpus)
            overheads.append(ingest_seconds / plain_seconds)
            groups.append(len(set(kb.catalogue.duplicate_groups().values())))
            plain.close()
            ingest_rates.append(report.passages / ingest_seconds)
            encode_rates.append(len(texts) / encode_seconds)
            ratios.append(ingest_rates[-1] / encode_rates[-1])
            cpu_ratios.append(encode_cpu / ingest_cpu * report.passages / len(texts))
            passages_per_page.append(report.passages / pages)
            kb.close()

    build_seconds = {size: _finder_build_seconds(size) for size in (10_000, 100_000)}
    ingest, encode = statistics.median(ingest_rates), statistics.median(encode_rates)
    ocr = f", {args.scanned} of them scanned, OCR on ({report.ocr_pages} pages read)" if args.scanned else ", OCR off"
    print(f"corpus: {len(files) + bool(args.scanned)} generated PDFs, {pages} pages{ocr}, {report.passages} passages")
    print(f"{'measure':<36} {'median':>10}")
    print(f"{'PDF parsing (pages/s)':<36} {statistics.median(parse_rates):>10.1f}")
    print(f"{'passages per page':<36} {statistics.median(passages_per_page):>10.2f}")
    print(f"{'ingest end to end (passages/s)':<36} {ingest:>10.2f}")
    print(f"{'raw model encode (passages/s)':<36} {encode:>10.2f}")
    runs = ", ".join(f"{r:.1%}" for r in ratios)
    print(f"{'ingest / raw encode, per run':<36} {statistics.median(ratios):>10.1%}  ({runs})")
    runs = ", ".join(f"{r:.1%}" for r in cpu_ratios)
    print(f"{'same, per CPU second':<36} {statistics.median(cpu_ratios):>10.1%}  ({runs})")
    print(f"{'near-duplicate groups found':<36} {statistics.median(groups):>10.0f}")
    print(f"{'ingest time with / without detection':<36} {statistics.median(overheads):>10.3f}")
    print(f"{'detection time / ingest time':<36} {statistics.median(shares):>10.2%}")
    for size, seconds in build_seconds.items():
        print(f"{f'LSH build from {size:,} signatures (s)':<36} {seconds:>10.2f}")
    print(f"{'peak RSS (MB)':<36} {peak_megabytes():>10.0f}")
    print(f"load average at the start of each run: {', '.join(f'{a:.1f}' for a in loads)} ({os.cpu_count()} cores)")


def _timed(work: Callable[[T], R], argument: T) -> tuple[float, float, R]:
    """Wall and CPU seconds (this process and the OCR processes it waited for) of ``work(argument)``,
    and its result."""

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    started, used = time.perf_counter(), cpu()
    result = work(argument)
    return time.perf_counter() - started, cpu() - used, result


def _scanned_pdf(path: Path, count: int) -> None:
    """A PDF of ``count`` scanned pages of the sample notes, without a text layer."""
    sources = [sample_paragraphs(p.name) for p in sorted(SAMPLES.glob("*.md")) + sorted(SAMPLES.glob("*.txt"))]
    pages = [scanned(typeset_page(sources[n % len(sources)]), seed=n, noise=15) for n in range(count)]
    image_pdf(pages, path)


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
