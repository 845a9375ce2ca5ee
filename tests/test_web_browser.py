"""A real browser (Debian's chromium, driven by Playwright) against `kb serve`'s WSGI stack.

Search, filter, open a citation, sign in, upload and find the upload; axe-core checks the search,
results and upload pages. Screenshots go to ``test-artifacts/`` (or $KB_TEST_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.core.config import Config
from kb.service.accounts import Accounts
from tests.conftest import ROOT, make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("KB_TEST_ARTIFACTS", ROOT / "test-artifacts"))
PASSWORD = "browser-test-passwort"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)"),
]


@pytest.fixture
def server(web_config: Config, embedder) -> Iterator[str]:
    from waitress.server import create_server

    accounts = Accounts(web_config.catalogue_path)
    accounts.add_user("klimaschutz", PASSWORD, role_name="verwaltung")
    accounts.close()
    app = make_app(web_config, embedder)
    app.config["TESTING"] = False  # CSRF on, as in production
    wsgi = create_server(app, host="127.0.0.1", port=0, threads=4)
    stopping = threading.Event()

    def serve() -> None:
        try:
            wsgi.run()
        except OSError:  # closing the socket from this thread interrupts waitress's select()
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{wsgi.effective_port}"
    stopping.set()
    wsgi.close()
    thread.join(5)


@pytest.fixture
def page(server: str):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(base_url=server, locale="de-DE", bypass_csp=True, accept_downloads=True)
        yield context.new_page()
        browser.close()


def serious_violations(page, name: str) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    violations = results.response["violations"]
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(violations, indent=2, ensure_ascii=False), "utf-8")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_officer_searches_filters_and_opens_a_citation(page):
    page.goto("/")
    assert serious_violations(page, "search") == []
    page.screenshot(path=ARTIFACTS / "1-start.png", full_page=True)

    page.get_by_label("Stichwörter oder Frage").fill("Wie binden wir die kreisangehörigen Gemeinden ein?")
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer-heading")
    assert page.locator(".answer blockquote mark").count() >= 1
    assert page.locator("ol.hits > li").count() == 10
    assert serious_violations(page, "results") == []
    page.screenshot(path=ARTIFACTS / "2-results.png", full_page=True)

    page.get_by_label("Landkreis Talheim-Ost").check()
    page.get_by_role("button", name="Filter anwenden").click()
    page.wait_for_load_state()
    cites = page.locator("ol.hits .cite a").all_inner_texts()
    assert cites and all(c.startswith("Landkreis Talheim-Ost") for c in cites)
    page.screenshot(path=ARTIFACTS / "3-filtered.png", full_page=True)

    page.get_by_label("Landkreis Talheim-Ost").uncheck()
    page.get_by_label("Landkreis Hohenwalde").check()
    page.get_by_role("button", name="Filter anwenden").click()
    page.wait_for_load_state()
    citation = page.locator("ol.hits .cite a[href*='#page=']").first
    href = citation.get_attribute("href")
    assert "/original#page=" in href
    citation.click()
    page.wait_for_url(re.compile(r"/dokumente/\d+/original#page=\d+$"))  # chromium's PDF viewer at that page
    assert page.request.get(href.split("#")[0]).headers["content-type"] == "application/pdf"


def test_staff_signs_in_uploads_and_finds_the_document(page, tmp_path: Path):
    page.goto("/verwaltung/")
    page.get_by_label("Benutzername").fill("klimaschutz")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("#upload-heading")
    assert serious_violations(page, "upload") == []
    page.screenshot(path=ARTIFACTS / "5-staff.png", full_page=True)

    upload = tmp_path / "klimaschutzpaten-moorbach.md"
    upload.write_text(
        "# Klimaschutzpaten in den Ortsteilen\n\nIn jedem Ortsteil übernimmt eine Bürgerin oder ein Bürger die "
        "Patenschaft für das Thema Energiesparen und berichtet zweimal im Jahr im Ortschaftsrat.\n",
        "utf-8",
    )
    page.set_input_files("#files", str(upload))
    page.get_by_label("Landkreis", exact=True).fill("Landkreis Moorbach")
    page.get_by_label("Dokumenttyp").select_option("Good Practice")
    page.get_by_label("Beteiligung und Kommunikation").check()
    page.get_by_role("button", name="Hochladen und aufnehmen").click()
    page.wait_for_selector("[data-job-status=done]", timeout=120_000)
    page.screenshot(path=ARTIFACTS / "6-job.png", full_page=True)
    assert page.locator("tr.added").count() == 1, page.locator("main").inner_text()

    page.goto("/")
    page.get_by_label("Stichwörter oder Frage").fill(
        "Freiwillige Paten berichten dem Ortschaftsrat übers Energiesparen"
    )
    page.keyboard.press("Enter")
    first = page.locator("ol.hits > li").first
    assert "Klimaschutzpaten in den Ortsteilen" in first.inner_text()
    assert "Landkreis Moorbach" in first.locator(".cite").inner_text()
    page.screenshot(path=ARTIFACTS / "7-found.png", full_page=True)
