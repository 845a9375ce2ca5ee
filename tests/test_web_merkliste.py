"""The Merkliste: a member collects passages while searching and exports them as a Word file in
which every passage is quoted verbatim with county, document, page and a link; the portal gets
the same from ``POST /api/v1/briefing``. Only what the asker may see, on every path.
"""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from docx import Document

from kb.core.documents import Metadata
from kb.service import KnowledgeBase
from tests.access_corpus import OTHER, OWN, QUERY
from tests.test_web_access_rules import World
from tests.test_web_ui import csrf_token

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def world(tmp_path, fake_embedder, database_url) -> World:
    return World(tmp_path, fake_embedder, database_url=database_url)


def passage_of(world: World, key: str) -> int:
    server = world.app.extensions["kreiswissen"]
    return server.kb.catalogue.passage_ids(world.ids[key])[0]


def collect(client, passage_id: int, came_from: str = f"/?q={QUERY}"):
    token = csrf_token(client.get("/hilfe").data)
    return client.post(f"/merkliste/{passage_id}", data={"csrf_token": token, "next": came_from})


def without_token(page: bytes) -> bytes:
    """A page without its CSRF token, which carries the second it was made in."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", page)


def read_docx(data: bytes) -> list:
    return Document(io.BytesIO(data)).paragraphs


def test_a_member_collects_hits_and_exports_them_quoted_with_their_sources(world):
    client = world.client("leser-eigener-kreis")
    results = client.get(f"/?q={QUERY}").get_data(as_text=True)
    buttons = re.findall(r'action="/merkliste/(\d+)"', results)
    assert len(buttons) == 3  # every hit this member sees (P, N, K) can be collected
    first, second = passage_of(world, "K"), passage_of(world, "P")
    response = collect(client, first)
    assert response.status_code == 302 and unquote(response.headers["Location"]) == f"/?q={QUERY}"
    collect(client, second)
    collect(client, first)  # twice is once

    results = client.get(f"/?q={QUERY}").get_data(as_text=True)
    assert results.count("Auf der Merkliste</span>") == 2 and "Merkliste (2)" in results
    page = client.get("/merkliste/").get_data(as_text=True)
    assert page.index("Axolotlentwurf") < page.index("Zebrafinkbericht")  # in the order collected

    export = client.get("/merkliste/export.docx", query_string={"titel": "Vorlage Umweltausschuss"})
    assert export.status_code == 200 and export.mimetype == DOCX
    assert "merkliste.docx" in export.headers["Content-Disposition"]
    paragraphs = read_docx(export.data)
    texts = [p.text for p in paragraphs]
    assert texts[0] == "Vorlage Umweltausschuss" and "2 Auszüge" in texts[1]
    kb = world.app.extensions["kreiswissen"].kb
    for number, passage_id in enumerate((first, second), 1):
        passage, document = kb.passage(passage_id)
        assert passage.text in [p.text for p in paragraphs if p.style.name == "Quote"]  # verbatim
        [source] = [
            p
            for p in paragraphs
            if p.text.startswith(f"Quelle: {document.metadata.county}") and f"#passage-{passage_id}" in p.text
        ]
        assert source.hyperlinks[0].address == f"http://localhost/dokumente/{document.id}#passage-{passage_id}"
        assert texts.index(f"{number}. {document.metadata.title}") < texts.index(source.text)


def test_remove_and_clear(world):
    client = world.client("leser-eigener-kreis")
    for key in "PNK":
        collect(client, passage_of(world, key))
    token = csrf_token(client.get("/merkliste/").data)
    removed = client.post(f"/merkliste/{passage_of(world, 'N')}/entfernen", data={"csrf_token": token})
    assert removed.headers["Location"] == "/merkliste/"
    page = client.get("/merkliste/").get_data(as_text=True)
    assert "Quokkanetz" not in page and "Zebrafink" in page and "Axolotl" in page
    client.post("/merkliste/leeren", data={"csrf_token": token})
    assert "Ihre Merkliste ist leer" in client.get("/merkliste/").get_data(as_text=True)
    empty_export = client.get("/merkliste/export.docx")
    assert empty_export.status_code == 302 and empty_export.headers["Location"] == "/merkliste/"


def test_a_full_merkliste_says_so(world, monkeypatch):
    import kb.service.merkliste

    monkeypatch.setattr(kb.service.merkliste, "MAX_ENTRIES", 2)
    client = world.client("leser-eigener-kreis")
    for key in "PN":
        collect(client, passage_of(world, key))
    response = collect(client, passage_of(world, "K"))
    assert response.status_code == 302  # back where it came from, with the reason
    assert "höchstens 2 Passagen" in client.get("/merkliste/").get_data(as_text=True)
    assert world.app.extensions["kreiswissen"].merkliste.passage_ids("user:leser-eigener-kreis") == [
        passage_of(world, "P"),
        passage_of(world, "N"),
    ]


def test_each_member_has_an_own_list(world):
    collect(world.client("leser-eigener-kreis"), passage_of(world, "K"))
    assert "Axolotl" not in world.client("redaktion-eigener-kreis").get("/merkliste/").get_data(as_text=True)


def test_visitors_without_an_account_see_no_button_and_are_sent_to_sign_in(world):
    client = world.app.test_client()
    assert "/merkliste/" not in client.get(f"/?q={QUERY}").get_data(as_text=True)
    for response in (client.get("/merkliste/"), client.get("/merkliste/export.docx")):
        assert response.status_code == 302 and response.headers["Location"].startswith("/verwaltung/anmelden")


def test_a_hidden_passage_cannot_be_collected_and_one_that_becomes_hidden_leaves_list_and_export(world):
    other = world.client("leser-anderer-kreis")
    hidden = collect(other, passage_of(world, "K"))  # Kreis-intern of another county
    missing = collect(other, 999_999)
    assert hidden.status_code == missing.status_code == 404
    assert without_token(hidden.data) == without_token(missing.data).replace(
        b"999999", str(passage_of(world, "K")).encode()
    )
    collect(other, passage_of(world, "N"))
    collect(other, passage_of(world, "P"))
    kb = KnowledgeBase(world.config, embedder=world.app.extensions["kreiswissen"].kb.embedder)
    kb.update_metadata(world.ids["N"], Metadata(visibility="county"))  # now internal to its county
    kb.close()
    page = other.get("/merkliste/").get_data(as_text=True)
    assert "Quokkanetz" not in page and "Zebrafink" in page and "Merkliste (1)" in page  # the count shows no trace
    exported = " ".join(p.text for p in read_docx(other.get("/merkliste/export.docx").data))
    assert "Quokkanetz" not in exported and "Zebrafink" in exported and "ein Auszug" in exported
    assert OTHER != OWN


def test_control_characters_from_a_document_or_a_title_do_not_break_the_word_file(world):
    """Text read from PDFs and metadata can hold control characters XML cannot; the export and
    the API's briefing leave them out instead of failing with a 500."""
    folder = world.config.data_dir.parent / "odd"
    folder.mkdir()
    (folder / "odd.md").write_text(
        "# Steuer\x01zeichen\n\nKlimaschutz in den Gemeinden\x02 und Wärmeplanung.\n", "utf-8"
    )
    kb = KnowledgeBase(world.config, embedder=world.app.extensions["kreiswissen"].kb.embedder)
    kb.ingest([folder], metadata=Metadata(title="Odd\x01Titel", county=OWN, visibility="public"))
    passage_id = kb.catalogue.passage_ids(kb.find_document("odd.md").id)[0]
    kb.close()
    client = world.client("leser-eigener-kreis")
    collect(client, passage_id)
    export = client.get("/merkliste/export.docx", query_string={"titel": "Vorlage\x0bAusschuss"})
    assert export.status_code == 200
    texts = [p.text for p in read_docx(export.data)]
    assert texts[0] == "VorlageAusschuss" and "1. OddTitel" in texts
    assert "Klimaschutz in den Gemeinden und Wärmeplanung." in texts
    api = world.app.test_client().post("/api/v1/briefing", json={"passage_ids": [passage_id], "title": "Portal\x00"})
    assert api.status_code == 200 and [p.text for p in read_docx(api.data)][0] == "Portal"


def test_a_deleted_document_leaves_every_merkliste(world):
    client = world.client("leser-eigener-kreis")
    collect(client, passage_of(world, "P"))
    kb = KnowledgeBase(world.config, embedder=world.app.extensions["kreiswissen"].kb.embedder)
    kb.remove(world.ids["P"])
    kb.close()
    assert "Ihre Merkliste ist leer" in client.get("/merkliste/").get_data(as_text=True)


@pytest.mark.parametrize("came_from", ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/"])
def test_an_open_redirect_is_not_followed(world, came_from):
    client = world.client("leser-eigener-kreis")
    response = collect(client, passage_of(world, "P"), came_from=came_from)
    assert response.status_code == 302 and response.headers["Location"] == "/"  # browsers drop tabs: //evil


def test_the_api_exports_a_briefing_of_the_passages_the_key_may_see(world):
    client = world.app.test_client()
    portal = world.bearer("read-key-öffentlich")
    public, internal = passage_of(world, "P"), passage_of(world, "K")
    response = client.post("/api/v1/briefing", headers=portal, json={"passage_ids": [public], "title": "Portal"})
    assert response.status_code == 200 and response.mimetype == DOCX
    texts = [p.text for p in read_docx(response.data)]
    assert texts[0] == "Portal" and any("Zebrafinkzahl" in t for t in texts)

    hidden = client.post("/api/v1/briefing", headers=portal, json={"passage_ids": [public, internal]})
    missing = client.post("/api/v1/briefing", headers=portal, json={"passage_ids": [public, 999_999]})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"]["message"] == f"Passage {internal} gibt es nicht."
    own_county = client.post(
        "/api/v1/briefing", headers=world.bearer("read-key-eigener-kreis"), json={"passage_ids": [internal]}
    )
    assert own_county.status_code == 200

    for body, status in (([public], 415), ({"passage_ids": []}, 400), ({"passage_ids": ["1"]}, 400)):
        assert client.post("/api/v1/briefing", headers=portal, json=body).status_code == status
