"""Fixture overrides that put a test module on the stand-in embedder and its sample knowledge base.

``from tests.stand_in import embedder, web_config`` in a module reuses fixtures written for the
real model (a web app, its keys) over the fast lane's knowledge base.
"""

from __future__ import annotations

import pytest

from kb.core.config import Config
from kb.core.embedding import Embedder


@pytest.fixture
def web_config(fake_web_config: Config) -> Config:
    return fake_web_config


@pytest.fixture(scope="session")
def embedder(fake_embedder: Embedder) -> Embedder:
    return fake_embedder
