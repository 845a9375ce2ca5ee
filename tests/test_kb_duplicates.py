"""Near-duplicates: one consultant's chapter copied into two counties' concepts, laid out anew
(other running headers, type size, line breaks and hyphenation, other pages), and the same PDF
uploaded again under another name, are found at ingest and shown as one hit; a passage on the
same topic in other words stays a hit of its own. Over the stand-in embedder: the grouping does
not depend on the model (test_web_duplicates.py searches with the real one)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.neardup import near_duplicate, normalise, signature
from kb.core.access import ANONYMOUS, member
from kb.core.documents import Metadata
from kb.service import KnowledgeBase
from kb.service.presenters import search_json
from kb.service.visible import VisibleKnowledge
from tests.conftest import make_config
from tests.duplicates import SAME_TOPIC, SHARED_CHAPTER, concept_with_chapter

TALHEIM, MOORBACH, BIRKENAU = "Landkreis Talheim", "Landkreis Moorbach", "Landkreis Birkenau"
QUERY = "Bestandsanalyse der Wärmeplanung für alle Gemeinden gemeinsam beauftragen"


def write_corpus(folder: Path) -> dict[str, Path]:
    """The files by name: two concepts sharing a chapter, a copy of one, a passage on the same topic."""
    folder.mkdir()
    files = {
        "talheim": concept_with_chapter(
            folder / "talheim.pdf",
            TALHEIM,
            pages_before=10,
            font_size=11,
            margin=20,
            own_text="Talheim liegt im Hügelland; viele kleine Dörfer heizen noch mit Öl und Holz.",
        ),
        "moorbach": concept_with_chapter(
            folder / "moorbach.pdf",
            MOORBACH,
            pages_before=38,
            font_size=9.5,
            margin=35,
            own_text="Moorbach ist flach und windreich; große Höfe erzeugen Biogas für ihre Nachbarn.",
        ),
    }
    files["copy"] = Path(shutil.copy(files["talheim"], folder / "konzept-endfassung.pdf"))
    files["birkenau"] = folder / "birkenau.txt"
    files["birkenau"].write_text(f"# Wärmeplanung in Birkenau\n\n{SAME_TOPIC}\n", "utf-8")
    return files


def ingest(kb: KnowledgeBase, files: dict[str, Path], levels: dict[str, str] | None = None) -> dict[str, int]:
    """Ingest the corpus (the copy also Talheim's); returns document ids by name."""
    counties = {"talheim": TALHEIM, "moorbach": MOORBACH, "copy": TALHEIM, "birkenau": BIRKENAU}
    ids = {}
    for name, path in files.items():
        level = (levels or {}).get(name, "public")
        report = kb.ingest([path], metadata=Metadata(county=counties[name], visibility=level))
        assert not report.failed, report.failed
        ids[name] = report.files[0].document_id
    return ids


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    return write_corpus(tmp_path / "docs")


@pytest.fixture
def kb(tmp_path: Path, corpus: dict[str, Path], fake_embedder) -> KnowledgeBase:
    kb = KnowledgeBase(make_config(tmp_path / "data"), embedder=fake_embedder)
    kb.ids = ingest(kb, corpus)
    yield kb
    kb.close()


def chapter_passages(kb: KnowledgeBase, document_id: int) -> list:
    return [p for p in kb.passages(document_id) if "Wärmeplanung im Kreisgebiet" in " ".join(p.heading_path)]


def test_normalised_text_ignores_layout_case_umlaut_spelling_and_hyphenation():
    paragraph = SHARED_CHAPTER[0]
    relaid = (
        paragraph.replace("Bestandsanalyse", "Bestands-\nanalyse")
        .replace("Schornsteinfegerdaten", "Schornstein-\nfegerdaten")
        .replace("ü", "ue")
        .replace(" ", "  \n", 5)
    )
    assert normalise("Maßnahmen für Ämter") == normalise("MASSNAHMEN FUER\nAEMTER")
    assert near_duplicate(signature(paragraph), signature(relaid))
    assert not near_duplicate(signature(paragraph), signature(SAME_TOPIC))
    assert not near_duplicate(signature(SHARED_CHAPTER[1]), signature(SHARED_CHAPTER[2]))
    template = (
        "Im {} berichtet der Kreis über Klimaschutz in den Gemeinden und die Wärmeplanung. "
        "Im Haushalt steht {} als eigene Position; die Gemeinden beraten darüber im Herbst."
    )
    filled = [signature(template.format(*words)) for words in ((TALHEIM, "Radwegebau"), (MOORBACH, "Wärmenetz"))]
    assert not near_duplicate(*filled), "a template filled with other words is not a copy"
    assert near_duplicate(
        signature("Vielen Dank für Ihre Aufmerksamkeit!"), signature("VIELEN DANK FÜR IHRE AUFMERKSAMKEIT")
    )
    assert signature("Vielen Dank!") is None  # too short to call anything a copy


def test_the_copied_chapter_is_one_group_across_layouts_and_the_reupload(kb):
    talheim, moorbach, copy = (chapter_passages(kb, kb.ids[n]) for n in ("talheim", "moorbach", "copy"))
    assert len(talheim) == len(moorbach) == len(copy) >= 2
    assert [p.page_start for p in talheim] == [12] * len(talheim) and {p.page_start for p in moorbach} == {40}
    assert talheim[0].text != moorbach[0].text  # other line breaks: the raw texts differ
    groups = kb.catalogue.duplicate_groups()
    for parts in zip(talheim, moorbach, copy, strict=True):
        assert len({groups[p.id] for p in parts}) == 1
    assert len({groups[p.id] for p in talheim}) == len(talheim)  # each passage its own group
    own = {p.id for p in kb.passages(kb.ids["moorbach"]) if p not in moorbach}
    assert own and not own & set(groups), "the counties' own chapters are not copies"
    assert not set(groups) & {p.id for p in kb.passages(kb.ids["birkenau"])}, "same topic, other words: no copy"


def test_search_shows_one_hit_per_group_naming_the_other_places(kb):
    data = search_json(kb.search(QUERY, limit=10))
    chapter = [h for h in data["hits"] if "Bestandsanalyse" in h["text"]]
    assert len(chapter) == 1, [h["file_name"] for h in data["hits"]]
    shown, copies = chapter[0], chapter[0]["near_duplicates"]
    places = sorted([(shown["document_id"], shown["page"])] + [(c["document_id"], c["page"]) for c in copies])
    assert places == sorted([(kb.ids["talheim"], 12), (kb.ids["moorbach"], 40), (kb.ids["copy"], 12)])
    assert shown["file_name"] == "talheim.pdf"  # equal scores: the first ingested ranks first
    assert [c["label"] for c in copies] == [
        "Landkreis Moorbach (S. 40)",
        "Landkreis Talheim · konzept-endfassung.pdf (S. 12)",  # the same county: the file tells them apart
    ]
    assert "birkenau.txt" in [h["file_name"] for h in data["hits"]], "a distinct passage on the topic stays"
    assert data["candidates"] == len({h["passage_id"] for h in search_json(kb.search(QUERY, limit=100))["hits"]})


def test_similar_passages_leave_out_the_copies_of_the_passage_itself(kb):
    first, second = chapter_passages(kb, kb.ids["talheim"])
    groups = kb.catalogue.duplicate_groups()
    copies = {p for p, g in groups.items() if g == groups[first.id]}
    similar = [h.passage.id for h in kb.similar(first.id, limit=10)]
    assert similar and not copies & set(similar)
    seconds = [p for p in similar if groups.get(p) == groups[second.id]]
    assert len(seconds) == 1, "the copies of another passage are shown once"


def test_collapsing_keeps_paging_consistent(kb):
    everything = [h.passage.id for h in kb.search(QUERY, limit=100).hits]
    paged = [h.passage.id for offset in range(0, 30, 3) for h in kb.search(QUERY, limit=3, offset=offset).hits]
    assert paged == everything[:30]
    assert len(everything) == len(set(everything))


def test_groups_survive_a_restart_and_are_rebuilt_from_the_catalogue(kb, fake_embedder):
    before = kb.catalogue.duplicate_groups()
    assert before and kb.check().ok
    reopened = KnowledgeBase(kb.config, embedder=fake_embedder)
    assert reopened.catalogue.duplicate_groups() == before
    with reopened.catalogue.transaction() as db:
        db.execute("DELETE FROM near_duplicates WHERE passage_id IN (SELECT MIN(passage_id) FROM near_duplicates)")
    report = reopened.check()
    assert not report.ok and report.stale_duplicate_groups
    assert any("Dublettengruppe" in line for line in report.lines())
    reopened.reindex()
    assert reopened.catalogue.duplicate_groups() == before and reopened.check().ok
    reopened.close()


def test_a_data_directory_from_before_gets_signatures_and_groups_on_first_open(kb, fake_embedder):
    before = kb.catalogue.duplicate_groups()
    with kb.catalogue.transaction() as db:  # as after migration 5 on an older catalogue
        db.execute("DELETE FROM near_duplicates")
        db.execute("DELETE FROM passage_signatures")
    reopened = KnowledgeBase(kb.config, embedder=fake_embedder)
    reopened.search(QUERY)
    assert reopened.catalogue.duplicate_groups() == before and reopened.check().ok
    reopened.close()


def test_a_writer_finds_copies_another_process_ingested_meanwhile(tmp_path, corpus, fake_embedder):
    config = make_config(tmp_path / "data")
    server, shell = KnowledgeBase(config, embedder=fake_embedder), KnowledgeBase(config, embedder=fake_embedder)
    ingest(server, {"birkenau": corpus["birkenau"]})  # the server's writer builds its LSH index
    ids = ingest(shell, {"moorbach": corpus["moorbach"]})  # `kb ingest` in another process
    ids |= ingest(server, {"talheim": corpus["talheim"]})
    groups = server.catalogue.duplicate_groups()
    [first, *_] = chapter_passages(server, ids["talheim"])
    members = [p for p, g in groups.items() if g == groups[first.id]]
    assert ids["moorbach"] in server.catalogue.passage_documents(members).values()
    assert server.check().ok
    server.close()
    shell.close()


def test_replacing_and_removing_documents_update_the_groups(kb, corpus, tmp_path):
    revised = concept_with_chapter(  # the re-upload is replaced by a revision in other words
        tmp_path / "revision.pdf",
        TALHEIM,
        pages_before=2,
        font_size=11,
        margin=20,
        own_text="Die überarbeitete Fassung stellt die Wärmeplanung als eigenes Programm des Kreises dar.",
        chapter=(
            "Statt einer gemeinsamen Ausschreibung beauftragt jede Gemeinde ihr eigenes Büro; der Kreis "
            "prüft nur noch die Entwürfe und veröffentlicht eine Übersicht der Zeitpläne im Internet.",
        ),
    )
    shutil.move(revised, corpus["copy"])
    kb.ingest([corpus["copy"]], metadata=Metadata(county=TALHEIM, visibility="public"))
    groups = kb.catalogue.duplicate_groups()
    chapter = {groups[p.id] for p in chapter_passages(kb, kb.ids["talheim"])}
    members = [p for p, g in groups.items() if g in chapter]
    assert set(kb.catalogue.passage_documents(members).values()) == {kb.ids["talheim"], kb.ids["moorbach"]}
    assert kb.check().ok

    kb.remove(kb.ids["moorbach"])
    assert not chapter & set(kb.catalogue.duplicate_groups().values()), "a group of one is no group"
    assert not search_json(kb.search(QUERY))["hits"][0]["near_duplicates"]
    assert kb.check().ok


def test_only_copies_the_viewer_may_see_are_named_and_the_one_shown_is_visible(tmp_path, corpus, fake_embedder):
    """Moorbach's concept is Kreis-intern and ingested first, so on equal scores its copy ranks
    first: anonymous visitors still get the public one, with no trace of Moorbach."""
    kb = KnowledgeBase(make_config(tmp_path / "data"), embedder=fake_embedder)
    files = {"moorbach": corpus["moorbach"], "talheim": corpus["talheim"], "copy": corpus["copy"]}
    ids = ingest(kb, files, levels={"moorbach": "county", "talheim": "public", "copy": "network"})
    top = kb.search(QUERY, limit=1).hits[0]
    assert top.document.id == ids["moorbach"]  # the operator's view: the hidden copy ranks first

    def seen_by(viewer) -> dict:
        hits = search_json(VisibleKnowledge(kb, viewer).search(QUERY, limit=10))["hits"]
        return next(h for h in hits if "Bestandsanalyse" in h["text"])

    anonymous = seen_by(ANONYMOUS)
    assert anonymous["document_id"] == ids["talheim"] and anonymous["near_duplicates"] == []
    neighbour = seen_by(member("nachbarin", "Landkreis Birkenau", "leser"))
    assert neighbour["document_id"] in (ids["talheim"], ids["copy"])
    assert [c["document_id"] for c in neighbour["near_duplicates"]] == [
        ids["copy"] if neighbour["document_id"] == ids["talheim"] else ids["talheim"]
    ]
    insider = seen_by(member("moorbacherin", MOORBACH, "leser"))
    assert len(insider["near_duplicates"]) == 2
    for viewer in (ANONYMOUS, member("nachbarin", "Landkreis Birkenau", "leser")):
        copies = VisibleKnowledge(kb, viewer).copies(ids["talheim"])
        assert ids["moorbach"] not in {c.document.id for found in copies.values() for c in found}

    moorbach = kb.document(ids["moorbach"]).metadata
    moorbach.visibility = "public"  # published later: from now on anyone sees it among the copies
    kb.update_metadata(ids["moorbach"], moorbach)
    anonymous = seen_by(ANONYMOUS)
    assert {anonymous["document_id"], *(c["document_id"] for c in anonymous["near_duplicates"])} == {
        ids["moorbach"],
        ids["talheim"],
    }
    kb.close()
