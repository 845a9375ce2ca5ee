"""A passage in its place (#13 item 5): highlight rectangles on a real PDF, and the reading view.

The PDF is generated as real ones look (running header and footer, words hyphenated at line ends,
a two-column page, a paragraph over a page break) and ingested; every passage's rectangles must
cover exactly its text on exactly its pages, read back from PDFium's char boxes.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from ingest.pdflocate import Box, fold, locate_passage
from kb.core.documents import Metadata, Passage
from kb.service import KnowledgeBase
from kb.service.place import reading_view
from tests.conftest import make_config
from tests.pdfgen import SENTENCES, make_page_break_pdf


@pytest.fixture(scope="module")
def concept(tmp_path_factory: pytest.TempPathFactory, fake_embedder) -> tuple[Path, list[Passage]]:
    folder = tmp_path_factory.mktemp("place")
    path = make_page_break_pdf(folder / "konzept.pdf")
    kb = KnowledgeBase(make_config(folder / "data", ocr=False), embedder=fake_embedder)
    report = kb.ingest([path], metadata=Metadata(visibility="public"))
    assert not report.failed, report.failed
    passages = kb.passages(kb.documents()[0].id)
    kb.close()
    return path, passages


def text_under(path: Path, boxes: list[Box]) -> str:
    """The page chars whose centre lies in one of ``boxes``, page by page in PDFium's order."""
    document = pdfium.PdfDocument(path)
    found = []
    for number in sorted({box.page for box in boxes}):
        page = document[number - 1]
        left, bottom, right, top = page.get_bbox()
        textpage = page.get_textpage()
        mine = [box for box in boxes if box.page == number]
        for index in range(textpage.count_chars()):
            x0, y0, x1, y1 = textpage.get_charbox(index, loose=True)
            x, y = ((x0 + x1) / 2 - left) / (right - left), (top - (y0 + y1) / 2) / (top - bottom)
            if any(b.left <= x <= b.left + b.width and b.top <= y <= b.top + b.height for b in mine):
                found.append(chr(pdfium.raw.FPDFText_GetUnicode(textpage, index)))
    document.close()
    return "".join(found)


def raw_text(path: Path, page: int) -> str:
    document = pdfium.PdfDocument(path)
    text = document[page - 1].get_textpage().get_text_range()
    document.close()
    return text


def boxes_of(path: Path, passage: Passage) -> list[Box]:
    return locate_passage(path, passage.text, range(passage.page_start, passage.page_end + 1))


def test_every_passage_is_highlighted_exactly_on_its_own_pages(concept):
    path, passages = concept
    assert len(passages) >= 5
    for passage in passages:
        boxes = boxes_of(path, passage)
        assert {box.page for box in boxes} == set(range(passage.page_start, passage.page_end + 1)), passage.id
        assert fold(text_under(path, boxes)) == fold(passage.text), passage.id
        assert all(0 <= b.left and 0 <= b.top and b.left + b.width <= 1 and b.top + b.height <= 1 for b in boxes)


def test_a_passage_over_a_page_break_is_highlighted_on_both_pages(concept):
    path, passages = concept
    crossing = next(p for p in passages if p.page_end == p.page_start + 1)
    boxes = boxes_of(path, crossing)
    first = [b for b in boxes if b.page == crossing.page_start]
    second = [b for b in boxes if b.page == crossing.page_end]
    assert first and second
    assert max(b.top for b in first) > 0.7  # it ends the first page …
    assert min(b.top for b in second) < 0.15  # … and begins the next, under the running header
    between = text_under(path, boxes)
    assert "Klimaschutzkonzept Landkreis Hohenwalde" not in between and "Seite" not in between  # running lines


def test_hyphenated_words_and_the_second_column_are_covered(concept):
    path, passages = concept
    page = raw_text(path, 2)
    broken = re.findall(r"\w+\ufffe\w+", page)  # PDFium marks a hyphen at a line end as U+FFFE
    assert len(broken) >= 3
    joined = broken[0].replace("\ufffe", "")
    holder = next(p for p in passages if joined in p.text)  # the passage holds the word repaired
    under = text_under(path, boxes_of(path, holder))
    assert joined not in under and fold(joined) in fold(under)  # broken on the page, covered whole
    right = next(p for p in passages if "Rechts 1:" in p.text)
    in_right_column = [b for b in boxes_of(path, right) if b.left > 0.45]
    assert in_right_column and fold("Rechts 1: " + SENTENCES[3]) in fold(text_under(path, in_right_column))


def test_text_the_pages_do_not_hold_gets_no_rectangle(concept, tmp_path: Path):
    path, passages = concept
    assert locate_passage(path, "Dieser Satz steht in keinem Dokument des Landkreises.", [2, 3]) == []
    assert locate_passage(path, passages[0].text, [99]) == []
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.4\nnichts\n")
    assert locate_passage(broken, passages[0].text, [1]) == []


def test_pdfium_is_never_called_from_two_threads_at_once(concept, monkeypatch):
    """PDFium crashes or corrupts the process when two threads call it at once, even on different
    documents: a server's viewer requests and its writer thread's ingest take turns."""
    import ingest.pdf
    import ingest.pdflocate
    from ingest.pdf import load_pdf

    path, passages = concept
    inside, most = [0], [0]

    def watched(original):
        def call(*args):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            time.sleep(0.05)  # long enough for the other thread to come in, were it let in
            try:
                return original(*args)
            finally:
                inside[0] -= 1

        return call

    monkeypatch.setattr(ingest.pdf, "page_lines", watched(ingest.pdf.page_lines))
    monkeypatch.setattr(ingest.pdflocate, "_page_letters", watched(ingest.pdflocate._page_letters))
    start = threading.Barrier(3)

    def run(work) -> None:
        start.wait()
        for _ in range(3):
            work()

    threads = [
        threading.Thread(target=run, args=(lambda: load_pdf(path),)),  # the writer's ingest
        threading.Thread(target=run, args=(lambda: boxes_of(path, passages[1]),)),  # two viewer requests
        threading.Thread(target=run, args=(lambda: boxes_of(path, passages[-1]),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_fold_compares_letters_only():
    assert fold("Wärme-\nplanung, „Kommunal­richtlinie“ 2024") == fold("Wärmeplanung Kommunalrichtlinie 2024")
    assert fold("ﬁnanziert") == "finanziert"


def test_the_reading_view_marks_the_passage_and_its_overlap_once(concept):
    _, passages = concept
    ordered = sorted(passages, key=lambda p: p.ordinal)
    shown = next(p for p in ordered[1:] if p.heading_path == ordered[ordered.index(p) - 1].heading_path)
    stretches = reading_view(passages, shown.id)
    text = " ".join(s.text for s in stretches)
    for sentence in SENTENCES:  # every sentence of the document once per place it stands, not twice
        assert text.count(f"Abschnitt 1.1: {sentence}") <= 1
    marked = " ".join(s.text[s.marked[0] : s.marked[1]] for s in stretches if s.marked)
    assert marked == shown.text
    assert [s.heading for s in stretches if s.heading] == ["5 Umsetzung in den Gemeinden", "6 Zwei Spalten"]
