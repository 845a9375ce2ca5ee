"""Broken, encrypted and empty PDFs are refused with a message naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from ingest import load
from ingest.ocr import OcrSettings
from kb.core.errors import IngestError

MB = 1_000_000


def small_pdf(path: Path, pages: int = 2) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(1, pages + 1):
        pdf.add_page()
        topic = ["Wärmeplanung", "Radverkehr", "Beschaffung", "Klimaanpassung"][number % 4]
        pdf.multi_cell(0, 8, f"Der Kreis berät die Gemeinden zu {topic}.")
    pdf.output(str(path))
    return path


def test_encrypted_pdf_is_named_as_such(tmp_path: Path):
    writer = PdfWriter(clone_from=small_pdf(tmp_path / "offen.pdf"))
    writer.encrypt(user_password="geheim", owner_password="geheim")
    path = tmp_path / "geschuetzt.pdf"
    with path.open("wb") as file:
        writer.write(file)
    with pytest.raises(IngestError, match=r"geschuetzt\.pdf: Das PDF ist verschlüsselt"):
        load(path, max_bytes=MB)


def test_truncated_pdf_is_named_as_corrupt(tmp_path: Path):
    data = small_pdf(tmp_path / "ganz.pdf").read_bytes()
    path = tmp_path / "abgeschnitten.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(IngestError, match=r"abgeschnitten\.pdf: "):
        load(path, max_bytes=MB)


def test_garbage_after_pdf_header_is_named_as_corrupt(tmp_path: Path):
    path = tmp_path / "kaputt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    with pytest.raises(IngestError, match=r"kaputt\.pdf: Das PDF ist beschädigt"):
        load(path, max_bytes=MB)


@pytest.mark.parametrize(
    ("ocr", "says"),
    [(OcrSettings(), "auch die Texterkennung fand keinen Text"), (None, "Texterkennung ist abgeschaltet")],
)
def test_pdf_without_any_text_is_refused(tmp_path: Path, ocr: OcrSettings | None, says: str):
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    path = tmp_path / "leer.pdf"
    with path.open("wb") as file:
        writer.write(file)
    with pytest.raises(IngestError, match=rf"leer\.pdf: Keine der 3 Seiten enthält extrahierbaren Text.*{says}"):
        load(path, max_bytes=MB, ocr=ocr)


def test_pages_without_text_are_listed_while_the_rest_is_kept(tmp_path: Path):
    writer = PdfWriter(clone_from=small_pdf(tmp_path / "text.pdf", pages=2))
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "gemischt.pdf"
    with path.open("wb") as file:
        writer.write(file)
    loaded = load(path, max_bytes=MB, ocr=OcrSettings())
    assert loaded.page_count == 3
    assert loaded.pages_without_text == [3] and loaded.ocr_pages == []
    assert {b.page for b in loaded.blocks} == {1, 2}
    assert PdfReader(path).pages[0].extract_text()  # the fixture really has a text layer


def test_ten_thousand_empty_pages_are_refused_as_without_text(tmp_path: Path):
    writer = PdfWriter()
    for _ in range(10_000):
        writer.add_blank_page(width=595, height=842)
    path = tmp_path / "leer-10000.pdf"
    with path.open("wb") as file:
        writer.write(file)
    with pytest.raises(IngestError, match=r"leer-10000\.pdf: Keine der 10000 Seiten enthält extrahierbaren Text"):
        load(path, max_bytes=50 * MB, ocr=OcrSettings())  # blank pages are not even handed to Tesseract


def test_deflate_bomb_in_a_pdf_stream_is_refused(tmp_path: Path):
    import zlib

    from pypdf.generic import EncodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    bomb = EncodedStreamObject()
    bomb._data = zlib.compress(b"BT /F1 12 Tf (x) Tj ET " + b" " * 100_000_000, 9)  # 100 MB in ~100 KB
    bomb[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(bomb)
    path = tmp_path / "bombe.pdf"
    with path.open("wb") as file:
        writer.write(file)
    assert path.stat().st_size < MB
    with pytest.raises(IngestError, match=r"bombe\.pdf: "):
        load(path, max_bytes=50 * MB, ocr=OcrSettings())  # pypdf stops inflating at 75 MB: nothing exploded
