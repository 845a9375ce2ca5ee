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
def client(web_config: Config, embedder):
    return make_app(web_config, embedder, public_read=False).test_client()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def wait_for(client, job_url: str, headers: dict) -> dict:
    for _ in range(600):
        job = client.get(job_url, headers=headers).get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_url} did not finish")


def test_health_needs_no_key_and_counts_the_corpus(client):
    data = client.get("/api/v1/health").get_json()
    assert data["status"] == "ok" and data["documents"] == 14 and data["passages"] > 40


def test_search_returns_cited_hits_with_both_ranks(client, keys):
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


def test_answer_similar_facets_documents_and_passages(client, keys):
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


def test_upload_is_found_then_edited_then_deleted(client, keys):
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
            "visibility": "öffentlich",  # the portal's read key sees public documents only
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


def test_replacing_a_file_keeps_the_document_and_its_metadata(client, keys):
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


def test_kb_serve_keeps_answering_while_other_processes_reindex_and_ingest(web_config: Config, tmp_path):
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
            except Exception as error:  # collected for the assertion below
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
            subprocess.run([*kb, "ingest", str(new), "--visibility", "public"], check=True, capture_output=True)
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
