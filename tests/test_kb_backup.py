"""`kb backup` while searches run, `kb restore` brings back the same answers."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from click.testing import CliRunner

from kb.main import cli
from kb.service import KnowledgeBase
from tests.conftest import make_config

QUERIES = ["Wie binden wir die kreisangehörigen Gemeinden ein?", "Starkregen Keller", "Ökostrom Ausschreibung"]


def rankings(kb: KnowledgeBase) -> list[list[int]]:
    return [[h.passage.id for h in kb.search(q, limit=10).hits] for q in QUERIES]


def test_backup_while_searching_then_restore_gives_the_same_results(samples_data: Path, tmp_path: Path, embedder):
    data = tmp_path / "data"
    shutil.copytree(samples_data, data)
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    before = rankings(kb)
    searching, failures = threading.Event(), []

    def keep_searching() -> None:
        reader = KnowledgeBase(make_config(data), embedder=embedder)
        while not searching.is_set():
            try:
                assert reader.search(QUERIES[0]).hits
            except Exception as error:  # collected for the assertion below
                failures.append(error)
        reader.close()

    reader = threading.Thread(target=keep_searching)
    reader.start()
    archive = tmp_path / "sicherung.tar.gz"
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "backup", str(archive)])
    searching.set()
    reader.join()
    assert result.exit_code == 0, result.output
    assert failures == []

    kb.remove(kb.documents()[0].id)  # a change after the snapshot
    kb.close()
    refused = CliRunner().invoke(cli, ["--data-dir", str(data), "restore", str(archive)])
    assert refused.exit_code == 1 and "--replace" in refused.output
    restored = CliRunner().invoke(cli, ["--data-dir", str(data), "restore", str(archive), "--replace"])
    assert restored.exit_code == 0, restored.output
    assert "Wiederhergestellt: 14 Dokumente" in restored.output
    again = KnowledgeBase(make_config(data), embedder=embedder)
    assert again.check().ok and rankings(again) == before
    again.close()


def test_restore_refuses_a_file_that_is_no_backup(tmp_path: Path):
    bogus = tmp_path / "kein-backup.tar.gz"
    bogus.write_bytes(b"\x1f\x8b kaputt")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "restore", str(bogus)])
    assert result.exit_code == 1 and "beschädigt" in result.output
    assert not (tmp_path / "data").exists()
