"""„Im Dokument zeigen“ (#13 item 5) through Flask's test client: from a hit, an answer sentence and
a document page to the passage in its place — the PDF viewer with the rectangles to highlight, or
the document's text with the passage marked — and the same place in the API.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from kb.core.config import Config
from tests.conftest import make_app

PDF_SAMPLE = "klimaschutzkonzept-hohenwalde-2022.pdf"
DOCX_SAMPLE = "leitfaden-energiemanagement-birkenau-sued.docx"


@pytest.fixture
def app(fake_web_config: Config, fake_embedder):
    return make_app(fake_web_config, fake_embedder)


@pytest.fixture
def client(app):
    return app.test_client()


def passages_of(app, file_name: str) -> list:
    kb = app.extensions["kreiswissen"].kb
    return kb.passages(kb.find_document(file_name).id)


def place_links(page: str) -> list[str]:
    return re.findall(r'<a href="(/passage/\d+/im-dokument[^"]*)" class="place-link">Im Dokument zeigen', page)


def viewer_data(page: str) -> dict[str, str]:
    section = re.search(r'<section class="pdf-viewer"([^>]*)>', page).group(1)
    return {name: html.unescape(value) for name, value in re.findall(r'data-([\w-]+)="([^"]*)"', section)}


def test_every_hit_links_to_its_passage_in_place(client, app):
    page = client.get("/?q=Wärmeplanung Gemeinden Klimaschutzkonzept").get_data(as_text=True)
    hits = re.findall(r'<li class="hit" id="passage-(\d+)">', page)
    links = place_links(page)
    assert hits and len(links) == len(hits)
    assert [re.search(r"/passage/(\d+)/", link).group(1) for link in links] == hits


def test_a_pdf_passage_opens_the_viewer_at_its_page_with_the_rectangles(client, app):
    passage = next(p for p in passages_of(app, PDF_SAMPLE) if p.page_start and p.page_start > 1)
    page = client.get(f"/passage/{passage.id}/im-dokument")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    data = viewer_data(text)
    boxes = json.loads(data["boxes"])
    assert boxes and {b["page"] for b in boxes} == set(range(passage.page_start, passage.page_end + 1))
    assert data["pages"] == ",".join(str(p) for p in range(passage.page_start, passage.page_end + 1))
    assert client.get(data["pdf"]).data.startswith(b"%PDF")
    assert data["pdfjs"].endswith("/static/pdfjs/pdf.min.mjs") and data["worker"].endswith("pdf.worker.min.mjs")
    assert html.escape(passage.text, quote=False) in text  # the passage as text beside the canvas
    assert 'aria-labelledby="passage-heading"' in text and "Vorherige Seite" in text and "Nächste Seite" in text
    assert "cdn" not in text.lower()


def test_pdf_js_is_served_from_here_as_javascript(client):
    for name in ("pdf.min.mjs", "pdf.worker.min.mjs", "standard_fonts/LiberationSans-Regular.ttf"):
        response = client.get(f"/static/pdfjs/{name}")
        assert response.status_code == 200, f"{name}: run `make install` (tools/vendor_pdfjs.sh)"
    assert client.get("/static/pdfjs/pdf.min.mjs").mimetype == "text/javascript"
    assert client.get("/static/viewer.js").mimetype == "text/javascript"


def test_without_pdf_js_the_viewer_says_so_and_offers_the_original(app, client, tmp_path: Path):
    passage = passages_of(app, PDF_SAMPLE)[2]
    app.static_folder = str(tmp_path)  # a server where `make install` did not vendor pdf.js
    page = client.get(f"/passage/{passage.id}/im-dokument").get_data(as_text=True)
    assert "Die PDF-Ansicht ist auf diesem Server nicht eingerichtet" in page
    assert re.search(rf'href="/dokumente/{passage.document_id}/original#page={passage.page_start}">das Original', page)
    assert "data-pdf=" not in page and html.escape(passage.text, quote=False) in page


def test_other_formats_show_the_document_text_with_the_passage_marked(client, app):
    passages = passages_of(app, DOCX_SAMPLE)
    shown = passages[2]
    page = client.get(f"/passage/{shown.id}/im-dokument").get_data(as_text=True)
    marked = re.findall(r"<mark[^>]*>(.*?)</mark>", page, re.S)
    assert html.unescape(" ".join(marked)) == shown.text
    assert '<mark id="stelle" tabindex="-1">' in page
    for other in passages:  # the whole document is there, each passage's new text once
        assert html.escape(other.text.split(". ")[-1][-60:], quote=False) in page
    assert "/static/focus.js" in page


def test_a_pdf_passage_can_also_be_read_in_the_documents_text(client, app):
    shown = passages_of(app, PDF_SAMPLE)[3]
    page = client.get(f"/passage/{shown.id}/im-dokument?ansicht=text").get_data(as_text=True)
    assert html.unescape(" ".join(re.findall(r"<mark[^>]*>(.*?)</mark>", page, re.S))) == shown.text
    assert f'href="/passage/{shown.id}/im-dokument">Im PDF zeigen' in page


def test_document_pages_link_every_passage_to_its_place(client, app):
    passages = passages_of(app, DOCX_SAMPLE)
    page = client.get(f"/dokumente/{passages[0].document_id}").get_data(as_text=True)
    assert place_links(page) == [f"/passage/{p.id}/im-dokument#stelle" for p in passages]


def test_a_missing_passage_is_not_found(client):
    assert client.get("/passage/999999/im-dokument").status_code == 404
    response = client.get("/api/v1/passages/999999/location")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_the_api_gives_the_place_with_rectangles_and_the_viewer_address(client, app):
    passage = passages_of(app, PDF_SAMPLE)[1]
    place = client.get(f"/api/v1/passages/{passage.id}/location").get_json()
    assert place["format"] == "pdf" and place["pages"] == list(range(passage.page_start, passage.page_end + 1))
    assert place["boxes"] and all(0 <= b["left"] < 1 and 0 <= b["top"] < 1 for b in place["boxes"])
    assert place["viewer"].endswith(f"/passage/{passage.id}/im-dokument")
    other = passages_of(app, DOCX_SAMPLE)[0]
    assert client.get(f"/api/v1/passages/{other.id}/location").get_json()["boxes"] == []
