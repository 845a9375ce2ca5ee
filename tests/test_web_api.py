"""The JSON API /api/v1 through Flask's test client, on the real sample knowledge base."""

from __future__ import annotations

import io
import time

import pytest

from kb.core.config import Config
from kb.service.accounts import Accounts
from tests.conftest import make_app

GOOD_PRACTICE = (
    "# Klimaschutz-Tandems im Landkreis Uckermark\n\n"
    "Je zwei Gemeinden bilden ein Tandem: eine erfahrene Kommune begleitet eine Einsteigerin ein Jahr lang "
    "bei ihrem ersten Klimaschutzprojekt. Die Tandems treffen sich monatlich im Landratsamt.\n"
)


@pytest.fixture
def keys(web_config: Config) -> dict[str, str]:
    accounts = Accounts(web_config.catalogue_path)
    made = {"read": accounts.create_key("read", "Portal lesen"), "write": accounts.create_key("write", "Portal")}
    accounts.close()
    return made


@pytest.fixture
def client(web_config: Config, embedder):  # noqa: ANN001, ANN201
    return make_app(web_config, embedder, public_read=False).test_client()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def wait_for(client, job_url: str, headers: dict) -> dict:  # noqa: ANN001
    for _ in range(600):
        job = client.get(job_url, headers=headers).get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_url} did not finish")


def test_health_needs_no_key_and_counts_the_corpus(client):  # noqa: ANN001
    data = client.get("/api/v1/health").get_json()
    assert data["status"] == "ok" and data["documents"] == 14 and data["passages"] > 40


def test_reads_need_a_valid_key_unless_opened_to_anonymous_use(client, keys, web_config, embedder):  # noqa: ANN001
    missing = client.get("/api/v1/search?q=Wärmeplanung")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/search?q=Wärmeplanung", headers=bearer("kw_abc_forged")).status_code == 401
    assert client.get("/api/v1/search?q=Wärmeplanung", headers={"Authorization": "Basic eDp5"}).status_code == 401
    assert client.get("/api/v1/search?q=Wärmeplanung", headers=bearer(keys["read"])).status_code == 200
    public = make_app(web_config, embedder, public_read=True).test_client()
    assert public.get("/api/v1/search?q=Wärmeplanung").status_code == 200
    assert public.delete("/api/v1/documents/1").status_code == 401  # writes never anonymous


def test_a_revoked_key_is_refused(client, keys, web_config):  # noqa: ANN001
    accounts = Accounts(web_config.catalogue_path)
    accounts.revoke_key(keys["read"].split("_")[1])
    accounts.close()
    assert client.get("/api/v1/facets", headers=bearer(keys["read"])).status_code == 401


def test_search_returns_cited_hits_with_both_ranks(client, keys):  # noqa: ANN001
    response = client.get(
        "/api/v1/search",
        query_string={"q": "Kommunen im Kreisgebiet beteiligen", "limit": 3, "county": "Landkreis Hohenwalde"},
        headers=bearer(keys["read"]),
    )
    data = response.get_json()
    assert response.status_code == 200 and len(data["hits"]) == 3
    assert data["filters"]["county"] == ["Landkreis Hohenwalde"]
    for hit in data["hits"]:
        assert hit["county"] == "Landkreis Hohenwalde" and hit["citation"].startswith("Landkreis Hohenwalde · ")
        assert set(hit["ranks"]) == {"dense", "keyword"}
    second = client.get(
        "/api/v1/search",
        query_string={
            "q": "Kommunen im Kreisgebiet beteiligen",
            "limit": 2,
            "offset": 1,
            "county": "Landkreis Hohenwalde",
        },
        headers=bearer(keys["read"]),
    ).get_json()
    assert [h["passage_id"] for h in second["hits"]] == [h["passage_id"] for h in data["hits"][1:3]]


def test_answer_similar_facets_documents_and_passages(client, keys):  # noqa: ANN001
    read = bearer(keys["read"])
    answer = client.get("/api/v1/answer?q=Wie viel Geld stellt der Klimaschutzfonds jährlich bereit?", headers=read)
    sentences = answer.get_json()["answer"]
    assert answer.status_code == 200 and sentences and "Klimaschutzfonds" in " ".join(s["text"] for s in sentences)
    passage_id = sentences[0]["passage_id"]
    passage = client.get(f"/api/v1/passages/{passage_id}", headers=read).get_json()
    assert passage["document"]["id"] == sentences[0]["document_id"] and passage["citation"]
    similar = client.get(f"/api/v1/passages/{passage_id}/similar?limit=3", headers=read).get_json()
    assert len(similar["hits"]) == 3
    assert all(h["document_id"] != passage["document_id"] for h in similar["hits"])
    facets = client.get("/api/v1/facets", headers=read).get_json()
    assert (
        sum(f["count"] for f in facets["county"]) == 14
        and {"value": "Landkreis Hohenwalde", "count": 3} in facets["county"]
    )
    listed = client.get("/api/v1/documents?limit=5", headers=read).get_json()
    assert listed["total"] == 14 and len(listed["documents"]) == 5
    one = client.get(f"/api/v1/documents/{passage['document_id']}?passages=true", headers=read).get_json()
    assert len(one["passage_list"]) == one["passages"]
    original = client.get(f"/api/v1/documents/{passage['document_id']}/original", headers=read)
    assert original.status_code == 200 and len(original.data) > 100


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
def test_bad_parameters_get_a_json_error_with_the_right_status(client, keys, url, status, fragment):  # noqa: ANN001
    response = client.get(url, headers=bearer(keys["read"]))
    error = response.get_json()["error"]
    assert response.status_code == status and fragment in error["message"] and error["code"]


def test_a_wrong_method_gets_405_as_json(client, keys):  # noqa: ANN001
    response = client.post("/api/v1/search?q=Wärme", headers=bearer(keys["write"]))
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_writes_refuse_missing_and_read_only_keys(client, keys):  # noqa: ANN001
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
def test_uploads_of_the_wrong_type_or_empty_are_refused(client, keys, web_config, name, content, status):  # noqa: ANN001
    response = client.post(
        "/api/v1/documents", headers=bearer(keys["write"]), data={"file": (io.BytesIO(content), name)}
    )
    assert response.status_code == status, response.get_json()
    assert not list(web_config.uploads_dir.glob("*/*")) if web_config.uploads_dir.exists() else True


def test_an_upload_over_the_limit_gets_413(web_config, embedder, keys):  # noqa: ANN001
    client = make_app(web_config, embedder, max_upload_mb=1).test_client()
    big = ("# Groß\n\n" + "Klimaschutz im Landkreis. " * 60_000).encode()
    response = client.post("/api/v1/documents", headers=bearer(keys["write"]), data={"file": (io.BytesIO(big), "a.md")})
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    huge = b"x" * 3_000_000  # beyond one file plus form overhead: refused by its Content-Length
    refused = client.post("/api/v1/documents", headers=bearer(keys["write"]), data={"file": (io.BytesIO(huge), "b.md")})
    assert refused.status_code == 413 and refused.get_json()["error"]["code"] == "request_entity_too_large"


def test_upload_is_found_then_edited_then_deleted(client, keys):  # noqa: ANN001
    write, read = bearer(keys["write"]), bearer(keys["read"])
    bad = client.post(
        "/api/v1/documents", headers=write, data={"file": (io.BytesIO(b"x"), "a.md"), "topics": "Raumfahrt"}
    )
    assert bad.status_code == 422 and "Raumfahrt" in bad.get_json()["error"]["message"]
    response = client.post(
        "/api/v1/documents",
        headers=write,
        data={
            "file": (io.BytesIO(GOOD_PRACTICE.encode()), "tandems-uckermark.md"),
            "county": "Uckermark",
            "doc_type": "Good Practice",
            "year": "2024",
            "topics": "kreisangehörige Gemeinden,Beteiligung und Kommunikation",
        },
    )
    assert response.status_code == 202 and response.headers["Location"].startswith("/api/v1/jobs/")
    job = wait_for(client, response.headers["Location"], write)
    assert job["status"] == "done" and job["files"][0]["outcome"] == "added", job
    assert job["files"][0]["file"] == "tandems-uckermark.md"
    document_id = job["files"][0]["document_id"]

    question = {"q": "Erfahrene Kommune begleitet Einsteiger", "limit": 1}
    top = client.get("/api/v1/search", query_string=question, headers=read).get_json()["hits"][0]
    assert (top["document_id"], top["county"]) == (document_id, "Landkreis Uckermark")

    edited = client.patch(f"/api/v1/documents/{document_id}", headers=write, json={"county": "Landkreis Hohenwalde"})
    assert edited.status_code == 200 and edited.get_json()["county"] == "Landkreis Hohenwalde"
    assert edited.get_json()["doc_type"] == "Good Practice"  # untouched fields stay
    for mode in ("keyword", "dense"):
        hits = client.get(
            "/api/v1/search", query_string=question | {"county": "Landkreis Hohenwalde", "mode": mode}, headers=read
        ).get_json()["hits"]
        assert hits[0]["document_id"] == document_id

    assert client.delete(f"/api/v1/documents/{document_id}", headers=write).status_code == 204
    assert client.get(f"/api/v1/documents/{document_id}", headers=read).status_code == 404
    after = client.get("/api/v1/search", query_string=question | {"limit": 20}, headers=read).get_json()["hits"]
    assert document_id not in {h["document_id"] for h in after}


def test_replacing_a_file_keeps_the_document_and_its_metadata(client, keys):  # noqa: ANN001
    write, read = bearer(keys["write"]), bearer(keys["read"])
    documents = client.get("/api/v1/documents?limit=100", headers=read).get_json()["documents"]
    target = next(d for d in documents if d["format"] == "md")
    new_text = "# Neue Fassung\n\nDie Gemeinden pflanzen Streuobstwiesen als Kohlenstoffspeicher an Ortsrändern.\n"
    response = client.put(
        f"/api/v1/documents/{target['id']}/file",
        headers=write,
        data={"file": (io.BytesIO(new_text.encode()), target["file_name"])},
    )
    job = wait_for(client, response.headers["Location"], write)
    assert job["status"] == "done" and job["files"][0]["outcome"] == "updated", job
    after = client.get(f"/api/v1/documents/{target['id']}?passages=true", headers=read).get_json()
    assert after["county"] == target["county"] and after["content_hash"] != target["content_hash"]
    assert "Streuobstwiesen" in after["passage_list"][0]["text"]


def test_the_api_rate_limit_answers_429_as_json(web_config, embedder):  # noqa: ANN001
    client = make_app(web_config, embedder, api_rate_limit="3 per minute").test_client()
    statuses = [client.get("/api/v1/health").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/health").get_json()["error"]["code"] == "too_many_requests"


def test_cors_allows_only_the_portal_origin(web_config, embedder):  # noqa: ANN001
    client = make_app(web_config, embedder, cors_origins="https://portal.example.de").test_client()
    allowed = client.get("/api/v1/health", headers={"Origin": "https://portal.example.de"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://portal.example.de"
    other = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_openapi_document_lists_every_api_route(client):  # noqa: ANN001
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


def test_kb_serve_keeps_answering_while_other_processes_reindex_and_ingest(web_config: Config, tmp_path):  # noqa: ANN001
    """A running server (real process, waitress) answers every search while `kb reindex` and
    `kb ingest` run as processes of their own, and finds the new document without a restart."""
    import json
    import os
    import socket
    import subprocess
    import sys
    import threading
    import urllib.parse
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kb = [sys.executable, "-m", "kb.main", "--data-dir", str(web_config.data_dir)]
    environment = os.environ | {"KB_API_RATE_LIMIT": "100000 per minute"}
    server = subprocess.Popen(
        [*kb, "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def search(query: str) -> tuple[dict, urllib.response.addinfourl]:
        url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode({"q": query, "limit": 3})
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.load(response), response

    stop, answered, failures = threading.Event(), [], []

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                answered.append(len(search("Wärmeplanung in kleinen Gemeinden")[0]["hits"]))
            except Exception as error:  # noqa: BLE001 - collected for the assertion below
                failures.append(repr(error))

    try:
        for _ in range(300):
            try:
                data, response = search("Wärmeplanung")
                assert response.headers["Server"] == "waitress" and len(data["hits"]) == 3
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        clients = [threading.Thread(target=keep_searching) for _ in range(4)]
        for client in clients:
            client.start()
        new = tmp_path / "neu"
        new.mkdir()
        (new / "baumpatenschaften.md").write_text(
            "# Baumpatenschaften\n\nBürgerinnen gießen im Sommer die jungen Straßenbäume ihrer Gemeinde.\n", "utf-8"
        )
        try:
            subprocess.run([*kb, "reindex"], check=True, capture_output=True)
            subprocess.run([*kb, "ingest", str(new)], check=True, capture_output=True)
        finally:
            stop.set()
            for client in clients:
                client.join()
        assert failures == [] and len(answered) > 20 and set(answered) == {3}
        top = search("Baumpatenschaften für Straßenbäume")[0]["hits"][0]
        assert top["file_name"] == "baumpatenschaften.md"  # the new generation, without a restart
    finally:
        server.terminate()
        server.wait(10)
