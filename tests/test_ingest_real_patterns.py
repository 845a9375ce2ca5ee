"""What real county and city documents do to ingest (issue #15), each pattern on a generated file.

The PDFs are written here with fpdf2 the way the failing real ones were set: measure sheets pasted
in as images under a running header, a spaced hyphen at line ends, letters placed one by one,
headings in larger type beside chart labels and footnotes; the Markdown like a Hugo page.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from PIL import Image

from ingest import load
from ingest.metadata import (
    detect_county,
    detect_metadata,
    detect_topics,
    detect_year,
    plausible_title,
    readable_file_title,
)
from ingest.ocr import OcrSettings
from ingest.splitter import Splitter
from tests.pdfgen import latin1
from tests.scangen import scanned, typeset_page

MB = 1_000_000
HEADER = "Klimaschutzkonzept Landkreis Hohenwalde"
SHEET = [
    "Maßnahme M7: Energieberatung in den Rathäusern",
    "Ziel: Jede Gemeinde bietet monatlich eine kostenlose Energieberatung für Hauseigentümer an.",
    "Verantwortlich: Klimaschutzmanagement des Kreises gemeinsam mit der Verbraucherzentrale.",
    "2. Beratung in jedem Rathaus",
]
BODY = (
    "Die Gemeinden des Kreises stimmen ihre Wärmeplanung ab und teilen Daten über die Netze. "
    "Das Netzwerk trifft sich zweimal im Jahr im Kreishaus und berichtet dem Kreistag. "
)


def _pdf(title: str = "Konzept") -> FPDF:
    pdf = FPDF()
    pdf.set_title(latin1(title))
    pdf.set_creation_date(datetime(2024, 5, 2, tzinfo=UTC))
    pdf.set_auto_page_break(False)
    return pdf


def _header(pdf: FPDF, page: int) -> None:
    pdf.set_font("Helvetica", size=8)
    pdf.text(20, 10, latin1(f"{HEADER} - Seite {page}"))


def _body_page(pdf: FPDF, page: int, text: str = BODY * 3) -> None:
    pdf.add_page()
    _header(pdf, page)
    pdf.set_xy(20, 20)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(170, 6, latin1(text))


def _save(pdf: FPDF, path: Path) -> Path:
    pdf.output(str(path))
    return path


def _text(document) -> str:
    return "\n".join(block.text for block in document.blocks)


def _headings(document) -> list[tuple[int, str]]:
    return [(block.level, block.text) for block in document.blocks if block.kind == "heading"]


# 1. OCR decided by what is drawn


def test_an_image_page_under_a_running_header_is_read_by_ocr_and_a_blank_page_is_skipped(tmp_path: Path):
    pdf = _pdf()
    for page in (1, 2, 3):
        _body_page(pdf, page)
    pdf.add_page()  # page 4: a measure sheet pasted in as an image, only the header is text
    _header(pdf, 4)
    sheet = io.BytesIO()
    scanned(typeset_page(SHEET, size=14), seed=4).save(sheet, "PNG")
    pdf.image(sheet, x=10, y=20, w=190)
    pdf.add_page()  # page 5: a white picture, nothing to read
    blank = io.BytesIO()
    Image.new("L", (400, 560), 255).save(blank, "PNG")
    pdf.image(blank, x=10, y=20, w=190)
    document = load(_save(pdf, tmp_path / "massnahmen.pdf"), max_bytes=50 * MB, ocr=OcrSettings())

    assert document.ocr_pages == [4]
    sheet_text = " ".join(block.text for block in document.blocks if block.page == 4)
    assert "Energieberatung" in sheet_text and "Verbraucherzentrale" in sheet_text
    assert not _headings(document)  # the numbered list item on the scanned sheet is no heading
    assert document.pages_without_text == [5]
    assert not document.warnings  # no "Texterkennung fehlgeschlagen (ValueError: All-NaN slice)"


# 2. Text repair


def test_spaced_hyphens_at_line_ends_are_joined_but_dashes_ellipses_and_addresses_kept(tmp_path: Path):
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    lines = [
        "Die Kommunen kön -",
        "nen mit den Wärme -",
        "netzbetreibern sprechen. Energie- und",
        "Klimaschutz gehören zusammen: Umweltbewusstsein und -",
        "verhalten. Amt für Nachhaltigkeit -",
        "Koordinierungsstelle Klima. Mehr unter www.lea-",
        "hessen.de oder klima@kreis-",
        "hohenwalde.de.",
    ]
    for number, line in enumerate(lines):
        pdf.text(20, 20 + 6 * number, latin1(line))
    text = _text(load(_save(pdf, tmp_path / "leitfaden.pdf"), max_bytes=50 * MB))

    assert "können mit den Wärmenetzbetreibern sprechen" in text
    assert "Energie- und Klimaschutz" in text
    assert "Umweltbewusstsein und -verhalten" in text
    assert "Nachhaltigkeit - Koordinierungsstelle" in text
    assert "www.lea-hessen.de" in text and "klima@kreis-hohenwalde.de" in text


def test_words_drawn_letter_by_letter_are_read_whole(tmp_path: Path):
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    x = 20.0
    for char in latin1("Das Bundesministerium für Wohnen, Bauwesen und Raumordnung setzt auf Wärmeplanung."):
        pdf.text(x, 30, char)  # one text object per glyph, as some layout programs write
        x += pdf.get_string_width(char)
    text = _text(load(_save(pdf, tmp_path / "ergebnispapier.pdf"), max_bytes=50 * MB))

    assert "Bauwesen und Raumordnung setzt auf Wärmeplanung" in text


# 3. Layout: frames, footnotes, measure sheets


def test_footnotes_follow_the_body_and_side_boxes_stay_blocks_of_their_own(tmp_path: Path):
    pdf = _pdf()
    sources = ["Statistisches Landesamt", "Verkehrsverbund des Kreises", "Netzbetreiber der Gemeinden"]
    for page, source in enumerate(sources, 1):
        pdf.add_page()
        _header(pdf, page)
        pdf.set_font("Helvetica", size=8)
        pdf.text(20, 280, latin1(f"{page} Quelle: {source}, erhoben im Frühjahr"))  # drawn first
        pdf.set_font("Helvetica", size=11)
        pdf.set_xy(20, 20)
        pdf.multi_cell(110, 6, latin1(f"Kapitel {page}: {source} und Kreis berichten. " + BODY * 2))
        pdf.text(140, 24, latin1(f"Kasten: {source}"))
        lead = f"Die Daten vom {source.split()[0]}"
        pdf.text(20, 120, latin1(lead))
        width = pdf.get_string_width(latin1(lead))
        pdf.set_font("Helvetica", size=7)
        pdf.text(20 + width, 118, "5")  # a footnote mark
        pdf.set_font("Helvetica", size=11)
        pdf.text(22 + width, 120, latin1(f"unterscheiden sich je {source}."))
    document = load(_save(pdf, tmp_path / "bericht.pdf"), max_bytes=50 * MB)
    first = [block.text for block in document.blocks if block.page == 1]

    assert first[-1].startswith("1 Quelle: Statistisches Landesamt")
    assert first[0].startswith("Kapitel 1: Statistisches Landesamt")
    assert "Kasten: Statistisches Landesamt" in first  # its own block, not inside the body text
    assert any("Die Daten vom Statistisches" in text and "unterscheiden sich" in text for text in first)
    assert not _headings(document)


def test_a_measure_sheet_stays_one_passage_with_its_labels_under_its_own_heading(tmp_path: Path):
    pdf = _pdf()
    sheets = [("M1", "Solarkataster"), ("M2", "Radwege zwischen den Dörfern"), ("M3", "Energieberatung")]
    for page, (code, title) in enumerate(sheets, 1):
        pdf.add_page()
        _header(pdf, page)
        pdf.set_font("Helvetica", "B", size=16)
        pdf.text(20, 25, latin1(f"{code} {title}"))
        pdf.set_font("Helvetica", size=11)
        for row, (label, value) in enumerate(
            [("Ziel:", f"{title} für alle Gemeinden"), ("Kosten:", ["gering", "mittel", "hoch"][page - 1])]
        ):
            pdf.text(20, 40 + 7 * row, latin1(label))
            pdf.text(60, 40 + 7 * row, latin1(value))
    document = load(_save(pdf, tmp_path / "steckbriefe.pdf"), max_bytes=50 * MB)
    drafts = Splitter(count_tokens=lambda text: len(text.split()), max_tokens=256).split(document.blocks)

    assert [draft.heading_path for draft in drafts] == [(f"{code} {title}",) for code, title in sheets]
    assert "Ziel:" in drafts[1].text and "Kosten:" in drafts[1].text and "Radwege" in drafts[1].text


# 4. Headings


def test_headings_come_from_type_and_numbering_never_from_labels_footnotes_or_list_items(tmp_path: Path):
    pdf = _pdf()
    for page, (number, title) in enumerate([("4", "Energie- und CO2-Bilanz"), ("5", "Maßnahmen 2030")], 1):
        pdf.add_page()
        _header(pdf, page)
        pdf.set_font("Helvetica", "B", size=16)
        pdf.text(20, 25, latin1(f"{number} {title}"))
        pdf.set_font("Helvetica", "B", size=13)
        pdf.text(20, 35, latin1(f"{number}.1 Systematik der Bilanz"))
        pdf.set_font("Helvetica", size=11)
        pdf.set_xy(20, 40)
        pdf.multi_cell(170, 6, latin1(BODY))
        pdf.text(20, 80, latin1("1. Die Gemeinden melden ihre Verbräuche"))
        pdf.set_font("Helvetica", "B", size=11)
        pdf.text(20, 95, latin1(f"{number}.2 Datenlage der Gemeinden"))  # bold at body size: numbering decides
        pdf.set_font("Helvetica", size=11)
        pdf.text(20, 102, latin1("Die Daten liegen bei den Netzbetreibern."))
        pdf.set_font("Helvetica", size=16)
        pdf.text(120, 120, "84 GWh/a")  # a chart label in large type
        pdf.set_font("Helvetica", size=8)
        pdf.text(20, 280, latin1("2 Zahlen nach Angaben der Gemeinden"))
    headings = _headings(load(_save(pdf, tmp_path / "konzept.pdf"), max_bytes=50 * MB))

    assert headings == [
        (1, "4 Energie- und CO2-Bilanz"),
        (2, "4.1 Systematik der Bilanz"),
        (2, "4.2 Datenlage der Gemeinden"),
        (1, "5 Maßnahmen 2030"),
        (2, "5.1 Systematik der Bilanz"),
        (2, "5.2 Datenlage der Gemeinden"),
    ]


# 5. Markdown of a Hugo site


def test_markdown_front_matter_gives_title_and_date_and_shortcodes_and_html_are_dropped(tmp_path: Path):
    page = tmp_path / "hohenwalde.md"
    page.write_text(
        '---\ntitle: "Hohenwalde"\ndate: 2021-06-30\nlayout: "kommune"\n---\n\n'
        "Ist Hohenwalde schon klimaneutral?\n\n"
        '{{< youdrawit "you_draw_it_hohenwalde" >}}\n\n'
        "Die CO<sub>2</sub>-Emissionen sinken.\n\n{{% hinweis %}}Nur ein Rahmen{{% /hinweis %}}\n",
        "utf-8",
    )
    document = load(page, max_bytes=MB)
    text = _text(document)

    assert document.metadata.title == "Hohenwalde"
    assert document.created == "2021-06-30"
    assert not _headings(document)
    assert "CO2-Emissionen sinken" in text
    assert "{{" not in text and "youdrawit" not in text and "<sub>" not in text and "layout" not in text


# 6. Metadata


def test_titles_that_are_paths_or_file_names_fall_back_to_the_first_heading(tmp_path: Path):
    assert not plausible_title("Microsoft Word - Bericht_2017_07_12.docx")
    assert not plausible_title(r"K:\KLENKO\_DL_Prozess\Bericht_Massnahmenkatalog 2030.pdf")
    assert plausible_title("Klimaschutzkonzept 2020 für den Landkreis Hohenwalde")
    pdf = _pdf(title="Microsoft Word - konzept_final_v3.docx")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", size=20)
    pdf.text(20, 30, latin1("Integriertes Klimaschutzkonzept Hohenwalde"))
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(20, 40)
    pdf.multi_cell(170, 6, latin1(BODY))

    assert load(_save(pdf, tmp_path / "k.pdf"), max_bytes=MB).metadata.title == (
        "Integriertes Klimaschutzkonzept Hohenwalde"
    )


def test_a_title_written_as_a_file_name_of_words_is_kept_readable():
    assert readable_file_title("KWW-Datenkompass_Hessen_26-06-2024") == "KWW-Datenkompass Hessen 26-06-2024"
    assert readable_file_title("Bericht_2013_05_14_wildt") is None


def test_the_printed_date_wins_over_target_years_and_file_dates():
    assert detect_year("Klimaschutzkonzept 2020", "Heidelberg, im Februar 2010", "2010-02-12") == 2010
    assert detect_year("Handlungsprogramm", "Stand: 02.09.2019 17:43", "2023-01-05") == 2019
    assert detect_year("Quellen", "Erfassungsdatum: 2025-09-22\nDatum: 05.10.2017", None) == 2025
    assert detect_year("Klimaschutzkonzept 2030", "ohne Datum", "2020-02-01") == 2020


def test_a_county_named_without_landkreis_is_found_and_a_city_is_no_county():
    text = "Darmstadt-Dieburg senkt seine Emissionen. " * 9 + "Auch Darmstadt plant."
    assert detect_county("", text) == "Landkreis Darmstadt-Dieburg"
    assert detect_county("Ist Rostock schon klimaneutral?", "Die Stadt Rostock senkt ihre Emissionen. " * 9) is None


def test_a_city_page_about_its_kommune_gets_no_county_topic():
    city = "Die Kommune plant. Die Gemeinde spart. Jede Kommune und Gemeinde hilft. " * 3
    county = city + "Der Landkreis unterstützt die kreisangehörigen Gemeinden."

    assert "kreisangehörige Gemeinden" not in detect_topics(city)
    assert "kreisangehörige Gemeinden" in detect_topics(county)
    assert detect_metadata("Stadt", city, "md").topics == detect_topics(city)
