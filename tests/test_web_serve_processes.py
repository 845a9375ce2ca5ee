"""`kb serve --processes N`: several server processes on one port, a dead one replaced, all stopped
together (real processes, the real model, waitress)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.load import children
from kb.core.config import Config


def wait_for(condition, what: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.2)


@pytest.mark.slow
def test_two_server_processes_share_the_port_a_dead_one_is_replaced_and_sigterm_stops_all(web_config: Config):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "kb.main", "--data-dir", str(web_config.data_dir), "serve", "--port", str(port)]
    environment = os.environ | {"KB_API_RATE_LIMIT": "100000 per minute"}
    server = subprocess.Popen([*command, "--processes", "2"], env=environment, stderr=subprocess.PIPE, text=True)

    def search() -> int:
        url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode({"q": "Wärmeplanung", "limit": 3})
        with urllib.request.urlopen(url, timeout=60) as response:
            return len(json.load(response)["hits"])

    def answers() -> bool:
        try:
            return search() == 3
        except OSError:
            assert server.poll() is None, server.stderr.read()
            return False

    try:
        wait_for(answers, "the server answers")
        first = set(children(server.pid))
        assert len(first) == 2
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda _: search(), range(40))) == [3] * 40

        os.kill(min(first), signal.SIGKILL)  # a process dies (out of memory, say): the other keeps serving
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(lambda _: search(), range(12))) == [3] * 12
        wait_for(lambda: len(set(children(server.pid)) - first) == 1, "a replacement process")
        wait_for(answers, "the server answers after the replacement")

        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
        assert not children(server.pid)
        assert "wird ersetzt" in server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
        for pid in children(server.pid):
            os.kill(pid, signal.SIGKILL)
