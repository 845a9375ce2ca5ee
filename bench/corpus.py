"""Synthetic German passages for benchmarks, sampled from real sentences (deterministic)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from ingest.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval" / "localzero_measures_de"


def real_sentences() -> list[str]:
    """German sentences from the LocalZero corpus and the bundled samples."""
    texts = [json.loads(line)["text"] for line in (EVAL / "corpus.jsonl").open(encoding="utf-8")]
    texts += [p.read_text("utf-8") for p in (ROOT / "samples").rglob("*.md")]
    texts += [p.read_text("utf-8") for p in (ROOT / "samples").rglob("*.txt")]
    sentences = []
    for text in texts:
        flat = " ".join(text.replace("•", " ").split())
        sentences += [flat[a:b] for a, b in split_sentences(flat) if len(flat[a:b].split()) >= 5]
    return sentences


def passages(count: int, words: int = 120, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    sentences = real_sentences()
    out = []
    for _ in range(count):
        chosen: list[str] = []
        while sum(len(s.split()) for s in chosen) < words:
            chosen.append(rng.choice(sentences))
        out.append(" ".join(chosen))
    return out


def queries() -> list[str]:
    """Real questions and keyword queries (the LocalZero measure titles plus a few of our own)."""
    titles = [json.loads(line)["text"] for line in (EVAL / "queries.jsonl").open(encoding="utf-8")]
    own = [
        "Wie binden wir die kreisangehörigen Gemeinden ein?",
        "Kommunen im Kreisgebiet beteiligen",
        "Förderung Klimaschutzmanagement Kommunalrichtlinie",
        "Wärmeplanung kleine Gemeinden",
        "Radverkehr Pendler",
    ]
    return own + titles
