"""The Whoosh keyword index with German analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.keyword import KeywordEntry, KeywordIndex, analyze
from kb.core.documents import SearchFilters


def entry(
    passage_id: int,
    text: str,
    county: str = "Landkreis Hohenwalde",
    year: int | None = 2022,
    topics: tuple[str, ...] = ("Energie",),
    document_id: int | None = None,
) -> KeywordEntry:
    return KeywordEntry(passage_id, document_id or passage_id, text, "Titel", "", county, "Leitfaden", topics, year)


@pytest.fixture
def index(tmp_path: Path) -> KeywordIndex:
    index = KeywordIndex(tmp_path / "keyword")
    index.add(
        [
            entry(1, "Das Klimaschutzkonzept des Landkreises wurde beschlossen."),
            entry(2, "Die kommunale Wärmeplanung beginnt in allen Gemeinden.", county="Landkreis Moorbach", year=2024),
            entry(3, "Die Straße zum Rathaus bekommt einen Radweg.", topics=("Mobilität",)),
            entry(
                4,
                "Eine Gemeinde plant die Wärmeplanung gemeinsam mit dem Kreis.",
                county="Landkreis Talheim-Ost",
                year=2021,
                document_id=9,
            ),
        ]
    )
    return index


def ids(results: list[tuple[int, float]]) -> list[int]:
    return [i for i, _ in results]


def test_a_word_finds_compounds_that_contain_it(index: KeywordIndex):
    assert ids(index.search("Konzept")) == [1]
    assert set(ids(index.search("Planung"))) == {2, 4}


def test_umlauts_and_sharp_s_are_folded_and_words_stemmed(index: KeywordIndex):
    assert set(ids(index.search("Waermeplanung"))) == {2, 4}
    assert ids(index.search("Strasse")) == [3]
    assert set(ids(index.search("Gemeinde"))) == set(ids(index.search("Gemeinden"))) == {2, 4}


def test_filters_hold_even_when_the_best_match_lies_outside(index: KeywordIndex):
    assert ids(index.search("Wärmeplanung", filters=SearchFilters(counties=("Landkreis Talheim-Ost",)))) == [4]
    assert ids(index.search("Wärmeplanung", filters=SearchFilters(year_from=2023))) == [2]
    assert ids(index.search("Radweg Wärmeplanung", filters=SearchFilters(topics=("mobilität",)))) == [3]
    assert ids(index.search("Wärmeplanung", filters=SearchFilters(document_ids=(9,)))) == [4]


def test_deleting_a_document_removes_its_passages(index: KeywordIndex):
    index.delete_documents([9])
    assert ids(index.search("Wärmeplanung")) == [2]
    assert index.passage_ids() == {1, 2, 3}


@pytest.mark.parametrize("query", ["AND OR NOT", '"', "(((", "*:*", "title:x", "die der das", "", "🙂"])
def test_hostile_or_empty_queries_do_not_raise(index: KeywordIndex, query: str):
    assert isinstance(index.search(query), list)


def test_highlight_spans_cover_whole_words_with_umlauts(index: KeywordIndex):
    text = "Die kommunale Wärmeplanung im Klimaschutzkonzept"
    spans = index.match_terms("Wärme Konzept", text)
    assert [text[a:b] for a, b in spans] == ["Wärmeplanung", "Klimaschutzkonzept"]


def test_decompounding_does_not_invent_short_junk_parts():
    assert "den" not in analyze("Gemeinden") and analyze("Gemeinden") == ["gemeind"]
    assert {"klimaschutz", "konzept"} <= set(analyze("Klimaschutzkonzept"))
