"""Each loader on a real file of its format, and the checks every file passes first."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import load
from kb.core.errors import IngestError, UnsupportedFormat

MB = 1_000_000


def headings(document) -> list[tuple[int, str]]:
    return [(b.level, b.text) for b in document.blocks if b.kind == "heading"]


def body(document) -> str:
    return "\n".join(b.text for b in document.blocks if b.kind == "paragraph")


def test_docx_keeps_heading_levels_paragraphs_and_tables(tmp_path: Path):
    import docx

    document = docx.Document()
    document.core_properties.title = "Protokoll Gemeindenetzwerk"
    document.add_heading("Ergebnisprotokoll", level=1)
    document.add_heading("Energiemanagement in Gemeinden", level=2)
    document.add_paragraph("Die Gemeinden übermitteln ihre Verbräuche bis zum 30. Juni.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Gemeinde", "Einsparung"
    table.cell(1, 0).text, table.cell(1, 1).text = "Talheim", "12 %"
    path = tmp_path / "protokoll.docx"
    document.save(path)

    loaded = load(path, max_bytes=MB)

    assert loaded.format == "docx"
    assert loaded.metadata.title == "Protokoll Gemeindenetzwerk"
    assert headings(loaded) == [(1, "Ergebnisprotokoll"), (2, "Energiemanagement in Gemeinden")]
    assert "Die Gemeinden übermitteln ihre Verbräuche bis zum 30. Juni." in body(loaded)
    assert "Gemeinde | Einsparung\nTalheim | 12 %" in body(loaded)


def test_pptx_slide_is_a_page_and_speaker_notes_are_included(tmp_path: Path):
    from pptx import Presentation

    deck = Presentation()
    for title, bullet, notes in [
        ("Wärmeplanung im Kreis", "Alle 24 Gemeinden beteiligt", "Frau Özdemir erläutert den Zeitplan."),
        ("Nächste Schritte", "Förderanträge bis März", ""),
    ]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = bullet
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    path = tmp_path / "folien.pptx"
    deck.save(path)

    loaded = load(path, max_bytes=MB)

    assert loaded.page_count == 2
    assert [(b.page, b.text) for b in loaded.blocks if b.kind == "heading"] == [
        (1, "Wärmeplanung im Kreis"),
        (2, "Nächste Schritte"),
    ]
    page_one = [b.text for b in loaded.blocks if b.page == 1 and b.kind == "paragraph"]
    assert page_one == ["Alle 24 Gemeinden beteiligt", "Frau Özdemir erläutert den Zeitplan."]


def test_html_keeps_main_content_and_drops_navigation_and_scripts(tmp_path: Path):
    path = tmp_path / "praxis.html"
    path.write_text(
        """<!doctype html><html lang="de"><head><title>Praxisbeispiel Bürgerenergie</title>
        <script>var tracking = "geheim";</script></head><body>
        <nav><ul><li><a href="/">Startseite</a></li><li><a href="/kontakt">Kontakt</a></li></ul></nav>
        <div class="cookie">Wir verwenden Cookies. Alle akzeptieren</div>
        <main><article><h1>Bürgerenergie im Landkreis</h1>
        <p>Die Energiegenossenschaft betreibt seit 2019 zwölf Photovoltaikanlagen auf Schuldächern
        und beteiligt die Bürgerinnen und Bürger direkt an den Erträgen der Anlagen.</p>
        <h2>Was andere Kreise übernehmen können</h2>
        <p>Ein fester Ansprechpartner im Landratsamt senkt die Hürden für kleine Gemeinden deutlich,
        weil Fragen zu Dachflächen, Statik und Verträgen an einer Stelle beantwortet werden.</p>
        </article></main><footer>Impressum · Datenschutz</footer></body></html>""",
        "utf-8",
    )

    loaded = load(path, max_bytes=MB)

    text = body(loaded)
    assert "zwölf Photovoltaikanlagen auf Schuldächern" in text
    assert "Ansprechpartner im Landratsamt" in text
    assert (2, "Was andere Kreise übernehmen können") in headings(loaded)
    for boilerplate in ("tracking", "Startseite", "Impressum", "Cookies"):
        assert boilerplate not in text


@pytest.mark.parametrize(
    ("declared", "kept"),
    [
        ("https://www.example.org/praxis", "https://www.example.org/praxis"),
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
    ],
)
def test_html_takes_its_source_address_only_if_it_is_a_web_address(tmp_path: Path, declared: str, kept):
    path = tmp_path / "praxis.html"
    path.write_text(
        f"""<!doctype html><html lang="de"><head><title>Praxisbeispiel</title>
        <link rel="canonical" href="{declared}"></head><body><main><article><h1>Bürgerenergie</h1>
        <p>Die Energiegenossenschaft betreibt seit 2019 zwölf Photovoltaikanlagen auf Schuldächern
        und beteiligt die Bürgerinnen und Bürger direkt an den Erträgen der Anlagen im Kreis.</p>
        </article></main></body></html>""",
        "utf-8",
    )
    assert load(path, max_bytes=MB).metadata.source_url == kept


def test_markdown_headings_lists_and_tables(tmp_path: Path):
    path = tmp_path / "notiz.md"
    path.write_text(
        "# Notizen zur Klausur\n\n## Mobilität\n\nDer **Radverkehr** soll wachsen.\n\n"
        "- Pendlerroute planen\n- Ladepunkte an Rathäusern\n\n| Maßnahme | Jahr |\n|---|---|\n| Radweg | 2025 |\n",
        "utf-8",
    )
    loaded = load(path, max_bytes=MB)
    assert loaded.metadata.title == "Notizen zur Klausur"
    assert headings(loaded) == [(1, "Notizen zur Klausur"), (2, "Mobilität")]
    assert body(loaded).split("\n") == [
        "Der Radverkehr soll wachsen.",
        "Pendlerroute planen",
        "Ladepunkte an Rathäusern",
        "Maßnahme | Jahr",
        "Radweg | 2025",
    ]


def test_text_in_windows_encoding_with_underlined_heading(tmp_path: Path):
    path = tmp_path / "notiz.txt"
    path.write_bytes("Beschaffung\n===========\n\nÖkostrom für alle Liegenschaften ab 2025.\n".encode("cp1252"))
    loaded = load(path, max_bytes=MB)
    assert headings(loaded) == [(1, "Beschaffung")]
    assert body(loaded) == "Ökostrom für alle Liegenschaften ab 2025."


def test_empty_file_is_named_and_refused(tmp_path: Path):
    path = tmp_path / "leer.pdf"
    path.touch()
    with pytest.raises(IngestError, match=r"leer\.pdf: Die Datei ist leer"):
        load(path, max_bytes=MB)


def test_wrong_extension_is_named(tmp_path: Path):
    path = tmp_path / "bericht.pdf"
    path.write_text("Das ist nur Text, kein PDF.", "utf-8")
    with pytest.raises(IngestError, match=r"bericht\.pdf: Die Dateiendung \.pdf passt nicht zum Inhalt \(Text\)"):
        load(path, max_bytes=MB)


def test_unsupported_format_lists_the_supported_ones(tmp_path: Path):
    path = tmp_path / "tabelle.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFormat, match=r"tabelle\.xlsx: .*\.docx, \.htm"):
        load(path, max_bytes=MB)


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path):
    path = tmp_path / "gross.txt"
    path.write_text("Klimaschutz " * 200_000, "utf-8")
    with pytest.raises(IngestError, match=r"gross\.txt: .*größer als erlaubt"):
        load(path, max_bytes=MB)


def test_corrupt_docx_is_named(tmp_path: Path):
    path = tmp_path / "kaputt.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(IngestError, match=r"kaputt\.docx: "):
        load(path, max_bytes=MB)


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path: Path):
    import zipfile

    path = tmp_path / "bombe.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * 50_000_000 + b"</w:document>")
    assert path.stat().st_size < MB  # small on disk, 50 MB unpacked
    with pytest.raises(IngestError, match=r"bombe\.docx: Die Datei entpackt sich auf 50 MB .*ZIP-Bombe"):
        load(path, max_bytes=MB)
