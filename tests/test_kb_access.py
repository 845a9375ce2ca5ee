"""Visibility on the command line, the upgrade of older data directories, and `kb check`."""

from __future__ import annotations

import functools
import json
import shutil
import sqlite3
import threading

import pytest
from click.testing import CliRunner

import kb.cli
from kb.core.access import ANONYMOUS, member
from kb.core.documents import Metadata
from kb.core.errors import KbError
from kb.service import KnowledgeBase, migrations
from kb.service.accounts import Accounts
from kb.service.visible import VisibleKnowledge
from tests.access_corpus import OTHER, OWN, QUERY, build
from tests.conftest import make_config


@pytest.fixture
def run(tmp_path, fake_embedder, monkeypatch):
    """``kb …`` on a data directory, with the stand-in embedder in place of the model."""
    monkeypatch.setattr(kb.cli, "KnowledgeBase", functools.partial(KnowledgeBase, embedder=fake_embedder))
    data = tmp_path / "data"

    def invoke(*args: str, code: int = 0, **kwargs: object) -> str:
        result = CliRunner().invoke(kb.cli.cli, ["--data-dir", str(data), *args], **kwargs)
        assert result.exit_code == code, result.output
        return result.output

    invoke.data = data
    return invoke


def test_ingest_takes_a_level_by_its_german_name_or_ascii_alias(run, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Entwurf\n\nKlimaschutz der Gemeinden.", "utf-8")
    (folder / "b.md").write_text("# Bericht\n\nKlimaschutz der Gemeinden.", "utf-8")
    run("ingest", str(folder / "a.md"), "--visibility", "kreis-intern", "--county", OWN, "--json")
    run("ingest", str(folder / "b.md"), "--visibility", "public", "--json")
    listed = {d["file_name"]: d["visibility"] for d in json.loads(run("list", "--json"))}
    assert listed == {"a.md": "Kreis-intern", "b.md": "öffentlich"}
    assert "Kreis-intern" in run("list")
    wrong = run("ingest", str(folder / "a.md"), "--visibility", "geheim", code=1)
    assert "unbekannte Sichtbarkeit 'geheim'" in wrong and "Kreis-intern (county)" in wrong


def test_a_new_version_keeps_its_level_and_a_sidecar_sets_one(run, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    note = folder / "notiz.md"
    note.write_text("# Notiz\n\nKlimaschutz der Gemeinden.", "utf-8")
    run("ingest", str(note), "--visibility", "county", "--county", OWN)
    note.write_text("# Notiz\n\nKlimaschutz der Gemeinden, zweite Fassung.", "utf-8")
    run("ingest", str(note))  # no level given: it must not fall back to the default
    (folder / "offen.md").write_text("# Offen\n\nText.", "utf-8")
    (folder / "offen.md.meta.json").write_text('{"visibility": "öffentlich"}', "utf-8")
    run("ingest", str(folder / "offen.md"))
    listed = {d["file_name"]: d["visibility"] for d in json.loads(run("list", "--json"))}
    assert listed == {"notiz.md": "Kreis-intern", "offen.md": "öffentlich"}


def test_accounts_and_keys_get_county_role_level_and_limit(run):
    assert "redaktion, Landkreis Hohenwalde" in run(
        "user", "add", "anna", "--county", OWN, "--role", "redaktion", "--password", "sehr-geheim-123"
    )
    assert "braucht einen Landkreis" in run("user", "add", "ben", "--password", "sehr-geheim-123", code=1)
    assert "verwaltung" in run("user", "add", "chef", "--role", "verwaltung", "--password", "sehr-geheim-123")
    assert "anna  redaktion   Landkreis Hohenwalde" in run("user", "list")
    key = run(
        "apikey", "create", "--scope", "read", "--county", OWN, "--visibility", "kreis-intern",
        "--rate-limit", "900 per minute",
    ).strip()  # fmt: skip
    assert key.startswith("kw_")
    listed = run("apikey", "list")
    assert "Kreis-intern" in listed and "Landkreis Hohenwalde" in listed and "900 per minute" in listed
    assert "braucht einen Landkreis" in run("apikey", "create", "--visibility", "county", code=1)
    assert "Ungültiges Ratenlimit" in run("apikey", "create", "--rate-limit", "viele", code=1)
    portal = run("apikey", "create", "--label", "Portal").strip()
    accounts = Accounts(make_config(run.data).catalogue_path)
    assert accounts.verify_key(portal).visibility == "public"  # the portal's key sees public documents only
    assert accounts.verify_key(key).viewer.access.county == OWN
    accounts.close()


def _downgrade(data) -> None:
    """Turn a data directory into one written before visibility levels (schema 3, a keyword index of
    the earlier engine, Whoosh) and before page marks, the Merkliste, the network directory, the gap
    log, saved searches, near-duplicates, server-side sessions, the job queue and the shared-catalogue
    tables (passage vectors, originals, settings)."""
    with sqlite3.connect(data / "catalogue.sqlite3") as db:
        for table, column in (
            ("documents", "visibility"),
            ("users", "county"),
            ("users", "role"),
            ("api_keys", "county"),
            ("api_keys", "visibility"),
            ("api_keys", "rate_limit"),
            ("passages", "page_marks"),
        ):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        for column in ("record_searches", "email"):
            db.execute(f"ALTER TABLE users DROP COLUMN {column}")
        tables = ("merkliste", "county_roles", "contacts", "gaps", "saved_searches")
        later = ("near_duplicates", "passage_signatures", "sessions", "changes", "job_files", "jobs")
        for table in (*tables, *later, "passage_vectors", "originals", "settings"):
            db.execute(f"DROP TABLE {table}")
        db.execute("DROP TABLE alembic_version")  # written before Alembic kept the schema
        db.execute("PRAGMA user_version = 3")
    keywords = data / "index" / "keyword"
    shutil.rmtree(keywords)
    keywords.mkdir()
    for name in ("_MAIN_1.toc", "MAIN_a1b2c3d4e5f6g7h8.seg", "MAIN_WRITELOCK"):  # what Whoosh leaves in its folder
        (keywords / name).write_bytes(b"whoosh")


def test_an_ingest_as_the_first_write_on_an_older_data_directory_upgrades_it_and_finishes(tmp_path, fake_embedder):
    """The ingest holds the write lock when loading the indexes runs their upgrade, itself a write
    (it used to wait for its own lock for ever)."""
    config = make_config(tmp_path / "data", ocr=False)
    build(config.data_dir, fake_embedder, config)
    _downgrade(config.data_dir)
    new = tmp_path / "neu"
    new.mkdir()
    (new / "okapi.md").write_text("# Okapiplan\n\nDer Kreis berät die Gemeinden.\n", "utf-8")
    knowledge = KnowledgeBase(config, embedder=fake_embedder)
    reports = []
    writer = threading.Thread(target=lambda: reports.append(knowledge.ingest([new])), daemon=True)
    writer.start()
    writer.join(120)
    assert reports and reports[0].count("added") == 1
    assert knowledge.check().ok, knowledge.check().lines()
    knowledge.close()


def test_an_older_data_directory_upgrades_in_place(tmp_path, fake_embedder):
    config = make_config(tmp_path / "data", ocr=False)
    build(config.data_dir, fake_embedder, config)
    accounts = Accounts(config.catalogue_path)
    accounts.add_user("alt", "sehr-geheim-123", role_name="verwaltung")
    portal = accounts.create_key("read", "Portal")
    accounts.close()
    _downgrade(config.data_dir)

    knowledge = KnowledgeBase(config, embedder=fake_embedder)
    assert knowledge.catalogue.schema_version == migrations.head()
    assert {d.metadata.visibility for d in knowledge.documents()} == {"network"}  # the stated level
    assert knowledge.check().ok, knowledge.check().lines()  # the keyword index was given the levels
    anonymous, network = (
        VisibleKnowledge(knowledge, ANONYMOUS),
        VisibleKnowledge(knowledge, member("m", OTHER, "leser")),
    )
    for mode in ("hybrid", "keyword"):  # what an empty knowledge base answers: nothing hints at hidden ones
        with pytest.raises(KbError, match="Die Wissensbasis ist leer"):
            anonymous.search(QUERY, mode=mode)
    assert len({h.document.id for h in network.search(QUERY, mode="keyword").hits}) == 4
    knowledge.close()
    accounts = Accounts(config.catalogue_path)
    [old] = accounts.users()
    assert (old.role, old.county) == ("verwaltung", None)  # kept every right it had
    assert accounts.verify_key(portal).visibility == "public"
    accounts.close()


def test_check_finds_an_index_that_disagrees_about_a_visibility_and_repair_fixes_it(run, tmp_path, fake_embedder):
    config = make_config(tmp_path / "data", ocr=False)
    ids = build(config.data_dir, fake_embedder, config)
    with sqlite3.connect(config.catalogue_path) as db:  # what a write behind the service's back would do
        db.execute("UPDATE documents SET visibility = 'public' WHERE id = ?", (ids["K"],))
    knowledge = KnowledgeBase(config, embedder=fake_embedder)
    report = knowledge.check()
    assert not report.ok and report.wrong_visibility == knowledge.catalogue.passage_ids(ids["K"])
    knowledge.close()
    output = run("check", code=1)
    assert "Sichtbarkeit im Stichwortindex nicht der im Katalog" in output
    assert "Repariert" in run("check", "--repair")
    assert "mit der Sichtbarkeit ihres Dokuments" in run("check")


def test_placing_and_changing_follow_the_role(tmp_path, fake_embedder):
    config = make_config(tmp_path / "data", ocr=False)
    ids = build(config.data_dir, fake_embedder, config)
    knowledge = KnowledgeBase(config, embedder=fake_embedder)
    reader = VisibleKnowledge(knowledge, member("r", OWN, "leser"))
    editor = VisibleKnowledge(knowledge, member("e", OWN, "redaktion"))
    with pytest.raises(KbError, match="keine Dokumente aufnehmen"):
        reader.placed(knowledge.document(ids["P"]).metadata)
    assert editor.changeable(ids["K"]).id == ids["K"]
    assert editor.placed(Metadata(title="x")).county == OWN  # an editor's upload belongs to the own county
    knowledge.close()


def test_a_filtered_dense_search_returns_the_filtered_ranking_however_few_pass(tmp_path, fake_embedder, monkeypatch):
    """Dense search under a filter looks at a wider unfiltered top first and falls back to FAISS over
    the allowed ids when too few of those pass: both must give the exact filtered ranking."""
    import numpy as np

    import kb.service.search as search_module
    from kb.core.documents import SearchFilters

    config = make_config(tmp_path / "data", ocr=False)
    build(config.data_dir, fake_embedder, config)
    knowledge = KnowledgeBase(config, embedder=fake_embedder)
    searcher = knowledge.searcher
    vector = fake_embedder.embed_query("Klimaschutz in den Gemeinden")
    everything = knowledge.indexes.vectors.search(vector, 1000)
    for filters in (SearchFilters(access=ANONYMOUS.access), SearchFilters(counties=(OWN,)), SearchFilters()):
        passing = knowledge.catalogue.passing([i for i, _ in everything], filters)
        expected = [s for i, s in everything if i in passing]
        for widen in (1, 4, 1000):  # fallback taken, or not
            monkeypatch.setattr(search_module, "_WIDEN", widen)
            for depth in (1, 2, 100):
                found = searcher._dense(vector, depth, filters)
                assert {i for i, _ in found} <= passing  # equal scores may come in either order:
                assert np.allclose([s for _, s in found], expected[:depth], atol=1e-6), (filters, widen, depth)
