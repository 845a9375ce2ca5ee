"""Generate the bundled sample corpus: German documents about four fictional counties.

    .venv/bin/python samples/build.py        # rewrites the files next to this script

Every document gets a sidecar ``<file>.meta.json``. The PDFs are set by tests/pdfgen.py with
running headers, page footers, bookmarks and words hyphenated at line ends, so that ingest's
repair code has real work to do. A signed protocol comes as a scan without text layer and a
workshop's pinboard as a photo (tests/scangen.py), so that the demo shows OCR at work.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.pdfgen import GermanPDF  # noqa: E402
from tests.scangen import image_pdf, pinboard_photo, scanned, typeset_page  # noqa: E402

FIXED = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)


def meta(path: Path, **fields: object) -> None:
    # the fictional samples are public, so the demo shows them to every visitor
    fields = fields | {"visibility": "öffentlich"}
    Path(f"{path}.meta.json").write_text(json.dumps(fields, ensure_ascii=False, indent=2) + "\n", "utf-8")


# 1 — the long concept (PDF)

CONCEPT = [
    (
        "1 Einleitung",
        1,
        [
            "Der Landkreis Hohenwalde hat im Jahr 2022 sein erstes integriertes Klimaschutzkonzept beschlossen. Es beschreibt, wie der Kreis bis 2040 treibhausgasneutral werden kann, und es legt fest, welche Rolle die Kreisverwaltung gegenüber ihren 24 kreisangehörigen Gemeinden übernimmt. Der Kreis selbst ist für weniger als drei Prozent der Emissionen im Kreisgebiet unmittelbar verantwortlich; seine Wirkung entfaltet er vor allem als Motivator, Moderator und Berater der Städte und Gemeinden.",
            "Das Konzept wurde zwischen März 2021 und Februar 2022 erarbeitet. Grundlage waren eine Energie- und Treibhausgasbilanz, vier Fachwerkstätten, eine Online-Befragung der Bürgerinnen und Bürger sowie Interviews mit allen Bürgermeisterinnen und Bürgermeistern. Gefördert wurde die Erstellung über die Kommunalrichtlinie des Bundes (Förderquote 70 Prozent).",
        ],
    ),
    (
        "2 Ausgangslage und Treibhausgasbilanz",
        1,
        [
            "Im Bilanzjahr 2019 verursachte das Kreisgebiet rund 1,46 Millionen Tonnen CO2-Äquivalente, das sind 9,8 Tonnen je Einwohnerin und Einwohner. Den größten Anteil hat der Verkehr mit 38 Prozent, gefolgt von der Wärmeversorgung privater Haushalte mit 27 Prozent und der Industrie mit 21 Prozent. Der Anteil erneuerbarer Energien am Stromverbrauch liegt bei 46 Prozent, getragen vor allem von Windenergieanlagen auf der Hochfläche und Photovoltaikanlagen auf landwirtschaftlichen Gebäuden.",
        ],
    ),
    (
        "TABLE",
        0,
        [
            ["Sektor", "t CO2-Äq. 2019", "Anteil"],
            ["Verkehr", "555.000", "38 %"],
            ["Private Haushalte", "394.000", "27 %"],
            ["Industrie", "307.000", "21 %"],
            ["Gewerbe, Handel, Dienstleistungen", "146.000", "10 %"],
            ["Kommunale Einrichtungen", "58.000", "4 %"],
        ],
    ),
    ("3 Handlungsfelder", 1, []),
    (
        "3.1 Energie",
        2,
        [
            "Der Ausbau der Windenergie bleibt die wirksamste Einzelmaßnahme. Der Kreis unterstützt die Gemeinden bei der Ausweisung von Flächen, indem er eine kreisweite Potenzialanalyse bereitstellt und die Regionalplanung frühzeitig einbindet. Für Photovoltaik auf Dächern richtet die Energieagentur eine Solarberatung ein, die Eigentümerinnen und Eigentümer kostenlos zu Statik, Ertrag und Wirtschaftlichkeit berät.",
            "Bürgerenergiegenossenschaften sollen an neuen Anlagen beteiligt werden. Das stärkt die Akzeptanz vor Ort und hält die Wertschöpfung in der Region; der Kreis stellt dafür einen Mustervertrag zur finanziellen Beteiligung der Standortgemeinden bereit.",
        ],
    ),
    (
        "3.2 Mobilität",
        2,
        [
            "Im ländlichen Raum bleibt das Auto vorerst das wichtigste Verkehrsmittel. Umso wichtiger sind verlässliche Alternativen: Der Kreis verdichtet den Takt der Regionalbuslinien auf den Hauptachsen auf einen Stundentakt, ergänzt ihn durch ein Rufbussystem und baut gemeinsam mit den Gemeinden ein Netz von Pendler-Radrouten zwischen den Ortschaften und den Bahnhöfen aus.",
            "Für die E-Mobilität entsteht ein kreisweites Ladekonzept. Es zeigt jeder Gemeinde, an welchen Standorten öffentliche Ladepunkte sinnvoll sind, etwa an Rathäusern, Sporthallen und Mitfahrparkplätzen. Der kreiseigene Fuhrpark wird bis 2027 vollständig auf Elektrofahrzeuge umgestellt; Dienstfahrräder und E-Lastenräder ergänzen ihn.",
        ],
    ),
    (
        "3.3 Gebäude und Wärme",
        2,
        [
            "Die Wärmewende ist die größte Aufgabe der kommenden Jahre. Nach dem Wärmeplanungsgesetz müssen alle Gemeinden eine kommunale Wärmeplanung erstellen. Der Landkreis koordiniert dafür ein Konvoi-Verfahren: Mehrere kleine Gemeinden beauftragen gemeinsam ein Fachbüro, teilen sich Datenerhebung und Beteiligungsformate und sparen so Kosten und Personalaufwand.",
            "Für die kreiseigenen Liegenschaften, darunter 14 Schulen und das Landratsamt, gilt ein Sanierungsfahrplan. Bis 2030 sollen alle Ölheizungen ersetzt sein; vorrangig werden Wärmepumpen und Anschlüsse an Nahwärmenetze geprüft.",
        ],
    ),
    (
        "3.4 Klimaanpassung",
        2,
        [
            "Starkregen und Hitzeperioden haben in den vergangenen Jahren auch im Kreis Schäden verursacht. Der Kreis lässt für alle Gemeinden Starkregengefahrenkarten erstellen und berät zu Rückhalteflächen, Entsiegelung und Hitzeschutz in Kitas und Pflegeeinrichtungen.",
        ],
    ),
    (
        "4 Zusammenarbeit mit den kreisangehörigen Gemeinden",
        1,
        [
            "Der Kreis versteht sich als Dienstleister der Gemeinden. Zweimal im Jahr lädt der Landrat alle Rathauschefs zu einer Bürgermeisterdienstbesprechung mit dem Schwerpunkt Klimaschutz ein. Dort berichtet das Klimaschutzmanagement über Förderprogramme, und die Gemeinden stellen einander gelungene Projekte vor.",
            "Zusätzlich entsteht ein Gemeindenetzwerk Energieeffizienz: Zwölf Gemeinden tauschen sich unter Moderation der Energieagentur viermal jährlich über Energiemanagement, Straßenbeleuchtung und Heizungserneuerung aus. Kleine Gemeinden ohne eigenes Fachpersonal können über den Kreis ein gemeinsames Klimaschutzmanagement nutzen; die Personalkosten werden nach Einwohnerzahl geteilt.",
            "Ein kreisweiter Klimaschutzfonds in Höhe von 250.000 Euro jährlich unterstützt kommunale Vorhaben, die keine andere Förderung erhalten, z. B. Machbarkeitsstudien oder die Eigenanteile kleiner Gemeinden.",
        ],
    ),
    (
        "5 Beteiligung und Kommunikation",
        1,
        [
            "Klimaschutz gelingt nur mit der Bevölkerung. Der Kreis richtet eine Internetseite mit Beratungsangeboten ein, veranstaltet jährlich einen Klimatag und unterstützt Schulen beim Energiesparen. Vereine, Kirchengemeinden und Unternehmen werden über einen Klimabeirat eingebunden, der dem Kreistag zweimal jährlich berichtet.",
        ],
    ),
    (
        "6 Umsetzung und Controlling",
        1,
        [
            "Das Klimaschutzmanagement im Landratsamt steuert die Umsetzung. Alle zwei Jahre wird die Treibhausgasbilanz fortgeschrieben; ein jährlicher Sachstandsbericht an den Kreistag zeigt für jede der 42 Maßnahmen, wie weit sie umgesetzt ist. Maßnahmen, die hinter dem Plan liegen, werden im Klimabeirat besprochen und gegebenenfalls angepasst.",
        ],
    ),
]


def build_concept(path: Path) -> None:
    doc = GermanPDF(
        header="Klimaschutzkonzept Landkreis Hohenwalde 2022",
        title="Integriertes Klimaschutzkonzept Landkreis Hohenwalde",
        created=FIXED,
        font_size=12,
        line_height=7,
    )
    doc.title_page("Integriertes Klimaschutzkonzept", "Landkreis Hohenwalde, beschlossen vom Kreistag am 14. März 2022")
    for title, level, body in CONCEPT:
        if title == "TABLE":
            doc.table(body)
            continue
        doc.heading(title, level, new_page=not title.startswith(("1 ", "3.1 ")))
        for text in body:
            doc.paragraph(text)
    doc.save(path)
    meta(
        path,
        title="Integriertes Klimaschutzkonzept Landkreis Hohenwalde",
        county="Landkreis Hohenwalde",
        doc_type="Klimaschutzkonzept",
        year=2022,
        topics=["Energie", "Mobilität", "Gebäude und Wärme", "kreisangehörige Gemeinden", "Klimaschutzmanagement"],
    )


# 2 — workshop results (PDF)

WORKSHOP = [
    (
        "Workshop der Vorreiterkreise: Kommunen im Kreisgebiet für den Klimaschutz gewinnen",
        1,
        [
            "Am 14. März 2024 trafen sich Vertreterinnen und Vertreter von sieben Vorreiterkreisen und drei Gastkreisen im Kreishaus des Landkreises Moorbach. Leitfrage des Workshops war, wie Landkreise die Städte und Gemeinden in ihrem Gebiet für eigene Klimaschutzaktivitäten gewinnen können, obwohl die Kreise ihnen keine Vorgaben machen dürfen.",
        ],
    ),
    (
        "Ergebnisse der Arbeitsgruppe Motivation",
        2,
        [
            "Als wirksam gilt vor allem der persönliche Kontakt. Der Landkreis Moorbach besucht jede Kommune einmal im Jahr mit einem kleinen Team aus Klimaschutzmanagerin, Energieberater und Fördermittelexpertin. Diese Rathausbesuche dauern etwa zwei Stunden und enden mit einer Liste von drei konkreten nächsten Schritten.",
            "Wettbewerbe und Auszeichnungen motivieren zusätzlich: Eine Klimaschutzplakette für Gemeinden, die ein Energiemanagement eingeführt haben, wurde von mehreren Kreisen als einfach und wirksam beschrieben.",
        ],
    ),
    (
        "Ergebnisse der Arbeitsgruppe Beratung",
        2,
        [
            "Kleine Gemeinden haben selten eigenes Fachpersonal. Bewährt haben sich kreisweite Beratungsangebote, die von den Gemeinden ohne eigenen Antrag genutzt werden können: eine Fördermittelberatung, ein Musterleistungsverzeichnis für LED-Straßenbeleuchtung und eine Vorlage für Gemeinderatsbeschlüsse zur Wärmeplanung.",
            "Mehrere Teilnehmende berichteten, dass Gemeinden Förderanträge häufig wegen fehlender Eigenmittel nicht stellen. Ein Kreisfonds, der den Eigenanteil kleiner Kommunen teilweise übernimmt, habe im Landkreis Hohenwalde die Zahl der Anträge verdoppelt.",
        ],
    ),
    (
        "Ergebnisse der Arbeitsgruppe Moderation",
        2,
        [
            "Landkreise können Gemeinden zusammenbringen, die allein zu klein wären. Beispiele sind gemeinsame Ausschreibungen für Ökostrom, Konvoi-Verfahren in der Wärmeplanung und interkommunale Klimaschutzmanagerstellen. Wichtig sei, dass der Kreis moderiert, aber die Entscheidungen bei den Gemeinderäten bleiben.",
        ],
    ),
    (
        "Vereinbarte nächste Schritte",
        2,
        [
            "Die Teilnehmenden vereinbarten, ihre Musterdokumente auf einer gemeinsamen Plattform zu teilen. Der Landkreis Talheim-Ost lädt im Herbst 2024 zum nächsten Treffen ein; Schwerpunkt wird die Klimaanpassung sein.",
        ],
    ),
]


def build_workshop(path: Path) -> None:
    doc = GermanPDF(
        header="Vorreiterkreise - Workshop-Dokumentation 14.03.2024",
        title="Dokumentation des Workshops der Vorreiterkreise",
        created=FIXED,
    )
    for title, level, body in WORKSHOP:
        doc.heading(title, level, new_page=title.startswith("Ergebnisse"))
        for text in body:
            doc.paragraph(text)
    doc.save(path)
    meta(
        path,
        title="Dokumentation des Workshops der Vorreiterkreise: Kommunen gewinnen",
        county="Landkreis Moorbach",
        doc_type="Workshop-Ergebnis",
        year=2024,
        topics=["kreisangehörige Gemeinden", "Förderung", "Beteiligung und Kommunikation"],
    )


# 3, 4, 5 — DOCX


def build_docx(
    path: Path,
    title: str,
    sections: list[tuple[str, list[str]]],
    table: list[list[str]] | None = None,
    bullets: list[str] | None = None,
) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.created = FIXED.replace(tzinfo=None)
    document.add_heading(title, level=1)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=2)
        for text in paragraphs:
            document.add_paragraph(text)
    if bullets:
        document.add_heading("Vereinbarungen", level=2)
        for item in bullets:
            document.add_paragraph(item, style="List Bullet")
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(path)


GUIDE = [
    (
        "Warum Energiemanagement?",
        [
            "Kommunale Gebäude verbrauchen oft mehr Energie als nötig, weil niemand die Verbräuche regelmäßig auswertet. Ein Energiemanagement macht sichtbar, wo Heizung und Strom verschwendet werden. Erfahrungsgemäß lassen sich allein durch bessere Regelung und Nutzerverhalten zehn bis fünfzehn Prozent der Energiekosten einsparen, ohne dass investiert werden muss.",
        ],
    ),
    (
        "Schritt 1: Verantwortliche benennen",
        [
            "Jede Gemeinde benennt eine Energiebeauftragte oder einen Energiebeauftragten, z. B. aus dem Bauamt oder der Kämmerei. Wichtig ist ein Ratsbeschluss, der die Aufgabe und die dafür nötige Arbeitszeit festlegt, mindestens zwei Stunden pro Woche.",
        ],
    ),
    (
        "Schritt 2: Verbräuche monatlich erfassen",
        [
            "Hausmeisterinnen und Hausmeister lesen die Zähler am ersten Werktag jedes Monats ab und tragen die Werte in die kreisweite Software ein, die der Landkreis Birkenau-Süd allen Gemeinden kostenlos bereitstellt. Wo möglich, werden Zähler mit Fernauslesung nachgerüstet.",
        ],
    ),
    (
        "Schritt 3: Auswerten und handeln",
        [
            "Einmal jährlich erstellt die Gemeinde einen Energiebericht für den Gemeinderat. Auffällige Gebäude werden mit der Energieagentur begangen; typische Sofortmaßnahmen sind angepasste Heizzeiten, hydraulischer Abgleich und der Austausch alter Umwälzpumpen.",
        ],
    ),
    (
        "Unterstützung durch den Landkreis",
        [
            "Der Landkreis Birkenau-Süd schult die Energiebeauftragten in einem eintägigen Grundkurs, organisiert ein Netzwerk, das sich dreimal im Jahr trifft, und übernimmt im ersten Jahr die Lizenzkosten der Software. Gemeinden, die nach § 6 Abs. 2 Nr. 1 der Kommunalrichtlinie gefördert werden, erhalten zusätzlich eine Fördermittelberatung.",
        ],
    ),
]

PROTOCOL_NETWORK = [
    (
        "Teilnehmende und Tagesordnung",
        [
            "Am 7. November 2023 fand das 3. Netzwerktreffen der Vorreiterkreise im Landratsamt Talheim-Ost statt. Teilgenommen haben 18 Personen aus sechs Landkreisen. Die Moderation übernahm Frau Dr. Kessler von der Landesenergieagentur.",
        ],
    ),
    (
        "TOP 1: Klimaschutzmanagement in kleinen Gemeinden",
        [
            "Herr Albrecht (Landkreis Talheim-Ost) stellte das Modell eines geteilten Klimaschutzmanagements vor: Vier Gemeinden mit zusammen 19.000 Einwohnern finanzieren gemeinsam eine Vollzeitstelle, die beim Kreis angesiedelt ist. Die Stelle wird über die Kommunalrichtlinie gefördert; der Eigenanteil wird nach Einwohnerzahl aufgeteilt.",
            "In der Diskussion wurde betont, dass ein fester Ansprechpartner vor Ort wichtiger sei als eine Stelle in der fernen Kreisstadt. Die Klimaschutzmanagerin hält deshalb jede Woche einen Sprechtag in einem der vier Rathäuser ab.",
        ],
    ),
    (
        "TOP 2: Gemeinsame Beschaffung",
        [
            "Der Landkreis Talheim-Ost hat 2023 erstmals eine Bündelausschreibung für Ökostrom durchgeführt, an der sich 21 Gemeinden beteiligt haben. Trotz strenger Anforderungen an die Herkunft des Stroms lagen die Kosten nur 0,4 Cent je Kilowattstunde über dem Vorjahr.",
        ],
    ),
    (
        "TOP 3: Verschiedenes",
        [
            "Das nächste Treffen findet im Frühjahr 2024 im Landkreis Moorbach statt.",
        ],
    ),
]

PROTOCOL_MAYORS = [
    (
        "Begrüßung",
        [
            "Landrat Weber begrüßte am 20. September 2023 die Bürgermeisterinnen und Bürgermeister der kreisangehörigen Gemeinden zur Dienstbesprechung Klimaschutz im großen Sitzungssaal des Landratsamts Hohenwalde.",
        ],
    ),
    (
        "Kommunale Wärmeplanung im Konvoi",
        [
            "Frau Yilmaz vom Klimaschutzmanagement erläuterte das Konvoi-Verfahren: Elf Gemeinden unter 10.000 Einwohnern lassen ihre Wärmepläne gemeinsam von einem Fachbüro erstellen. Der Kreis übernimmt die Ausschreibung und die Datenbeschaffung bei Schornsteinfegern und Netzbetreibern. Die Gemeinden sparen dadurch nach ersten Schätzungen etwa 40 Prozent der Kosten.",
            "Bürgermeister Haas (Gemeinde Lindenfeld) fragte, ob die Gemeinden weiterhin selbst über die Ergebnisse entscheiden. Frau Yilmaz bestätigte, dass jeder Wärmeplan vom jeweiligen Gemeinderat beschlossen wird.",
        ],
    ),
    (
        "Klimaschutzfonds",
        [
            "Der Kreistag hat einen Klimaschutzfonds mit jährlich 250.000 Euro eingerichtet. Anträge können formlos bis zum 31. Januar gestellt werden; gefördert werden bis zu 50 Prozent des kommunalen Eigenanteils bei geförderten Projekten.",
        ],
    ),
]


# 6 — PPTX

SLIDES = [
    (
        "Kommunale Wärmeplanung im Landkreis Moorbach",
        ["Stand der Umsetzung, Kreistag 2024"],
        "Einführung durch Herrn Brandt, Leiter der Stabsstelle Klimaschutz.",
    ),
    (
        "Warum Wärmeplanung?",
        [
            "Wärme verursacht rund ein Drittel der Emissionen im Kreis",
            "Pflichtaufgabe nach Wärmeplanungsgesetz",
            "Grundlage für Investitionen von Bürgern und Stadtwerken",
        ],
        "",
    ),
    (
        "Der Konvoi der kleinen Gemeinden",
        [
            "15 Gemeinden unter 10.000 Einwohnern planen gemeinsam",
            "Kreis übernimmt Vergabe und Projektsteuerung",
            "Kostenersparnis rund 35 %",
        ],
        "Die Gemeinden behalten die Entscheidung; der Kreis organisiert nur das Verfahren.",
    ),
    (
        "Zeitplan",
        ["Bestandsanalyse bis Juni 2024", "Potenzialanalyse bis Dezember 2024", "Beschluss in den Gemeinderäten 2025"],
        "",
    ),
    (
        "Erste Ergebnisse",
        [
            "Drei Nahwärmeinseln an Schulzentren identifiziert",
            "Biogasanlagen als Wärmequelle in vier Dörfern",
            "Abwärme des Sägewerks in Moorbach nutzbar",
        ],
        "Die Abwärme des Sägewerks könnte rund 400 Haushalte versorgen.",
    ),
    (
        "Beteiligung der Öffentlichkeit",
        ["Bürgerabende in jeder Gemeinde", "Online-Karte zur Rückmeldung", "Informationen für Heizungstausch"],
        "",
    ),
    (
        "Nächste Schritte",
        ["Fördermittel für Machbarkeitsstudien beantragen", "Energiegenossenschaften einbinden"],
        "Fragen bitte an die Stabsstelle Klimaschutz.",
    ),
]


def build_pptx(path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    deck.core_properties.title = "Kommunale Wärmeplanung im Landkreis Moorbach"
    for title, bullets, notes in SLIDES:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        frame = slide.placeholders[1].text_frame
        frame.text = bullets[0]
        for bullet in bullets[1:]:
            frame.add_paragraph().text = bullet
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(path)
    meta(
        path,
        title="Kommunale Wärmeplanung im Landkreis Moorbach",
        county="Landkreis Moorbach",
        doc_type="Präsentation",
        year=2024,
        topics=["Gebäude und Wärme", "kreisangehörige Gemeinden"],
    )


# 7, 8 — HTML

PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>{title}</title>
<script>window.dataLayer = window.dataLayer || []; function track() {{ dataLayer.push(arguments); }}</script>
</head><body>
<header><a href="/">Landkreis {county} – Startseite</a>
<nav><ul><li><a href="/buergerservice">Bürgerservice</a></li><li><a href="/kreistag">Kreistag</a></li>
<li><a href="/klimaschutz">Klimaschutz</a></li><li><a href="/kontakt">Kontakt</a></li></ul></nav></header>
<div class="cookie-banner">Diese Website verwendet Cookies. <button>Alle akzeptieren</button> <button>Ablehnen</button></div>
<main><article>
<h1>{title}</h1>
{body}
</article></main>
<footer><p>Impressum · Datenschutz · Barrierefreiheit · © Landkreis {county}</p></footer>
</body></html>
"""

SOLAR = """<p>Viele Dächer kommunaler Gebäude im Landkreis Birkenau-Süd eignen sich für Photovoltaik, doch gerade kleine Gemeinden scheuen den Aufwand für Planung, Ausschreibung und Betrieb. Die Solardachbörse des Kreises bringt deshalb seit 2021 Gemeinden, die Dachflächen anbieten, mit der Bürgerenergiegenossenschaft Birkenau zusammen.</p>
<h2>So funktioniert die Solardachbörse</h2>
<p>Die Gemeinde meldet geeignete Dächer an die Energieagentur. Diese prüft Statik und Ausrichtung und vermittelt einen Pachtvertrag mit der Genossenschaft, die die Anlage baut und betreibt. Die Gemeinde erhält eine jährliche Dachpacht und kann den Strom zu einem festen Preis selbst nutzen.</p>
<h2>Ergebnisse</h2>
<p>Bis Ende 2023 sind auf 37 Schulen, Feuerwehrhäusern und Bauhöfen Anlagen mit zusammen 2,9 Megawatt Leistung entstanden. 640 Bürgerinnen und Bürger sind Mitglied der Genossenschaft geworden.</p>
<h2>Was andere Kreise übernehmen können</h2>
<p>Entscheidend war ein Mustervertrag, den der Kreis mit den Gemeinden abgestimmt hat. Er regelt Haftung, Rückbau und Dachsanierung und erspart jeder Gemeinde eine eigene juristische Prüfung.</p>
"""

STAMMTISCH = """<p>Im Landkreis Talheim-Ost treffen sich die Klimaschutzbeauftragten der Gemeinden jeden ersten Donnerstag im Quartal zu einem Klimaschutz-Stammtisch. Das Format ist bewusst informell: Es gibt keine Tagesordnung, sondern kurze Berichte aus den Rathäusern und viel Zeit für Fragen.</p>
<h2>Warum das Format funktioniert</h2>
<p>Die Beteiligten kennen einander und rufen sich auch zwischen den Treffen an, wenn es um Ausschreibungen oder Förderanträge geht. Neue Beschäftigte in den Gemeindeverwaltungen finden so schnell Anschluss. Der Kreis stellt nur den Raum und lädt ein; die Themen bestimmen die Gemeinden.</p>
<h2>Beispiele aus den Treffen</h2>
<p>Aus dem Stammtisch heraus entstanden eine gemeinsame Sammelbestellung von Thermografie-Aufnahmen, eine Tauschbörse für Messgeräte und eine Arbeitsgruppe zur Straßenbeleuchtung, die inzwischen in neun Gemeinden auf LED umgestellt hat.</p>
"""


# 9, 10, 11, 12 — Markdown and text notes

NOTE_FUNDING = """# Notiz: Fördermittelberatung für Gemeinden

Stand: Februar 2024 · Landkreis Talheim-Ost, Stabsstelle Klimaschutz

## Ausgangslage

Viele Gemeinden kennen die Förderprogramme von Bund und Land nicht oder scheuen den Antragsaufwand. Besonders die Kommunalrichtlinie wird im Kreisgebiet kaum genutzt: 2022 stellten nur drei von 31 Gemeinden einen Antrag.

## Angebot des Kreises

- Sprechstunde jeden zweiten Dienstag, telefonisch oder im Rathaus
- Fördermittel-Newsletter viermal im Jahr
- Hilfe beim Ausfüllen der Anträge und bei Verwendungsnachweisen

## Erste Erfahrungen

Seit Beginn der Beratung im April 2023 wurden 17 Anträge gestellt, davon 12 bewilligt, mit einer Fördersumme von zusammen 1,3 Mio. Euro. Am häufigsten gefördert wurden LED-Sanierungen der Straßenbeleuchtung und Klimaschutzkonzepte für einzelne Liegenschaften.
"""

NOTE_RAIN = """# Notizen zur Klausur: Starkregenvorsorge

## Anlass

Nach dem Unwetter vom 2. Juni 2023 standen in fünf Gemeinden des Landkreises Moorbach Keller und Straßen unter Wasser. Mehrere Bürgermeister baten den Kreis um Unterstützung.

## Vorschläge

1. Der Kreis beauftragt für alle Gemeinden gemeinsam Fließwegekarten, die zeigen, wohin das Wasser bei heftigem Regen abfließt.
2. Eigentümerinnen und Eigentümer erhalten eine Checkliste zum Objektschutz, z. B. Rückstauklappen und erhöhte Kellerfenster.
3. Die Bauleitplanung der Gemeinden soll Notwasserwege und Rückhalteflächen freihalten.

## Offene Fragen

Wer bezahlt die Karten? Vorschlag: Der Kreis trägt die Hälfte, den Rest teilen sich die Gemeinden nach Fläche.
"""

NOTE_FARMING = """# Landwirtschaft und Moorschutz im Landkreis Birkenau-Süd

## Warum Moore wichtig sind

Entwässerte Moorböden setzen dauerhaft Kohlendioxid frei. Im Landkreis Birkenau-Süd liegen rund 3.200 Hektar Moorböden, die meisten als Grünland genutzt. Sie verursachen nach Schätzung des Landesamts etwa 80.000 Tonnen CO2-Äquivalente im Jahr.

## Gemeinsam mit den Betrieben

Der Kreis hat mit dem Bauernverband einen Runden Tisch eingerichtet. Betriebe, die Flächen wiedervernässen, erhalten Beratung zu Paludikultur, also der Bewirtschaftung nasser Böden, etwa mit Schilf oder Rohrkolben, und zu Ausgleichszahlungen.
"""

NOTE_PROCUREMENT = """Ökostrom in der Kreisverwaltung
================================

Seit dem 1. Januar 2023 beziehen alle Liegenschaften des Landkreises Hohenwalde Strom aus erneuerbaren Quellen. Die Ausschreibung verlangte Herkunftsnachweise aus Anlagen, die nicht älter als sechs Jahre sind, damit der Einkauf tatsächlich neue Anlagen anreizt.

Beschaffungsrichtlinie
----------------------

Der Kreistag hat außerdem eine Richtlinie für umweltfreundliche Beschaffung beschlossen. Sie verlangt bei Fahrzeugen, IT-Geräten und Reinigungsmitteln die Berücksichtigung von Lebenszykluskosten und anerkannten Umweltzeichen. Die kreisangehörigen Gemeinden können sich an den Rahmenverträgen des Kreises beteiligen.
"""


def main() -> None:
    build_concept(HERE / "klimaschutzkonzept-hohenwalde-2022.pdf")
    build_workshop(HERE / "workshop-vorreiterkreise-2024.pdf")

    path = HERE / "leitfaden-energiemanagement-birkenau-sued.docx"
    build_docx(
        path,
        "Leitfaden Energiemanagement für kreisangehörige Gemeinden",
        GUIDE,
        table=[
            ["Gebäudetyp", "Richtwert Heizwärme kWh/m²a"],
            ["Schule", "95"],
            ["Rathaus", "85"],
            ["Sporthalle", "110"],
        ],
    )
    meta(
        path,
        title="Leitfaden Energiemanagement für kreisangehörige Gemeinden",
        county="Landkreis Birkenau-Süd",
        doc_type="Leitfaden",
        year=2023,
        topics=["kreisangehörige Gemeinden", "Energie", "Gebäude und Wärme"],
    )

    path = HERE / "protokoll-netzwerktreffen-talheim-ost-2023.docx"
    build_docx(
        path,
        "Ergebnisprotokoll 3. Netzwerktreffen der Vorreiterkreise",
        PROTOCOL_NETWORK,
        bullets=[
            "Muster für die Kostenteilung wird an alle versandt.",
            "Bündelausschreibung 2025 offen für weitere Kreise.",
        ],
    )
    meta(
        path,
        title="Ergebnisprotokoll 3. Netzwerktreffen der Vorreiterkreise",
        county="Landkreis Talheim-Ost",
        doc_type="Workshop-Protokoll",
        year=2023,
        topics=["Klimaschutzmanagement", "Beschaffung", "kreisangehörige Gemeinden"],
    )

    path = HERE / "protokoll-buergermeisterdienstbesprechung-hohenwalde-2023.docx"
    build_docx(
        path,
        "Protokoll der Bürgermeisterdienstbesprechung Klimaschutz",
        PROTOCOL_MAYORS,
        table=[["Gemeinde", "Teilnahme Konvoi"], ["Lindenfeld", "ja"], ["Steinach", "ja"], ["Oberau", "nein"]],
    )
    meta(
        path,
        title="Protokoll der Bürgermeisterdienstbesprechung Klimaschutz",
        county="Landkreis Hohenwalde",
        doc_type="Workshop-Protokoll",
        year=2023,
        topics=["kreisangehörige Gemeinden", "Gebäude und Wärme", "Förderung"],
    )

    build_pptx(HERE / "waermeplanung-moorbach-2024.pptx")

    path = HERE / "good-practice-solardachboerse-birkenau-sued.html"
    path.write_text(
        PAGE.format(title="Solardachbörse: Gemeindedächer für Bürgerenergie", county="Birkenau-Süd", body=SOLAR),
        "utf-8",
    )
    meta(
        path,
        title="Solardachbörse: Gemeindedächer für Bürgerenergie",
        county="Landkreis Birkenau-Süd",
        doc_type="Good Practice",
        year=2023,
        topics=["Energie", "kreisangehörige Gemeinden", "Beteiligung und Kommunikation"],
        source_url="https://www.example.org/birkenau-sued/solardachboerse",
    )

    path = HERE / "good-practice-klimaschutz-stammtisch-talheim-ost.html"
    path.write_text(
        PAGE.format(title="Klimaschutz-Stammtisch der Gemeinden", county="Talheim-Ost", body=STAMMTISCH), "utf-8"
    )
    meta(
        path,
        title="Klimaschutz-Stammtisch der Gemeinden",
        county="Landkreis Talheim-Ost",
        doc_type="Good Practice",
        year=2024,
        topics=["kreisangehörige Gemeinden", "Beteiligung und Kommunikation"],
    )

    for name, text, fields in [
        (
            "notiz-foerdermittelberatung-talheim-ost.md",
            NOTE_FUNDING,
            dict(
                county="Landkreis Talheim-Ost",
                doc_type="Notiz",
                year=2024,
                topics=["Förderung", "kreisangehörige Gemeinden"],
            ),
        ),
        (
            "notiz-starkregenvorsorge-moorbach.md",
            NOTE_RAIN,
            dict(
                county="Landkreis Moorbach",
                doc_type="Notiz",
                year=2023,
                topics=["Klimaanpassung", "kreisangehörige Gemeinden"],
            ),
        ),
        (
            "notiz-moorschutz-birkenau-sued.md",
            NOTE_FARMING,
            dict(county="Landkreis Birkenau-Süd", doc_type="Notiz", year=2024, topics=["Landwirtschaft"]),
        ),
        (
            "notiz-oekostrom-beschaffung-hohenwalde.txt",
            NOTE_PROCUREMENT,
            dict(county="Landkreis Hohenwalde", doc_type="Notiz", year=2023, topics=["Beschaffung", "Energie"]),
        ),
    ]:
        path = HERE / name
        path.write_text(text, "utf-8")
        meta(path, **fields)


HEAT_PROTOCOL = [
    [
        "Ergebnisprotokoll der Klausur Hitzeschutz in den Gemeinden",
        "Landkreis Moorbach, 12. März 2024, Landratsamt, Sitzungssaal 2. Teilnehmende: die "
        "Klimaanpassungsmanagerin des Kreises, das Gesundheitsamt und Bürgermeister aus sieben Gemeinden.",
        "1. Hitzeaktionsplan",
        "Der Kreis erstellt bis Mai einen Hitzeaktionsplan für das ganze Kreisgebiet. Das Gesundheitsamt "
        "warnt die Gemeinden, Pflegeheime und Kitas, sobald der Deutsche Wetterdienst eine Hitzewarnung ausgibt.",
        "2. Kühle Räume",
        "Jede Gemeinde benennt mindestens einen kühlen Raum, etwa im Rathaus, in der Bücherei oder im "
        "Gemeindehaus, der an Hitzetagen nachmittags offen steht. Die Liste veröffentlicht der Kreis auf "
        "seiner Internetseite.",
    ],
    [
        "3. Trinkwasser",
        "Die Gemeinden prüfen Standorte für öffentliche Trinkbrunnen an Plätzen und Haltestellen. Der Kreis "
        "übernimmt die Hälfte der Kosten für die ersten zehn Brunnen.",
        "4. Nächste Schritte",
        "Das Gesundheitsamt lädt im Juni zu einer Schulung für Beschäftigte in Pflege und Kinderbetreuung "
        "ein. Die nächste Klausur findet im Herbst statt.",
        "Für die Richtigkeit: gez. Klimaanpassungsmanagerin, Landkreis Moorbach",
    ],
]
ENERGY_CARDS = [
    "Genossenschaft gründen",
    "Dächer der Schulen verpachten",
    "Beteiligung ab 100 Euro",
    "Windpark mit Gemeindebeteiligung",
    "Energieberatung im Dorfladen",
    "Mieterstrom für Wohnblocks",
]


def build_scans() -> None:
    path = HERE / "protokoll-klausur-hitzeschutz-moorbach-2024-scan.pdf"
    pages = [scanned(typeset_page(page), seed=seed, noise=6) for seed, page in enumerate(HEAT_PROTOCOL, 40)]
    at_200_dpi = [page.resize((page.width * 2 // 3, page.height * 2 // 3)) for page in pages]
    image_pdf(at_200_dpi, path, dpi=200)  # an office scan: 200 dpi, little noise, a slight skew
    meta(
        path,
        title="Ergebnisprotokoll der Klausur Hitzeschutz in den Gemeinden",
        county="Landkreis Moorbach",
        doc_type="Workshop-Protokoll",
        year=2024,
        topics=["Klimaanpassung", "kreisangehörige Gemeinden"],
    )
    path = HERE / "pinnwand-workshop-buergerenergie-talheim-ost-2024.jpg"
    pinboard_photo(ENERGY_CARDS, path, seed=42)
    meta(
        path,
        title="Pinnwand des Workshops Bürgerenergie",
        county="Landkreis Talheim-Ost",
        doc_type="Workshop-Ergebnis",
        year=2024,
        topics=["Energie", "Beteiligung und Kommunikation"],
    )


if __name__ == "__main__":
    main()
    build_scans()
