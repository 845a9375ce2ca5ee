"""Duplicated material as counties really have it: one consultant's chapter in several concepts.

:func:`concept_with_chapter` writes a county's concept PDF that carries the same chapter
(:data:`SHARED_CHAPTER`) as the others, but with its own running header, its own chapters before
and after it, another type size and line width (so other line breaks and other words hyphenated
at line ends) and starting on another page. :data:`SAME_TOPIC` is a passage on the same topic in
other words: it must never be taken for a copy.
"""

from __future__ import annotations

from pathlib import Path

from tests.pdfgen import GermanPDF

SHARED_HEADING = "Kommunale Wärmeplanung im Kreisgebiet"
SHARED_CHAPTER = (
    "Die kommunale Wärmeplanung ist für die kreisangehörigen Gemeinden eine neue Pflichtaufgabe. "
    "Das Gutachterbüro empfiehlt, die Bestandsanalyse für alle Gemeinden gemeinsam zu beauftragen, "
    "weil Schornsteinfegerdaten, Netzinformationen der Stadtwerke und Gebäudetypologien nur einmal "
    "aufbereitet werden müssen. Der Landkreis übernimmt dabei die Koordination und stellt die "
    "Geodaten des Liegenschaftskatasters kostenfrei bereit.",
    "In der Potenzialanalyse werden Abwärme aus Gewerbebetrieben, oberflächennahe Geothermie, "
    "Solarthermie auf Freiflächen und Biomasse aus der Landschaftspflege bewertet. Für jede "
    "Gemeinde entsteht eine Karte der Eignungsgebiete für Wärmenetze und für dezentrale "
    "Versorgung mit Wärmepumpen. Die Ergebnisse werden in öffentlichen Veranstaltungen vorgestellt, "
    "bevor die Gemeinderäte über das Zielszenario beschließen.",
    "Für die Umsetzung schlägt das Gutachten eine Wärmeplanungsstelle beim Klimaschutzmanagement "
    "vor, die Förderanträge bündelt, Netzbetreiber an einen Tisch bringt und den Fortschritt alle "
    "fünf Jahre überprüft. Besonders wirksam ist die frühzeitige Abstimmung mit Wohnungsbaugesellschaften, "
    "weil ihre Quartiere als Ankerkunden für neue Wärmenetze dienen können.",
    "Die Kosten der Wärmeplanung trägt zunächst das Land über die Konnexitätszahlung; der Landkreis "
    "ergänzt sie für die Gemeinden unter fünftausend Einwohnern um einen Zuschuss für die "
    "Öffentlichkeitsarbeit. Gemeinsame Ausschreibungen senken die Planungskosten erfahrungsgemäß "
    "um ein Viertel, weil Datenerhebung und Szenarienrechnung nur einmal vergeben werden.",
    "Als Schlüsselmaßnahmen nennt das Gutachten den Aufbau eines Wärmekatasters, die Prüfung von "
    "Abwärmequellen in den Gewerbegebieten, Machbarkeitsstudien für zwei Nahwärmenetze und eine "
    "Beratungsoffensive für Eigentümerinnen und Eigentümer von Ein- und Zweifamilienhäusern, deren "
    "Heizungen in den nächsten zehn Jahren ersetzt werden müssen.",
    "Der Erfolg wird an drei Kennzahlen gemessen: dem Anteil erneuerbarer Wärme am Endenergieverbrauch, "
    "der Zahl der an Wärmenetze angeschlossenen Gebäude und den Treibhausgasemissionen der "
    "Wärmeversorgung je Einwohnerin und Einwohner. Der Kreistag erhält dazu jährlich einen kurzen "
    "Bericht des Klimaschutzmanagements.",
)
SAME_TOPIC = (
    "Unsere Gemeinden planen ihre Wärmeversorgung jede für sich. Die Stadt Talheim hat im Frühjahr "
    "ein Ingenieurbüro mit dem Wärmeplan beauftragt und dafür eigene Daten der Stadtwerke genutzt; "
    "die kleineren Orte warten auf die Landesförderung. Ein gemeinsames Vorgehen aller Gemeinden "
    "wurde im Kreistag diskutiert, aber wegen der unterschiedlichen Zeitpläne vertagt. Wärmenetze "
    "gelten vor allem in den dicht bebauten Ortskernen als wirtschaftlich."
)


def concept_with_chapter(
    path: Path,
    county: str,
    *,
    pages_before: int,
    font_size: float,
    margin: float,
    own_text: str,
    chapter: tuple[str, ...] = SHARED_CHAPTER,
) -> Path:
    """A concept of ``county`` whose shared chapter starts on page ``pages_before + 2``: its own
    introduction, pages left blank for notes, the shared chapter, its own outlook."""
    document = GermanPDF(
        header=f"{county} - Integriertes Klimaschutzkonzept", title=f"Klimaschutzkonzept {county}", font_size=font_size
    )
    document.pdf.set_margins(margin, 20, margin)
    document.title_page("Integriertes Klimaschutzkonzept", county)
    document.heading(f"1 Ausgangslage in {county}")
    document.paragraph(own_text)
    for _ in range(pages_before):
        document.new_page()
    document.heading(f"2 {SHARED_HEADING}", new_page=True)
    for paragraph in chapter:
        document.paragraph(paragraph)
    document.heading(f"3 Ausblick für {county}", new_page=True)
    document.paragraph(f"Der Kreistag von {county} berät das Konzept im Herbst und beschließt danach den Zeitplan.")
    return document.save(path)
