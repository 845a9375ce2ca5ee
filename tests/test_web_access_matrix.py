"""Nothing of a hidden document shows anywhere: every route of the pages and of /api/v1, taken
from the app's URL map, asked by every kind of identity about every document.

For each (route, identity, document) the response must not carry a marker word of any document
the identity may not see, in its body or headers; where the URL names a hidden document (or
passage, or another's job), the response must be the one a nonexistent id gets (no 403-vs-404
difference). Routes that list or count (search, answer, facets, documents, health) must show
exactly the visible documents. Runs on the stand-in embedder: access is logic, not ranking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from kb.core.access import OPERATOR
from tests.access_corpus import DOCS, IDENTITIES, OTHER, OWN, PASSWORD, QUERY, THIRD, Identity, build, credentials
from tests.conftest import make_app, make_config
from tests.test_web_ui import csrf_token

MISSING = 999_999
_SKIPPED_ENDPOINTS = {"static"}
_LIMITS = {"login_rate_limit": "10000 per minute", "api_rate_limit": "10000 per minute"}


@dataclass
class World:
    app: object
    ids: dict[str, int]  # document id by DOCS key
    passages: dict[str, int]  # a passage id by DOCS key
    keys: dict[str, str]
    job_id: int  # a job of "write-key-eigener-kreis"


@pytest.fixture(scope="module")
def world(tmp_path_factory, fake_embedder) -> World:
    data = tmp_path_factory.mktemp("access") / "data"
    config = make_config(data, ocr=False, key_rate_limit="10000 per minute", public_read=True, **_LIMITS)
    ids = build(data, fake_embedder, config)
    keys = credentials(config)
    app = make_app(config, fake_embedder)
    server = app.extensions["kreiswissen"]
    passages = {key: server.kb.catalogue.passage_ids(document_id)[0] for key, document_id in ids.items()}
    client = app.test_client()
    owner = {"Authorization": f"Bearer {keys['write-key-eigener-kreis']}"}
    edited = client.patch(f"/api/v1/documents/{ids['K']}", headers=owner, json={"year": 2024})
    assert edited.status_code == 200, edited.get_json()
    [job] = server.writer.recent(OPERATOR, count=1)
    return World(app, ids, passages, keys, job.id)


def signed_in_client(world: World, identity: Identity):
    client = world.app.test_client()
    if identity.account:
        page = client.get("/verwaltung/anmelden").data
        response = client.post(
            "/verwaltung/anmelden",
            data={"name": identity.name, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        assert response.status_code == 302, identity.name
    return client


def _routes(app) -> list:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in _SKIPPED_ENDPOINTS]
    return sorted(rules, key=lambda r: (r.endpoint == "staff.logout", r.rule))  # sign out last


def _targets(rule, world: World) -> list[tuple[str | None, dict]]:
    """(document key or None, URL values) for every document the rule can name, else once."""
    if "document_id" in rule.arguments:
        return [(key, {"document_id": world.ids[key]}) for key in world.ids]
    if "passage_id" in rule.arguments:
        return [(key, {"passage_id": world.passages[key]}) for key in world.passages]
    if "job_id" in rule.arguments:
        return [("job", {"job_id": world.job_id})]
    return [(None, {})]


def _url(rule, values: dict) -> str:
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(\w+:)?{name}>", str(value), path)
    return path


def _call(client, method: str, url: str, headers: dict, token: str):
    if method == "GET":
        return client.get(url, query_string={"q": QUERY}, headers=headers)
    if method == "PATCH":
        return client.patch(url, headers=headers, json={"year": 2020})
    if method == "DELETE":
        return client.delete(url, headers=headers)
    return client.open(url, method=method, headers=headers, data={"csrf_token": token, "name": "x", "password": "y"})


def _hidden_markers(identity: Identity) -> list[str]:
    return [m for doc in DOCS if doc.key not in identity.sees for m in doc.markers]


def _body(response) -> str:
    """The body without its CSRF tokens, which are signed with the time of each page."""
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', response.get_data(as_text=True))


def _as_if(response, number: int) -> tuple:
    """The response to a nonexistent id, with the asked id put in where it names the missing one."""
    body = _body(response).replace(str(MISSING), str(number))
    location = response.headers.get("Location", "").replace(str(MISSING), str(number))
    return response.status_code, response.content_type, location, body


def _seen(response) -> tuple:
    body = _body(response)
    return response.status_code, response.content_type, response.headers.get("Location", ""), body


def _must_look_missing(target: str | None, identity: Identity) -> bool:
    if target == "job":  # made by the county's write key; only it and administrators follow it
        return identity.name not in ("write-key-eigener-kreis", "verwaltung")
    return target is not None and target not in identity.sees


def _applies(rule, identity: Identity) -> bool:
    return identity.on_api if rule.rule.startswith("/api/") else identity.on_pages


def _mutates_allowed(method: str, target: str | None, identity: Identity) -> bool:
    """A change this identity may make: left to the write tests, so the matrix keeps its corpus."""
    return method != "GET" and target in identity.changes


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.name)
def test_no_route_reveals_a_hidden_document(world, identity):
    client = signed_in_client(world, identity)
    headers = {"Authorization": f"Bearer {world.keys[identity.name]}"} if identity.key else {}
    token_page = client.get("/hilfe" if identity.account else "/verwaltung/anmelden").data
    token = csrf_token(token_page) if b"csrf_token" in token_page else ""
    hidden = _hidden_markers(identity)
    calls = 0
    for rule in _routes(world.app):
        if not _applies(rule, identity):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for target, values in _targets(rule, world):
                if _mutates_allowed(method, target, identity):
                    continue
                url = _url(rule, values)
                response = _call(client, method, url, headers, token)
                calls += 1
                seen = response.get_data(as_text=True) + str(response.headers)
                leaked = [m for m in hidden if m in seen]
                assert not leaked, (method, url, identity.name, leaked)
                if _must_look_missing(target, identity):
                    [number] = values.values()
                    nothing = _call(client, method, _url(rule, {k: MISSING for k in values}), headers, token)
                    assert _seen(response) == _as_if(nothing, number), (method, url, identity.name)
    assert calls > 20


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.name)
def test_lists_and_counts_show_exactly_the_visible_documents(world, identity):
    client = signed_in_client(world, identity)
    headers = {"Authorization": f"Bearer {world.keys[identity.name]}"} if identity.key else {}
    visible = [doc for doc in DOCS if doc.key in identity.sees]
    pages = ("/?q=" + QUERY, "/dokumente") if identity.on_pages else ()
    api = ("/api/v1/search?q=" + QUERY, "/api/v1/documents") if identity.on_api else ()
    for url in (*pages, *api):
        text = client.get(url, headers=headers).get_data(as_text=True)
        assert all(doc.markers[0] in text for doc in visible), (url, identity.name)
    if identity.on_api:
        health = client.get("/api/v1/health", headers=headers).get_json()
        assert health["documents"] == len(visible)
        facets = dict(
            (f["value"], f["count"]) for f in client.get("/api/v1/facets", headers=headers).get_json()["county"]
        )
        assert facets.get(OWN, 0) == len(identity.sees & set("PNK"))
        assert (THIRD in facets) == ("T" in identity.sees)
        assert client.get("/api/v1/documents", headers=headers).get_json()["total"] == len(visible)


def test_the_matrix_covers_every_route_identity_and_document(world):
    rules = _routes(world.app)
    assert {r.endpoint for r in rules} >= {"api.search", "api.job", "ui.original", "staff.edit", "staff.login"}
    assert len(IDENTITIES) == 14 and len(DOCS) == 4 and OTHER != OWN
