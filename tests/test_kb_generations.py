"""The ``index`` link of a data directory is never replaced by an empty generation.

A writer turning an older layout's plain index folder into a generation renames the folder and
then links it; a reader arriving between the two steps, or after a writer died between them, or
finding the link pointing at a deleted folder, must link the newest generation — not start an
empty index (seen under load: searches failing with FileExistsError, or finding nothing).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kb.service import KnowledgeBase
from tests.conftest import make_config

QUESTION = "Starkregen Fließwege Karten"


@pytest.fixture
def data(fake_samples_data: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(fake_samples_data, copy, symlinks=True)
    return copy


def hits(data: Path, embedder) -> int:
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    try:
        return len(kb.search(QUESTION, limit=5).hits)
    finally:
        kb.close()


def test_a_reader_after_a_writer_died_between_rename_and_link_links_the_newest_generation(data, fake_embedder):
    link = data / "index"
    assert link.is_symlink()
    link.unlink()  # the generation folder is there, its link is not
    assert hits(data, fake_embedder) == 5
    assert link.is_symlink() and len(list(data.glob("index-*"))) == 1  # no empty generation beside it


def test_a_link_to_a_deleted_folder_is_repointed_to_the_newest_generation(data, fake_embedder):
    link = data / "index"
    os.replace(_symlink_to(data, "index-00000000-000000-gone"), link)
    assert not link.exists()
    assert hits(data, fake_embedder) == 5


def _symlink_to(data: Path, target: str) -> Path:
    staged = data / "index.link-new"
    os.symlink(target, staged)
    return staged


def test_a_reader_sees_a_save_that_kept_the_manifest_time_of_the_one_before(data, fake_embedder, tmp_path):
    """File times tick in jiffies: two saves of a node applying changes one after the other can
    leave the manifest with the same modification time. A reader that compared times kept its old
    indexes for good (a node's new document was never found on it)."""
    reader = KnowledgeBase(make_config(data, ocr=False), embedder=fake_embedder)
    assert reader.search(QUESTION, mode="keyword").hits  # indexes loaded
    manifest = data / "index" / "manifest.json"
    before = manifest.stat()
    note = tmp_path / "neu" / "hagelschutz.md"
    note.parent.mkdir()
    note.write_text("# Hagelschutz\n\nDer Kreis berät zu Hagelschutznetzen im Obstbau.\n", "utf-8")
    writer = KnowledgeBase(make_config(data, ocr=False), embedder=fake_embedder)
    writer.ingest([note])
    os.utime(manifest, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same tick as the save before

    reader.refresh()
    assert {h.document.file_name for h in reader.search("Hagelschutznetzen", mode="keyword").hits} == {"hagelschutz.md"}
