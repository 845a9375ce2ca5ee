"""A briefing as a Word file: collected passages quoted verbatim, each with its citation and link.

Ready for a Kreistag committee paper: the reader sees where every sentence comes from
(county, document, page) and can open the passage in Kreiswissen.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import RGBColor
from docx.text.paragraph import Paragraph

from kb.core.documents import DocumentRecord, Passage
from kb.service.presenters import citation, xml_text

Quote = tuple[Passage, DocumentRecord]
DEFAULT_TITLE = "Merkliste aus Kreiswissen"
_LINK_BLUE = RGBColor(0x0B, 0x4F, 0x9C)


def briefing_docx(quotes: Sequence[Quote], link: Callable[[Passage], str], *, title: str = "") -> bytes:
    """The DOCX bytes of ``quotes`` in their order; ``link`` gives each passage's web address."""
    document = Document()
    title = xml_text(title) or DEFAULT_TITLE
    document.core_properties.title = title
    document.core_properties.author = "Kreiswissen"
    document.add_heading(title, level=0)
    document.add_paragraph(
        f"Zusammengestellt am {date.today():%d.%m.%Y} aus Kreiswissen: {_count(len(quotes))}, "
        "wörtlich zitiert, jeweils mit Quelle."
    )
    for number, (passage, record) in enumerate(quotes, 1):
        document.add_heading(xml_text(f"{number}. {record.metadata.title}"), level=2)
        if passage.heading_path:
            document.add_paragraph().add_run(xml_text("Abschnitt: " + " › ".join(passage.heading_path))).italic = True
        for line in xml_text(passage.text).split("\n"):
            document.add_paragraph(line, style="Quote")
        cited = citation(record, passage.page_start, passage.page_end)
        source = document.add_paragraph(xml_text(f"Quelle: {cited} – "))
        address = link(passage)
        _add_hyperlink(source, address, address)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _count(n: int) -> str:
    return "ein Auszug" if n == 1 else f"{n} Auszüge"


def _add_hyperlink(paragraph: Paragraph, address: str, text: str) -> None:
    """A clickable link (python-docx reads hyperlinks but has no call to write one)."""
    relation = paragraph.part.relate_to(address, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), relation)
    run = paragraph.add_run(text)
    run.font.underline = True
    run.font.color.rgb = _LINK_BLUE
    hyperlink.append(run._r)
    paragraph._p.append(hyperlink)
