"""A shared catalogue (PostgreSQL): nodes with data directories of their own on one database share
everything but their index caches — the write lock, the kept originals, the session key. (The
write lock also on SQLite, where writers of one data directory share it.)"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kb.core.documents import Metadata
from kb.service import KnowledgeBase
from kb.service.locking import WRITE_LOCK
from tests.conftest import make_config
from tests.test_kb_jobs import ROOT, wait_until


def waiting_for_write_lock(url: str) -> bool:
    """Whether a connection waits for the write lock (the advisory lock not granted to it)."""
    import psycopg

    with psycopg.connect(url) as probe:
        return bool(
            probe.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = %s",
                (WRITE_LOCK,),
            ).fetchone()
        )


def waiting_for_file_lock(path: Path) -> bool:
    """Whether a process waits for the flock on ``path`` (Linux lists waiters in /proc/locks with "->")."""
    inode = path.stat().st_ino
    lines = Path("/proc/locks").read_text().splitlines()
    return any("->" in line and "FLOCK" in line and f":{inode} " in line for line in lines)


def test_writers_write_one_at_a_time_and_a_dead_holders_lock_is_freed(database_url, tmp_path: Path, fake_embedder):
    """SQLite: writers of one data directory (its write.lock). PostgreSQL: writers of different
    data directories on one database (an advisory lock), as on two machines."""
    node_a, node_b = (tmp_path / "node-a", tmp_path / "node-b") if database_url else (tmp_path / "data",) * 2
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.queue_processes", "hold", str(node_a)],
        env=os.environ | {"KB_DATABASE_URL": database_url, "HF_HUB_OFFLINE": "1"},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "writing"  # node A is inside a write
        second = KnowledgeBase(make_config(node_b, database_url=database_url), embedder=fake_embedder)
        writer = threading.Thread(target=second.add_texts, args=([("b", "Zweiter", "Der zweite Schreibvorgang.")],))
        writer.start()
        if database_url:
            wait_until(lambda: waiting_for_write_lock(database_url), 120)  # node B waits for A's lock
            assert not (node_b / "write.lock").exists()  # the lock is the database's, not a file
        else:
            wait_until(lambda: waiting_for_file_lock(node_b / "write.lock"), 120)
        assert writer.is_alive() and second.catalogue.find_by_source("b") is None
    finally:
        holder.send_signal(signal.SIGKILL)  # the holder dies: the lock is released with it
        holder.wait()
    writer.join(120)
    assert not writer.is_alive()
    assert second.catalogue.find_by_source("b").status == "ready"
    second.close()


@pytest.mark.postgres
def test_an_original_ingested_on_one_node_is_served_by_another(postgres_server, tmp_path: Path, fake_embedder):
    from tests.conftest import make_app

    url = postgres_server.new_database()
    source = tmp_path / "leitfaden.md"
    source.write_text("# Leitfaden\n\nDer Landkreis baut Radwege zwischen den Dörfern.\n", encoding="utf-8")
    node_a = KnowledgeBase(make_config(tmp_path / "node-a", database_url=url), embedder=fake_embedder)
    report = node_a.ingest([source], metadata=Metadata(visibility="public"))
    document_id = report.files[0].document_id
    assert not list((tmp_path / "node-a").glob("originals/**/*.md"))  # the bytes went to the database
    node_a.close()

    node_b = make_app(make_config(tmp_path / "node-b", database_url=url), fake_embedder).test_client()
    served = node_b.get(f"/api/v1/documents/{document_id}/original")
    assert served.status_code == 200 and served.data == source.read_bytes()
    page = node_b.get(f"/dokumente/{document_id}/original")
    assert page.status_code == 200 and page.data == source.read_bytes()


@pytest.mark.postgres
def test_a_sign_in_on_one_node_holds_on_another(postgres_server, tmp_path: Path, fake_embedder):
    from kb.service.accounts import Accounts
    from tests.conftest import make_app

    url = postgres_server.new_database()
    accounts = Accounts(url)
    accounts.add_user("anna", "ein langes Passwort", county="Landkreis Uckermark", role_name="redaktion")
    accounts.close()
    node_a = make_app(make_config(tmp_path / "node-a", database_url=url), fake_embedder).test_client()
    node_b = make_app(make_config(tmp_path / "node-b", database_url=url), fake_embedder).test_client()
    assert node_b.get("/konto").status_code == 302  # not signed in there
    form = node_a.get("/verwaltung/anmelden").data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', form).group(1).decode()
    sign_in = node_a.post(
        "/verwaltung/anmelden", data={"name": "anna", "password": "ein langes Passwort", "csrf_token": token}
    )
    assert sign_in.status_code == 302
    cookie = node_a.get_cookie("session")
    node_b.set_cookie("session", cookie.value)
    account = node_b.get("/konto")
    assert account.status_code == 200 and "anna" in account.get_data(as_text=True)
    assert not (tmp_path / "node-a" / "secret_key").exists() and not (tmp_path / "node-b" / "secret_key").exists()


@pytest.mark.postgres
def test_kb_migrate_takes_the_originals_along_both_ways(postgres_server, tmp_path: Path, fake_embedder, monkeypatch):
    import functools

    from click.testing import CliRunner

    import kb.cli

    monkeypatch.setattr(kb.cli, "KnowledgeBase", functools.partial(KnowledgeBase, embedder=fake_embedder))
    url = postgres_server.new_database()
    source = tmp_path / "leitfaden.md"
    source.write_text("# Leitfaden\n\nDer Landkreis baut Radwege zwischen den Dörfern.\n", encoding="utf-8")
    embedded = make_config(tmp_path / "embedded")
    KnowledgeBase(embedded, embedder=fake_embedder).ingest([source])

    def run(data_dir: Path, *args: str, database_url: str = "", code: int = 0) -> str:
        result = CliRunner().invoke(
            kb.cli.cli, ["--data-dir", str(data_dir), *args], env={"KB_DATABASE_URL": database_url}
        )
        assert result.exit_code == code, result.output
        return result.output

    assert "Originaldateien: 1 mitgenommen" in run(embedded.data_dir, "migrate", "--to", url)
    other_node = KnowledgeBase(make_config(tmp_path / "other-node", database_url=url), embedder=fake_embedder)
    document = other_node.find_document("leitfaden.md")
    assert other_node.original(document).read_bytes() == source.read_bytes()  # from the database
    other_node.close()

    back = make_config(tmp_path / "back")
    run(back.data_dir, "migrate", "--to", f"sqlite:///{back.catalogue_path}", database_url=url)
    assert list(back.originals_dir.glob("*/*.md"))  # kept in the data directory again
    alone = KnowledgeBase(back, embedder=fake_embedder)
    assert alone.original(alone.find_document("leitfaden.md")).read_bytes() == source.read_bytes()
    alone.close()

    refused = run(back.data_dir, "restore", str(tmp_path / "sicherung.tar.gz"), database_url=url, code=1)
    assert "pg_restore" in refused


@pytest.mark.postgres
def test_kb_eval_keeps_its_corpus_out_of_the_shared_catalogue(
    postgres_server, tmp_path: Path, fake_embedder, monkeypatch
):
    import functools
    import json

    import kb.service.knowledge
    from kb.service.catalogue import Catalogue
    from kb.service.evaluation import BeirSet, index_set

    monkeypatch.setattr(kb.service.knowledge, "KnowledgeBase", functools.partial(KnowledgeBase, embedder=fake_embedder))
    url = postgres_server.new_database()
    folder = tmp_path / "kleiner-satz"
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": "d1", "title": "Radwege", "text": "Der Landkreis baut Radwege."}, {"_id": "d2", "text": "Moore."}]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus) + "\n", "utf-8")
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "Radwege im Landkreis"}) + "\n", "utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", "utf-8")
    config = make_config(tmp_path / "node", database_url=url)
    measured = index_set(BeirSet.read(folder), config)  # what `kb eval` searches
    assert measured.counts() == (2, 2)
    measured.close()
    shared = Catalogue(url)
    assert shared.documents() == []  # the corpus went into an SQLite file of the node's own
    shared.close()
    assert list((config.data_dir / "eval").glob("kleiner-satz-*/catalogue.sqlite3"))
