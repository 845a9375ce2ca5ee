"""Wer hat damit Erfahrung? Counties ranked by how much material above the floor they have on a
question or a topic, with their best passages, their role and — for signed-in members — their
contact person for the topic; counting only what the asker may see.
"""

from __future__ import annotations

import pytest

from kb.core.documents import Metadata
from kb.service import KnowledgeBase
from tests.access_corpus import OTHER, OWN, QUERY, THIRD
from tests.test_web_access_rules import World


@pytest.fixture
def world(tmp_path, embedder) -> World:  # what clears the relevance floor is the real model's judgement
    world = World(tmp_path, embedder)
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "energie-moorbach.md").write_text(
        "# Energiemanagement\n\nDer Kreis berät die Gemeinden beim Energiemanagement ihrer Schulen.", "utf-8"
    )
    kb = KnowledgeBase(world.config, embedder=embedder)
    given = Metadata(county=OTHER, topics=["Energie"], visibility="public")
    assert not kb.ingest([folder], metadata=given).failed
    kb.close()
    server = world.app.extensions["kreiswissen"]
    server.network.set_role(OWN, "Vorreiterkreis")
    server.network.add_contact(OTHER, "Energie", "Erika Muster", "Energieberaterin", "erika@moorbach.example")
    server.network.add_contact(OTHER, "Mobilität", "Max Rad", "", "max@moorbach.example")
    return world


def counties_on(page: str, *names: str) -> list[str]:
    return sorted((page.index(f">{name}</a>"), name) for name in names if f">{name}</a>" in page)


def test_counties_are_ranked_by_material_the_asker_may_see(world):
    anonymous = world.app.test_client().get("/erfahrung", query_string={"q": QUERY}).get_data(as_text=True)
    assert "Zebrafink" in anonymous and "Quokkanetz" not in anonymous and THIRD not in anonymous
    assert "1 passende Passage aus 1 Dokument" in anonymous and "Vorreiterkreis" in anonymous
    member = world.client("leser-eigener-kreis").get("/erfahrung", query_string={"q": QUERY}).get_data(as_text=True)
    assert "3 passende Passagen aus 3 Dokumenten" in member and "Pangolin" not in member
    admin = world.client("verwaltung").get("/erfahrung", query_string={"q": QUERY}).get_data(as_text=True)
    assert [name for _, name in counties_on(admin, OWN, THIRD)] == [OWN, THIRD]  # three passages before one


def test_a_topic_alone_lists_counties_and_members_see_the_contact_for_it(world):
    member = world.client("leser-eigener-kreis").get("/erfahrung", query_string={"topic": "Energie"})
    page = member.get_data(as_text=True)
    assert f">{OTHER}</a>" in page and "Energiemanagement" in page
    assert "Erika Muster (Energieberaterin), Energie" in page and "Max Rad" not in page  # the topic's contact
    public = world.app.test_client().get("/erfahrung", query_string={"topic": "Energie"}).get_data(as_text=True)
    assert f">{OTHER}</a>" in public and "Erika" not in public and "moorbach.example" not in public


def test_nothing_above_the_floor_lists_no_county(world):
    page = world.app.test_client().get("/erfahrung", query_string={"q": "Xylophonunterricht"}).get_data(as_text=True)
    assert "0 Landkreise mit passendem Material" in page and "Kein Landkreis hat dazu Material" in page


def test_the_api_ranks_counties_without_contacts(world):
    client = world.app.test_client()
    data = client.get("/api/v1/experience", query_string={"topic": "Energie"}).get_json()
    [county] = data["counties"]
    assert (county["county"], county["passages"], county["role"]) == (OTHER, 1, None)
    assert county["best"][0]["title"] and "Erika" not in str(data)
    assert client.get("/api/v1/experience").status_code == 400
    assert client.get("/api/v1/experience", query_string={"topic": "Raumfahrt"}).status_code == 400
