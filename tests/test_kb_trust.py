"""Answers an officer can trust: calibrated relevance, silence below the floor, fusion that does
not lose to its halves, and answer units — with the real model on the sample corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bench.question_sets import answerable, contains_answer, unanswerable
from index.relevance import FLOOR
from kb.main import cli
from kb.service.answer_kinds import answer_type_matches
from kb.service.answering import (
    ANSWER_TYPE_WEIGHT,
    COVERAGE_WEIGHT,
    choose,
    unit_scores,
    units,
)
from kb.service.evaluation import evaluate
from tests.conftest import make_app, make_config

UNANSWERABLE = "Wie funktioniert ein Quantencomputer?"
ANSWERABLE = "Wie viel Geld stellt der Klimaschutzfonds jährlich bereit?"


def test_an_unanswerable_question_gets_answered_false_over_http(web_config, embedder):  # noqa: ANN001
    client = make_app(web_config, embedder).test_client()
    data = client.get(f"/api/v1/answer?q={UNANSWERABLE}").get_json()
    assert data["answered"] is False and data["answer"] == []
    assert "nichts in den Dokumenten" in data["reason"] and data["next_steps"]
    data = client.get(f"/api/v1/answer?q={ANSWERABLE}").get_json()
    assert data["answered"] is True and data["reason"] is None
    assert "250.000 Euro" in data["answer"][0]["text"]


def test_search_counts_only_hits_that_clear_the_floor(web_config, embedder):  # noqa: ANN001
    client = make_app(web_config, embedder).test_client()
    data = client.get("/api/v1/search?q=Quantencomputer Blockchain&limit=20").get_json()
    assert data["matching"] == 0 and data["hits"]  # weaker hits are still listed, marked by relevance
    assert all(0.0 <= hit["relevance"] < FLOOR for hit in data["hits"])
    data = client.get("/api/v1/search?q=Konvoi-Verfahren Wärmeplanung&limit=20").get_json()
    assert 1 <= data["matching"] < data["candidates"]
    assert data["hits"][0]["relevance"] >= FLOOR
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "relevance" in spec["Hit"]["required"] and "answered" in spec["Answer"]["required"]


def test_the_page_says_nothing_is_there_and_what_to_do(web_config, embedder):  # noqa: ANN001
    client = make_app(web_config, embedder).test_client()
    page = client.get(f"/?q={UNANSWERABLE}").get_data(as_text=True)
    assert "Dazu steht nichts in den Dokumenten" in page and "<blockquote>" not in page
    assert "0 passende Treffer" in page and "Weniger passend" in page
    assert "Andere Worte versuchen" in page and "/dokumente" in page
    page = client.get(f"/?q={ANSWERABLE}").get_data(as_text=True)
    assert "Antwort aus den Dokumenten" in page and "<blockquote>" in page


def test_kb_ask_says_nothing_is_there(samples_data: Path):
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", str(samples_data), "ask", UNANSWERABLE])
    assert result.exit_code == 0, result.output
    assert "Dazu steht nichts in den Dokumenten." in result.output and "Andere Worte" in result.output
    result = runner.invoke(cli, ["--data-dir", str(samples_data), "ask", "--json", ANSWERABLE])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["answered"] is True


def test_the_floor_separates_the_public_question_sets(samples_kb):  # noqa: ANN001
    asked = [q for q in answerable() if q["corpus"] == "samples"]
    answered = sum(samples_kb.search(q["question"], limit=1).hits[0].matches for q in asked)
    silent = sum(not samples_kb.search(q["question"], limit=1).hits[0].matches for q in unanswerable())
    assert answered / len(asked) >= 0.9 and silent / len(unanswerable()) >= 0.9, (answered, silent)


@pytest.mark.xfail(
    strict=True,
    reason="known, issue 16: keyword 0.913 here; no fusion measured keeps this set, LocalZero and the "
    "paraphrase set at their better half at once (README, Fusion)",
)
def test_hybrid_is_never_below_its_better_half_on_a_set_built_from_the_samples(samples_kb, tmp_path):  # noqa: ANN001
    """A BEIR set: each sample passage a document, our sample questions as queries."""
    folder = tmp_path / "samples_beir"
    (folder / "qrels").mkdir(parents=True)
    passages = [p for d in samples_kb.documents() for p in samples_kb.passages(d.id)]
    corpus = [{"_id": f"p{p.id}", "title": "", "text": p.text} for p in passages]
    questions = [q for q in answerable() if q["corpus"] == "samples"]
    qrels = [(q["id"], f"p{p.id}") for q in questions for p in passages if contains_answer(q, p.text)]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in corpus), "utf-8")
    queries = [{"_id": q["id"], "text": q["question"]} for q in questions]
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in queries), "utf-8")
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in qrels), "utf-8"
    )
    scores = evaluate(folder, make_config(tmp_path / "data"))
    assert scores["hybrid"]["ndcg@10"] >= max(scores["dense"]["ndcg@10"], scores["keyword"]["ndcg@10"]), scores


def test_a_sentence_leaning_back_is_quoted_with_the_one_before_and_bullets_stand_alone():
    """… and questions or lead-ins ending in a colon are never quoted alone."""
    text = "Die Gemeinde meldet Dächer an die Energieagentur. Diese prüft Statik und Ausrichtung."
    found = [text[u.start : u.end] for u in units(text)]
    assert found == ["Die Gemeinde meldet Dächer an die Energieagentur.", text]
    chain = "Zweimal im Jahr lädt der Landrat ein. Dort berichtet das Management. Dabei stellen Gemeinden Projekte vor."
    assert [chain[u.start : u.end] for u in units(chain)][-1] == chain  # never a quote opening with „Dabei“ or „Dort“
    slide = "Bestandsanalyse bis Juni 2024\nPotenzialanalyse bis Dezember 2024\nBeschluss in den Gemeinderäten 2025"
    assert [slide[u.start : u.end] for u in units(slide)] == slide.split("\n")
    bullets = "Dazu gehört z.B. • Parkraummanagement in der Innenstadt • Änderung des Stellplatzschlüssels je Wohnung"
    assert [bullets[u.start : u.end] for u in units(bullets)][-1] == "Änderung des Stellplatzschlüssels je Wohnung"
    ranged = "Die Kommune schreibt die Strommenge ca. alle 2 – 4 Jahre aus."  # a dash before a number is a range
    assert [ranged[u.start : u.end] for u in units(ranged)] == [ranged]
    asked = "Wer bezahlt die Karten?\nVorschlag: Der Kreis trägt die Hälfte.\nDazu gehören diese Maßnahmen:"
    assert [asked[u.start : u.end] for u in units(asked)] == ["Vorschlag: Der Kreis trägt die Hälfte."]


def test_no_sentence_is_quoted_twice():
    texts = ["Der Kreis zahlt.", "Der Kreis zahlt.", "Diese Regel gilt. Der Kreis zahlt.", "Etwas anderes."]
    assert choose([0.9, 0.9, 0.95, 0.1], texts) == [2]


def test_lead_ins_and_table_headers_are_never_quoted_alone_and_a_dash_inside_a_sentence_is_no_bullet():
    listed = "Daher kann die Kommune den Verzicht auf das Auto belohnen, z.B. durch\n• eine Umstiegsprämie auf den ÖPNV"
    assert [listed[u.start : u.end] for u in units(listed)] == ["eine Umstiegsprämie auf den ÖPNV"]
    inline = "Dazu gehört z.B. • Erstellung einer Mobilitätsanalyse • Einführung von Jobtickets im Kreishaus"
    assert [inline[u.start : u.end] for u in units(inline)][0] == "Erstellung einer Mobilitätsanalyse"
    table = "Gebäudetyp | Richtwert Heizwärme kWh/m²a\nSchule | 95 kWh im Jahr\nSporthalle | 110 kWh im Jahr"
    assert [table[u.start : u.end] for u in units(table)] == ["Schule | 95 kWh im Jahr", "Sporthalle | 110 kWh im Jahr"]
    dashed = "2018 fielen etwa 219 Millionen Tonnen Bauabfälle an – und machten damit mehr als die Hälfte aus."
    assert [dashed[u.start : u.end] for u in units(dashed)] == [dashed]
    slide = "Maßnahmen im Überblick\n– Dächer der Schulen verpachten\n– Bürgerenergie ab 100 Euro"
    assert [slide[u.start : u.end] for u in units(slide)][-2:] == [
        "Dächer der Schulen verpachten",
        "Bürgerenergie ab 100 Euro",
    ]


def test_units_sharing_a_stretch_of_one_document_are_quoted_once():
    texts = ["Der Kreis zahlt. Dort gilt es.", "Dort gilt es. Dabei hilft er.", "Etwas anderes gilt."]
    places = [(1, 0, 30), (1, 17, 46), (1, 50, 70)]
    assert choose([0.9, 0.9, 0.88], texts, places) == [0, 2]
    assert choose([0.9, 0.9, 0.88], texts, [(1, 0, 30), (2, 17, 46), (1, 50, 70)]) == [0, 1, 2]  # another document


def test_a_sentence_broken_by_a_line_break_is_one_unit_but_slide_lines_stay_apart():
    broken = "Es legt fest, welche\nRolle die Kreisverwaltung gegenüber ihren Gemeinden übernimmt."
    assert [broken[u.start : u.end] for u in units(broken)] == [broken]
    slide = "Bestandsanalyse bis Juni 2024\nPotenzialanalyse bis Dezember 2024\nBeschluss in den Gemeinderäten"
    assert len(units(slide)) == 3
    listed = "Zuständig sind die\n• Gemeinden des Kreises mit eigenem Personal"  # a list item is no continuation
    assert [listed[u.start : u.end] for u in units(listed)] == ["Gemeinden des Kreises mit eigenem Personal"]


def test_a_unit_holding_the_kind_of_answer_asked_for_scores_a_little_higher():
    texts = ["Der Kreis fördert Dächer der Schulen.", "Der Kreis zahlt 250.000 Euro im Jahr."]

    def coverage(query: str, texts):  # noqa: ANN001, ANN202 - the keyword index's signature
        return [1.0 if "Dächer" in t else 0.0 for t in texts]

    scores = unit_scores("Wie hoch ist die Förderung?", np.zeros(2), texts, coverage)
    assert scores.tolist() == pytest.approx([COVERAGE_WEIGHT, ANSWER_TYPE_WEIGHT])  # 250.000: a quantity
    dated = answer_type_matches("Wann hat der Kreistag beschlossen?", ["am 14. März 2022", "im Kreistag"])
    assert dated == [True, False]
    assert answer_type_matches("Wer bezahlt die Karten?", ["Der Kreis zahlt 50 Prozent."]) == [False]
