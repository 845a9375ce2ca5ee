"""SIGKILL during ingest at random moments: nothing half-done is visible, the next ingest finishes."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.service import KnowledgeBase
from tests.conftest import SAMPLES, make_config

pytestmark = [pytest.mark.model, pytest.mark.slow]  # `kb ingest` processes load the real model

TRIALS = 25
QUERIES = ["Wie binden wir die kreisangehörigen Gemeinden ein?", "Starkregen Keller", "Wärmeplanung"]


def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path, embedder):
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLES, batch, ignore=shutil.ignore_patterns("build.py"))
    data = tmp_path / "data"
    command = [sys.executable, "-m", "kb.main", "--data-dir", str(data), "ingest", str(batch)]
    environment = os.environ | {"KB_FLUSH_SECONDS": "0", "HF_HUB_OFFLINE": "1"}  # save after every document
    rng = random.Random(2026)
    killed = 0
    for _ in range(TRIALS):
        writer = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 9.0))
        if writer.poll() is None:
            writer.kill()
            killed += 1
        writer.wait()
        assert_nothing_half_done_is_visible(data, embedder)
    assert killed >= 10  # most trials really were interrupted

    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    check = subprocess.run([*command[:5], "check"], env=environment, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    assert [d.status for d in kb.documents()] == ["ready"] * 14
    kb.close()


def assert_nothing_half_done_is_visible(data: Path, embedder) -> None:
    if not (data / "catalogue.sqlite3").exists():
        return  # killed before anything was written
    kb = KnowledgeBase(make_config(data), embedder=embedder)
    try:
        report = kb.check()
        # every ready passage has exactly one vector and one keyword entry ...
        assert not (report.missing_vectors or report.missing_keywords or report.duplicate_vectors), report.lines()
        # ... and index entries without a ready passage belong to documents the next ingest redoes
        unfinished = {p for d in report.unfinished_documents for p in kb.catalogue.passage_ids(d)}
        assert set(report.stray_vectors) | set(report.stray_keywords) <= unfinished, report.lines()
        if kb.catalogue.count_passages():
            for query in QUERIES:
                assert all(hit.document.status == "ready" for hit in kb.search(query, limit=20).hits)
    finally:
        kb.close()
