"""The HTML pages' safety and the staff area's access rules: logic that does not judge ranking.

These tests run against the text samples indexed with the deterministic stand-in embedder (the
fast lane); what the pages find is tested in test_web_ui.py with the real model.
"""

from __future__ import annotations

import re

from tests.stand_in import embedder, web_config  # noqa: F401
from tests.test_web_ui import PASSWORD, app, client, csrf_token, sign_in  # noqa: F401 - fixtures, here over the stand-in


def test_no_results_and_bad_input_get_helpful_pages(client):
    none = client.get("/?q=Wärmeplanung&county=Landkreis Moorbach&year_from=2030").get_data(as_text=True)
    assert "Keine Passage passt" in none and "ohne Filter suchen" in none
    bad = client.get("/?q=Wärme&year_from=zwanzig")
    assert bad.status_code == 400 and "ganze Zahl" in bad.get_data(as_text=True)
    missing = client.get("/dokumente/99999")
    assert missing.status_code == 404 and "Diese Seite gibt es nicht" in missing.get_data(as_text=True)


def test_queries_and_metadata_are_escaped(client, app):
    page = client.get("/?q=<script>alert(1)</script> Wärme").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pages_load_nothing_from_other_hosts(client):
    for url in ("/", "/?q=Wärmeplanung", "/dokumente", "/hilfe", "/verwaltung/anmelden"):
        response = client.get(url)
        assert not re.search(r'(src|href)="(https?:)?//', response.get_data(as_text=True)), url
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_staff_pages_need_sign_in_and_wrong_passwords_are_refused(client):
    assert client.get("/verwaltung/").headers["Location"].startswith("/verwaltung/anmelden")
    page = client.get("/verwaltung/anmelden").data
    wrong = client.post(
        "/verwaltung/anmelden", data={"name": "klimaschutz", "password": "falsch", "csrf_token": csrf_token(page)}
    )
    assert wrong.status_code == 401 and "falsch" in wrong.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/verwaltung/anmelden", data={"name": "klimaschutz", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/verwaltung/").status_code == 302  # still not signed in


def test_sign_in_attempts_are_rate_limited(client):
    page = client.get("/verwaltung/anmelden").data
    data = {"name": "klimaschutz", "password": "falsch", "csrf_token": csrf_token(page)}
    statuses = [client.post("/verwaltung/anmelden", data=data).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert "Zu viele Versuche" in client.post("/verwaltung/anmelden", data=data).get_data(as_text=True)


def test_staff_area_says_when_an_edit_or_deletion_is_still_queued(client, web_config, monkeypatch):
    import fcntl

    import web.staff

    monkeypatch.setattr(web.staff, "_WAIT_SECONDS", 0.2)
    sign_in(client)
    form = client.get("/verwaltung/dokumente/1").data
    with open(web_config.data_dir / "write.lock", "a") as lock:  # another writer holds the lock
        fcntl.flock(lock, fcntl.LOCK_EX)
        edited = client.post(
            "/verwaltung/dokumente/1", data={"title": "Neu", "year": "2019", "csrf_token": csrf_token(form)}
        )
        deleted = client.post("/verwaltung/dokumente/2/loeschen", data={"csrf_token": csrf_token(form)})
        fcntl.flock(lock, fcntl.LOCK_UN)
    for response in (edited, deleted):
        assert response.status_code == 302 and "/verwaltung/auftraege/" in response.headers["Location"]
    page = client.get(deleted.headers["Location"]).get_data(as_text=True)
    assert "noch nicht abgeschlossen" in page
    assert "gespeichert" not in page and "wurde gelöscht" not in page
