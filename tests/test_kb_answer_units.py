"""Answer units are embedded once, at ingest: an answer embeds only the question, and the stored
units follow their passages through a new version, removal, reindex and reopening."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.service import KnowledgeBase
from kb.service.answering import units
from tests.conftest import make_config
from tests.fakes import HashingEmbedder

TEXT = (
    "Der Klimaschutzfonds des Kreises stellt jährlich 250.000 Euro bereit. "
    "Dort beantragen Gemeinden Zuschüsse für Dachflächen. "
    "Anträge gehen bis zum 31. Januar an das Landratsamt."
)


class CountingEmbedder(HashingEmbedder):
    """The stand-in embedder, counting how often passages are embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.passage_calls = 0

    def embed_passages_and_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.passage_calls += 1
        return super().embed_passages_and_spans(texts, spans)


def _kb(tmp_path: Path, embedder: CountingEmbedder) -> KnowledgeBase:
    return KnowledgeBase(make_config(tmp_path / "data", ocr=False), embedder=embedder)


def _ingest(tmp_path: Path, embedder: CountingEmbedder, text: str = TEXT) -> KnowledgeBase:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "fonds.txt").write_text(text, "utf-8")
    kb = _kb(tmp_path, embedder)
    report = kb.ingest([docs])
    assert not report.failed, report.failed
    return kb


def test_an_answer_embeds_only_the_question(tmp_path: Path):
    embedder = CountingEmbedder()
    kb = _ingest(tmp_path, embedder)
    before = embedder.passage_calls
    answer = kb.answer(TEXT)  # the passage itself: it clears the relevance floor
    assert answer.answered and answer.sentences
    assert embedder.passage_calls == before
    assert all(sentence.text in TEXT for sentence in answer.sentences)
    # the sentence leaning on the one before („Dort …“) is only ever quoted with it
    assert not any(s.text.startswith("Dort") for s in answer.sentences)
    kb.close()


def test_stored_units_follow_their_passages(tmp_path: Path):
    embedder = CountingEmbedder()
    kb = _ingest(tmp_path, embedder)
    (passage,) = kb.passages(kb.documents()[0].id)
    spans, vectors = kb.indexes.units.units(passage.id)
    assert spans == [(u.start, u.end) for u in units(passage.text)] and vectors.shape == (len(spans), embedder.dim)
    kb.close()

    kb = _kb(tmp_path, embedder)  # reopened: read from disk
    assert kb.indexes.units.units(passage.id)[0] == spans
    kb.close()

    kb = _ingest(tmp_path, embedder, TEXT + " Neu ist die Förderung von Balkonkraftwerken im ganzen Kreis.")
    (changed,) = kb.passages(kb.documents()[0].id)
    assert kb.indexes.units.units(passage.id) is None  # the old version's units are gone
    assert len(kb.indexes.units.units(changed.id)[0]) == len(units(changed.text))
    kb.reindex()
    assert kb.indexes.units.units(changed.id)[0] == [(u.start, u.end) for u in units(changed.text)]
    kb.remove(kb.documents()[0].id)
    assert kb.indexes.units.units(changed.id) is None
    kb.close()


def test_an_index_from_before_units_still_answers(tmp_path: Path):
    embedder = CountingEmbedder()
    kb = _ingest(tmp_path, embedder)
    kb.close()
    (tmp_path / "data" / "index" / "units.npy").unlink()  # as written before answer units were stored
    kb = _kb(tmp_path, embedder)
    before = embedder.passage_calls
    answer = kb.answer(TEXT)
    assert answer.answered and all(sentence.text in TEXT for sentence in answer.sentences)
    assert embedder.passage_calls == before + 1  # its units were embedded for this answer
    kb.close()
