"""Neu für mich: a member saves a search; documents that arrive later and match it appear on the
start page, in the search's private Atom feed and in the daily e-mail digest — received here by a
real SMTP server (aiosmtpd) — and only documents the member may see.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from kb.core.documents import NO_FILTERS, Metadata
from kb.service import KnowledgeBase
from kb.service.digest import send_digests
from kb.service.server import KnowledgeServer
from tests.access_corpus import OTHER, OWN, THIRD
from tests.conftest import ROOT
from tests.test_web_access_rules import World
from tests.test_web_browser import ARTIFACTS
from tests.test_web_ui import csrf_token

ATOM = "{http://www.w3.org/2005/Atom}"
WORD = "Fahrradstraßen"


@pytest.fixture
def world(tmp_path, embedder) -> World:  # what clears the relevance floor is the real model's judgement
    return World(tmp_path, embedder)


def save_search(client, query: str, **filters: str):
    token = csrf_token(client.get("/konto").data)
    return client.post("/gespeicherte-suchen", data={"csrf_token": token, "q": query} | filters)


def arrive(world: World, name: str, text: str, county: str, visibility: str) -> None:
    time.sleep(1.1)  # documents are new when added after the saving second
    path = world.config.data_dir.parent / name
    path.write_text(text, "utf-8")
    kb = KnowledgeBase(world.config, embedder=world.app.extensions["kreiswissen"].kb.embedder)
    report = kb.ingest([path], metadata=Metadata(title=path.stem, county=county, visibility=visibility))
    kb.close()
    assert not report.failed, report.failed


def arrivals(world: World) -> None:
    arrive(world, "radnetz.md", f"# Radnetz\n\nDer Kreis plant {WORD} zwischen den Gemeinden.", OWN, "network")
    arrive(world, "geheim.md", f"# Geheimplan\n\n{WORD} im Haushaltsentwurf.", THIRD, "county")
    arrive(world, "moor.md", "# Moor\n\nDie Gemeinden vernässen Moorflächen.", OWN, "network")


def test_new_matching_documents_appear_on_the_start_page_and_in_the_feed(world):
    member = world.client("leser-anderer-kreis")
    saved = save_search(member, WORD)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/konto#suchen")
    assert "Seit dem Speichern ist nichts Passendes dazugekommen" in member.get("/").get_data(as_text=True)
    arrivals(world)

    start = member.get("/").get_data(as_text=True)
    assert "Neu für mich" in start and "radnetz" in start
    assert "geheim" not in start and "Geheimplan" not in start and "moor" not in start
    [search] = world.app.extensions["kreiswissen"].saved_searches.of("leser-anderer-kreis")
    assert f"/feeds/{search.token}.atom" in member.get("/konto").get_data(as_text=True)

    feed = world.app.test_client().get(f"/feeds/{search.token}.atom")  # feed readers carry no session
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["radnetz"]
    assert entries[0].find(f"{ATOM}link").get("href").startswith("http://localhost/dokumente/")
    assert WORD in entries[0].find(f"{ATOM}summary").text
    assert world.app.test_client().get("/feeds/falsch.atom").status_code == 404


def test_a_saved_search_keeps_its_filters_and_can_be_deleted(world):
    member = world.client("leser-eigener-kreis")
    save_search(member, WORD, county=OTHER)
    arrivals(world)
    assert "radnetz" not in member.get("/").get_data(as_text=True)  # the county filter holds
    [search] = world.app.extensions["kreiswissen"].saved_searches.of("leser-eigener-kreis")
    token = csrf_token(member.get("/konto").data)
    member.post(f"/gespeicherte-suchen/{search.id}/loeschen", data={"csrf_token": token})
    assert world.app.extensions["kreiswissen"].saved_searches.of("leser-eigener-kreis") == []
    assert world.app.test_client().get(f"/feeds/{search.token}.atom").status_code == 404


def test_a_saved_search_is_a_question_not_a_document(tmp_path, fake_embedder):
    member = World(tmp_path, fake_embedder).client("leser-eigener-kreis")
    assert save_search(member, "Wärmeplanung " * 60).status_code == 302
    page = member.get("/konto").get_data(as_text=True)
    assert "höchstens 500 Zeichen" in page and "Wärmeplanung Wärmeplanung" not in page


def test_a_feed_stays_well_formed_when_a_document_holds_control_characters(tmp_path, fake_embedder):
    """A title or passage text with characters XML cannot hold (read from a PDF) would make the
    feed unreadable for every feed reader: they are left out."""
    from kb.service.saved_searches import NewDocument
    from kb.service.search import Hit
    from web.feeds import atom_feed

    world = World(tmp_path, fake_embedder)
    saved = world.app.extensions["kreiswissen"].saved_searches.save("leser-eigener-kreis", "Wärme\x01plan", NO_FILTERS)
    kb = world.app.extensions["kreiswissen"].kb
    passage, document = kb.passage(kb.catalogue.passage_ids(world.ids["P"])[0])
    odd_document = dataclasses.replace(document, metadata=dataclasses.replace(document.metadata, title="Odd\x01Titel"))
    odd_passage = dataclasses.replace(passage, text="Klimaschutz\x02 in den\x0c Gemeinden")
    with world.app.test_request_context():
        body = atom_feed(
            saved, [NewDocument(odd_document, Hit(odd_passage, odd_document, 1.0, 1, 1, []))], self_url="x"
        )
    root = ET.fromstring(body)
    assert root.find(f"{ATOM}title").text == "Kreiswissen: „Wärmeplan“"
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "OddTitel"
    assert entry.find(f"{ATOM}summary").text.endswith(": Klimaschutz in den Gemeinden")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, received
    controller.stop()


def test_the_daily_digest_reaches_the_member_once_with_only_what_they_may_see(world, mailbox):
    port, received = mailbox
    member = world.client("leser-anderer-kreis")
    token = csrf_token(member.get("/konto").data)
    member.post("/konto", data={"csrf_token": token, "email": "leserin@moorbach.example", "records_searches": "ja"})
    save_search(member, WORD)
    [search] = world.app.extensions["kreiswissen"].saved_searches.of("leser-anderer-kreis")
    member.post(f"/gespeicherte-suchen/{search.id}/digest", data={"csrf_token": token, "digest": "ja"})
    save_search(world.client("leser-eigener-kreis"), WORD)  # no address: told, not mailed
    world.app.extensions["kreiswissen"].saved_searches.set_digest("leser-eigener-kreis", search.id + 1, True)
    arrivals(world)

    config = dataclasses.replace(world.config, smtp_host="127.0.0.1", smtp_port=port, base_url="https://kw.example")
    server = KnowledgeServer(config, KnowledgeBase(config, embedder=world.app.extensions["kreiswissen"].kb.embedder))
    report = send_digests(server)
    assert report.sent == {"leser-anderer-kreis": 1} and report.without_email == ["leser-eigener-kreis"]
    [mail] = received
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "digest.eml").write_bytes(mail.as_bytes())  # the message as received, for people to read
    assert mail["To"] == "leserin@moorbach.example"
    assert mail["Subject"] == "Kreiswissen: ein neues Dokument zu Ihren gespeicherten Suchen"
    body = mail.get_payload(decode=True).decode("utf-8")
    assert f"„{WORD}“" in body and "radnetz" in body and "https://kw.example/dokumente/" in body
    assert "Geheimplan" not in body and "geheim" not in body and "https://kw.example/konto" in body

    assert send_digests(server).sent == {}  # nothing new since the last digest
    assert len(received) == 1


def test_an_address_the_mail_server_refuses_does_not_stop_the_other_members_digests(
    tmp_path, fake_embedder, monkeypatch
):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    import kb.service.digest
    from kb.service.saved_searches import NewDocument
    from kb.service.search import Hit

    received = []

    class RefusingOne(Message):
        async def handle_RCPT(self, server, session, envelope, address, options) -> str:
            if address.startswith("vertippt@"):
                return "550 5.1.1 Mailbox unknown"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        def handle_message(self, message) -> None:
            received.append(message)

    controller = Controller(RefusingOne(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        world = World(tmp_path, fake_embedder)
        app_server = world.app.extensions["kreiswissen"]
        for name, email in (
            ("leser-anderer-kreis", "vertippt@moorbach.example"),
            ("leser-eigener-kreis", "da@ho.example"),
        ):
            app_server.accounts.set_email(name, email)
            saved = app_server.saved_searches.save(name, WORD, NO_FILTERS)
            app_server.saved_searches.set_digest(name, saved.id, True)
        passage, document = app_server.kb.passage(app_server.kb.catalogue.passage_ids(world.ids["P"])[0])
        new = [NewDocument(document, Hit(passage, document, 1.0, 1, 1, []))]
        monkeypatch.setattr(kb.service.digest, "new_documents", lambda kb, saved, since: new)
        config = dataclasses.replace(world.config, smtp_host="127.0.0.1", smtp_port=controller.port)
        report = send_digests(KnowledgeServer(config, KnowledgeBase(config, embedder=fake_embedder)))
    finally:
        controller.stop()
    assert report.sent == {"leser-eigener-kreis": 1} and [mail["To"] for mail in received] == ["da@ho.example"]
    assert "550" in report.refused["leser-anderer-kreis"] and "leser-anderer-kreis" in report.summary()
    [refused] = app_server.saved_searches.of("leser-anderer-kreis")
    assert refused.digest_sent_at is None  # tried again with the next digest


def test_kb_digest_without_a_mail_server_says_what_to_set(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "kb.main", "--data-dir", str(tmp_path / "data"), "digest"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 1 and "Kein Mailserver eingestellt: KB_SMTP_HOST" in done.stderr
    assert "Traceback" not in done.stderr
