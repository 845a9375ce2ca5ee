"""`kb eval` on a BEIR-layout set: the three modes scored by ir-measures, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kb.main import cli
from kb.service.catalogue import Catalogue
from tests.conftest import make_config
from tests.test_kb_search import PARAPHRASES

# keyword questions (word overlap) beside the paraphrases (none): both kinds of query
KEYWORD_QUESTIONS = {
    "Rückstauklappen gegen Starkregen": "Rückstauklappen",
    "Pendler-Radrouten im Landkreis": "Pendler-Radrouten",
    "Rohrkolben auf wiedervernässten Mooren": "Rohrkolben",
}


def beir_set_of_the_samples(samples_data: Path, folder: Path) -> Path:
    """The sample passages as a BEIR corpus; a passage is relevant when it holds the answer phrase."""
    catalogue = Catalogue(make_config(samples_data).catalogue_path)
    passages = list(catalogue.iter_ready_passages())
    catalogue.close()
    questions = {question: phrase for question, (_, phrase) in PARAPHRASES.items()} | KEYWORD_QUESTIONS
    (folder / "qrels").mkdir(parents=True)
    corpus = [json.dumps({"_id": str(p.id), "title": "", "text": p.text}, ensure_ascii=False) for p in passages]
    (folder / "corpus.jsonl").write_text("\n".join(corpus) + "\n", "utf-8")
    queries = [json.dumps({"_id": f"q{n}", "text": q}, ensure_ascii=False) for n, q in enumerate(questions)]
    (folder / "queries.jsonl").write_text("\n".join(queries) + "\n", "utf-8")
    rows = ["query-id\tcorpus-id\tscore"] + [
        f"q{n}\t{p.id}\t1" for n, phrase in enumerate(questions.values()) for p in passages if phrase in p.text
    ]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", "utf-8")
    return folder


def test_eval_prints_every_measure_for_every_mode_as_json(samples_data: Path, tmp_path: Path):
    folder = beir_set_of_the_samples(samples_data, tmp_path / "samples_beir")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "eval", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output[result.output.index("{") :])
    assert set(scores) == {"keyword", "dense", "hybrid"}
    for mode in scores.values():
        assert set(mode) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
        assert all(0 <= value <= 1 for value in mode.values())
    # the paraphrases share no stem with their answers: keyword search misses them, the model does not
    assert scores["dense"]["ndcg@10"] > scores["keyword"]["ndcg@10"]
    assert scores["hybrid"]["ndcg@10"] >= max(scores["dense"]["ndcg@10"], scores["keyword"]["ndcg@10"]), scores
    assert scores["hybrid"]["recall@10"] == 1.0, scores
    assert scores["hybrid"]["recall@100"] >= scores["keyword"]["recall@100"]


def test_eval_names_a_folder_that_is_not_a_beir_set(tmp_path: Path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "eval", str(tmp_path)])
    assert result.exit_code == 1
    assert "ist kein BEIR-Verzeichnis; es fehlt" in result.output and "corpus.jsonl" in result.output
