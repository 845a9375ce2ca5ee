"""The network directory: administrators set each county's role, a county's editors keep its
contact people, and the county page shows role, topics, the documents the visitor may see and,
to signed-in members only, the contacts.
"""

from __future__ import annotations

import pytest

from tests.access_corpus import OTHER, OWN, THIRD
from tests.test_web_access_rules import World
from tests.test_web_ui import csrf_token

ANNA = {"topic": "Gebäude und Wärme", "name": "Anna Wärmewald", "function": "Klimaschutzmanagerin"}


@pytest.fixture
def world(tmp_path, fake_embedder, database_url) -> World:
    return World(tmp_path, fake_embedder, database_url=database_url)


def post(client, url: str, data: dict):
    token = csrf_token(client.get("/hilfe").data)
    return client.post(url, data=data | {"csrf_token": token})


def test_an_administrator_sets_a_role_that_the_county_page_shows(world):
    admin = world.client("verwaltung")
    saved = post(admin, "/verwaltung/netzwerk", {"county": f" {OWN}  ", "role": "Vorreiterkreis"})
    assert saved.status_code == 302
    assert "Landkreis Hohenwalde</a>: Vorreiterkreis" in admin.get("/verwaltung/netzwerk").get_data(as_text=True)
    page = world.app.test_client().get(f"/landkreise/{OWN}").get_data(as_text=True)
    assert "Im Netzwerk: <strong>Vorreiterkreis</strong>" in page
    post(admin, "/verwaltung/netzwerk", {"county": OWN, "role": ""})
    assert "Keine Rolle im Netzwerk" in world.app.test_client().get(f"/landkreise/{OWN}").get_data(as_text=True)
    refused = post(admin, "/verwaltung/netzwerk", {"county": OWN, "role": "Superkreis"})
    assert "Unbekannte Rolle im Netzwerk" in admin.get(refused.headers["Location"]).get_data(as_text=True)
    official = post(admin, "/verwaltung/netzwerk", {"county": "lk ahrweiler", "role": "Klimakreis"})
    assert "Rolle von Landkreis Ahrweiler gespeichert" in admin.get(official.headers["Location"]).get_data(as_text=True)


def test_only_administrators_set_roles(world):
    editor = world.client("redaktion-eigener-kreis")
    assert editor.get("/verwaltung/netzwerk").status_code == 403
    assert post(editor, "/verwaltung/netzwerk", {"county": OWN, "role": "Vorreiterkreis"}).status_code == 403
    assert "Vorreiterkreis</strong>" not in world.app.test_client().get(f"/landkreise/{OWN}").get_data(as_text=True)


def test_an_editor_keeps_the_own_countys_contacts_which_only_members_see(world):
    editor = world.client("redaktion-eigener-kreis")
    added = post(editor, "/verwaltung/kontakte", ANNA | {"email": "anna@hohenwalde.example", "county": OTHER})
    assert added.status_code == 302
    listed = editor.get("/verwaltung/kontakte").get_data(as_text=True)
    assert f"<td>{OWN}</td><td>Gebäude und Wärme</td><td>Anna Wärmewald</td>" in listed  # own county, not OTHER

    member_page = world.client("leser-anderer-kreis").get(f"/landkreise/{OWN}").get_data(as_text=True)
    assert "Anna Wärmewald" in member_page and 'href="mailto:anna@hohenwalde.example"' in member_page
    public_page = world.app.test_client().get(f"/landkreise/{OWN}").get_data(as_text=True)
    assert "Anna" not in public_page and "hohenwalde.example" not in public_page
    assert "Ansprechpersonen sehen angemeldete Mitglieder" in public_page


def test_contacts_are_checked_and_removed_only_by_their_county(world):
    editor = world.client("redaktion-eigener-kreis")
    bad = post(editor, "/verwaltung/kontakte", ANNA | {"email": "keine-adresse"})
    assert "keine gültige E-Mail-Adresse" in editor.get(bad.headers["Location"]).get_data(as_text=True)
    post(editor, "/verwaltung/kontakte", ANNA | {"email": "anna@hohenwalde.example"})
    [contact] = world.app.extensions["kreiswissen"].network.contacts(OWN)
    other_editor = world.client("redaktion-anderer-kreis")
    assert post(other_editor, f"/verwaltung/kontakte/{contact.id}/loeschen", {}).status_code == 403
    assert post(editor, f"/verwaltung/kontakte/{contact.id}/loeschen", {}).status_code == 302
    assert world.app.extensions["kreiswissen"].network.contacts(OWN) == []
    assert world.client("leser-eigener-kreis").get("/verwaltung/kontakte").status_code == 403  # readers read


def test_the_county_page_lists_only_documents_the_visitor_may_see(world):
    public = world.app.test_client().get(f"/landkreise/{OWN}").get_data(as_text=True)
    assert "Zebrafink" in public and "Quokkanetz" not in public and "Axolotl" not in public
    member = world.client("leser-eigener-kreis").get(f"/landkreise/{OWN}").get_data(as_text=True)
    assert all(marker in member for marker in ("Zebrafink", "Quokkanetz", "Axolotl"))
    assert world.app.test_client().get("/landkreise/Atlantis").status_code == 404
    assert world.app.test_client().get("/landkreise/Landkreis Ahrweiler").status_code == 200  # one of the 294
    # a county known only by hidden documents is as unknown as Atlantis
    hidden, unknown = (world.app.test_client().get(f"/landkreise/{name}") for name in (THIRD, "Atlantis"))
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.data.replace(THIRD.encode(), b"Atlantis") == unknown.data


def test_the_api_gives_a_countys_role_topics_and_visible_documents_but_no_contacts(world):
    server = world.app.extensions["kreiswissen"]
    server.network.set_role(OWN, "Klimakreis")
    server.network.add_contact(OWN, "Energie", "Erika Muster", "Energieberaterin", "erika@example.org")
    client = world.app.test_client()
    portal = client.get(f"/api/v1/counties/{OWN}", headers=world.bearer("read-key-öffentlich")).get_json()
    assert (portal["county"], portal["role"]) == (OWN, "Klimakreis")
    assert [d["title"] for d in portal["documents"]] == [f"Zebrafinkbericht {OWN}"]
    own = client.get(f"/api/v1/counties/{OWN}", headers=world.bearer("read-key-eigener-kreis")).get_json()
    assert len(own["documents"]) == 3
    assert "Erika" not in str(portal) + str(own)
    hidden = client.get(f"/api/v1/counties/{THIRD}", headers=world.bearer("read-key-öffentlich"))
    assert hidden.status_code == 404 and hidden.get_json()["error"]["message"] == (
        "Diesen Landkreis kennt Kreiswissen nicht."
    )
