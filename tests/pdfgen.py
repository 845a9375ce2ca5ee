"""Write German PDFs the way real ones look: running headers and footers, numbered headings
with bookmarks, tables, two-column pages, and words hyphenated at line ends.

Used by the tests and by ``samples/build.py``. fpdf2's core font covers Latin-1, which holds
every German letter (ä, ö, ü, ß); typographic quotes and dashes are mapped to ASCII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

_ASCII = str.maketrans({"„": '"', "“": '"', "”": '"', "–": "-", "—": "-", "’": "'", "…": "..."})
_VOWELS = set("aeiouäöüy")


def latin1(text: str) -> str:
    return text.translate(_ASCII)


def hyphenate(word: str, fits) -> tuple[str, str] | None:
    """Split ``word`` into a head that fits the line (with its hyphen) and the rest, or None.

    A word containing a hyphen breaks after it ("E-" / "Mobilität"); otherwise before a
    consonant (or "ch", "ck", "sch") that starts a syllable: "Liegen-schaften", "Ener-gie".
    """
    if "-" in word[1:-1]:
        cut = word.index("-", 1) + 1
        return (word[:cut], word[cut:]) if fits(word[:cut]) else None
    best = None
    lowered = word.lower()
    for i in range(2, len(word) - 3):
        if lowered[i] in _VOWELS or not lowered[i].isalpha() or lowered[i + 1] not in _VOWELS:
            continue
        cut = i - 2 if lowered[i - 2 : i + 1] == "sch" else i - 1 if lowered[i - 1 : i + 1] in ("ch", "ck") else i
        if cut >= 3 and fits(word[:cut] + "-"):
            best = cut
    return (word[:best] + "-", word[best:]) if best else None


@dataclass
class GermanPDF:
    """A document under construction. Call the methods in reading order, then ``save``."""

    header: str
    title: str
    author: str = "Klimaschutzmanagement"
    created: datetime = field(default_factory=lambda: datetime(2022, 3, 14, tzinfo=UTC))
    font_size: float = 11
    line_height: float = 6

    def __post_init__(self) -> None:
        pdf = _Pdf(self.header)
        pdf.set_title(latin1(self.title))
        pdf.set_author(latin1(self.author))
        pdf.set_creation_date(self.created)
        pdf.set_auto_page_break(True, margin=20)
        pdf.add_page()
        self.pdf = pdf

    def title_page(self, title: str, subtitle: str) -> None:
        pdf = self.pdf
        pdf.set_font("helvetica", "B", 22)
        pdf.ln(50)
        pdf.multi_cell(0, 11, latin1(title))
        pdf.set_font("helvetica", "", 14)
        pdf.ln(6)
        pdf.multi_cell(0, 8, latin1(subtitle))
        pdf.add_page()

    def heading(self, text: str, level: int = 1, *, new_page: bool = False) -> None:
        pdf = self.pdf
        fresh = pdf.get_y() <= pdf.t_margin + 15
        if (new_page and not fresh) or pdf.get_y() > pdf.h - 45:
            pdf.add_page()
        pdf.ln(3)
        pdf.start_section(latin1(text), level=level - 1)
        pdf.set_font("helvetica", "B", 15 if level == 1 else 13)
        pdf.multi_cell(0, 8, latin1(text))
        pdf.ln(1)

    def paragraph(self, text: str, width: float | None = None, x: float | None = None) -> None:
        """Justified-left text broken into lines by hand, with hyphenation at line ends."""
        pdf = self.pdf
        pdf.set_font("helvetica", "", self.font_size)
        width = width or pdf.w - pdf.l_margin - pdf.r_margin
        left = pdf.l_margin if x is None else x
        for line in self._lines(latin1(text), width):
            if pdf.get_y() > pdf.h - 25:
                pdf.add_page()
            pdf.set_x(left)
            pdf.cell(width, self.line_height, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.paragraph("- " + item)

    def table(self, rows: list[list[str]]) -> None:
        pdf = self.pdf
        pdf.set_font("helvetica", "", 10)
        with pdf.table(text_align="LEFT", line_height=6) as table:
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(latin1(value))
        pdf.ln(3)

    def two_columns(self, left: list[str], right: list[str]) -> None:
        """A new page set in two columns: ``left`` paragraphs fill column 1, then ``right``."""
        pdf = self.pdf
        gap = 8
        width = (pdf.w - pdf.l_margin - pdf.r_margin - gap) / 2
        top = pdf.get_y()
        for text in left:
            self.paragraph(text, width=width, x=pdf.l_margin)
        pdf.set_y(top)
        for text in right:
            self.paragraph(text, width=width, x=pdf.l_margin + width + gap)
        pdf.add_page()

    def new_page(self) -> None:
        self.pdf.add_page()

    def save(self, path: Path) -> Path:
        self.pdf.output(str(path))
        return path

    def _lines(self, text: str, width: float) -> list[str]:
        pdf = self.pdf
        lines, current = [], ""
        for word in text.split():
            candidate = f"{current} {word}".strip()
            if pdf.get_string_width(candidate) <= width:
                current = candidate
                continue
            prefix = f"{current} " if current else ""
            split = hyphenate(word, lambda head, prefix=prefix: pdf.get_string_width(prefix + head) <= width)
            if split:
                lines.append(prefix + split[0])
                current = split[1]
            else:
                lines.append(current)
                current = word
        if current:
            lines.append(current)
        return lines


class _Pdf(FPDF):
    def __init__(self, running_header: str) -> None:
        super().__init__(format="A4")
        self.running_header = latin1(running_header)
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_font("helvetica", "I", 9)
        self.cell(0, 8, self.running_header, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("helvetica", "", 9)
        self.cell(0, 8, f"Seite {self.page_no()} von {{nb}}", align="C")


def make_long_concept_pdf(path: Path, pages: int = 64) -> dict:
    """A long climate-protection concept: every page carries a marker sentence naming it
    ("Kennziffer P017"), some pages hold tables, some are set in two columns."""
    header = "Integriertes Klimaschutzkonzept Landkreis Hohenwalde 2023"
    document = GermanPDF(header=header, title="Integriertes Klimaschutzkonzept Landkreis Hohenwalde")
    document.title_page("Integriertes Klimaschutzkonzept", "Landkreis Hohenwalde, Fortschreibung 2023")
    facts: dict = {"header": header, "two_column": [], "tables": [], "markers": {}, "headings": {}}
    fillers = [
        "Die kreisangehörigen Gemeinden setzen die Maßnahmen gemeinsam mit dem Klimaschutzmanagement "
        "um; der Landkreis berät, moderiert und bündelt Fördermittel.",
        "Energieeffizienzmaßnahmen in kommunalen Liegenschaften haben dabei Vorrang vor neuen Vorhaben, "
        "weil sie sich in wenigen Jahren bezahlt machen.",
        "Für die Wärmeplanung stellen Schornsteinfeger und Netzbetreiber anonymisierte Daten bereit, "
        "die der Kreis für alle Gemeinden aufbereitet.",
        "Der Radverkehr profitiert von durchgehenden Pendlerrouten, sicheren Abstellanlagen an Bahnhöfen "
        "und einer einheitlichen Wegweisung im ganzen Kreisgebiet.",
        "Starkregengefahrenkarten zeigen, wo Wasser bei heftigem Regen abfließt; die Gemeinden halten "
        "dort Flächen frei und beraten Eigentümerinnen und Eigentümer.",
        "Bürgerenergiegenossenschaften beteiligen sich an Photovoltaikanlagen auf Schuldächern und "
        "Feuerwehrhäusern, die Gemeinden erhalten eine Dachpacht.",
        "Die Beschaffungsstelle des Kreises schreibt Ökostrom, Dienstfahrzeuge und Recyclingpapier "
        "gemeinsam für alle Gemeinden aus, die sich beteiligen wollen.",
    ]

    def filler(page: int, count: int) -> str:
        return " ".join(fillers[(page * 3 + i) % len(fillers)] for i in range(count))

    pdf = document.pdf
    chapter = 0
    while pdf.page_no() < pages:
        page = pdf.page_no()
        marker = f"Kennziffer P{page:03d} steht auf dieser Seite."
        facts["markers"][page] = marker
        if page % 9 == 0:
            facts["two_column"].append(page)
            document.two_columns(
                [marker, filler(page, 2), filler(page + 1, 2)],
                [filler(page + 2, 2), "Rechte Spalte: Ladeinfrastruktur für E-Mobilität wird kreisweit geplant."],
            )
            continue
        if page % 5 == 1:
            chapter += 1
            title = (
                f"{chapter} Handlungsfeld {['Energie', 'Mobilität', 'Wärme', 'Anpassung'][chapter % 4]} Teil {chapter}"
            )
            document.heading(title, 1)
            facts["headings"][page] = title
        document.paragraph(marker + " " + filler(page, 2))
        if page % 7 == 0:
            facts["tables"].append(page)
            document.table(
                [
                    ["Gemeinde", "Einsparung t CO2", "Jahr"],
                    ["Talheim", str(100 + page), "2022"],
                    ["Moorbach", str(200 + page), "2023"],
                ]
            )
        document.paragraph(filler(page + 1, 4))
        document.new_page()
    document.save(path)
    facts["pages"] = document.pdf.page_no()
    return facts


SENTENCES = [
    "Die kreisangehörigen Gemeinden setzen die Maßnahmen gemeinsam mit dem Klimaschutzmanagement um; "
    "der Landkreis berät, moderiert und bündelt Fördermittel.",
    "Energieeffizienzmaßnahmen in kommunalen Liegenschaften haben Vorrang vor neuen Vorhaben, weil sie "
    "sich in wenigen Jahren bezahlt machen.",
    "Für die Wärmeplanung stellen Schornsteinfeger und Netzbetreiber anonymisierte Daten bereit, die der "
    "Kreis für alle Gemeinden aufbereitet.",
    "Der Radverkehr profitiert von durchgehenden Pendlerrouten, sicheren Abstellanlagen an Bahnhöfen und "
    "einer einheitlichen Wegweisung im ganzen Kreisgebiet.",
    "Starkregengefahrenkarten zeigen, wo Wasser bei heftigem Regen abfließt; die Gemeinden halten dort "
    "Flächen frei und beraten Eigentümerinnen und Eigentümer.",
    "Bürgerenergiegenossenschaften beteiligen sich an Photovoltaikanlagen auf Schuldächern und "
    "Feuerwehrhäusern, die Gemeinden erhalten eine Dachpacht.",
]


def make_page_break_pdf(path: Path) -> Path:
    """A concept section of distinct sentences over about a page and a half (so one passage runs
    over the page break) and a page in two columns: where passages are highlighted."""
    pdf = GermanPDF(header="Klimaschutzkonzept Landkreis Hohenwalde", title="Klimaschutzkonzept Hohenwalde")
    pdf.title_page("Klimaschutzkonzept", "Landkreis Hohenwalde 2022")
    pdf.heading("5 Umsetzung in den Gemeinden", new_page=True)
    for number in range(1, 6):  # about a page and a half: one passage runs over the page break
        pdf.paragraph(" ".join(f"Abschnitt {number}.{i}: {s}" for i, s in enumerate(SENTENCES, 1)))
    pdf.heading("6 Zwei Spalten", new_page=True)
    pdf.two_columns(
        [f"Links {i}: {s}" for i, s in enumerate(SENTENCES[:3], 1)],
        [f"Rechts {i}: {s}" for i, s in enumerate(SENTENCES[3:], 1)],
    )
    return pdf.save(path)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)
