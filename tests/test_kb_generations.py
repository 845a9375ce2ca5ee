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
