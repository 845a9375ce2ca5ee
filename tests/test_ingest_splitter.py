"""Passages follow headings and sentences, are sized in model tokens and never exceed the limit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from index.embedder import TokenCounter
from ingest.splitter import Splitter
from kb.core.documents import Block, Passage, passage_context


@pytest.fixture(scope="module")
def counter(model_dir: Path) -> TokenCounter:
    return TokenCounter(model_dir)


def splitter(counter: TokenCounter, target: int = 60, overlap: int = 20) -> Splitter:
    return Splitter(counter.count, max_tokens=counter.max_tokens, target_tokens=target, overlap_tokens=overlap)


SENTENCES = [
    "Der Landkreis berät die Gemeinden z. B. bei der kommunalen Wärmeplanung.",
    "Zweimal im Jahr treffen sich die Bürgermeisterinnen und Bürgermeister im Landratsamt.",
    "Die 3. Sitzung fand am 14. März 2024 statt, vgl. Protokoll S. 12.",
    "Das Klimaschutzmanagement stellt dort Förderprogramme gem. Abs. 2 Nr. 4 vor.",
    "Kleine Gemeinden teilen sich eine Stelle und die Kosten nach Einwohnerzahl.",
    "Die Energieagentur moderiert das Netzwerk und lädt Fachleute ein.",
]


def test_passages_stay_near_the_target_and_end_at_sentence_boundaries(counter: TokenCounter):
    drafts = splitter(counter).split([Block("Zusammenarbeit", 1, "heading", 1), Block(" ".join(SENTENCES), 1)])
    runs = {" ".join(SENTENCES[i:j]) for i in range(len(SENTENCES)) for j in range(i + 1, len(SENTENCES) + 1)}
    assert len(drafts) > 1
    for draft in drafts:
        assert draft.heading_path == ("Zusammenarbeit",)
        assert draft.text in runs  # whole consecutive sentences, abbreviations not split
        assert counter.count(draft.text) <= 60
    # consecutive passages share a boundary sentence as overlap, and together cover everything
    assert any(sentence in drafts[0].text and sentence in drafts[1].text for sentence in SENTENCES)
    assert all(any(sentence in d.text for d in drafts) for sentence in SENTENCES)


def test_a_new_heading_starts_a_new_passage_with_its_path(counter: TokenCounter):
    blocks = [
        Block("3 Handlungsfelder", 4, "heading", 1),
        Block("3.1 Energie", 4, "heading", 2),
        Block(SENTENCES[0], 4),
        Block("3.2 Mobilität", 5, "heading", 2),
        Block(SENTENCES[1], 5),
    ]
    drafts = splitter(counter, target=200).split(blocks)
    assert [(d.heading_path, d.page_start) for d in drafts] == [
        (("3 Handlungsfelder", "3.1 Energie"), 4),
        (("3 Handlungsfelder", "3.2 Mobilität"), 5),
    ]


def test_a_sentence_broken_by_a_page_break_is_rejoined_with_both_pages(counter: TokenCounter):
    blocks = [Block("Der Kreis fördert die Wärme-", 7), Block("planung in allen Gemeinden.", 8)]
    (draft,) = splitter(counter).split(blocks)
    assert draft.text == "Der Kreis fördert die Wärmeplanung in allen Gemeinden."
    assert (draft.page_start, draft.page_end) == (7, 8)


def test_each_sentence_of_a_passage_over_three_pages_knows_its_own_page(counter: TokenCounter):
    blocks = [Block(SENTENCES[0], 12), Block(SENTENCES[1], 13), Block(SENTENCES[2] + " Der Kreis trägt die", 13)]
    blocks.append(Block("anteiligen Kosten zur Hälfte. " + SENTENCES[3], 15))
    (draft,) = splitter(counter, target=200).split(blocks)
    assert (draft.page_start, draft.page_end) == (12, 15)
    passage = Passage(1, 1, *dataclasses.astuple(draft))
    pages = {sentence: passage.page_at(draft.text.index(sentence)) for sentence in SENTENCES[:4]}
    assert pages == {SENTENCES[0]: 12, SENTENCES[1]: 13, SENTENCES[2]: 13, SENTENCES[3]: 15}
    # the sentence broken by the page break is cited by the page it starts on
    assert passage.page_at(draft.text.index("Der Kreis trägt die anteiligen Kosten")) == 13


def test_a_passage_on_one_page_needs_no_marks(counter: TokenCounter):
    (draft,) = splitter(counter, target=200).split([Block(" ".join(SENTENCES[:3]), 4)])
    assert draft.page_marks == () and Passage(1, 1, *dataclasses.astuple(draft)).page_at(50) == 4


def test_nothing_exceeds_the_model_limit_and_nothing_is_lost(counter: TokenCounter):
    """A 3,000-word run without any full stop (a table dump) is cut between words, not truncated."""
    words = [f"Messwert{i} Gemeinde Talheim Wärmeverbrauch" for i in range(750)]
    text = " ".join(words)
    drafts = Splitter(
        counter.count, max_tokens=counter.max_tokens, target_tokens=counter.max_tokens, overlap_tokens=0
    ).split([Block("Anhang: Messreihe", 9, "heading", 1), Block(text, 9)])
    assert len(drafts) > 1
    for draft in drafts:
        assert draft.token_count == counter.count(passage_context(draft.heading_path, draft.text))
        assert draft.token_count <= counter.max_tokens
    assert " ".join(d.text for d in drafts) == text


def test_token_limit_leaves_room_for_prompt_and_special_tokens(counter: TokenCounter, embedder):
    assert counter.max_tokens == 512 - 2 - counter.count("passage: ")
    longest = " ".join(["Klimaschutz"] * 2000)
    (first, *_) = splitter(counter, target=counter.max_tokens, overlap=0).split([Block(longest, 1)])
    assert embedder.embed_passages([first.text]).shape == (1, 384)  # fits: no error, no truncation
