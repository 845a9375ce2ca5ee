"""OCR reads what the network's workshops leave behind: scanned protocols and pinboard photos.

Every image here is made by tests/scangen.py from the German text of the sample corpus and then
read by the real Tesseract with its German model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingest import load
from ingest.ocr import OcrSettings
from kb.core.errors import IngestError
from tests.scangen import (
    image_pdf,
    mixed_pdf,
    pinboard_photo,
    sample_paragraphs,
    scanned,
    typeset_page,
    word_accuracy,
)

pytestmark = pytest.mark.slow  # Tesseract reads generated scans

MB = 1_000_000
OCR = OcrSettings()
CARDS = [
    "Solarkataster für alle Gemeinden",
    "Energieberatung im Rathaus",
    "Radwege zwischen den Dörfern",
    "Klimaschutzmanager gemeinsam anstellen",
    "Förderlotse des Kreises",
    "Bürgerenergie gründen",
    "Straßenbeleuchtung auf LED umrüsten",
    "Dächer der Schulen belegen",
]


@pytest.fixture(scope="module")
def moor() -> list[str]:
    return sample_paragraphs("notiz-moorschutz-birkenau-sued.md")


@pytest.fixture(scope="module")
def regen() -> list[str]:
    return sample_paragraphs("notiz-starkregenvorsorge-moorbach.md")


@pytest.fixture(scope="module")
def concept_with_scanned_annex(tmp_path_factory: pytest.TempPathFactory, moor: list[str], regen: list[str]) -> Path:
    """Two pages with a text layer, then three scans: skewed, upside down, turned sideways."""
    intro = [
        "Klimaschutzkonzept des Landkreises Moorbach",
        "Das Konzept bündelt die Maßnahmen des Kreises und seiner Gemeinden.",
    ]
    path = tmp_path_factory.mktemp("scan") / "konzept-mit-anhang.pdf"
    return mixed_pdf(
        [intro, ["Die Anlagen enthalten die Protokolle der Arbeitsgruppen."]],
        [
            scanned(typeset_page(moor), seed=1, skew=1.5),
            scanned(typeset_page(regen), seed=2, turn=180),
            scanned(typeset_page(moor[:3]), seed=3, skew=-1.0, turn=90),
        ],
        path,
    )


def page_text(blocks: list, page: int) -> str:
    return "\n".join(block.text for block in blocks if block.page == page)


def test_ocr_reads_only_the_scanned_pages_of_a_concept(concept_with_scanned_annex: Path, moor, regen):
    progress: list[tuple[int, int]] = []
    loaded = load(concept_with_scanned_annex, max_bytes=50 * MB, ocr=OCR, on_progress=lambda *p: progress.append(p))
    assert loaded.page_count == 5
    assert loaded.ocr_pages == [3, 4, 5] and loaded.pages_without_text == [] and loaded.warnings == []
    assert progress == [(1, 3), (2, 3), (3, 3)]
    text_layer = [b for b in loaded.blocks if b.page in (1, 2)]
    assert text_layer and all(b.ocr_confidence is None for b in text_layer)
    scans = [b for b in loaded.blocks if b.page in (3, 4, 5)]
    assert all(70 <= b.ocr_confidence <= 100 for b in scans)
    accuracy = {
        3: word_accuracy(" ".join(moor), page_text(loaded.blocks, 3)),
        4: word_accuracy(" ".join(regen), page_text(loaded.blocks, 4)),  # fed in upside down
        5: word_accuracy(" ".join(moor[:3]), page_text(loaded.blocks, 5)),  # turned sideways
    }
    assert min(accuracy.values()) >= 0.95, accuracy
    assert "Wiedervernässung" in page_text(loaded.blocks, 3) or "wiedervernässen" in page_text(loaded.blocks, 3)


def test_ocr_keeps_german_letters_and_repairs_hyphenated_line_breaks(tmp_path: Path):
    paragraph = (
        "Die Gemeinden des Landkreises beschließen gemeinsam die Straßenbeleuchtung umzurüsten; "
        "die Bürgerinnen und Bürger erhalten Fördermittelberatung und Energieberatungsgutscheine. " * 3
    )
    loaded = load(
        image_pdf([scanned(typeset_page([paragraph], size=14), seed=4)], tmp_path / "s.pdf"), max_bytes=MB * 50, ocr=OCR
    )
    text = page_text(loaded.blocks, 1)
    assert "Straßenbeleuchtung" in text and "Bürgerinnen" in text and "beschließen" in text
    assert "Fördermittelberatung" in text and "-\n" not in text
    assert word_accuracy(paragraph, text) >= 0.95


def test_pinboard_photo_gives_one_line_per_card_in_reading_order(tmp_path: Path):
    photo = pinboard_photo(CARDS, tmp_path / "pinnwand.jpg", seed=5, columns=4)
    loaded = load(photo, max_bytes=50 * MB, ocr=OCR)
    assert loaded.format == "image" and loaded.ocr_pages == [1]
    cards = [block.text for block in loaded.blocks]
    assert len(cards) == len(CARDS), cards
    assert [word_accuracy(a, b) for a, b in zip(CARDS, cards, strict=True)] == [1.0] * len(CARDS), cards
    assert word_accuracy(" ".join(CARDS), " ".join(cards)) >= 0.95


def test_multi_page_tiff_and_png_are_read_page_by_page(tmp_path: Path, moor, regen):
    pages = [scanned(typeset_page(moor), seed=6), scanned(typeset_page(regen), seed=7)]
    tiff = tmp_path / "protokoll.tiff"
    pages[0].save(tiff, save_all=True, append_images=pages[1:], dpi=(300, 300), compression="tiff_deflate")
    loaded = load(tiff, max_bytes=50 * MB, ocr=OCR)
    assert loaded.page_count == 2 and loaded.ocr_pages == [1, 2]
    assert word_accuracy(" ".join(regen), page_text(loaded.blocks, 2)) >= 0.95
    png = tmp_path / "seite.png"
    pages[1].save(png)
    assert word_accuracy(" ".join(regen), page_text(load(png, max_bytes=50 * MB, ocr=OCR).blocks, 1)) >= 0.95


def test_page_cap_and_time_limit_cost_only_the_pages_concerned(concept_with_scanned_annex: Path):
    capped = load(concept_with_scanned_annex, max_bytes=50 * MB, ocr=OcrSettings(max_pages=1))
    assert capped.ocr_pages == [3] and capped.pages_without_text == [4, 5]
    assert "KB_OCR_MAX_PAGES" in capped.warnings[0] and "ab Seite 4" in capped.warnings[0]
    hurried = load(concept_with_scanned_annex, max_bytes=50 * MB, ocr=OcrSettings(page_seconds=0.01))
    assert hurried.ocr_pages == [] and hurried.pages_without_text == [3, 4, 5]
    assert {page.page for page in hurried.blocks} == {1, 2}  # the text layer is kept
    assert hurried.warnings == [f"Seite {n}: Zeitlimit der Texterkennung (0.01 s) überschritten." for n in (3, 4, 5)]


def test_bad_images_are_refused_with_the_file_named(tmp_path: Path):
    truncated = tmp_path / "kaputt.jpg"
    scanned(typeset_page(["Protokoll"]), seed=8).save(truncated, "JPEG")
    truncated.write_bytes(truncated.read_bytes()[:200])
    with pytest.raises(IngestError, match=r"kaputt\.jpg: Das Bild ist beschädigt"):
        load(truncated, max_bytes=MB, ocr=OCR)
    bomb = tmp_path / "riesig.png"
    Image.new("1", (20_000, 20_000)).save(bomb)  # 400 megapixels in a few kilobytes
    assert bomb.stat().st_size < MB
    with pytest.raises(IngestError, match=r"riesig\.png: Das Bild ist beschädigt oder zu groß"):
        load(bomb, max_bytes=MB, ocr=OCR)
    blank = tmp_path / "weiss.png"
    Image.new("L", (1200, 800), 255).save(blank)
    with pytest.raises(IngestError, match=r"weiss\.png: Die Texterkennung fand in dem Bild keinen Text"):
        load(blank, max_bytes=MB, ocr=OCR)
    with pytest.raises(IngestError, match=r"weiss\.png: .*Texterkennung.*abgeschaltet"):
        load(blank, max_bytes=MB, ocr=None)
    disguised = tmp_path / "foto.jpg"
    disguised.write_text("kein Bild", encoding="utf-8")
    with pytest.raises(IngestError, match=r"foto\.jpg: Die Dateiendung \.jpg passt nicht zum Inhalt"):
        load(disguised, max_bytes=MB, ocr=OCR)
