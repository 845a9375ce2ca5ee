"""Search throughput with 1, 2 and 3 `kb serve` nodes on one PostgreSQL catalogue, and how long a
committed change takes to be found on every node while documents are ingested (issue 14).

Starts a PostgreSQL server of its own (tests/postgres.py) and builds the corpus in it once, in a
child process with the real model: the bundled samples (`kb ingest samples/`) and the paragraphs
of a public eval set through the text-ingest path of `kb eval` (default GermanQuAD, 474
paragraphs). Then, for each N of ``--nodes``, starts N `kb serve` nodes (the real model,
HF_HUB_OFFLINE=1; each with a data directory of its own as its index cache, kept across rounds:
a node's first start builds its indexes from the database, later starts catch up from the cache)
and runs ``--clients`` threads for ``--seconds``, sending GET /api/v1/search (hybrid, limit 10,
the set's questions in turn, a read key that sees network documents) to the nodes round-robin,
request by request. Node 1 runs its worker thread (`kb serve --worker`), the others do not; no
job is queued during these rounds.

Then, with the nodes of the last round still up, the replication delay under ingest:
``--documents`` uploads (about 120 words each, real sentences of the LocalZero set and the
samples mixed as bench/corpus.py does, each with a word of its own) are queued at once and node
1's worker ingests them one by one with the real model. For each document the delay runs
from its commit as `ready` (the change log's NOTIFY, received here through
kb.service.changes.ChangeFeed) to the first search on the last node that finds it (each node
asked every ``--poll`` seconds, in keyword mode, for the documents committed and not yet found
there).

At most three processes load the model (the corpus child ends before the nodes start). Prints
JSON; this machine has 2 cores, so the ratio to N=1 of the same run is what the figures say, and
the load average before and after each round is part of the output.

    .venv/bin/python -m bench.nodes [--nodes 1,2,3] [--clients 32] [--seconds 30] [--documents 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import psycopg

from bench.corpus import passages
from bench.load import cpu_seconds, free_port
from bench.memory import status_megabytes
from kb.core.access import Viewer
from kb.core.documents import Metadata
from kb.service.accounts import Accounts
from kb.service.changes import ChangeFeed
from kb.service.evaluation import BeirSet
from kb.service.jobs import JobFile, JobQueue
from tests import postgres

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path("/work/shared/eval")
MAX_MODEL_PROCESSES = 3


def build_corpus(url: str, data_dir: Path, corpus: Path) -> None:
    """The samples and the set's paragraphs into the database (a child process: the model's
    memory goes with it)."""
    from kb.core.config import Config
    from kb.service import KnowledgeBase

    started = time.perf_counter()
    kb = KnowledgeBase(dataclasses.replace(Config.from_env(), data_dir=data_dir, database_url=url))
    report = kb.ingest([ROOT / "samples"])
    kb.add_texts(BeirSet.read(corpus).corpus)
    kb.close()
    if report.failed:
        raise SystemExit(f"samples failed: {report.failed}")
    print(f"corpus built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


class Node:
    """A `kb serve` process on the real model with its own data directory and port."""

    def __init__(self, number: int, folder: Path, env: dict[str, str]) -> None:
        self.number, self.data, self.env = number, folder / f"node-{number}", env
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start the node; the seconds until it answered (it opens its port once caught up)."""
        started = time.monotonic()
        kb = [sys.executable, "-m", "kb.main", "--data-dir", str(self.data), "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*kb, "--worker" if self.number == 1 else "--no-worker"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.data.parent / f"node-{self.number}.log").open("a"),
        )
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/v1/health", timeout=5) as response:
                    response.read()
                return time.monotonic() - started
            except OSError:
                if self.process.poll() is not None or time.monotonic() - started > 600:
                    raise SystemExit(f"node {self.number} did not start; see {self.data.parent}") from None
                time.sleep(0.1)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self, key: str) -> dict:
        request = urllib.request.Request(f"{self.base}/api/v1/health", headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def file_names(self, query: str, key: str) -> set[str]:
        """The files of the keyword hits for ``query``: a document's own word finds it there
        exactly (in hybrid mode the model's neighbours of a made-up word can push it down)."""
        url = f"{self.base}/api/v1/search?" + urllib.parse.urlencode({"q": query, "limit": 10, "mode": "keyword"})
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return {hit["file_name"] for hit in json.load(response)["hits"]}

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(60)
            self.process = None


def run_clients(
    nodes: list[Node], key: str, questions: list[str], clients: int, seconds: float
) -> tuple[list[float], list[str]]:
    """Latencies (s) and errors of ``clients`` threads sending searches round-robin over ``nodes``."""
    deadline = time.monotonic() + seconds
    numbers = itertools.count()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        while time.monotonic() < deadline:
            number = next(numbers)
            node, question = nodes[number % len(nodes)], questions[number % len(questions)]
            url = f"{node.base}/api/v1/search?" + urllib.parse.urlencode({"q": question, "limit": 10})
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
                with lock:
                    latencies.append(time.perf_counter() - started)
            except OSError as error:  # URLError, HTTPError, timeouts
                with lock:
                    errors.append(f"{type(error).__name__}: {str(error)[:80]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def throughput_round(nodes: list[Node], key: str, questions: list[str], args: argparse.Namespace) -> dict:
    run_clients(nodes, key, questions[-200:], args.clients, args.warmup)  # not counted; other questions
    load_before, cpu_before = os.getloadavg()[0], time.process_time()
    nodes_before = [cpu_seconds(node.process.pid) for node in nodes]
    latencies, errors = run_clients(nodes, key, questions, args.clients, args.seconds)
    nodes_used = [cpu_seconds(node.process.pid) - before for node, before in zip(nodes, nodes_before, strict=True)]
    ms = np.asarray(latencies) * 1000
    return {
        "nodes": len(nodes),
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / args.seconds, 1),
        **{f"p{q}_ms": round(float(np.percentile(ms, q)), 1) if len(ms) else None for q in (50, 95, 99)},
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:3],
        "node_cpu_percent": [round(100 * used / args.seconds) for used in nodes_used],
        "client_cpu_ms_per_request": round((time.process_time() - cpu_before) / max(len(latencies), 1) * 1000, 1),
        "node_peak_rss_mb": [round(status_megabytes("VmHWM", node.process.pid)) for node in nodes],
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def replication_round(nodes: list[Node], url: str, key: str, folder: Path, args: argparse.Namespace) -> dict:
    """Delays from a document's commit as ready to its being found on every node, while node 1's
    worker ingests ``args.documents`` uploads queued at once."""
    files = {}
    for number, text in enumerate(passages(args.documents, seed=14)):
        word = "kennwort" + "".join("bcdfghklmn"[int(d)] for d in f"{number:03d}")
        path = folder / f"massnahme-{number:03d}.md"
        path.write_text(f"# Maßnahme {word}\n\n{text}\n\nKennwort: {word}\n", encoding="utf-8")
        files[path.name] = (path, word)

    ready_at: dict[str, float] = {}  # file name -> when its commit as ready was announced
    found_at: dict[str, dict[int, float]] = {name: {} for name in files}
    poll_errors: list[str] = []
    lock, stop = threading.Lock(), threading.Event()
    feed = ChangeFeed(url, after=_last_change(url))

    def follow_commits() -> None:
        with psycopg.connect(url, autocommit=True) as db:
            while not stop.is_set():
                for change in feed.wait(0.5):
                    received = time.monotonic()
                    row = db.execute("SELECT file_name, status FROM documents WHERE id = %s", (change.document_id,))
                    found = row.fetchone()
                    if found and found[1] == "ready" and found[0] in files:
                        with lock:
                            ready_at.setdefault(found[0], received)

    def poll(node: Node) -> None:
        while not stop.is_set():
            with lock:
                waiting = [name for name in ready_at if node.number not in found_at[name]]
            for name in waiting:
                try:
                    if name in node.file_names(files[name][1], key):
                        with lock:
                            found_at[name][node.number] = time.monotonic()
                except OSError as error:  # asked again at the next poll
                    with lock:
                        poll_errors.append(f"{type(error).__name__}: {str(error)[:60]}")
            time.sleep(args.poll)

    threads = [threading.Thread(target=follow_commits), *(threading.Thread(target=poll, args=(n,)) for n in nodes)]
    for thread in threads:
        thread.start()
    queue = JobQueue(url)
    owner = Viewer("user:bench", writes=True)
    metadata = Metadata(visibility="public", county="Landkreis Uckermark")
    started, load_before = time.monotonic(), os.getloadavg()[0]
    try:
        for name, (path, _) in files.items():
            queue.submit_upload(owner, [(JobFile(name, "md", f"upload:{name}", metadata), path)])
        deadline = started + args.documents * 60
        while time.monotonic() < deadline:
            with lock:
                if all(len(found_at[name]) == len(nodes) for name in files):
                    break
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        feed.close()
        queue.close()

    delays = [max(found_at[name].values()) - ready_at[name] for name in files if len(found_at[name]) == len(nodes)]
    seconds = np.asarray(delays)
    return {
        "nodes": len(nodes),
        "documents": len(files),
        "committed": len(ready_at),
        "found_on_every_node": len(delays),
        "ingest_seconds": round(time.monotonic() - started, 1),
        "delay_median_s": round(float(np.median(seconds)), 3) if delays else None,
        "delay_p95_s": round(float(np.percentile(seconds, 95)), 3) if delays else None,
        "delay_max_s": round(float(seconds.max()), 3) if delays else None,
        "poll_interval_s": args.poll,
        "poll_errors": len(poll_errors),
        "poll_error_kinds": sorted(set(poll_errors))[:3],
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def _last_change(url: str) -> int:
    with psycopg.connect(url) as db:
        return db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", default="1,2,3", help="node counts to measure, comma-separated (1 first)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before each round, not counted")
    parser.add_argument("--corpus", type=Path, default=EVAL / "germanquad_retrieval", help="a BEIR set")
    parser.add_argument("--documents", type=int, default=20, help="uploads ingested for the replication delay")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between a node's searches for new documents")
    args = parser.parse_args()
    counts = [int(n) for n in args.nodes.split(",")]
    if counts[0] != 1 or max(counts) > MAX_MODEL_PROCESSES:
        parser.error(f"--nodes must start with 1 and stay at most {MAX_MODEL_PROCESSES} (one model per node)")
    os.environ["HF_HUB_OFFLINE"] = "1"
    server = postgres.Server()
    try:
        with tempfile.TemporaryDirectory(prefix="kb-nodes-") as tmp:
            folder = Path(tmp)
            url = server.new_database()
            child = multiprocessing.get_context("spawn").Process(
                target=build_corpus, args=(url, folder / "corpus", args.corpus)
            )
            child.start()
            child.join()
            if child.exitcode:
                raise SystemExit("building the corpus failed")
            accounts = Accounts(url)
            key = accounts.create_key("read", "Bench", highest="netzwerk")
            accounts.close()
            questions = list(BeirSet.read(args.corpus).queries.values())
            env = os.environ | {
                "KB_DATABASE_URL": url,
                "KB_API_RATE_LIMIT": "1000000 per minute",
                "KB_KEY_RATE_LIMIT": "1000000 per minute",
                "KB_OCR": "false",
            }
            nodes = [Node(number, folder, env) for number in range(1, max(counts) + 1)]
            result: dict = {"cores": os.cpu_count(), "clients": args.clients, "seconds": args.seconds, "rounds": []}
            try:
                for count in counts:
                    started = [nodes[i].start() for i in range(count)]
                    health = nodes[0].health(key)
                    result["corpus"] = {k: health.get(k) for k in ("documents", "passages")}
                    measured = throughput_round(nodes[:count], key, questions, args)
                    measured["start_seconds"] = [round(s, 1) for s in started]
                    single = result["rounds"][0]["req_per_s"] if result["rounds"] else measured["req_per_s"]
                    measured["ratio_to_1"] = round(measured["req_per_s"] / single, 2) if single else None
                    result["rounds"].append(measured)
                    print(json.dumps(measured), file=sys.stderr)
                    if count != counts[-1]:
                        for node in nodes[:count]:
                            node.stop()
                result["replication"] = replication_round(nodes[: counts[-1]], url, key, folder, args)
            finally:
                for node in nodes:
                    node.stop()
    finally:
        server.stop()
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
