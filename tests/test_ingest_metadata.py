"""Metadata: the shipped county list, detection that prefers silence to guessing, sidecars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.metadata import detect_county, detect_doc_type, detect_topics, detect_year, read_sidecar
from kb.core.documents import Metadata
from kb.core.errors import IngestError, KbError
from kb.core.vocabulary import canonical_county, counties, validated_metadata


def test_the_county_list_has_all_294_landkreise_once():
    names = counties()
    assert len(names) == 294
    per_state = {}
    for state in names.values():
        per_state[state] = per_state.get(state, 0) + 1
    assert per_state["Bayern"] == 71 and per_state["Niedersachsen"] == 37 and per_state["Saarland"] == 6
    assert {"Region Hannover", "Städteregion Aachen", "Regionalverband Saarbrücken", "Rhein-Sieg-Kreis"} <= names.keys()


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("LK Ahrweiler", "Landkreis Ahrweiler"),
        ("rhein-sieg", "Rhein-Sieg-Kreis"),
        ("Lkr. Altötting", "Landkreis Altötting"),
        ("Kreis Borken", "Kreis Borken"),
        ("landkreis  görlitz", "Landkreis Görlitz"),
        ("Landkreis Hohenwalde", None),
    ],
)
def test_loosely_written_counties_are_canonicalised(given, canonical):
    assert canonical_county(given) == canonical


def test_county_named_in_the_title_wins():
    assert detect_county("Klimaschutzkonzept des Landkreises Fürth", "") == "Landkreis Fürth"


def test_county_dominating_the_text_is_detected():
    text = "Der Rhein-Sieg-Kreis berät. Im Rhein-Sieg-Kreis tagen die Gemeinden. Gast: Kreis Kleve."
    assert detect_county("Protokoll", text) == "Rhein-Sieg-Kreis"


@pytest.mark.parametrize(
    "text",
    [
        "Die Stadt Kleve lädt ein; Bürgermeister Fürth sprach in Görlitz.",  # cities and people
        "Gäste: Landkreis Fulda und Landkreis Gotha.",  # two counties, none dominates
        "Im Landkreis Fulda wurde berichtet.",  # a single passing mention
    ],
)
def test_no_county_is_guessed_from_weak_evidence(text):
    assert detect_county("Protokoll der Sitzung", text) is None


def test_document_type_and_year_from_title_and_opening():
    assert detect_doc_type("Ergebnisprotokoll der 3. Sitzung", "", "docx") == "Workshop-Protokoll"
    assert detect_doc_type("Integriertes Klimaschutzkonzept", "", "pdf") == "Klimaschutzkonzept"
    assert detect_doc_type("Folien", "Wärmeplanung", "pptx") == "Präsentation"
    assert detect_doc_type("Notizen", "Kaffee und Kuchen", "md") is None
    assert detect_year("Klimaschutzkonzept 2021", "", None) == 2021
    assert detect_year("Protokoll", "Sitzung am 14. März 2024 im Landratsamt", "2019-05-01") == 2024
    assert detect_year("Protokoll", "ohne Datum", "2019-05-01") == 2019


def test_topics_need_recurring_cues():
    text = "Radverkehr stärken, Radwege bauen, ÖPNV takten und Ladeinfrastruktur planen. Einmal Photovoltaik."
    assert detect_topics(text) == ["Mobilität"]


def test_sidecar_is_read_and_checked(tmp_path: Path):
    document = tmp_path / "konzept.pdf"
    sidecar = tmp_path / "konzept.pdf.meta.json"
    sidecar.write_text(
        json.dumps({"county": "lk ahrweiler", "doc_type": "leitfaden", "year": 2022, "topics": ["mobilität"]}), "utf-8"
    )
    assert read_sidecar(document) == Metadata(
        county="Landkreis Ahrweiler", doc_type="Leitfaden", year=2022, topics=["Mobilität"]
    )
    sidecar.write_text(json.dumps({"doc_type": "Roman"}), "utf-8")
    with pytest.raises(
        IngestError, match=r"konzept\.pdf\.meta\.json: unbekannter Dokumenttyp 'Roman' \(möglich: Klimaschutzkonzept"
    ):
        read_sidecar(document)
    sidecar.write_text("{kaputt", "utf-8")
    with pytest.raises(IngestError, match="kein gültiges JSON"):
        read_sidecar(document)


def test_user_input_keeps_unknown_counties_but_not_unknown_topics():
    assert validated_metadata(Metadata(county="Landkreis Hohenwalde")).county == "Landkreis Hohenwalde"
    with pytest.raises(KbError, match="unbekanntes Handlungsfeld 'Raumfahrt'"):
        validated_metadata(Metadata(topics=["Raumfahrt"]))


def test_a_source_url_must_be_a_web_address():
    assert validated_metadata(Metadata(source_url="https://www.example.org/praxis")).source_url
    for address in ("javascript:alert(document.cookie)", "data:text/html,<script>x</script>", "www.example.org"):
        with pytest.raises(KbError, match="source_url muss eine Webadresse"):
            validated_metadata(Metadata(source_url=address))
