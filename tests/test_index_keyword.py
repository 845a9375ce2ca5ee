"""The keyword index (Tantivy) with German analysis, on real Tantivy indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.keyword import KeywordEntry, KeywordIndex, analyze, analyze_query, tokens, word_terms
from kb.core.access import Access
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


def test_query_words_are_folded_and_stemmed_like_the_indexed_words_but_not_split():
    assert analyze_query("Wärmeplanung") == analyze_query("Waermeplanung") == analyze_query("Warmeplanung")
    assert analyze_query("Straße") == analyze_query("Strasse") == analyze("Straße")
    assert analyze_query("Klimaschutzkonzept") == ["klimaschutzkonzept"]  # the whole word only
    assert analyze("Klimaschutzkonzept")[0] == "klimaschutzkonzept"  # indexed: the word, then its parts
    assert analyze_query("die Gemeinden und der Kreis") == ["gemeind", "kreis"]  # stopwords dropped


def test_commits_persist_and_replace_overwrites_one_passage(tmp_path: Path):
    index = KeywordIndex(tmp_path / "keyword")
    index.add([entry(1, "Radverkehr für Pendler"), entry(2, "Wärmeplanung im Kreis")])
    index.add([entry(1, "Moorschutz am Stausee")], replace=True)
    reopened = KeywordIndex(tmp_path / "keyword")
    assert reopened.passage_ids() == {1, 2} and reopened.count() == 2
    assert ids(reopened.search("Moorschutz")) == [1] and reopened.search("Pendler") == []


def test_scores_favour_title_and_heading_matches(tmp_path: Path):
    index = KeywordIndex(tmp_path / "keyword")
    plain = KeywordEntry(1, 1, "Förderung für Photovoltaik auf Dächern", "Merkblatt", "Kapitel", None, None, (), None)
    titled = KeywordEntry(2, 2, "Förderung für Anlagen auf Dächern", "Photovoltaik", "Kapitel", None, None, (), None)
    headed = KeywordEntry(3, 3, "Förderung für Anlagen auf Dächern", "Merkblatt", "Photovoltaik", None, None, (), None)
    index.add([plain, titled, headed])
    assert ids(index.search("Photovoltaik"))[2] == 1  # boosted fields first: heading 1.5, title 1.2, text 1


def test_access_filter_shows_open_levels_and_only_the_own_countys_internal_entries(tmp_path: Path):
    index = KeywordIndex(tmp_path / "keyword")
    index.add(
        [
            KeywordEntry(1, 1, "Deichbau", "", "", "Landkreis Moorbach", None, (), None, "public"),
            KeywordEntry(2, 2, "Deichbau", "", "", "Landkreis Moorbach", None, (), None, "network"),
            KeywordEntry(3, 3, "Deichbau", "", "", "Landkreis Moorbach", None, (), None, "county"),
            KeywordEntry(4, 4, "Deichbau", "", "", "Landkreis Talheim-Ost", None, (), None, "county"),
        ]
    )
    assert set(ids(index.search("Deichbau"))) == {1, 2, 3, 4}
    assert ids(index.search("Deichbau", filters=SearchFilters(access=Access(("public",))))) == [1]
    member = SearchFilters(access=Access(("public", "network"), "Landkreis Moorbach"))
    assert set(ids(index.search("Deichbau", filters=member))) == {1, 2, 3}
    both = SearchFilters(access=Access(("public", "network"), "Landkreis Moorbach"), year_from=2030)
    assert index.search("Deichbau", filters=both) == []  # every filter holds at once
    assert index.visibilities() == {1: "public", 2: "network", 3: "county", 4: "county"}


def test_rewriting_a_document_replaces_its_entries_and_deleting_one_leaves_the_others(tmp_path: Path):
    index = KeywordIndex(tmp_path / "keyword")
    index.add([entry(1, "Moorschutz", document_id=5), entry(2, "Moorschutz", document_id=5), entry(3, "Moorschutz")])
    index.apply([5], [entry(7, "Auenschutz", document_id=5)])
    assert index.passage_ids() == {3, 7}
    assert ids(index.search("Moorschutz")) == [3] and ids(index.search("Auenschutz")) == [7]
    index.delete_documents([3])
    assert index.passage_ids() == {7} and index.count() == 1


def test_scores_are_bm25_and_idf_mass_bounds_a_one_field_match(tmp_path: Path):
    index = KeywordIndex(tmp_path / "keyword")
    index.add([entry(i, text) for i, text in enumerate(["Moorschutz am Deich", "Deich", "Radweg", "Radweg"], 1)])
    mass = index.idf_mass("Moorschutz Deich")
    hits = dict(index.search("Moorschutz Deich"))
    assert set(hits) == {1, 2} and hits[1] > hits[2] > 0
    assert index.idf_mass("Moorschutz") > index.idf_mass("Deich") > 0  # the rarer term weighs more
    assert 0.5 < hits[1] / mass < 1.5  # a passage with every term once scores about the idf mass
    assert index.idf_mass("und der") == 0.0
    assert index.coverage("Moorschutz Deich", ["am Deich", "Moorschutz", "nichts"])[2] == 0.0


def test_equal_scores_are_ordered_by_passage_id(tmp_path: Path):
    index = KeywordIndex(tmp_path / "keyword")
    for passage_id in (9, 3, 7, 1):  # one commit each: four segments
        index.add([entry(passage_id, "Radweg")])
    assert ids(index.search("Radweg")) == [1, 3, 7, 9]


def test_a_folder_of_the_earlier_engine_is_not_read_and_becomes_an_empty_index_on_upgrade(tmp_path: Path):
    folder = tmp_path / "keyword"
    folder.mkdir()
    (folder / "_MAIN_4.toc").write_bytes(b"whoosh")  # Whoosh's table of contents
    (folder / "MAIN_abc.seg").write_bytes(b"whoosh")
    old = KeywordIndex(folder)
    assert old.needs_visibility and old.search("Radweg") == [] and old.count() == 0 and old.passage_ids() == set()
    with pytest.raises(RuntimeError):
        old.add([entry(1, "Radweg")])
    old.add_visibility_field()
    assert not old.needs_visibility and not list(folder.glob("*MAIN*"))
    old.apply([1], [entry(1, "Radweg")])
    assert ids(KeywordIndex(folder).search("Radweg")) == [1] and not KeywordIndex(folder).needs_visibility


_WRITE_BATCHES = """
import sys
from pathlib import Path
from index.keyword import KeywordEntry, KeywordIndex
index = KeywordIndex(Path(sys.argv[1]))
for batch in range(int(sys.argv[2]), 10_000):
    index.add([KeywordEntry(batch * 10 + i, batch, "Radweg im Kreis", "", "", None, None, (), None)
               for i in range(10)])
    print(batch, flush=True)
"""


@pytest.mark.slow
def test_a_writer_killed_at_any_moment_leaves_whole_commits_and_no_lock(tmp_path: Path):
    import random
    import signal
    import subprocess
    import sys
    import time

    rng = random.Random(11)
    path = tmp_path / "keyword"
    root = Path(__file__).resolve().parent.parent
    for _ in range(3):
        start = max(KeywordIndex(path).passage_ids(), default=-1) // 10 + 1
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITE_BATCHES, str(path), str(start)], stdout=subprocess.PIPE, cwd=root
        )
        writer.stdout.readline()  # at least one commit
        time.sleep(rng.uniform(0.0, 0.5))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        found = KeywordIndex(path).passage_ids()
        documents = {i // 10 for i in found}
        assert len(found) == 10 * len(documents) and documents == set(range(len(documents)))
    KeywordIndex(path).add([entry(99_999, "Deich")])  # the killed writer's lock is gone
    assert ids(KeywordIndex(path).search("Deich")) == [99_999]


def test_analysis_of_a_text_is_that_of_its_words():
    text = "Die Straße zur KLIMASCHUTZKONZEPT-Umsetzung: 3 Wärmepumpen, ein E-Bus und CO2 im Jahr 2030 – Ölheizung."
    expected = [term for word, _, _ in tokens(text) for term in word_terms(word)]
    assert analyze(text) == analyze(text) == expected
    assert "klimaschutzkonzept" in expected and "konzept" in expected and "2030" in expected and "die" not in expected


def test_highlights_are_the_words_whose_terms_the_query_has(index: KeywordIndex):
    text = "Die Straße, die STRASSE und das Klimaschutzkonzept: Konzepte der Gemeinden, die Wärme planen."
    query = "Strasse Konzept Gemeinde und"
    wanted = set(analyze_query(query))
    expected = [(a, b) for word, a, b in tokens(text) if wanted & set(word_terms(word))]
    assert index.match_terms(query, text) == index.match_terms(query, text) == expected
    assert [text[a:b] for a, b in expected] == ["Straße", "STRASSE", "Klimaschutzkonzept", "Konzepte", "Gemeinden"]
