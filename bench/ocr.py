"""OCR speed and word accuracy on scanned pages and pinboard photos made from the sample corpus.

Each sample note (Markdown, text) is typeset, rasterised and degraded (tests/scangen.py) at three
noise levels, with skew, and every fourth page fed in upside down; the pages go into one PDF
without a text layer, which is read through the real loader. Reports pages/s with one and with
two Tesseract workers (medians of ``--runs``, measured in one run), and word accuracy
(1 − WER against the source text) per page and on pinboard photos.

    .venv/bin/python bench/ocr.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest import load  # noqa: E402
from ingest.ocr import OcrSettings  # noqa: E402
from tests.scangen import (  # noqa: E402
    SAMPLES,
    image_pdf,
    pinboard_photo,
    sample_paragraphs,
    scanned,
    typeset_page,
    word_accuracy,
)

NOISE = (10, 22, 35)
BOARDS = [
    ["Solarkataster für alle Gemeinden", "Energieberatung im Rathaus", "Radwege zwischen den Dörfern"],
    ["Klimaschutzmanager gemeinsam anstellen", "Förderlotse des Kreises", "Bürgerenergie gründen"],
    ["Straßenbeleuchtung auf LED umrüsten", "Dächer der Schulen belegen", "Mitfahrbänke aufstellen"],
    ["Wärmeplanung bis 2026", "Nahwärmenetz im Ortskern", "Abwärme der Kläranlage nutzen"],
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sources = [sample_paragraphs(path.name) for path in sorted(SAMPLES.glob("*.md")) + sorted(SAMPLES.glob("*.txt"))]
    pages, references = [], []
    for index, (paragraphs, noise) in enumerate((p, n) for p in sources for n in NOISE):
        turn = 180 if index % 4 == 3 else 0
        pages.append(scanned(typeset_page(paragraphs), seed=index, noise=noise, skew=(index % 5 - 2) * 0.8, turn=turn))
        references.append(" ".join(paragraphs))
    with tempfile.TemporaryDirectory() as tmp:
        pdf = image_pdf(pages, Path(tmp) / "scans.pdf")
        rates: dict[int, list[float]] = {1: [], 2: []}
        loaded = None
        for _ in range(args.runs):
            for workers in (1, 2):
                started = time.perf_counter()
                loaded = load(pdf, max_bytes=10**9, ocr=OcrSettings(workers=workers))
                rates[workers].append(len(pages) / (time.perf_counter() - started))
        accuracy = [
            word_accuracy(reference, "\n".join(b.text for b in loaded.blocks if b.page == number))
            for number, reference in enumerate(references, 1)
        ]
        by_noise = {n: [a for i, a in enumerate(accuracy) if NOISE[i % len(NOISE)] == n] for n in NOISE}
        boards = []
        for number, cards in enumerate(BOARDS):
            photo = pinboard_photo(cards, Path(tmp) / f"board-{number}.jpg", seed=number, columns=3)
            read = [block.text for block in load(photo, max_bytes=10**9, ocr=OcrSettings()).blocks]
            boards.append((word_accuracy(" ".join(cards), " ".join(read)), read == cards))
    words = sum(len(r.split()) for r in references)
    noise = ", ".join(map(str, NOISE))
    print(f"scanned pages: {len(pages)} ({words} words, noise σ {noise}, skew ±1.6°, 1 in 4 upside down)")
    for workers, values in rates.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  pages/s with {workers} worker(s): median {statistics.median(values):.2f} ({runs})")
    print(f"  speed-up 2 vs 1 worker: {statistics.median(rates[2]) / statistics.median(rates[1]):.2f}x")
    median, worst, mean = statistics.median(accuracy), min(accuracy), statistics.mean(accuracy)
    print(f"  word accuracy: median {median:.4f}, min {worst:.4f}, mean {mean:.4f}")
    for noise, values in by_noise.items():
        print(f"    noise σ {noise}: mean {statistics.mean(values):.4f}, min {min(values):.4f}")
    print(
        f"pinboard photos: {len(boards)}, word accuracy mean {statistics.mean(a for a, _ in boards):.4f}, "
        f"cards read as separate lines in order: {sum(ok for _, ok in boards)}/{len(boards)}"
    )


if __name__ == "__main__":
    main()
