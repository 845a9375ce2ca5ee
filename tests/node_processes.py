"""A search node as a process of its own, on the stand-in embedder (one real model at most).

``python -m tests.node_processes serve DATA_DIR PORT`` runs what ``kb serve --port PORT`` runs
(web/commands.py ``run_server``: waitress, the node following the catalogue, its worker thread if
``KB_SERVE_WORKER``), with ``KB_DATABASE_URL`` and the other ``KB_*`` settings from the environment.
"""

from __future__ import annotations

import faulthandler
import signal
import sys
from pathlib import Path

from kb.core.config import Config
from tests.fakes import HashingEmbedder
from web.commands import run_server


def serve(data_dir: Path, port: int) -> None:
    config = Config.from_env(data_dir=data_dir).resolved()
    run_server(config, config.http_threads, embedder=HashingEmbedder(), host="127.0.0.1", port=port)


if __name__ == "__main__":
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` writes every thread's stack to the log
    command, data, port = sys.argv[1:4]
    if command != "serve":
        raise SystemExit(f"unknown command {command!r}; known: serve")
    serve(Path(data), int(port))
