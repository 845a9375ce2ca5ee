"""A quoted sentence cites the page it stands on, not the first page of its passage (issue 15).

A real PDF whose section runs over a page break: the answer sits on the second page of the
passage, and both `KnowledgeBase.answer` and the API cite that page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.core.documents import Metadata
from kb.service import KnowledgeBase
from tests.conftest import make_app, make_config
from tests.pdfgen import GermanPDF

QUESTION = "Welchen Anteil der Kosten für Ladesäulen an Rathäusern übernimmt der Kreis?"
ANSWER = "Der Landkreis übernimmt 40 Prozent der Kosten für Ladesäulen an Rathäusern."


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    folder = tmp_path_factory.mktemp("citations")
    pdf = GermanPDF(header="Klimaschutzkonzept Landkreis Hohenwalde", title="Klimaschutzkonzept Hohenwalde")
    pdf.title_page("Klimaschutzkonzept", "Landkreis Hohenwalde 2022")
    pdf.heading("5 Mobilität in den Gemeinden", new_page=True)
    pdf.paragraph(
        "Die Gemeinden stellen ihre Fuhrparks schrittweise auf Elektrofahrzeuge um. "
        "Das Klimaschutzmanagement berät bei der Auswahl der Fahrzeuge."
    )
    pdf.new_page()
    pdf.paragraph(ANSWER + " Die Anträge nimmt die Energieagentur bis zum 30. Juni entgegen.")
    pdf.save(folder / "konzept.pdf")
    data = folder / "data"
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    report = kb.ingest([folder / "konzept.pdf"], metadata=Metadata(visibility="public"))
    kb.close()
    assert not report.failed, report.failed
    return data


def test_the_quoted_sentence_cites_its_own_page(data: Path, embedder):
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    answer = kb.answer(QUESTION)
    kb.close()
    top = answer.sentences[0]
    passage = next(hit.passage for hit in answer.hits if hit.passage.id == top.passage_id)
    assert top.text == ANSWER
    assert (passage.page_start, passage.page_end) == (2, 3)  # the passage runs over the page break
    assert top.page == 3


def test_the_api_cites_the_sentences_page(data: Path, embedder):
    client = make_app(make_config(data), embedder).test_client()
    quoted = client.get("/api/v1/answer", query_string={"q": QUESTION}).get_json()["answer"][0]
    assert quoted["text"] == ANSWER and quoted["page"] == 3 and quoted["citation"].endswith("S. 3")
