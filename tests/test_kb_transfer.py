"""`kb migrate --to postgresql://…` moves every table of an embedded data directory into
PostgreSQL and `--to sqlite:///…` back; `kb check` passes on both sides, every table has the same
rows and hash, searches find the same, and new ids never reuse those of deleted rows."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import kb.cli
from kb.core.documents import SearchFilters
from kb.service import KnowledgeBase
from kb.service.accounts import Accounts
from kb.service.database import Database
from kb.service.gaps import UNANSWERED, GapLog
from kb.service.merkliste import Merkliste
from kb.service.network import Network
from kb.service.saved_searches import SavedSearches
from kb.service.transfer import TABLES, primary_keys, table_digest
from tests.access_corpus import OWN, QUERY, build, credentials
from tests.conftest import make_config

pytestmark = pytest.mark.postgres


def _use_every_table(config, fake_embedder) -> None:
    """Rows in every table: documents, passages and their signatures and groups from the corpus,
    accounts and keys from the credentials, and one of each of the rest."""
    build(config.data_dir, fake_embedder, config)
    credentials(config)
    knowledge = KnowledgeBase(config, embedder=fake_embedder)
    folder = config.data_dir.parent
    (folder / "kopie.md").write_text((folder / "access-docs" / "zebrafinkbericht.md").read_text("utf-8"), "utf-8")
    (folder / "weg.md").write_text("# Weg\n\nDer Kreis plant Radwege zwischen den Gemeinden.", "utf-8")
    knowledge.ingest([folder / "kopie.md", folder / "weg.md"])
    knowledge.remove(knowledge.find_document("weg.md").id)  # its ids must stay unused after the move
    passage = knowledge.catalogue.matching_passage_ids(SearchFilters())[0]
    knowledge.close()
    Merkliste(config.database).add("user:verwaltung", passage)
    Network(config.database).set_role(OWN, "Vorreiterkreis")
    Network(config.database).add_contact(OWN, "Mobilität", "Anna", "", "anna@example.org")
    GapLog(config.database, 365).record(UNANSWERED, "Lastenrad Förderung", "")
    SavedSearches(config.database).save("verwaltung", QUERY, SearchFilters())
    Accounts(config.database).start_session("verwaltung")


def _digests(location) -> dict[str, tuple[int, str]]:
    db = Database(location)
    keys = primary_keys(db)
    found = {table: table_digest(db, table, keys[table]) for table in TABLES}
    db.close()
    return found


def test_a_data_directory_moves_to_postgresql_and_back(tmp_path: Path, fake_embedder, postgres_server, monkeypatch):
    monkeypatch.setattr(kb.cli, "KnowledgeBase", functools.partial(KnowledgeBase, embedder=fake_embedder))
    config = make_config(tmp_path / "data", ocr=False)
    _use_every_table(config, fake_embedder)
    before = _digests(config.catalogue_path)
    assert all(rows for rows, _ in before.values()), before
    url = postgres_server.new_database()

    def run(*args: str, database_url: str = "", code: int = 0) -> str:
        result = CliRunner().invoke(
            kb.cli.cli, ["--data-dir", str(config.data_dir), *args], env={"KB_DATABASE_URL": database_url}
        )
        assert result.exit_code == code, result.output
        return result.output

    moved = run("migrate", "--to", url)
    assert "VERSCHIEDEN" not in moved and moved.count(", gleich (") == len(TABLES)
    assert f"passage_vectors: {before['passages'][0]} Zeilen" in moved  # the nodes index from these
    assert _digests(url) == before
    run("check", database_url=url)
    embedded = json.loads(run("search", QUERY, "--json"))
    shared = json.loads(run("search", QUERY, "--json", database_url=url))
    assert shared == embedded and embedded["hits"]

    assert "nicht leer" in run("migrate", "--to", url, code=1)
    assert "gibt es schon" in run("migrate", "--to", f"sqlite:///{config.catalogue_path}", code=1)

    back = tmp_path / "zurück.sqlite3"
    run("migrate", "--to", f"sqlite:///{back}", database_url=url)
    assert _digests(back) == before

    on_postgres = KnowledgeBase(make_config(config.data_dir, database_url=url), embedder=fake_embedder)
    highest = Database(config.catalogue_path).id_high_water("passages")
    note = tmp_path / "neu.md"
    note.write_text("# Neu\n\nKlimaschutz der Gemeinden im Herbst.", "utf-8")
    on_postgres.ingest([note])
    new = on_postgres.find_document("neu.md")
    assert min(p.id for p in on_postgres.catalogue.passages(new.id)) > highest  # deleted rows' ids stay unused
    assert on_postgres.check().ok
    on_postgres.close()
