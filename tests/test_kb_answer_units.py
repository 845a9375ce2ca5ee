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


def test_no_sentence_is_quoted_twice_across_overlapping_passages(tmp_path: Path):
    """A chain of sentences leaning back („A. Dort B. Dabei C.“) gives units sharing sentences
    („A. Dort B.“ and „A. Dort B. Dabei C.“), and the splitter repeats a passage's last sentences at
    the start of the next one: however the units meet, each stretch of the document is quoted once."""
    forms = (
        "Die Gemeinde Nummer {n} prüft in diesem Jahr die Dächer ihrer Schulen auf Photovoltaik.",
        "Dort werden im Bauabschnitt {n} die Dächer der Schulen mit Photovoltaik belegt.",
        "Dabei hilft im Abschnitt {n} die Energieagentur des Kreises mit einer Beratung.",
    )
    sentences = [forms[n % 3].format(n=n) for n in range(30)]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "dächer.txt").write_text(" ".join(sentences), "utf-8")
    config = make_config(tmp_path / "data", ocr=False, passage_tokens=60, overlap_tokens=30)
    kb = KnowledgeBase(config, embedder=CountingEmbedder())
    assert not kb.ingest([docs]).failed
    passages = {p.id: p for p in kb.passages(kb.documents()[0].id)}
    ordered = sorted(passages.values(), key=lambda p: p.char_start)
    assert any(b.char_start < a.char_end for a, b in zip(ordered, ordered[1:], strict=False))  # they overlap
    answer = kb.answer(" ".join(sentences[3:6]))
    assert answer.sentences
    quoted: list[set[int]] = []
    for sentence in answer.sentences:
        passage = passages[sentence.passage_id]
        start = passage.char_start + passage.text.index(sentence.text)
        here = set(range(start, start + len(sentence.text)))
        assert not any(here & other for other in quoted), [s.text for s in answer.sentences]
        quoted.append(here)
    kb.close()
