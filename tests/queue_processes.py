"""Processes of their own for the job queue tests, on the stand-in embedder (one real model at most).

``python -m tests.queue_processes worker DATA_DIR [--until-idle]`` runs what ``kb worker`` runs;
``python -m tests.queue_processes upload DATA_DIR KEY FILE`` is a second node: its own Flask app
takes an upload through the API (its worker off) and prints the job's JSON;
``python -m tests.queue_processes hold DATA_DIR`` starts a write, says so and stays in it until
killed. All read ``KB_DATABASE_URL`` and the other ``KB_*`` settings from the environment.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
from pathlib import Path

from kb.core.config import Config
from kb.service import KnowledgeBase
from kb.service.writer import Worker
from tests.fakes import HashingEmbedder


def worker(data_dir: Path, until_idle: bool) -> None:
    runner = Worker(Config.from_env(data_dir=data_dir), embedder=HashingEmbedder())
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    print(runner.name, flush=True)  # the test knows it is up, and its name
    runner.run(until_idle=until_idle)
    runner.close()


def upload(data_dir: Path, key: str, file: Path) -> None:
    from web import create_app

    config = dataclasses.replace(Config.from_env(data_dir=data_dir), serve_worker=False)
    app = create_app(config, kb=KnowledgeBase(config, embedder=HashingEmbedder()))
    response = app.test_client().post(
        "/api/v1/documents",
        headers={"Authorization": f"Bearer {key}"},
        data={"file": (file.open("rb"), file.name), "visibility": "öffentlich"},
    )
    answer = {"status_code": response.status_code, "location": response.headers.get("Location")}
    print(json.dumps(answer | {"job": response.get_json()}), flush=True)


def hold(data_dir: Path) -> None:
    kb = KnowledgeBase(Config.from_env(data_dir=data_dir), embedder=HashingEmbedder())

    def writing(done: int, total: int) -> None:
        print("writing", flush=True)
        signal.pause()  # inside the write, holding its lock, until killed

    kb.add_texts([("gehalten", "Gehalten", "Ein Schreibvorgang, der nicht endet.")], writing)


if __name__ == "__main__":
    command, data = sys.argv[1], Path(sys.argv[2])
    if command == "worker":
        worker(data, until_idle="--until-idle" in sys.argv)
    elif command == "hold":
        hold(data)
    else:
        upload(data, sys.argv[3], Path(sys.argv[4]))
