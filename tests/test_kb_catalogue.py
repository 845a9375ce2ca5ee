"""The SQLite catalogue: schema versions, documents, passages, filters and facets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kb.core.documents import Metadata, PassageDraft, SearchFilters
from kb.service import migrations
from kb.service.catalogue import Catalogue


def draft(ordinal: int, text: str, page: int | None = 1) -> PassageDraft:
    return PassageDraft(ordinal, text, page, page, ("Kapitel",), 0, len(text), len(text.split()))


def add(catalogue: Catalogue, key: str, metadata: Metadata, texts: list[str], status: str = "ready") -> int:
    with catalogue.transaction():
        document_id = catalogue.upsert_document(
            source_key=key,
            content_hash=key * 2,
            file_name=f"{key}.pdf",
            format="pdf",
            metadata=metadata,
            page_count=3,
            pages_without_text=[],
            status=status,
        )
        catalogue.replace_passages(document_id, [draft(i, t) for i, t in enumerate(texts)])
    return document_id


@pytest.fixture
def catalogue(database) -> Catalogue:
    catalogue = Catalogue(database)
    yield catalogue
    catalogue.close()


def test_new_catalogue_has_the_latest_schema_in_wal_mode(tmp_path: Path):
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    assert catalogue.schema_version == migrations.head()
    mode = sqlite3.connect(tmp_path / "c.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def _open_and_close(path: str) -> str | None:
    try:
        Catalogue(Path(path)).close()
    except Exception as error:
        return repr(error)
    return None


def test_processes_opening_a_new_catalogue_at_once_all_succeed(tmp_path: Path):
    """Two `kb` commands started together on a fresh data directory: neither fails with
    "database is locked" while the other switches the new file to WAL and migrates it."""
    import multiprocessing

    paths = [str(tmp_path / f"c{round_}.sqlite3") for round_ in range(40) for _ in range(6)]
    with multiprocessing.get_context("fork").Pool(6) as pool:
        errors = [error for error in pool.map(_open_and_close, paths, chunksize=1) if error]
    assert errors == []


def test_a_catalogue_from_a_newer_version_is_refused(tmp_path: Path):
    path = tmp_path / "c.sqlite3"
    Catalogue(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE alembic_version SET version_num = 'from-the-future'")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="Update Kreiswissen"):
        Catalogue(path)


def test_upsert_keeps_the_id_and_replace_passages_swaps_them(catalogue: Catalogue):
    first = add(catalogue, "a", Metadata(title="Konzept"), ["eins", "zwei"])
    old_ids = catalogue.passage_ids(first)
    again = add(catalogue, "a", Metadata(title="Konzept, neu"), ["drei"])
    assert again == first
    assert catalogue.get(first).metadata.title == "Konzept, neu"
    assert [p.text for p in catalogue.passages(first)] == ["drei"]
    assert not set(old_ids) & set(catalogue.passage_ids(first))


def test_deleting_a_document_deletes_its_passages(catalogue: Catalogue):
    document_id = add(catalogue, "a", Metadata(), ["eins", "zwei"])
    with catalogue.transaction():
        catalogue.delete_document(document_id)
    assert catalogue.count_passages() == 0


def test_a_failed_transaction_leaves_nothing_behind(catalogue: Catalogue):
    with pytest.raises(RuntimeError), catalogue.transaction():
        catalogue.upsert_document(
            source_key="x",
            content_hash="h",
            file_name="x.pdf",
            format="pdf",
            metadata=Metadata(),
            page_count=1,
            pages_without_text=[],
            status="pending",
        )
        raise RuntimeError("crash mid-ingest")
    assert catalogue.documents() == []


def test_filters_and_facets_see_only_ready_documents(catalogue: Catalogue):
    a = add(
        catalogue,
        "a",
        Metadata(county="Landkreis Hohenwalde", doc_type="Leitfaden", year=2021, topics=["Mobilität", "Energie"]),
        ["a1", "a2"],
    )
    b = add(
        catalogue,
        "b",
        Metadata(county="Landkreis Moorbach", doc_type="Klimaschutzkonzept", year=2023, topics=["Energie"]),
        ["b1"],
    )
    add(catalogue, "c", Metadata(county="Landkreis Moorbach", year=2023), ["c1"], status="pending")

    def ids(**filters) -> set[int]:
        return set(catalogue.matching_passage_ids(SearchFilters(**filters)))

    assert ids() == set(catalogue.passage_ids(a)) | set(catalogue.passage_ids(b))
    assert ids(counties=("landkreis moorbach",)) == set(catalogue.passage_ids(b))
    assert ids(topics=("mobilität",)) == set(catalogue.passage_ids(a))
    assert ids(year_from=2022) == set(catalogue.passage_ids(b))
    assert ids(doc_types=("Leitfaden",), year_to=2020) == set()
    facets = catalogue.facets()
    assert facets["county"] == [("Landkreis Hohenwalde", 1), ("Landkreis Moorbach", 1)]
    assert facets["topic"] == [("Energie", 2), ("Mobilität", 1)]
    assert facets["year"] == [(2021, 1), (2023, 1)]


def test_has_passages_agrees_with_the_count_for_every_viewer(catalogue: Catalogue):
    from kb.core.access import Access

    viewers = [None, Access(("public",)), Access(("public", "network")), Access(("public",), "Landkreis Moorbach")]
    assert not any(catalogue.has_passages(v) for v in viewers)
    add(catalogue, "p", Metadata(visibility="county", county="Landkreis Moorbach"), ["eins"])
    add(catalogue, "q", Metadata(visibility="public"), ["zwei"], status="pending")
    for viewer in viewers:
        assert catalogue.has_passages(viewer) == (catalogue.count_passages(viewer) > 0)
    assert catalogue.has_passages(viewers[3]) and not catalogue.has_passages(viewers[2])


def test_the_pending_check_uses_an_index_instead_of_scanning_the_documents(tmp_path: Path):
    catalogue = Catalogue(tmp_path / "catalogue.sqlite3")  # SQLite's plan; PostgreSQL has the same partial index
    add(catalogue, "a", Metadata(), ["eins"])
    assert not catalogue.has_unready()
    add(catalogue, "b", Metadata(), ["zwei"], status="pending")
    assert catalogue.has_unready()
    plan = catalogue._db.execute(
        "EXPLAIN QUERY PLAN SELECT EXISTS (SELECT 1 FROM documents WHERE status = 'pending')"
    ).fetchall()
    assert any("documents_pending" in row[-1] for row in plan)
    catalogue.close()


def test_a_catalogue_of_schema_12_from_before_alembic_upgrades_in_place(tmp_path: Path):
    """What the hand-made migrations left (PRAGMA user_version 12, no Alembic table) is stamped
    as the baseline and brought to the newest revision, its rows and the Merkliste's order kept."""
    from kb.service.merkliste import Merkliste

    path = tmp_path / "c.sqlite3"
    old = sqlite3.connect(path)
    for step in migrations.scripts().get_revision("0012").module.SQLITE_STEPS:
        old.executescript(step)
    old.execute("PRAGMA user_version = 12")
    old.execute(
        "INSERT INTO documents (source_key, content_hash, file_name, format, status, added_at, updated_at) "
        "VALUES ('a', 'h', 'a.pdf', 'pdf', 'ready', 't', 't')"
    )
    for ordinal in range(3):
        old.execute(
            "INSERT INTO passages (document_id, ordinal, text, char_start, char_end, token_count) "
            f"VALUES (1, {ordinal}, 'Satz', 0, 4, 1)"
        )
    for passage_id in (3, 1, 2):  # collected within one second: the rowid kept the order
        old.execute(f"INSERT INTO merkliste VALUES ('user:anna', {passage_id}, '2026-11-30T12:00:00+00:00')")
    old.commit()
    old.close()
    catalogue = Catalogue(path)
    assert catalogue.schema_version == migrations.head()
    assert [p.text for p in catalogue.passages(1)] == ["Satz"] * 3
    assert Merkliste(path).passage_ids("user:anna") == [3, 1, 2]
    catalogue.close()
