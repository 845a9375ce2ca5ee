"""Near-duplicates in the API, the search page and the document page, for viewers of every kind.

The corpus (tests/test_kb_duplicates.py): one chapter in Talheim's concept (öffentlich), in
Moorbach's (Kreis-intern: only Moorbach's members see it) and in a re-upload of Talheim's concept
(Netzwerk). A viewer gets the chapter once, from a document it may see, and „fast gleich auch
in“ names only the copies it may see: Moorbach's never reaches anyone outside Moorbach, not even
as a count.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.core.config import Config
from kb.service import KnowledgeBase
from kb.service.accounts import Accounts
from tests.conftest import make_app, make_config
from tests.test_kb_duplicates import BIRKENAU, MOORBACH, QUERY, TALHEIM, ingest, write_corpus
from tests.test_web_ui import PASSWORD, csrf_token

LEVELS = {"moorbach": "county", "talheim": "public", "copy": "network", "birkenau": "public"}
QUESTION = "Wer koordiniert die Bestandsanalyse der Wärmeplanung für die Gemeinden?"


def build(tmp_path: Path, embedder) -> tuple[Config, dict[str, int], dict[str, str]]:
    """The corpus (Moorbach's concept ingested first, so on equal scores its copy ranks first),
    a Moorbach member and a Birkenau member, and read keys by the level they see."""
    config = make_config(tmp_path / "data")
    corpus = write_corpus(tmp_path / "docs")
    kb = KnowledgeBase(config, embedder=embedder)
    ids = ingest(kb, {name: corpus[name] for name in ("moorbach", "talheim", "copy", "birkenau")}, LEVELS)
    kb.close()
    accounts = Accounts(config.catalogue_path)
    accounts.add_user("moorbacherin", PASSWORD, county=MOORBACH, role_name="leser")
    accounts.add_user("birkenauer", PASSWORD, county=BIRKENAU, role_name="leser")
    keys = {
        "public": accounts.create_key("read", "Portal"),
        "network": accounts.create_key("read", "Netz", highest="network"),
        "moorbach": accounts.create_key("read", "Moorbach", county=MOORBACH, highest="county"),
    }
    accounts.close()
    return config, ids, keys


@pytest.fixture
def site(tmp_path: Path, fake_embedder):
    config, ids, keys = build(tmp_path, fake_embedder)
    return make_app(config, fake_embedder), ids, keys


def sign_in(client, name: str) -> None:
    page = client.get("/verwaltung/anmelden").data
    response = client.post(
        "/verwaltung/anmelden", data={"name": name, "password": PASSWORD, "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302


def chapter_hits(hits: list[dict]) -> list[dict]:
    return [h for h in hits if "Bestandsanalyse" in h["text"]]


def chapter_snippets(page: str) -> int:
    return sum("Bestandsanalyse" in snippet for snippet in re.findall(r'<p class="snippet">(.*?)</p>', page, re.S))


def api_search(client, key: str | None, query: str = QUERY) -> tuple[dict, str]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = client.get("/api/v1/search", query_string={"q": query, "limit": 20}, headers=headers)
    assert response.status_code == 200, response.text
    return response.get_json(), response.get_data(as_text=True)


def test_the_api_shows_each_viewer_one_visible_hit_and_only_visible_copies(site):
    app, ids, keys = site
    client = app.test_client()
    moorbach_words = ("Moorbach", "moorbach.pdf")

    data, body = api_search(client, None)  # anonymous: the public concept only
    [hit] = chapter_hits(data["hits"])
    assert hit["document_id"] == ids["talheim"] and hit["near_duplicates"] == []
    assert not any(word in body for word in (*moorbach_words, "konzept-endfassung"))

    data, body = api_search(client, keys["network"])  # the network's copy, never Moorbach's
    [hit] = chapter_hits(data["hits"])
    assert {hit["document_id"], *(c["document_id"] for c in hit["near_duplicates"])} == {ids["talheim"], ids["copy"]}
    assert len(hit["near_duplicates"]) == 1 and not any(word in body for word in moorbach_words)

    data, _ = api_search(client, keys["moorbach"])  # Moorbach sees its own first, and both copies
    [hit] = chapter_hits(data["hits"])
    assert hit["document_id"] == ids["moorbach"]
    copies = hit["near_duplicates"]
    assert [(c["document_id"], c["county"], c["page"]) for c in copies] == [
        (ids["talheim"], TALHEIM, 12),
        (ids["copy"], TALHEIM, 12),
    ]
    assert [c["label"] for c in copies] == [  # two copies in one county: the file names tell them apart
        "Landkreis Talheim · talheim.pdf (S. 12)",
        "Landkreis Talheim · konzept-endfassung.pdf (S. 12)",
    ]


def test_the_answer_endpoint_quotes_from_one_copy_and_hides_what_the_viewer_may_not_see(site):
    app, ids, keys = site
    client = app.test_client()
    response = client.get("/api/v1/answer", query_string={"q": QUESTION})
    body = response.get_data(as_text=True)
    passages = [p for d in response.get_json()["documents"] for p in d["passages"]]
    assert len(chapter_hits(passages)) == 1 and "Moorbach" not in body
    response = client.get(
        "/api/v1/answer", query_string={"q": QUESTION}, headers={"Authorization": f"Bearer {keys['moorbach']}"}
    )
    passages = [p for d in response.get_json()["documents"] for p in d["passages"]]
    [hit] = chapter_hits(passages)
    assert len(hit["near_duplicates"]) == 2


def test_the_search_page_collapses_copies_into_one_hit_with_links_to_the_others(site):
    app, ids, _ = site
    client = app.test_client()
    page = client.get("/", query_string={"q": QUERY}).get_data(as_text=True)
    assert chapter_snippets(page) == 1 and "fast gleich auch in" not in page  # anonymous: no copy visible
    sign_in(client, "moorbacherin")
    page = client.get("/", query_string={"q": QUERY}).get_data(as_text=True)
    assert chapter_snippets(page) == 1
    line = re.search(r'<p class="near-duplicates">(.*?)</p>', page).group(1)
    assert re.sub(r"<[^>]+>", "", line) == (
        "fast gleich auch in: Landkreis Talheim · talheim.pdf (S. 12), "
        "Landkreis Talheim · konzept-endfassung.pdf (S. 12)"
    )
    assert f'href="/dokumente/{ids["talheim"]}#passage-' in line


def test_the_document_page_marks_passages_with_copies_the_viewer_may_see(site):
    app, ids, _ = site
    client = app.test_client()
    page = client.get(f"/dokumente/{ids['talheim']}").get_data(as_text=True)
    assert "fast gleich auch in" not in page and "Moorbach" not in page  # anonymous sees no copy
    sign_in(client, "birkenauer")
    page = client.get(f"/dokumente/{ids['talheim']}").get_data(as_text=True)
    marked = re.findall(r'<p class="near-duplicates">(.*?)</p>', page)
    assert marked and all("konzept-endfassung.pdf" in line and "Moorbach" not in line for line in marked)
    assert "Moorbach" not in page
    client = app.test_client()
    sign_in(client, "moorbacherin")
    page = client.get(f"/dokumente/{ids['talheim']}").get_data(as_text=True)
    assert "Landkreis Moorbach (S. 40)" in page
    first = re.search(r'<li id="passage-(\d+)">\s*<p class="cite">[^\n]*Kommunale Wärmeplanung', page).group(1)
    page = client.get(f"/passage/{first}").get_data(as_text=True)  # similar passages: the copies named, not listed
    source, similar = page.split('id="similar-heading"')
    assert "Landkreis Moorbach (S. 40)" in source and "Bestandsanalyse" not in similar


def test_the_api_marks_a_documents_passages_and_a_passage_with_the_copies_the_caller_may_see(site):
    app, ids, keys = site
    client = app.test_client()

    def copies(key: str | None) -> tuple[set[str], set[str], str]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = client.get(f"/api/v1/documents/{ids['talheim']}?passages=1", headers=headers)
        chapter = chapter_hits(response.get_json()["passage_list"])
        labels = {c["label"] for p in chapter for c in p["near_duplicates"]}
        single = client.get(f"/api/v1/passages/{chapter[0]['id']}", headers=headers).get_json()
        return labels, {c["label"] for c in single["near_duplicates"]}, response.get_data(as_text=True)

    labels, single, body = copies(None)
    assert labels == single == set() and "Moorbach" not in body
    labels, single, body = copies(keys["network"])
    assert labels == {"Landkreis Talheim · konzept-endfassung.pdf (S. 12)"} and "Moorbach" not in body
    assert single <= labels and single
    labels, _, _ = copies(keys["moorbach"])
    assert "Landkreis Moorbach (S. 40)" in labels


def test_kb_show_names_where_else_a_passage_stands(tmp_path: Path, fake_embedder):
    from click.testing import CliRunner

    from kb.cli import cli

    config, ids, _ = build(tmp_path, fake_embedder)
    shown = CliRunner().invoke(cli, ["--data-dir", str(config.data_dir), "show", str(ids["talheim"]), "--passages"])
    assert shown.exit_code == 0, shown.output
    assert "fast gleich auch in: Landkreis Moorbach (S. 40)" in shown.output  # the operator sees every copy


def test_with_the_real_model_the_chapter_is_one_hit_and_the_same_topic_in_other_words_stays(tmp_path, embedder):
    config, ids, keys = build(tmp_path, embedder)
    client = make_app(config, embedder).test_client()
    for mode in ("hybrid", "dense", "keyword"):
        response = client.get(
            "/api/v1/search",
            query_string={"q": QUESTION, "mode": mode},
            headers={"Authorization": f"Bearer {keys['moorbach']}"},
        )
        hits = response.get_json()["hits"]
        chapter = chapter_hits(hits)
        assert len(chapter) == 1, (mode, [h["file_name"] for h in hits])
        assert len(chapter[0]["near_duplicates"]) == 2
        assert ids["birkenau"] in [h["document_id"] for h in hits], mode  # distinct, though on the same topic
        assert len({h["passage_id"] for h in hits}) == len(hits)
