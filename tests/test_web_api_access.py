"""API access, errors and limits through Flask's test client: logic that does not judge ranking.

These tests run against the text samples indexed with the deterministic stand-in embedder (the
fast lane); what the model finds is tested in test_web_api.py with the real model.
"""

from __future__ import annotations

import io

import pytest

from kb.service.accounts import Accounts
from tests.conftest import make_app, make_config
from tests.stand_in import embedder, web_config  # noqa: F401
from tests.test_web_api import bearer, client, keys, wait_for  # noqa: F401 - fixtures, here over the stand-in


def test_reads_need_a_valid_key_unless_opened_to_anonymous_use(client, keys, web_config, embedder):
    missing = client.get("/api/v1/search?q=Wärmeplanung")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/search?q=Wärmeplanung", headers=bearer("kw_abc_forged")).status_code == 401
    assert client.get("/api/v1/search?q=Wärmeplanung", headers={"Authorization": "Basic eDp5"}).status_code == 401
    assert client.get("/api/v1/search?q=Wärmeplanung", headers=bearer(keys["read"])).status_code == 200
    public = make_app(web_config, embedder, public_read=True).test_client()
    assert public.get("/api/v1/search?q=Wärmeplanung").status_code == 200
    assert public.delete("/api/v1/documents/1").status_code == 401  # writes never anonymous


def test_a_revoked_key_is_refused(client, keys, web_config):
    accounts = Accounts(web_config.catalogue_path)
    accounts.revoke_key(keys["read"].split("_")[1])
    accounts.close()
    assert client.get("/api/v1/facets", headers=bearer(keys["read"])).status_code == 401


@pytest.mark.parametrize(
    ("url", "status", "fragment"),
    [
        ("/api/v1/search?q=", 400, "leer"),
        ("/api/v1/search?q=Wärme&mode=magisch", 400, "magisch"),
        ("/api/v1/search?q=Wärme&limit=viele", 400, "limit"),
        ("/api/v1/search?q=Wärme&limit=1000", 400, "limit"),
        ("/api/v1/search?q=Wärme&county=Landkreis Nirgendwo", 400, "Nirgendwo"),
        ("/api/v1/search?q=Wärme&topic=Raumfahrt", 400, "Raumfahrt"),
        ("/api/v1/search?q=Wärme&document=erstes", 400, "document"),
        ("/api/v1/passages/999999", 404, "999999"),
        ("/api/v1/passages/999999/similar", 404, "999999"),
        ("/api/v1/documents/999999", 404, "999999"),
        ("/api/v1/documents?status=weg", 400, "weg"),
        ("/api/v1/gibtsnicht", 404, ""),
    ],
)
def test_bad_parameters_get_a_json_error_with_the_right_status(client, keys, url, status, fragment):
    response = client.get(url, headers=bearer(keys["read"]))
    error = response.get_json()["error"]
    assert response.status_code == status and fragment in error["message"] and error["code"]


def test_a_wrong_method_gets_405_as_json(client, keys):
    response = client.post("/api/v1/search?q=Wärme", headers=bearer(keys["write"]))
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_writes_refuse_missing_and_read_only_keys(client, keys):
    calls = [
        lambda h: client.post("/api/v1/documents", headers=h, data={"file": (io.BytesIO(b"x"), "a.md")}),
        lambda h: client.patch("/api/v1/documents/1", headers=h, json={"year": 2020}),
        lambda h: client.delete("/api/v1/documents/1", headers=h),
        lambda h: client.put("/api/v1/documents/1/file", headers=h, data={"file": (io.BytesIO(b"x"), "a.md")}),
    ]
    for call in calls:
        assert call({}).status_code == 401
        forbidden = call(bearer(keys["read"]))
        assert forbidden.status_code == 403 and forbidden.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/documents/1", headers=bearer(keys["read"])).status_code == 200  # nothing changed


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("programm.exe", b"MZ\x90\x00", 415),
        ("../../etc/passwd", b"root:x:0:0", 415),
        ("bericht.pdf", b"Nur Text, kein PDF.", 415),
        ("leer.md", b"", 422),
    ],
)
def test_uploads_of_the_wrong_type_or_empty_are_refused(client, keys, web_config, name, content, status):
    response = client.post(
        "/api/v1/documents", headers=bearer(keys["write"]), data={"file": (io.BytesIO(content), name)}
    )
    assert response.status_code == status, response.get_json()
    assert not list(web_config.uploads_dir.glob("*/*")) if web_config.uploads_dir.exists() else True


def test_an_upload_over_the_limit_gets_413(web_config, embedder, keys):
    client = make_app(web_config, embedder, max_upload_mb=1).test_client()
    big = ("# Groß\n\n" + "Klimaschutz im Landkreis. " * 60_000).encode()
    response = client.post("/api/v1/documents", headers=bearer(keys["write"]), data={"file": (io.BytesIO(big), "a.md")})
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    huge = b"x" * 3_000_000  # beyond one file plus form overhead: refused by its Content-Length
    refused = client.post("/api/v1/documents", headers=bearer(keys["write"]), data={"file": (io.BytesIO(huge), "b.md")})
    assert refused.status_code == 413 and refused.get_json()["error"]["code"] == "request_entity_too_large"


def test_the_api_rate_limit_answers_429_as_json(web_config, embedder):
    client = make_app(web_config, embedder, api_rate_limit="3 per minute").test_client()
    statuses = [client.get("/api/v1/health").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/health").get_json()["error"]["code"] == "too_many_requests"


def test_every_process_of_a_deployment_counts_against_one_limit(database_url, tmp_path, fake_embedder):
    """`kb serve --processes 2`, or two nodes: each app is a process with its own connection to
    the counters; an address's limit holds across them (before, each counted for itself, in memory,
    and granted the limit again), on both engines."""
    config = make_config(tmp_path / "data", database_url=database_url, api_rate_limit="3 per minute")
    one, other = (make_app(config, fake_embedder).test_client() for _ in range(2))
    statuses = [client.get("/api/v1/health").status_code for client in (one, other, one, other)]
    assert statuses == [200, 200, 200, 429]
    assert other.get("/api/v1/health").headers["X-RateLimit-Remaining"] == "0"


def test_behind_a_trusted_proxy_each_client_has_its_own_limit_and_nobody_forges_one(tmp_path, fake_embedder):
    """Behind nginx every request comes from the proxy's address: without KB_TRUSTED_PROXIES all
    anonymous readers would share one limit. With it, the limit follows X-Forwarded-For; without
    it, the header is ignored, so a client cannot escape its limit by inventing addresses."""
    config = make_config(tmp_path / "data", api_rate_limit="2 per minute")
    behind_proxy = make_app(config, fake_embedder, trusted_proxies=1).test_client()

    def forwarded_for(client, address: str) -> int:
        return client.get("/api/v1/health", headers={"X-Forwarded-For": address}).status_code

    assert [forwarded_for(behind_proxy, "203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert forwarded_for(behind_proxy, "198.51.100.4") == 200  # another reader, its own count
    exposed = make_app(make_config(tmp_path / "other"), fake_embedder, api_rate_limit="2 per minute").test_client()
    assert [forwarded_for(exposed, f"192.0.2.{n}") for n in range(3)] == [200, 200, 429]


def test_cors_allows_only_the_portal_origin(web_config, embedder):
    client = make_app(web_config, embedder, cors_origins="https://portal.example.de").test_client()
    allowed = client.get("/api/v1/health", headers={"Origin": "https://portal.example.de"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://portal.example.de"
    other = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_openapi_document_lists_every_api_route(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (method.upper(), "/api/v1" + path.replace("{", "<").replace("}", ">"))
        for path, operations in spec["paths"].items()
        for method in operations
    }
    routes = {
        (method, str(rule).replace("<id:", "<"))
        for rule in client.application.url_map.iter_rules()
        if str(rule).startswith("/api/v1") and str(rule) != "/api/v1/openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes


def test_an_edit_the_writer_has_not_finished_is_reported_as_queued_not_done(client, keys, web_config, monkeypatch):
    import fcntl

    import web.api

    monkeypatch.setattr(web.api, "_WAIT_SECONDS", 0.2)
    write, read = bearer(keys["write"]), bearer(keys["read"])
    with open(web_config.data_dir / "write.lock", "a") as lock:  # another writer (`kb ingest`) holds the lock
        fcntl.flock(lock, fcntl.LOCK_EX)
        edited = client.patch("/api/v1/documents/1", headers=write, json={"year": 2019})
        deleted = client.delete("/api/v1/documents/2", headers=write)
        fcntl.flock(lock, fcntl.LOCK_UN)
    for response, kind in ((edited, "update"), (deleted, "delete")):
        job = response.get_json()
        assert response.status_code == 202 and job["kind"] == kind and job["status"] in ("queued", "running")
        assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert wait_for(client, edited.headers["Location"], write)["status"] == "done"
    assert wait_for(client, deleted.headers["Location"], write)["status"] == "done"
    assert client.get("/api/v1/documents/1", headers=read).get_json()["year"] == 2019
    assert client.get("/api/v1/documents/2", headers=read).status_code == 404
