"""A real browser (Debian's chromium, driven by Playwright) against `kb serve`'s WSGI stack.

Search, filter, open a citation, sign in, upload and find the upload; axe-core checks the search,
results and upload pages. Screenshots go to ``test-artifacts/`` (or $KB_TEST_ARTIFACTS).
"""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """``app`` under waitress, as `kb serve` runs it, on a free port; yields its address."""
    from waitress.server import create_server

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
def server(web_config: Config, embedder) -> Iterator[str]:
    accounts = Accounts(web_config.catalogue_path)
    accounts.add_user("klimaschutz", PASSWORD, role_name="verwaltung")
    accounts.close()
    app = make_app(web_config, embedder)
    app.config["TESTING"] = False  # CSRF on, as in production
    with serving(app) as address:
        yield address


@pytest.fixture
def page(server: str):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(base_url=server, locale="de-DE", bypass_csp=True, accept_downloads=True)
        yield context.new_page()
        browser.close()


QUESTION_URL = "/?q=Wie+binden+wir+die+kreisangehörigen+Gemeinden+ein%3F"


def sign_in(page, start: str) -> None:
    """Sign in as the administrator through the form, starting at ``start``."""
    page.goto(start)
    page.get_by_label("Benutzername").fill("klimaschutz")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def unfold_weaker_hits(page) -> None:
    """Open „Weniger passend“ (hits below the relevance floor), as a reader who wants them all would."""
    for summary in page.locator("details.weaker > summary").all():
        summary.click()


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
    unfold_weaker_hits(page)
    cites = page.locator("ol.hits .cite a").all_inner_texts()
    assert cites and all(c.startswith("Landkreis Talheim-Ost") for c in cites)
    page.screenshot(path=ARTIFACTS / "3-filtered.png", full_page=True)

    page.get_by_label("Landkreis Talheim-Ost").uncheck()
    page.get_by_label("Landkreis Hohenwalde").check()
    page.get_by_role("button", name="Filter anwenden").click()
    page.wait_for_load_state()
    unfold_weaker_hits(page)
    citation = page.locator("ol.hits .cite a[href*='#page=']").first
    href = citation.get_attribute("href")
    assert "/original#page=" in href
    citation.click()
    page.wait_for_url(re.compile(r"/dokumente/\d+/original#page=\d+$"))  # chromium's PDF viewer at that page
    assert page.request.get(href.split("#")[0]).headers["content-type"] == "application/pdf"


def test_staff_signs_in_uploads_and_finds_the_document(page, tmp_path: Path):
    sign_in(page, "/verwaltung/")
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


def test_a_member_collects_passages_and_downloads_the_briefing(page, tmp_path: Path):
    from docx import Document

    sign_in(page, "/verwaltung/anmelden")
    page.goto(QUESTION_URL)
    hits = page.locator("ol.hits > li")
    titles = [hits.nth(i).locator("h3").inner_text() for i in range(2)]
    for i in range(2):
        hits.nth(i).get_by_role("button", name=re.compile("^Auf die Merkliste")).click()
        assert "Auf der Merkliste" in page.locator("ol.hits > li").nth(i).inner_text()
    page.get_by_role("link", name="Merkliste (2)").click()
    page.wait_for_selector("form.export")
    assert serious_violations(page, "merkliste") == []
    page.screenshot(path=ARTIFACTS / "8-merkliste.png", full_page=True)
    page.get_by_label("Titel der Word-Datei").fill("Vorlage Ausschuss für Umwelt und Klima")
    with page.expect_download() as download:
        page.get_by_role("button", name="Als Word-Datei exportieren").click()
    saved = tmp_path / "merkliste.docx"
    download.value.save_as(saved)
    texts = [p.text for p in Document(str(saved)).paragraphs]
    assert texts[0] == "Vorlage Ausschuss für Umwelt und Klima"
    assert [t.split(". ", 1)[1] for t in texts if re.match(r"\d\. ", t)] == titles
    assert sum(t.startswith("Quelle: ") for t in texts) == 2


def test_a_hit_opens_the_pdf_at_its_pages_with_the_passage_highlighted(fake_web_config, fake_embedder, tmp_path):
    """„Im Dokument zeigen“ from a hit whose passage runs over a page break: pdf.js (vendored, under
    the app's Content-Security-Policy) renders both pages with the rectangles on each."""
    from playwright.sync_api import expect, sync_playwright

    from kb.core.documents import Metadata
    from kb.service import KnowledgeBase
    from tests.pdfgen import make_page_break_pdf

    kb = KnowledgeBase(fake_web_config, embedder=fake_embedder)
    pdf = make_page_break_pdf(tmp_path / "umsetzungskonzept-hohenwalde.pdf")
    assert not kb.ingest([pdf], metadata=Metadata(visibility="public", county="Landkreis Hohenwalde")).failed
    kb.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serving(make_app(fake_web_config, fake_embedder)) as address, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(base_url=address, locale="de-DE")  # the app's CSP applies
        page.goto("/?q=Abschnitt+Dachpacht+Pendlerrouten+Umsetzung&mode=keyword")
        unfold_weaker_hits(page)  # the stand-in embedder's scores fall below the relevance floor
        crossing = page.locator("ol.hits > li").filter(has=page.locator(".cite", has_text=re.compile(r"S\. \d+–\d+")))
        first_page, last_page = map(int, re.search(r"S\. (\d+)–(\d+)", crossing.first.inner_text()).groups())
        crossing.first.get_by_role("link", name=re.compile("^Im Dokument zeigen")).click()
        page.wait_for_selector(f'.pdf-page[data-page="{last_page}"][data-rendered="true"]')
        for number in (first_page, last_page):
            assert page.locator(f'.pdf-page[data-page="{number}"] .mark-box').count() >= 1, number
        marks = page.locator(".mark-box")
        assert marks.count() == page.locator(".pdf-page .mark-box").count()
        expect(page.locator(".viewer-status")).to_contain_text("auf beiden Seiten gelb markiert")
        canvas = page.locator(f'.pdf-page[data-page="{first_page}"] canvas')
        assert canvas.evaluate("c => c.width") > 500  # drawn by pdf.js, not an empty placeholder
        assert serious_violations(page, "viewer") == []
        page.screenshot(path=ARTIFACTS / "9-viewer.png", full_page=True)

        page.get_by_role("button", name="Nächste Seite").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(f'.pdf-page[data-page="{last_page + 1}"][data-rendered="true"]')
        assert page.locator(".mark-box").count() == 0
        expect(page.locator("#page-number")).to_have_value(str(last_page + 1))
        page.keyboard.press("p")  # back to the passage from the keyboard
        page.wait_for_selector(f'.pdf-page[data-page="{first_page}"] .mark-box')
        page.screenshot(path=ARTIFACTS / "9-viewer-keyboard.png")

        page.get_by_role("link", name="Als Text anzeigen").click()
        page.wait_for_selector("mark#stelle")
        assert page.evaluate("document.activeElement.id") == "stelle"
        assert serious_violations(page, "viewer-text") == []
        page.screenshot(path=ARTIFACTS / "10-text-view.png", full_page=True)
        browser.close()


def test_the_network_pages_are_accessible(page, server: str, web_config: Config):
    """Every page of the network features, signed in as an administrator: axe finds nothing
    serious or critical; a screenshot of each."""
    from kb.service.gaps import UNANSWERED, GapLog
    from kb.service.network import Network

    network = Network(web_config.catalogue_path)
    network.set_role("Landkreis Hohenwalde", "Vorreiterkreis")
    network.add_contact(
        "Landkreis Hohenwalde",
        "kreisangehörige Gemeinden",
        "Erika Muster",
        "Klimaschutzmanagerin",
        "erika.muster@hohenwalde.example",
    )
    network.close()
    gaps = GapLog(web_config.catalogue_path, retention_days=365)
    for question in ("Förderung von Lastenrädern", "Zuschuss für Lastenrad", "Hitzeschutz in Kitas"):
        gaps.record(UNANSWERED, question, "")
    gaps.close()
    sign_in(page, "/verwaltung/anmelden")
    page.goto(QUESTION_URL)
    page.get_by_role("button", name="Suche speichern").click()
    pages = {
        "erfahrung": "/erfahrung" + QUESTION_URL[1:],
        "landkreis": "/landkreise/Landkreis Hohenwalde",
        "konto": "/konto",
        "neu-fuer-mich": "/",
        "luecken": "/verwaltung/luecken",
        "kontakte": "/verwaltung/kontakte",
        "netzwerk": "/verwaltung/netzwerk",
    }
    found = {}
    for name, url in pages.items():
        page.goto(url)
        found[name] = serious_violations(page, name)
        page.screenshot(path=ARTIFACTS / f"network-{name}.png", full_page=True)
    assert found == {name: [] for name in pages}
    page.goto(pages["erfahrung"])
    assert "Erika Muster" in page.locator("ol.experience").inner_text()


@pytest.fixture
def copied_config(web_config: Config, embedder, tmp_path: Path) -> Config:
    """The samples plus the Moorschutz note copied into another county's document with its own header."""
    from kb.core.documents import Metadata
    from kb.service import KnowledgeBase

    original = (ROOT / "samples" / "notiz-moorschutz-birkenau-sued.md").read_text("utf-8")
    copy = tmp_path / "moorschutz-uebernommen.md"
    copy.write_text("# Übernommen aus dem Nachbarkreis\n\n" + original.split("\n", 1)[1], "utf-8")
    kb = KnowledgeBase(web_config, embedder=embedder)
    assert not kb.ingest([copy], metadata=Metadata(county="Landkreis Moorbach", visibility="public")).failed
    kb.close()
    return web_config


def test_answers_say_nothing_below_the_floor_and_copies_are_shown_once(page, copied_config: Config):
    """Screenshots for issue 16: a question the documents do not answer, one they answer, and a hit
    whose near-duplicate in another county is named instead of listed again."""
    page.goto("/?q=Wie+funktioniert+ein+Quantencomputer%3F")
    assert "Dazu steht nichts in den Dokumenten" in page.locator("main").inner_text()
    assert serious_violations(page, "unbeantwortet") == []
    page.screenshot(path=ARTIFACTS / "16-unbeantwortet.png", full_page=True)
    page.goto("/?q=Wie+viel+Geld+hat+der+Klimaschutzfonds+in+Hohenwalde%3F")
    assert "250.000 Euro" in page.locator("section.answer").inner_text()
    page.screenshot(path=ARTIFACTS / "16-beantwortet.png", full_page=True)
    page.goto("/?q=Moorschutz+Wiedervernässung")
    copies = page.locator("p.near-duplicates").first
    assert "fast gleich auch in" in copies.inner_text()
    assert serious_violations(page, "fast-gleich") == []
    page.screenshot(path=ARTIFACTS / "16-fast-gleich.png", full_page=True)
