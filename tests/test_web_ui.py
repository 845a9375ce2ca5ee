"""The German HTML pages and the staff area through Flask's test client (no JavaScript needed)."""

from __future__ import annotations

import io
import re
import time

import pytest

from kb.core.config import Config
from kb.service.accounts import Accounts
from tests.conftest import make_app

PASSWORD = "sehr-geheimes-passwort"


@pytest.fixture
def app(web_config: Config, embedder):
    accounts = Accounts(web_config.catalogue_path)
    accounts.add_user("klimaschutz", PASSWORD, role_name="verwaltung")
    accounts.close()
    return make_app(web_config, embedder)


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def sign_in(client) -> None:
    page = client.get("/verwaltung/anmelden").data
    response = client.post(
        "/verwaltung/anmelden", data={"name": "klimaschutz", "password": PASSWORD, "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302


def test_a_question_gets_an_answer_block_results_and_citations_linking_to_the_page(client):
    page = client.get("/?q=Wie viel Geld stellt der Klimaschutzfonds jährlich bereit?").get_data(as_text=True)
    assert "Antwort aus den Dokumenten" in page and "<blockquote><mark>" in page
    assert re.search(r'href="/dokumente/\d+/original#page=\d+">Landkreis Hohenwalde · ', page)
    answer = page.split('id="answer-heading"')[1].split("</section>")[0]
    assert re.search(r'href="/passage/\d+/im-dokument[^"]*" class="place-link">Im Dokument zeigen', answer)
    assert "<mark>" in page.split('id="results-heading"')[1]  # highlighted terms in the snippets
    assert "Ähnliche Passagen" in page


def test_keywords_get_results_without_answer_block(client):
    page = client.get("/?q=Wärmeplanung").get_data(as_text=True)
    assert "Treffer" in page and "Antwort aus den Dokumenten" not in page


def test_facet_filters_restrict_the_results_and_show_counts(client):
    page = client.get("/?q=Gemeinden beteiligen&county=Landkreis Moorbach").get_data(as_text=True)
    cites = re.findall(r'class="cite"><a href="[^"]+">([^<]+)</a>', page)
    assert cites and all(c.startswith("Landkreis Moorbach") for c in cites)
    assert re.search(
        r'value="Landkreis Moorbach" checked>\s*<label[^>]*>Landkreis Moorbach <span class="count">\(\d+\)', page
    )


def test_document_page_lists_passages_and_serves_the_original(client):
    listing = client.get("/dokumente?county=Landkreis Hohenwalde").get_data(as_text=True)
    link = re.search(r'href="(/dokumente/\d+)">[^<]*Klimaschutzkonzept', listing).group(1)
    page = client.get(link).get_data(as_text=True)
    assert "Passagen" in page and "#page=" in page and "Landkreis Hohenwalde" in page
    original = client.get(link + "/original")
    assert original.status_code == 200 and original.data.startswith(b"%PDF")
    assert client.get("/dokumente/1/original/../../secret_key").status_code == 404


def test_similar_passages_page(client):
    page = client.get("/?q=Wärmeplanung").get_data(as_text=True)
    passage_link = re.search(r'href="(/passage/\d+)"', page).group(1)
    similar = client.get(passage_link).get_data(as_text=True)
    assert "Ausgangspassage" in similar and similar.count('class="hit"') >= 3


def test_staff_upload_shows_progress_and_the_document_becomes_searchable(client):
    sign_in(client)
    home = client.get("/verwaltung/")
    token = csrf_token(home.data)
    text = (
        "# Energiesparmodelle an Schulen\n\nSchülerinnen und Schüler senken den Stromverbrauch ihrer Schule "
        "um zehn Prozent; die Hälfte der Ersparnis erhält die Schule.\n"
    )
    response = client.post(
        "/verwaltung/hochladen",
        data={
            "csrf_token": token,
            "files": [(io.BytesIO(text.encode()), "fifty-fifty.md"), (io.BytesIO(b"MZ"), "virus.exe")],
            "county": "Landkreis Moorbach",
            "doc_type": "Good Practice",
            "year": "2023",
            "topics": ["Bildung", "Energie"],
        },
        content_type="multipart/form-data",
    )
    job_url = response.headers["Location"]
    assert job_url.startswith("/verwaltung/auftraege/")
    for _ in range(600):
        page = client.get(job_url).get_data(as_text=True)
        if "Fertig" in page:
            break
        assert 'http-equiv="refresh"' in page
        time.sleep(0.1)
    assert "fifty-fifty.md" in page and "aufgenommen" in page
    found = client.get("/?q=Schüler sparen Energie&county=Landkreis Moorbach").get_data(as_text=True)
    assert "Energiesparmodelle an Schulen" in found
    flashed = client.get("/verwaltung/").get_data(as_text=True)
    assert "Abgelehnt" not in flashed  # the message was shown once, on the redirect after the upload


def test_staff_edit_and_delete(client):
    sign_in(client)
    home = client.get("/verwaltung/").get_data(as_text=True)
    edit_url = re.search(r'href="(/verwaltung/dokumente/\d+)">Bearbeiten', home).group(1)
    form = client.get(edit_url).data
    saved = client.post(
        edit_url,
        data={
            "csrf_token": csrf_token(form),
            "title": "Umbenannt <b>fett</b>",
            "county": "Landkreis Talheim-Ost",
            "doc_type": "Bericht",
            "year": "2021",
            "topics": ["Energie"],
        },
    )
    assert saved.status_code == 302
    page = client.get(edit_url).get_data(as_text=True)
    assert "Umbenannt &lt;b&gt;fett&lt;/b&gt;" in page and "Metadaten gespeichert" in page
    deleted = client.post(edit_url + "/loeschen", data={"csrf_token": csrf_token(form)})
    assert deleted.status_code == 302 and "gelöscht" in client.get("/verwaltung/").get_data(as_text=True)
    assert client.get(edit_url).status_code == 404


def test_a_stored_source_that_is_no_web_address_is_shown_but_never_linked(fake_web_config: Config, fake_embedder):
    """Metadata checks refuse such addresses now; a catalogue from before may still hold one."""
    import sqlite3

    script = "javascript:alert(document.cookie)"
    with sqlite3.connect(fake_web_config.catalogue_path) as db:
        document_id, safe = db.execute(
            "SELECT id, source_url FROM documents WHERE source_url LIKE 'https:%'"
        ).fetchone()
        db.execute("UPDATE documents SET source_url = ? WHERE id != ?", (script, document_id))
        other = db.execute(
            "SELECT id FROM documents WHERE id != ? AND visibility = 'public'", (document_id,)
        ).fetchone()
    client = make_app(fake_web_config, fake_embedder).test_client()
    assert f'<a href="{safe}"' in client.get(f"/dokumente/{document_id}").get_data(as_text=True)
    page = client.get(f"/dokumente/{other[0]}").get_data(as_text=True)
    assert script in page and 'href="javascript:' not in page
