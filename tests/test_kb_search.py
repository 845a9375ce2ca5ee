"""Search on the sample corpus with the real model: paraphrases, compounds, filters, answers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.keyword import analyze, analyze_query
from kb.core.documents import SearchFilters
from kb.core.errors import InvalidQuery, KbError
from kb.main import cli
from kb.service import KnowledgeBase
from tests.conftest import make_config

# question -> (file that answers it, a phrase of the answering passage)
PARAPHRASES = {
    "Was unternimmt man gegen überflutete Untergeschosse bei Gewittern?": (
        "notiz-starkregenvorsorge-moorbach.md",
        "Rückstauklappen",
    ),
    "Wie kommt man ohne PKW zum Arbeitsplatz?": ("klimaschutzkonzept-hohenwalde-2022.pdf", "Pendler-Radrouten"),
    "Welche Pflanzen wachsen auf wiedervernässten Äckern?": ("notiz-moorschutz-birkenau-sued.md", "Rohrkolben"),
    "Wie bringt man Nachbarorte dazu, Erfahrungen auszutauschen?": (
        "good-practice-klimaschutz-stammtisch-talheim-ost.html",
        "rufen sich auch zwischen den Treffen an",
    ),
}


@pytest.mark.parametrize("question", PARAPHRASES)
def test_paraphrased_questions_find_the_answer_at_rank_one_without_shared_words(
    samples_kb: KnowledgeBase, question: str
):
    file_name, phrase = PARAPHRASES[question]
    top = samples_kb.search(question, mode="hybrid", limit=1).hits[0]
    assert (top.document.file_name, phrase in top.passage.text) == (file_name, True)
    assert not set(analyze_query(question)) & set(analyze(top.passage.text)), "test question shares a stem"


def test_a_word_finds_the_compounds_it_is_part_of(samples_kb: KnowledgeBase):
    hits = samples_kb.search("Konzept", mode="keyword", limit=20).hits
    texts = " ".join(hit.passage.text for hit in hits)
    assert "Klimaschutzkonzept" in texts and "Ladekonzept" in texts
    # a top hit holds the word only inside compounds: found through decompounding, not the bare word
    assert any(" Konzept " not in f" {hit.passage.text} " and "konzept" in hit.passage.text.lower() for hit in hits[:3])
    assert "Klimaschutzkonzept" in [hit.passage.text[a:b] for hit in hits for a, b in hit.highlights]


def test_filters_hold_even_when_the_best_matches_lie_outside(samples_kb: KnowledgeBase):
    query = "kommunale Wärmeplanung im Konvoi"
    best = samples_kb.search(query, limit=3).hits
    assert {h.document.metadata.county for h in best} != {"Landkreis Talheim-Ost"}
    for mode in ("hybrid", "dense", "keyword"):
        hits = samples_kb.search(
            query, mode=mode, limit=5, filters=SearchFilters(counties=("Landkreis Talheim-Ost",))
        ).hits
        assert hits, mode
        assert {h.document.metadata.county for h in hits} == {"Landkreis Talheim-Ost"}, mode
    recent = samples_kb.search(query, limit=20, filters=SearchFilters(year_from=2024, doc_types=("Präsentation",))).hits
    assert recent and {(h.document.metadata.doc_type, h.document.metadata.year) for h in recent} == {
        ("Präsentation", 2024)
    }
    by_topic = samples_kb.search(query, limit=20, filters=SearchFilters(topics=("Landwirtschaft",))).hits
    assert {h.document.file_name for h in by_topic} == {"notiz-moorschutz-birkenau-sued.md"}


def test_hits_carry_citation_and_both_ranks(samples_kb: KnowledgeBase):
    from kb.service.presenters import search_json

    data = search_json(samples_kb.search("Klimaschutzfonds für kleine Gemeinden", limit=3))
    hit = data["hits"][0]
    assert hit["citation"].startswith("Landkreis Hohenwalde · ")
    assert hit["ranks"]["dense"] is not None and hit["ranks"]["keyword"] is not None
    assert "Klimaschutzfonds" in [hit["text"][a:b] for a, b in hit["highlights"]]


def test_answer_quotes_sentences_of_the_passages_with_citations(samples_kb: KnowledgeBase):
    from kb.service.presenters import answer_json

    data = answer_json(samples_kb.answer("Wie viel Geld stellt der Klimaschutzfonds jährlich bereit?"))
    assert 1 <= len(data["answer"]) <= 3
    passages = {p["passage_id"]: p["text"] for d in data["documents"] for p in d["passages"]}
    for sentence in data["answer"]:
        assert sentence["text"] in passages[sentence["passage_id"]]  # verbatim, nothing invented
        assert sentence["citation"]
    assert "250.000 Euro" in data["answer"][0]["text"]


def test_similar_passages_come_from_other_documents_and_prefer_other_counties(samples_kb: KnowledgeBase):
    source = next(
        p
        for d in samples_kb.documents()
        if d.file_name.startswith("waermeplanung")
        for p in samples_kb.passages(d.id)
        if "planen gemeinsam" in p.text
    )
    hits = samples_kb.similar(source.id, limit=3)
    assert hits and all(h.document.id != source.document_id for h in hits)
    assert hits[0].document.metadata.county != "Landkreis Moorbach"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda kb: kb.search("   "), "Die Suchanfrage ist leer"),
        (lambda kb: kb.search("Wärme " * 600), "zu lang"),
        (lambda kb: kb.search("Wärme", mode="magisch"), "Unbekannter Suchmodus 'magisch'"),
        (
            lambda kb: kb.search("Wärme", filters=SearchFilters(counties=("Landkreis Nirgendwo",))),
            "Unbekannter Landkreis 'Landkreis Nirgendwo'",
        ),
        (
            lambda kb: kb.search("Wärme", filters=SearchFilters(topics=("Raumfahrt",))),
            "Unbekannter Handlungsfeld 'Raumfahrt'",
        ),
        (lambda kb: kb.search("Wärme", limit=0), "limit muss zwischen 1 und 100"),
    ],
)
def test_bad_queries_get_a_clear_message(samples_kb: KnowledgeBase, call, message):
    with pytest.raises(InvalidQuery, match=message):
        call(samples_kb)


def test_search_on_an_empty_knowledge_base_says_so(tmp_path: Path, embedder):
    kb = KnowledgeBase(make_config(tmp_path / "leer"), embedder=embedder)
    with pytest.raises(KbError, match="Die Wissensbasis ist leer"):
        kb.search("Wärmeplanung")
    kb.close()


def test_cli_reports_bad_input_without_traceback(samples_data: Path):
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", str(samples_data), "search", "x", "--mode", "magisch"])
    assert result.exit_code == 1 and "Unbekannter Suchmodus" in result.output and "Traceback" not in result.output
    result = runner.invoke(
        cli, ["--data-dir", str(samples_data), "search", "Wärmeplanung Konvoi", "--json", "--limit", "2"]
    )
    data = json.loads(result.output)
    assert data["mode"] == "hybrid" and len(data["hits"]) == 2
    assert all(hit["citation"] and hit["passage_id"] for hit in data["hits"])


def test_removing_a_document_removes_it_from_both_indexes(writable_kb: KnowledgeBase):
    target = next(d for d in writable_kb.documents() if d.file_name == "notiz-moorschutz-birkenau-sued.md")
    query = "Paludikultur Schilf Rohrkolben"
    assert writable_kb.search(query, mode="keyword").hits[0].document.id == target.id
    writable_kb.remove(target.id)
    assert writable_kb.check().ok
    for mode in ("keyword", "dense", "hybrid"):
        assert target.id not in {h.document.id for h in writable_kb.search(query, mode=mode, limit=50).hits}


def test_changed_metadata_moves_a_document_between_filters_in_both_indexes(writable_kb: KnowledgeBase):
    target = next(d for d in writable_kb.documents() if d.file_name == "notiz-moorschutz-birkenau-sued.md")
    query = "Paludikultur Schilf Rohrkolben"
    metadata = dataclasses.replace(target.metadata, county="Landkreis Moorbach")
    writable_kb.update_metadata(target.id, metadata)
    assert writable_kb.check().ok
    assert writable_kb.indexes.keywords.count() == writable_kb.catalogue.count_passages()  # replaced, not added
    for mode in ("keyword", "dense", "hybrid"):
        moved = writable_kb.search(query, mode=mode, filters=SearchFilters(counties=("Landkreis Moorbach",))).hits
        assert moved[0].document.id == target.id
        old = writable_kb.search(query, mode=mode, filters=SearchFilters(counties=("Landkreis Birkenau-Süd",))).hits
        assert target.id not in {h.document.id for h in old}


def test_keyword_mode_skips_the_dense_search_but_keeps_hits_and_relevance(samples_kb: KnowledgeBase):
    from index.relevance import relevance

    query = "Klimaschutzfonds für kleine Gemeinden"
    result = samples_kb.search(query, mode="keyword", limit=10)
    full = samples_kb.searcher.rank(query, mode="hybrid")  # with the dense candidates
    expected = dict(zip([i for i, _ in full.fused], relevance([s for _, s in full.fused]).tolist(), strict=True))
    kept = samples_kb.searcher.collapse(full.keyword)
    assert [h.passage.id for h in result.hits] == [i for i, _ in kept][: len(result.hits)]
    wanted = [expected[h.passage.id] for h in result.hits]
    assert [h.relevance for h in result.hits] == pytest.approx(wanted, abs=1e-5)  # cosines in float32
    assert all(h.dense_rank is None for h in result.hits)  # not computed in keyword mode


def test_reindex_gives_the_same_rankings_as_incremental_ingest(writable_kb: KnowledgeBase):
    queries = [
        "Wie binden wir die kreisangehörigen Gemeinden ein?",
        "Kommunen im Kreisgebiet beteiligen",
        "Ökostrom Ausschreibung",
        "Starkregen Keller",
    ]

    def rankings() -> list[list[int]]:
        return [
            [h.passage.id for h in writable_kb.search(q, mode=m, limit=10).hits]
            for q in queries
            for m in ("keyword", "dense", "hybrid")
        ]

    before = rankings()
    writable_kb.reindex()
    assert rankings() == before
    assert writable_kb.check().ok


def test_an_index_built_with_another_model_is_detected_and_reindex_rebuilds_it(writable_kb: KnowledgeBase):
    from index.model import MODEL_ID
    from kb.core.errors import IndexMismatch

    manifest = writable_kb.config.index_dir / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    manifest.write_text(json.dumps(data | {"model_id": "anderes-modell", "dim": 768}), "utf-8")
    kb = KnowledgeBase(writable_kb.config, embedder=writable_kb.embedder)
    with pytest.raises(IndexMismatch, match="anderes-modell.*kb reindex"):
        kb.search("Wärmeplanung")
    kb.reindex()
    assert kb.search("Wärmeplanung").hits
    assert json.loads(manifest.read_text("utf-8"))["model_id"] == MODEL_ID
    kb.close()


def test_searches_keep_answering_during_reindex_and_ingest_and_see_the_new_generation(
    writable_kb: KnowledgeBase,
    tmp_path: Path,
    embedder,
):
    import threading

    reader = KnowledgeBase(writable_kb.config, embedder=embedder)
    stop, failures, answered = threading.Event(), [], []

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                reader.refresh()
                answered.append(len(reader.search("Wärmeplanung in kleinen Gemeinden", limit=5).hits))
            except Exception as error:  # collected for the assertion below
                failures.append(repr(error))

    thread = threading.Thread(target=keep_searching)
    thread.start()
    try:
        writable_kb.reindex()
        writable_kb.reindex()  # a second generation: the first one is kept, older ones deleted
        new = tmp_path / "neu"
        new.mkdir()
        (new / "baumpatenschaften.md").write_text(
            "# Baumpatenschaften\n\nBürgerinnen gießen im Sommer die jungen Straßenbäume ihrer Gemeinde.\n", "utf-8"
        )
        writable_kb.ingest([new])
    finally:
        stop.set()
        thread.join()
    reader.refresh()
    assert failures == [] and answered and min(answered) == 5
    top = reader.search("Baumpatenschaften für Straßenbäume", limit=1).hits[0]
    assert top.document.file_name == "baumpatenschaften.md"  # the reader sees the new generation
    generations = list(writable_kb.config.data_dir.glob("index-*"))
    assert writable_kb.config.index_dir.is_symlink() and len(generations) == 2
    reader.close()
