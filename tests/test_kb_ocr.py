"""Scanned annexes and pinboard photos become searchable: the question finds the OCR passage on the
right page, marked as OCR text in the catalogue, the API and the UI.

The knowledge base holds a concept whose annex pages are scans of two sample notes, a photo of a
pinboard, and sample documents on other subjects as distractors (not the scanned notes themselves).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from kb.core.documents import Metadata
from kb.service.accounts import Accounts
from kb.service.answering import MIN_WORDS, units
from tests.conftest import SAMPLES, make_app, make_config
from tests.scangen import mixed_pdf, pinboard_photo, sample_paragraphs, scanned, typeset_page
from tests.test_ingest_ocr import CARDS
from tests.test_web_api import bearer, wait_for

pytestmark = pytest.mark.slow  # Tesseract reads generated scans

DISTRACTORS = [
    "klimaschutzkonzept-hohenwalde-2022.pdf",
    "good-practice-solardachboerse-birkenau-sued.html",
    "notiz-foerdermittelberatung-talheim-ost.md",
    "waermeplanung-moorbach-2024.pptx",
]


@pytest.fixture(scope="module")
def ocr_data(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    from kb.service import KnowledgeBase

    folder = tmp_path_factory.mktemp("ocr-corpus")
    for name in DISTRACTORS:
        shutil.copy(SAMPLES / name, folder / name)
    mixed_pdf(
        [
            ["Maßnahmenprogramm Klimaanpassung im Landkreis Moorbach", "Die Anlagen dokumentieren die Klausur."],
            ["Anlage 1 und 2: Protokolle, eingescannt."],
        ],
        [
            scanned(typeset_page(sample_paragraphs("notiz-moorschutz-birkenau-sued.md")), seed=11),
            scanned(typeset_page(sample_paragraphs("notiz-starkregenvorsorge-moorbach.md")), seed=12, skew=-1.5),
        ],
        folder / "massnahmenprogramm-mit-anlagen.pdf",
    )
    pinboard_photo(CARDS, folder / "pinnwand-workshop.jpg", seed=13, columns=4)
    data = folder / "data"
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    report = kb.ingest([folder], metadata=Metadata(visibility="public"))  # the anonymous API reader asks
    kb.close()
    assert not report.failed, report.failed
    assert report.ocr_pages == 3 and "3 Seiten per Texterkennung" in report.summary()
    return data


@pytest.fixture(scope="module")
def ocr_kb(ocr_data: Path, embedder):
    from kb.service import KnowledgeBase

    kb = KnowledgeBase(make_config(ocr_data), embedder=embedder)
    yield kb
    kb.close()


def document_named(kb, file_name: str):
    return next(d for d in kb.documents() if d.file_name == file_name)


@pytest.mark.parametrize(
    ("question", "page", "words"),
    [
        ("Wer bezahlt die Karten der Fließwege bei Starkregen?", 4, "Hälfte"),
        ("Wie viel CO2 stoßen die entwässerten Moorböden im Jahr aus?", 3, "Tonnen"),
    ],
)
def test_a_question_finds_the_scanned_page(ocr_kb, question: str, page: int, words: str):
    hit = ocr_kb.search(question, limit=3).hits[0]
    assert hit.document.file_name == "massnahmenprogramm-mit-anlagen.pdf"
    assert (hit.passage.page_start, hit.passage.page_end) == (page, page)
    assert words in hit.passage.text
    assert hit.passage.ocr_confidence is not None and hit.passage.ocr_confidence >= 80


def test_the_catalogue_marks_ocr_pages_and_passages(ocr_kb):
    document = document_named(ocr_kb, "massnahmenprogramm-mit-anlagen.pdf")
    assert document.ocr_pages == [3, 4] and document.pages_without_text == []
    passages = ocr_kb.passages(document.id)
    assert {p.ocr_confidence is not None for p in passages if p.page_start <= 2} == {False}
    assert {p.ocr_confidence is not None for p in passages if p.page_start >= 3} == {True}


def test_pinboard_cards_stay_on_lines_of_their_own(ocr_kb):
    hit = ocr_kb.search("Straßenlaternen auf sparsame Leuchtmittel umstellen", limit=1).hits[0]
    assert hit.document.file_name == "pinnwand-workshop.jpg" and hit.passage.page_start == 1
    assert hit.passage.text.split("\n") == CARDS
    # each card is a quotable unit of its own (if long enough to say something), never run into the next
    quotable = [card for card in CARDS if len(card.split()) >= MIN_WORDS]
    assert [hit.passage.text[u.start : u.end] for u in units(hit.passage.text)] == quotable


def test_api_and_ui_say_text_from_image_recognition(ocr_data: Path, embedder):
    client = make_app(make_config(ocr_data), embedder).test_client()
    hits = client.get("/api/v1/search", query_string={"q": "Wer bezahlt die Fließwegekarten?"}).get_json()["hits"]
    top = hits[0]
    assert top["page"] == 4 and 80 <= top["ocr_confidence"] <= 100
    scanned_files = ("massnahmenprogramm-mit-anlagen.pdf", "pinnwand-workshop.jpg")
    assert all(h["ocr_confidence"] is None for h in hits if h["file_name"] not in scanned_files)
    document = client.get(f"/api/v1/documents/{top['document_id']}?passages=1").get_json()
    assert document["ocr_pages"] == [3, 4]
    page = client.get("/", query_string={"q": "Wer bezahlt die Fließwegekarten?"}).get_data(as_text=True)
    assert "Text aus Bilderkennung · Sicherheit" in page
    detail = client.get(f"/dokumente/{top['document_id']}").get_data(as_text=True)
    assert "<dt>Text aus Bilderkennung</dt><dd>Seiten 3, 4</dd>" in detail
    assert detail.count("Text aus Bilderkennung · Sicherheit") == sum(
        1 for p in document["passage_list"] if p["ocr_confidence"] is not None
    )


def test_a_photo_uploaded_through_the_api_is_read(ocr_data: Path, tmp_path: Path, embedder):
    data = tmp_path / "data"
    shutil.copytree(ocr_data, data)
    config = make_config(data)
    accounts = Accounts(config.catalogue_path)
    key = accounts.create_key("write", "Test")
    accounts.close()
    client = make_app(config, embedder).test_client()
    photo = pinboard_photo(["Bürgerbus für die Ortsteile", "Mitfahrbänke aufstellen"], tmp_path / "b.jpg", seed=14)
    response = client.post(
        "/api/v1/documents",
        headers=bearer(key),
        data={
            "file": (io.BytesIO(photo.read_bytes()), "mobilitaet-pinnwand.jpg"),
            "county": "Moorbach",
            "visibility": "öffentlich",
        },
    )
    assert response.status_code == 202, response.get_json()
    job = wait_for(client, response.headers["Location"], bearer(key))
    assert job["status"] == "done" and job["files"][0]["ocr_pages"] == [1], job
    hit = client.get("/api/v1/search", query_string={"q": "Mitfahrbank"}).get_json()["hits"][0]
    assert hit["file_name"] == "mobilitaet-pinnwand.jpg" and hit["text"].split("\n") == [
        "Bürgerbus für die Ortsteile",
        "Mitfahrbänke aufstellen",
    ]
