"""Load on `kb serve`: concurrent API clients sending hybrid searches for a fixed time.

Starts `kb serve` on 127.0.0.1 over a knowledge base of the sample corpus (ingested into a
temporary data directory unless --data-dir is given), then runs ``--clients`` threads for
``--seconds``, each sending GET /api/v1/search?mode=hybrid with questions and keywords in turn
(at most ``--max-requests`` in all). Prints throughput, latency percentiles, errors and the
server's peak RSS.

By default the clients repeat eight questions, as a portal's popular questions, paging and facet
clicks do (the server embeds a repeated query once). ``--distinct`` makes every request a new
query of three to five climate words, so every request pays for its query embedding.

``--prepare N --data-dir DIR`` first builds DIR as a portal's knowledge base of N public passages
(once; a later run with the same options reuses it): passages and vectors as bench/search_latency.py
makes them (real German sentences; 1,000 passages embedded with the model, the rest mixtures of
those vectors), every document public, and every passage marked as compared for near-duplicates
(with no signature, as a passage too short to compare), so the server does not sign N passages at
its start.

``--processes N`` runs `kb serve --processes N` (N processes sharing the port). Every run first
sends ``--warmup`` seconds of the same load, unmeasured, so every process has loaded its model.

    .venv/bin/python -m bench.load [--clients 32] [--seconds 60] [--distinct] [--processes 2]
        [--data-dir DIR [--prepare 100000]]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import multiprocessing
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np

from bench.memory import status_megabytes

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "Wie binden wir die kreisangehörigen Gemeinden ein?",
    "Kommunen im Kreisgebiet beteiligen",
    "Wärmeplanung kleine Gemeinden",
    "Förderung Klimaschutzmanagement",
    "Was tun gegen vollgelaufene Keller nach Starkregen?",
    "Ökostrom gemeinsam ausschreiben",
    "Radverkehr Pendler",
    "Wie finanziert der Kreis Klimaschutz in kleinen Gemeinden?",
]

WORDS = """Wärmeplanung Gemeinden Kreis Förderung Klimaschutzmanagement Starkregen Keller Ökostrom
Ausschreibung Radverkehr Pendler Solardach Photovoltaik Moorschutz Landwirtschaft Beratung Netzwerk
Bürgermeister Energieberatung Straßenbeleuchtung Mobilität Bürgerbus Klimaanpassung Hitze Schulen
Liegenschaften Energiemanagement Beteiligung Workshop Protokoll Konzept Maßnahmen Finanzierung
Fördermittel Kommunen Vorreiter Stammtisch Wärmenetz Abwärme Windkraft Flächen Dächer""".split()


def distinct_queries(seed: int) -> Iterator[str]:
    """Queries of three to five climate words that are never the same twice."""
    rng = random.Random(seed)
    while True:
        yield " ".join(rng.sample(WORDS, rng.randint(3, 5))) + f" {seed}-{rng.randrange(10**9)}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(data_dir: Path, port: int, threads: int | None, processes: int = 1) -> subprocess.Popen:
    kb = [sys.executable, "-m", "kb.main", "--data-dir", str(data_dir)]
    # all clients share 127.0.0.1: lift the per-address API limit, which would otherwise answer 429
    environment = os.environ | {"KB_API_RATE_LIMIT": "1000000 per minute", "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen(  # waitress logs a line per queued request under load: keep it quiet
        [*kb, "serve", "--port", str(port), "--processes", str(processes)]
        + (["--http-threads", str(threads)] if threads else []),
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("kb serve did not start") from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("kb serve did not answer within 120 s")


def prepare(data_dir: Path, size: int) -> None:
    """Build ``data_dir`` as a knowledge base of ``size`` public passages, unless it holds one."""
    catalogue = data_dir / "catalogue.sqlite3"
    if catalogue.exists():
        with closing(sqlite3.connect(catalogue)) as db:
            (count,) = db.execute("SELECT COUNT(*) FROM passages").fetchone()
        if count != size:
            raise SystemExit(f"{data_dir} holds {count} passages, not {size}: choose another --data-dir")
        print(f"reusing the knowledge base of {size} passages in {data_dir}", file=sys.stderr)
        return
    child = multiprocessing.get_context("spawn").Process(target=_build_public, args=(data_dir, size))
    child.start()  # the model's memory goes with the child
    child.join()
    if child.exitcode:
        raise SystemExit(f"building the knowledge base in {data_dir} failed")


def _build_public(data_dir: Path, size: int, real_count: int = 1000) -> None:
    from bench.corpus import passages
    from bench.search_latency import build, synthetic_vectors
    from kb.core.config import Config
    from kb.service import KnowledgeBase

    started = time.perf_counter()
    kb = KnowledgeBase(dataclasses.replace(Config.from_env(), data_dir=data_dir))
    texts = passages(size)
    vectors = synthetic_vectors(kb.embedder.embed_passages(texts[:real_count]), size, np.random.default_rng(7))
    build(kb, texts, vectors, levels=("public",))
    with kb.catalogue.transaction():  # compared for near-duplicates: none among sampled sentences
        kb.catalogue.store_signatures((p.id, None) for p in kb.catalogue.unsigned_passages())
    kb.close()
    print(f"built {size} public passages in {data_dir} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--server-threads", type=int, help="kb serve --http-threads (default: its own)")
    parser.add_argument("--processes", type=int, default=1, help="kb serve --processes (sharing its port)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load before the measured run")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--distinct", action="store_true", help="a new query for every request")
    parser.add_argument("--prepare", type=int, metavar="N", help="build --data-dir with N public passages first")
    args = parser.parse_args()
    if args.prepare:
        if args.data_dir is None:
            parser.error("--prepare needs --data-dir")
        prepare(args.data_dir, args.prepare)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        if args.data_dir is None:
            kb = [sys.executable, "-m", "kb.main", "--data-dir", str(data_dir)]
            subprocess.run([*kb, "ingest", str(ROOT / "samples")], check=True, cwd=ROOT, capture_output=True)
        port = free_port()
        server = start_server(data_dir, port, args.server_threads, args.processes)
        try:
            processes = [server.pid, *children(server.pid)]
            run_clients(port, args.clients, args.warmup, args.max_requests, args.distinct, seed=1)  # every process up
            load_before, own_cpu = os.getloadavg()[0], time.process_time()
            server_cpu = sum(cpu_seconds(pid) for pid in processes)
            latencies, errors = run_clients(port, args.clients, args.seconds, args.max_requests, args.distinct)
            server_cpu = sum(cpu_seconds(pid) for pid in processes) - server_cpu
            own_cpu = time.process_time() - own_cpu
            load_after = os.getloadavg()[0]
            peak_mb = sum(status_megabytes("VmHWM", pid) for pid in processes)  # their peaks so far
        finally:
            server.terminate()
            server.wait(30)

    total = len(latencies) + len(errors)
    ms = np.asarray(latencies) * 1000
    queries = "every query new" if args.distinct else f"{len(QUERIES)} questions repeated"
    threads = args.server_threads or "as configured"
    print(
        f"clients {args.clients}, {args.seconds:.0f} s, {args.processes} server process(es), "
        f"server threads {threads}, hybrid, {queries}"
    )
    print(f"{'requests':<22} {total:>10}")
    print(f"{'throughput (req/s)':<22} {len(latencies) / args.seconds:>10.1f}")
    for q in (50, 95, 99):
        print(f"{f'p{q} latency (ms)':<22} {np.percentile(ms, q) if len(ms) else float('nan'):>10.1f}")
    print(f"{'errors':<22} {len(errors):>10}")
    print(f"{'server peak RSS (MB)':<22} {peak_mb:>10.0f}")
    done = max(len(latencies), 1)
    print(f"{'server CPU/request (ms)':<22} {server_cpu / done * 1000:>10.1f}")
    print(f"{'client CPU/request (ms)':<22} {own_cpu / done * 1000:>10.1f}")
    print(
        f"{'load average':<22} {load_before:>5.1f} before, {load_after:.1f} at the end (1 min; {os.cpu_count()} cores)"
    )
    for message, count in sorted({e: errors.count(e) for e in errors}.items())[:5]:
        print(f"  {count} × {message}")


def children(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):  # gone meanwhile
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` and its finished children so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def run_clients(
    port: int, clients: int, seconds: float, max_requests: int, distinct: bool, seed: int = 0
) -> tuple[list[float], list[str]]:
    deadline = time.monotonic() + seconds
    budget = itertools.count()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        mine = QUERIES[number % len(QUERIES) :] + QUERIES[: number % len(QUERIES)]
        for query in distinct_queries(number + seed * clients) if distinct else itertools.cycle(mine):
            if time.monotonic() >= deadline or next(budget) >= max_requests:
                return
            url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode({"q": query, "limit": 10})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
                with lock:
                    latencies.append(time.perf_counter() - started)
            except (urllib.error.URLError, OSError) as error:
                with lock:
                    errors.append(type(error).__name__ + ": " + str(error)[:80])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


if __name__ == "__main__":
    main()
