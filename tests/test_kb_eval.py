"""`kb eval` on a BEIR-layout set: the three modes scored by ir-measures, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kb.cli import cli
from tests.conftest import ROOT

LOCALZERO = ROOT.parent / "shared" / "eval" / "localzero_measures_de"


def small_set(folder: Path, queries: int = 60) -> Path:
    """The LocalZero corpus with its first ``queries`` queries (keeps the test quick)."""
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text((LOCALZERO / "corpus.jsonl").read_text("utf-8"), "utf-8")
    lines = (LOCALZERO / "queries.jsonl").read_text("utf-8").splitlines()[:queries]
    (folder / "queries.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    kept = {json.loads(line)["_id"] for line in lines}
    qrels = (LOCALZERO / "qrels" / "test.tsv").read_text("utf-8").splitlines()
    (folder / "qrels" / "test.tsv").write_text(
        "\n".join([qrels[0]] + [row for row in qrels[1:] if row.split("\t")[0] in kept]) + "\n", "utf-8"
    )
    return folder


def test_eval_prints_every_measure_for_every_mode_as_json(tmp_path: Path):
    folder = small_set(tmp_path / "localzero_small")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "eval", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output[result.output.index("{") :])
    assert set(scores) == {"keyword", "dense", "hybrid"}
    for mode in scores.values():
        assert set(mode) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
        assert all(0 <= value <= 1 for value in mode.values())
    # the rebuilt model works: far better than chance on 64 documents
    assert scores["dense"]["ndcg@10"] > 0.5
    assert scores["hybrid"]["recall@100"] >= scores["keyword"]["recall@100"]


def test_eval_names_a_folder_that_is_not_a_beir_set(tmp_path: Path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "eval", str(tmp_path)])
    assert result.exit_code == 1
    assert "ist kein BEIR-Verzeichnis; es fehlt" in result.output and "corpus.jsonl" in result.output
