"""Access rules beyond the matrix: sign-in, CSRF, editors of other counties, county filters of a
key, a visibility change in a running server, levels chosen at upload, limits per key."""

from __future__ import annotations

import io
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from hashlib import sha256

import pytest

from kb.core.access import ANONYMOUS, member
from kb.service.accounts import Accounts
from kb.service.database import Database
from tests.access_corpus import OTHER, OWN, PASSWORD, QUERY, THIRD, build, credentials
from tests.conftest import make_app, make_config
from tests.test_web_access_matrix import signed_in_client
from tests.test_web_api import wait_for
from tests.test_web_ui import csrf_token

_LIMITS = {"login_rate_limit": "10000 per minute", "api_rate_limit": "10000 per minute"}


class World:
    def __init__(self, tmp_path, embedder, **changes: object) -> None:
        self.config = make_config(tmp_path / "data", ocr=False, public_read=True, **_LIMITS | changes)
        self.ids = build(self.config.data_dir, embedder, self.config)
        self.keys = credentials(self.config)
        self.app = make_app(self.config, embedder)

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def client(self, name: str):
        from tests.access_corpus import IDENTITIES

        return signed_in_client(self, next(i for i in IDENTITIES if i.name == name))


@pytest.fixture
def world(tmp_path, fake_embedder, database_url) -> World:
    return World(tmp_path, fake_embedder, database_url=database_url)


def _markers(text: str) -> set[str]:
    return {m for m in ("Zebrafink", "Quokkanetz", "Axolotl", "Pangolin") if m in text}


def test_signing_in_renews_the_session_and_a_planted_cookie_stays_anonymous(world):
    client = world.app.test_client()
    page = client.get("/verwaltung/anmelden").data
    before = client.get_cookie("session").value
    response = client.post(
        "/verwaltung/anmelden",
        data={"name": "leser-eigener-kreis", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    after = client.get_cookie("session").value
    assert response.status_code == 302 and response.headers["Location"] == "/"  # readers go to the search
    assert after != before
    with client.session_transaction() as session:
        assert session["user"] == "leser-eigener-kreis" and len(session["sid"]) >= 16
    assert csrf_token(client.get("/hilfe").data) != csrf_token(page)  # the token of the old session is gone
    planted = world.app.test_client()
    planted.set_cookie("session", before)  # what an attacker could have planted before the sign-in
    assert "Axolotl" not in planted.get(f"/?q={QUERY}").get_data(as_text=True)
    assert planted.get(f"/dokumente/{world.ids['K']}").status_code == 404
    assert "Axolotl" in client.get(f"/?q={QUERY}").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\r\n/evil.example/"])
def test_signing_in_never_leads_to_another_site(world, target):
    client = world.app.test_client()
    page = client.get("/verwaltung/anmelden").data
    response = client.post(
        "/verwaltung/anmelden",
        query_string={"next": target},
        data={"name": "leser-eigener-kreis", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"  # browsers drop tabs: //evil


def _member_sees_internal(client) -> bool:
    return "Axolotl" in client.get(f"/?q={QUERY}").get_data(as_text=True)


def _sha256(text: str) -> str:
    return sha256(text.encode()).hexdigest()


def _copy_of(client):
    """Another browser holding the same session cookie (stolen, or left on a shared computer)."""
    copy = client.application.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(world):
    client = world.client("leser-eigener-kreis")
    copy = _copy_of(client)
    assert _member_sees_internal(copy)
    page = client.get("/hilfe").data
    assert client.post("/verwaltung/abmelden", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert not _member_sees_internal(client)
    assert not _member_sees_internal(copy)
    assert "Abmelden" not in copy.get("/hilfe").get_data(as_text=True)


def test_a_new_password_or_a_long_idle_time_ends_sessions(world):
    reset = world.client("leser-eigener-kreis")
    accounts = Accounts(world.config.database)
    accounts.add_user("leser-eigener-kreis", PASSWORD, county=OWN)  # an administrator resets the password
    assert not _member_sees_internal(reset)
    idle, other = world.client("leser-eigener-kreis"), world.client("leser-eigener-kreis")
    with idle.session_transaction() as session:
        token = session["sid"]
    accounts.close()
    nine_hours_ago = (datetime.now(UTC) - timedelta(hours=9)).isoformat(timespec="seconds")
    db = Database(world.config.database)  # nine hours without a request
    db.execute("UPDATE sessions SET seen_at = ? WHERE token_hash = ?", (nine_hours_ago, _sha256(token)))
    db.close()
    assert not _member_sees_internal(idle)
    assert _member_sees_internal(other)  # only that session is over


def test_search_pages_show_members_more_than_visitors(world):
    anonymous = world.app.test_client().get(f"/?q={QUERY}").get_data(as_text=True)
    member_page = world.client("leser-eigener-kreis").get(f"/?q={QUERY}").get_data(as_text=True)
    assert _markers(anonymous) == {"Zebrafink"}
    assert _markers(member_page) == {"Zebrafink", "Quokkanetz", "Axolotl"}
    assert "Anmelden" in anonymous and "Abmelden (leser-eigener-kreis, Landkreis Hohenwalde)" in member_page
    assert "Kreis-intern" in member_page and "Verwaltung</a>" not in member_page  # readers have no staff area
    assert world.client("leser-eigener-kreis").get("/verwaltung/").status_code == 403


def test_every_form_refuses_a_post_without_csrf_token(world):
    world.app.config["WTF_CSRF_ENABLED"] = True
    client = world.client("verwaltung")
    server = world.app.extensions["kreiswissen"]
    passage = server.kb.catalogue.passage_ids(world.ids["P"])[0]
    contact = server.network.add_contact(OWN, "Energie", "Erika Muster", "", "erika@example.org")
    posts = [r for r in world.app.url_map.iter_rules() if "POST" in r.methods and not r.rule.startswith("/api/")]
    assert {r.endpoint for r in posts} >= {
        "staff.login",
        "staff.logout",
        "staff.upload",
        "staff.edit",
        "staff.delete",
        "merkliste.add",
        "merkliste.clear",
    }
    for rule in posts:
        url = re.sub(r"<(\w+:)?document_id>", str(world.ids["P"]), rule.rule)
        url = re.sub(r"<(\w+:)?passage_id>", str(passage), url)
        url = re.sub(r"<(\w+:)?contact_id>", str(contact.id), url)
        url = re.sub(r"<(\w+:)?search_id>", "1", url)
        response = client.post(url, data={"title": "Gekapert", "visibility": "public"})
        assert response.status_code == 400, url
    assert client.get("/verwaltung/").status_code == 200  # still signed in: logout was refused too
    document = client.get(f"/dokumente/{world.ids['P']}").get_data(as_text=True)
    assert "Gekapert" not in document and "Zebrafinkbericht" in document


def test_an_editor_of_another_county_cannot_change_a_document_through_the_pages(world):
    client = world.client("redaktion-anderer-kreis")
    token = csrf_token(client.get("/verwaltung/").data)
    for key, status in (("P", 403), ("N", 403), ("K", 404)):
        edit = f"/verwaltung/dokumente/{world.ids[key]}"
        assert client.get(edit).status_code == status
        changed = client.post(edit, data={"title": "Übernommen", "county": OTHER, "csrf_token": token})
        assert changed.status_code == status
        assert client.post(edit + "/loeschen", data={"csrf_token": token}).status_code == status
        replaced = client.post(
            edit + "/ersetzen", data={"file": (io.BytesIO(b"# x\n\nText"), "x.md"), "csrf_token": token}
        )
        assert replaced.status_code == status
    home = client.get("/verwaltung/").get_data(as_text=True)
    assert "Zebrafinkbericht" in home and "Axolotl" not in home
    assert f"/verwaltung/dokumente/{world.ids['P']}" not in home  # no edit link for others' documents
    upload = client.post(
        "/verwaltung/hochladen",
        data={"files": (io.BytesIO(b"# Fremd\n\nText"), "fremd.md"), "county": OWN, "csrf_token": token},
    )
    assert upload.status_code == 302
    assert "nur Dokumente Ihres Landkreises (Landkreis Moorbach)" in client.get("/verwaltung/").get_data(as_text=True)
    owner = world.client("verwaltung").get(f"/dokumente/{world.ids['P']}").get_data(as_text=True)
    assert "Übernommen" not in owner and "Zebrafinkbericht" in owner


def test_an_editor_changes_the_own_countys_documents_and_uploads_into_the_own_county(world):
    client = world.client("redaktion-eigener-kreis")
    token = csrf_token(client.get("/verwaltung/").data)
    edit = f"/verwaltung/dokumente/{world.ids['N']}"
    form = client.get(edit).get_data(as_text=True)
    assert 'value="network" checked' in form
    saved = client.post(edit, data={"title": "Quokkanetzplan neu", "visibility": "county", "csrf_token": token})
    assert saved.status_code == 302
    assert "Quokkanetz" not in world.client("leser-anderer-kreis").get(f"/?q={QUERY}").get_data(as_text=True)
    page = client.get(f"/dokumente/{world.ids['N']}").get_data(as_text=True)
    assert "<dt>Sichtbarkeit</dt><dd>Kreis-intern</dd>" in page and "Landkreis Hohenwalde" in page
    upload = client.post(
        "/verwaltung/hochladen",
        data={"files": (io.BytesIO(b"# Okapientwurf\n\nKlimaschutz der Gemeinden."), "okapi.md"), "csrf_token": token},
    )
    job = client.get(upload.headers["Location"])
    for _ in range(600):  # up to a minute: the job shares two cores with the rest of the suite
        if b'data-job-status="done"' in job.data or b'data-job-status="failed"' in job.data:
            break
        time.sleep(0.1)
        job = client.get(upload.headers["Location"])
    assert b'data-job-status="done"' in job.data
    listed = client.get("/dokumente").get_data(as_text=True)
    assert re.search(r"Okapientwurf</a>\s*<span class=\"meta\">Landkreis Hohenwalde · Netzwerk</span>", listed)
    assert world.client("redaktion-anderer-kreis").get(upload.headers["Location"]).status_code == 404


def test_a_write_key_of_another_county_cannot_change_or_place_documents(world):
    other = world.bearer("write-key-anderer-kreis")
    client = world.app.test_client()
    for key, status in (("P", 403), ("N", 403), ("K", 404), ("T", 404)):
        url = f"/api/v1/documents/{world.ids[key]}"
        assert client.patch(url, headers=other, json={"visibility": "public"}).status_code == status
        assert client.delete(url, headers=other).status_code == status
        put = client.put(url + "/file", headers=other, data={"file": (io.BytesIO(b"# x\n\nText"), "x.md")})
        assert put.status_code == status
    refused = client.post(
        "/api/v1/documents",
        headers=other,
        data={"file": (io.BytesIO(b"# x\n\nText"), "x.md"), "county": OWN},
    )
    assert refused.status_code == 403 and "Landkreis Moorbach" in refused.get_json()["error"]["message"]
    own = world.bearer("write-key-eigener-kreis")
    moved = client.patch(f"/api/v1/documents/{world.ids['K']}", headers=own, json={"county": OTHER})
    assert moved.status_code == 403  # giving a document to another county is not the editor's call
    read = world.bearer("read-key-eigener-kreis")
    assert client.get(f"/api/v1/documents/{world.ids['K']}", headers=read).get_json()["county"] == OWN


def test_a_key_of_one_county_filtering_by_another_sees_only_what_it_may(world):
    client = world.app.test_client()
    moorbach = world.bearer("read-key-anderer-kreis")
    found = client.get("/api/v1/search", query_string={"q": QUERY, "county": OWN}, headers=moorbach).get_json()
    assert {h["title"].split()[0] for h in found["hits"]} == {"Zebrafinkbericht", "Quokkanetzplan"}
    answer = client.get("/api/v1/answer", query_string={"q": QUERY, "county": OWN}, headers=moorbach)
    assert _markers(answer.get_data(as_text=True)) <= {"Zebrafink", "Quokkanetz"}
    # a county whose only document is hidden is as unknown as one that has none
    hidden = client.get("/api/v1/search", query_string={"q": QUERY, "county": THIRD}, headers=moorbach)
    unknown = client.get("/api/v1/search", query_string={"q": QUERY, "county": "Landkreis Nirgendwo"}, headers=moorbach)
    assert hidden.status_code == unknown.status_code == 400
    assert hidden.get_json()["error"]["message"].replace(THIRD, "X") == unknown.get_json()["error"]["message"].replace(
        "Landkreis Nirgendwo", "X"
    )
    by_document = client.get(
        "/api/v1/search", query_string={"q": QUERY, "document": world.ids["K"]}, headers=moorbach
    ).get_json()
    assert by_document["hits"] == [] and by_document["candidates"] == 0
    facets = client.get("/api/v1/facets", query_string={"county": OWN}, headers=moorbach).get_json()
    assert {f["value"]: f["count"] for f in facets["county"]} == {OWN: 2}


def test_a_visibility_change_takes_effect_at_once_in_every_reader(tmp_path, fake_embedder):
    world = World(tmp_path, fake_embedder, readers=3)
    server = world.app.extensions["kreiswissen"]
    client = world.app.test_client()
    own = world.bearer("write-key-eigener-kreis")

    def anonymous_sees_k() -> list[bool]:
        """Ask in three readers at once (three requests holding one each), so each has loaded
        (and cached) its indexes."""
        all_hold = threading.Barrier(3, timeout=30)
        found: dict[str, tuple[int, bool]] = {}

        def ask(mode: str) -> None:
            with server.reading(ANONYMOUS) as kb:
                all_hold.wait()
                hits = kb.search(QUERY, mode=mode).hits
                found[mode] = (id(kb.kb), any(h.document.id == world.ids["K"] for h in hits))
                all_hold.wait()

        asking = [threading.Thread(target=ask, args=(mode,)) for mode in ("hybrid", "keyword", "dense")]
        for thread in asking:
            thread.start()
        for thread in asking:
            thread.join(timeout=60)
        assert len({reader for reader, _ in found.values()}) == 3
        return [found[mode][1] for mode in ("hybrid", "keyword", "dense")]

    def page_shows_k() -> bool:
        return "Axolotl" in client.get(f"/?q={QUERY}").get_data(as_text=True)

    assert anonymous_sees_k() == [False] * 3 and not page_shows_k()
    opened = client.patch(f"/api/v1/documents/{world.ids['K']}", headers=own, json={"visibility": "öffentlich"})
    assert opened.status_code == 200 and opened.get_json()["visibility"] == "öffentlich"
    assert anonymous_sees_k() == [True] * 3 and page_shows_k()
    assert client.get(f"/api/v1/documents/{world.ids['K']}").status_code == 200
    closed = client.patch(f"/api/v1/documents/{world.ids['K']}", headers=own, json={"visibility": "county"})
    assert closed.get_json()["visibility"] == "Kreis-intern"
    assert anonymous_sees_k() == [False] * 3 and not page_shows_k()
    assert client.get(f"/api/v1/documents/{world.ids['K']}").status_code == 404
    with server.reading(member("x", OWN, "leser")) as kb:
        assert any(h.document.id == world.ids["K"] for h in kb.search(QUERY).hits)


def test_a_members_start_page_never_waits_for_a_second_reader_while_holding_one(tmp_path, fake_embedder):
    """„Neu für mich“ borrowed a reader while the page held one: with one reader the start page
    hung for ever, with N readers N members opening it at once hung the whole server."""
    world = World(tmp_path, fake_embedder, readers=1)
    client = world.client("leser-eigener-kreis")
    pages = []
    opening = threading.Thread(target=lambda: pages.append(client.get("/")), daemon=True)
    opening.start()
    opening.join(timeout=30)
    assert pages and pages[0].status_code == 200 and "Neu für mich" in pages[0].get_data(as_text=True)


def test_a_request_reading_again_while_it_reads_gets_its_own_reader_back(tmp_path, fake_embedder):
    """Any code path that reads while it reads (a page asking for „Neu für mich“, a feed building
    its news) must not wait for a second reader: with every reader taken it would wait for ever."""
    world = World(tmp_path, fake_embedder, readers=1)
    server = world.app.extensions["kreiswissen"]
    seen = []

    def finds_k(kb) -> bool:  # noqa: ANN001
        return any(h.document.id == world.ids["K"] for h in kb.search(QUERY).hits)

    def nested() -> None:
        with server.reading(ANONYMOUS) as outer, server.reading(member("x", OWN, "leser")) as inner:
            seen.append((outer.kb is inner.kb, finds_k(outer), finds_k(inner)))

    reading = threading.Thread(target=nested, daemon=True)
    reading.start()
    reading.join(timeout=30)
    # one reader, each borrow still sees as its own viewer may: K is the own county's internal paper
    assert seen == [(True, False, True)]
    with server.reading(ANONYMOUS) as again:  # given back: the next request gets it at once
        assert not finds_k(again)


def test_upload_takes_a_level_or_defaults_to_network(world):
    client = world.app.test_client()
    write = world.bearer("write-key-eigener-kreis")
    jobs = []
    for name, level in (("public.md", "öffentlich"), ("plain.md", None), ("bad.md", "geheim")):
        data = {"file": (io.BytesIO(f"# Okapi {name}\n\nKlimaschutz der Gemeinden.".encode()), name)}
        response = client.post("/api/v1/documents", headers=write, data=data | ({"visibility": level} if level else {}))
        jobs.append(response)
    assert jobs[2].status_code == 422 and "Sichtbarkeit 'geheim'" in jobs[2].get_json()["error"]["message"]
    levels = {}
    for response in jobs[:2]:
        job = wait_for(client, response.headers["Location"], write)
        document = client.get(f"/api/v1/documents/{job['files'][0]['document_id']}", headers=write).get_json()
        levels[document["file_name"]] = (document["visibility"], document["county"])
    assert levels == {"public.md": ("öffentlich", OWN), "plain.md": ("Netzwerk", OWN)}


def test_keys_have_their_own_rate_limit_and_anonymous_readers_the_per_address_one(tmp_path, fake_embedder):
    world = World(tmp_path, fake_embedder, api_rate_limit="3 per minute")
    accounts = Accounts(world.config.database)
    slow = accounts.create_key("read", "knapp", limit="2 per minute")
    accounts.close()
    client = world.app.test_client()
    slow_statuses = [
        client.get("/api/v1/health", headers={"Authorization": f"Bearer {slow}"}).status_code for _ in range(3)
    ]
    portal = [client.get("/api/v1/health", headers=world.bearer("read-key-öffentlich")).status_code for _ in range(5)]
    anonymous = [client.get("/api/v1/health").status_code for _ in range(4)]
    assert slow_statuses == [200, 200, 429]
    assert portal == [200] * 5  # the default key limit (600 per minute), not the address's
    assert anonymous == [200, 200, 200, 429]


def test_a_viewer_who_may_see_nothing_gets_the_answer_of_an_empty_knowledge_base(tmp_path, fake_embedder):
    from kb.service import KnowledgeBase

    responses = []
    for name, documents in (("empty", {}), ("hidden", {"intern.md": "Kreis-intern"})):
        config = make_config(tmp_path / name, ocr=False, public_read=True, **_LIMITS)
        folder = tmp_path / f"{name}-docs"
        folder.mkdir()
        for file_name, level in documents.items():
            (folder / file_name).write_text("# Axolotl\n\nDer Axolotl-Plan des Kreises regelt die Wärme.\n", "utf-8")
            (folder / f"{file_name}.meta.json").write_text(
                f'{{"county": "Landkreis Hohenwalde", "visibility": "{level}"}}', "utf-8"
            )
        kb = KnowledgeBase(config, embedder=fake_embedder)
        assert not kb.ingest([folder]).failed
        kb.close()
        client = make_app(config, fake_embedder).test_client()
        api = client.get("/api/v1/search?q=Axolotl")
        page = client.get("/?q=Axolotl")
        responses.append((api.status_code, api.get_json(), page.status_code, "Axolotl-Plan" in page.get_data(True)))
    assert responses[0] == responses[1]
