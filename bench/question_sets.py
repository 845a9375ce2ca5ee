"""The public question sets in bench/questions/ and the knowledge base they are asked against.

`answerable.jsonl`: questions the sample corpus (samples/) or the LocalZero catalogue answer, each
with the exact answer substring(s); `unanswerable.jsonl`: questions neither answers (general
knowledge, other fields of a county's work, climate-near topics absent from both). Both are asked
against one knowledge base holding samples/ and the LocalZero corpus together.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from kb.core.config import Config

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "questions"
SAMPLES = HERE.parent / "samples"
LOCALZERO = HERE.parent.parent / "shared" / "eval" / "localzero_measures_de"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def answerable() -> list[dict]:
    return read_jsonl(QUESTIONS / "answerable.jsonl")


def unanswerable() -> list[dict]:
    return read_jsonl(QUESTIONS / "unanswerable.jsonl")


def contains_answer(question: dict, text: str) -> bool:
    """Whether ``text`` holds one of the question's answer substrings (whitespace-insensitive)."""
    flat = " ".join(text.split())
    return any(" ".join(answer.split()) in flat for answer in question.get("answers", ()))


def questions_kb(config: Config, localzero: Path = LOCALZERO):  # noqa: ANN201 - kb.service.KnowledgeBase
    """samples/ plus the LocalZero corpus under ``<data_dir>/questions-<hash>``, built on first use."""
    from kb.service import KnowledgeBase
    from kb.service.evaluation import BeirSet

    beir = BeirSet.read(localzero)
    digest = hashlib.sha256(beir.fingerprint().encode())
    for path in sorted(SAMPLES.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    data_dir = config.resolved().data_dir / f"questions-{digest.hexdigest()[:16]}"
    kb = KnowledgeBase(dataclasses.replace(config, data_dir=data_dir))
    if kb.catalogue.count_passages() == 0:
        kb.ingest([SAMPLES])
        kb.add_texts(beir.corpus)
    return kb
