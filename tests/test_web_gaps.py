"""Was dem Netzwerk fehlt, through the pages and the API: questions without a hit and answers
marked „nicht hilfreich“ are counted with question, filters and time only — no account, no
address; a member can switch it off; administrators see the groups and export them as CSV.
"""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from tests.access_corpus import OWN, QUERY
from tests.test_web_access_rules import World
from tests.test_web_ui import csrf_token


@pytest.fixture
def world(tmp_path, embedder) -> World:  # what clears the relevance floor is the real model's judgement
    return World(tmp_path, embedder)


def records(world: World) -> list[dict]:
    with sqlite3.connect(world.config.catalogue_path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM gaps ORDER BY id")]


def mark(client, helpful: str, query: str = QUERY, **filters: str):
    token = csrf_token(client.get("/", query_string={"q": QUERY}).data)  # the page with the control
    data = {"csrf_token": token, "q": query, "helpful": helpful, "next": f"/?q={query}"} | filters
    return client.post("/rueckmeldung", data=data)


def test_a_hit_marked_unhelpful_counts_question_filters_and_time_and_nothing_else(world):
    client = world.app.test_client()
    page = client.get(f"/?q={QUERY}").get_data(as_text=True)
    assert page.count('action="/rueckmeldung"') == 1 and "Nicht hilfreich" in page  # the one hit anonymous sees
    response = mark(client, "nein", county=OWN, year_from="2020")
    assert response.status_code == 302 and response.headers["Location"].startswith("/?q=")
    [record] = records(world)
    assert set(record) == {"id", "kind", "query", "filters", "at"}  # no account, no address
    assert (record["kind"], record["query"], record["filters"]) == ("nicht hilfreich", QUERY, f"{OWN} · 2020–")
    mark(client, "ja")
    assert [r["kind"] for r in records(world)] == ["nicht hilfreich", "hilfreich"]
    assert mark(client, "vielleicht").status_code == 400


def test_a_question_without_any_hit_is_counted_once(world):
    client = world.app.test_client()
    client.get("/", query_string={"q": "Xylophonunterricht", "mode": "keyword"})
    client.get("/", query_string={"q": QUERY, "mode": "keyword"})  # found: not a gap
    assert [(r["kind"], r["query"]) for r in records(world)] == [("unbeantwortet", "Xylophonunterricht")]


def test_a_member_can_switch_counting_off(world):
    client = world.client("leser-eigener-kreis")
    settings = client.get("/konto").get_data(as_text=True)
    assert 'name="records_searches" value="ja" checked' in settings
    token = csrf_token(settings.encode())
    client.post("/konto", data={"csrf_token": token})  # checkbox cleared
    mark(client, "nein")
    client.get("/", query_string={"q": "Xylophonunterricht", "mode": "keyword"})
    assert records(world) == []
    client.post("/konto", data={"csrf_token": token, "records_searches": "ja"})
    mark(client, "nein")
    assert len(records(world)) == 1
    assert world.app.test_client().get("/konto").status_code == 302  # members only


def test_administrators_see_the_groups_and_export_them(world):
    client = world.app.test_client()
    for query in ("Lastenrad Förderung", "Lastenrad Förderung", '=HYPERLINK("http://x")'):
        mark(client, "nein", query=query)
    admin = world.client("verwaltung")
    page = admin.get("/verwaltung/luecken").get_data(as_text=True)
    assert "<td>Lastenrad Förderung</td><td>2</td>" in page
    export = admin.get("/verwaltung/luecken.csv")
    assert export.mimetype == "text/csv" and "was-dem-netzwerk-fehlt.csv" in export.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Gruppe", "Art", "Frage", "Filter", "Zeit (UTC)"] and len(rows) == 4
    assert ['\'=HYPERLINK("http://x")'] == [r[2] for r in rows[1:] if "HYPERLINK" in r[2]]  # stays text
    for name, status in (("leser-eigener-kreis", 403), ("redaktion-eigener-kreis", 403)):
        assert world.client(name).get("/verwaltung/luecken").status_code == status
        assert world.client(name).get("/verwaltung/luecken.csv").status_code == status


def test_the_portal_sends_feedback_through_the_api(world):
    client = world.app.test_client()
    portal = world.bearer("read-key-öffentlich")
    body = {"q": "Wie fördern wir Lastenräder?", "helpful": False, "county": [OWN], "year_to": 2024}
    assert client.post("/api/v1/feedback", headers=portal, json=body).status_code == 204
    [record] = records(world)
    assert (record["kind"], record["filters"]) == ("nicht hilfreich", f"{OWN} · –2024")
    for bad, status in (({"q": "x"}, 400), ({"q": " ", "helpful": True}, 400), ([1], 415)):
        assert client.post("/api/v1/feedback", headers=portal, json=bad).status_code == status


def test_feedback_stores_no_more_than_a_question_and_short_filters(tmp_path, fake_embedder):
    """Feedback's filters are taken as sent, so an anonymous sender chose their length: half a
    megabyte per request went to disk (and to the administrators' page and CSV)."""
    world = World(tmp_path, fake_embedder)
    body = {"q": "Lastenrad " * 10_000, "helpful": False, "county": ["Landkreis " + "X" * 10_000] * 50}
    assert world.app.test_client().post("/api/v1/feedback", json=body).status_code == 204
    [record] = records(world)
    assert len(record["query"]) <= 500 and len(record["filters"]) <= 500
