"""Jobs per minute of the shared job queue with 1 and 2 worker processes against one PostgreSQL.

Starts the tests' own PostgreSQL server (tests/postgres.py), queues ``--jobs`` uploads of a
one-page scan (OCR with one Tesseract thread per worker, the stand-in embedder: at most one real
model may load at a time on this machine, and OCR is the heavier part of a scan's ingest anyway),
starts the workers first and times from the first submission to the last job done. Three setups:
one worker; two workers sharing one data directory (one machine); two workers with a data
directory each (as on two machines, whose local indexes a search node keeps in step from the
catalogue). In both, the database's advisory write lock lets one of them save at a time. Medians of ``--runs``.

    .venv/bin/python bench/queue_workers.py [--jobs 12] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.core.access import Viewer  # noqa: E402
from kb.core.documents import Metadata  # noqa: E402
from kb.service.jobs import DONE, JobFile, JobQueue  # noqa: E402
from tests import postgres  # noqa: E402
from tests.scangen import image_pdf, sample_paragraphs, scanned, typeset_page  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SETUPS = (
    ("1 worker", 1, False),
    ("2 workers, one data directory", 2, False),
    ("2 workers, a data directory each", 2, True),
)


def run(server: postgres.Server, scan: Path, jobs: int, workers: int, own_dirs: bool, folder: Path) -> float:
    """Seconds from the first submission to the last job done."""
    url = server.new_database()
    queue = JobQueue(url)
    env = os.environ | {"KB_DATABASE_URL": url, "KB_THREADS": "1", "KB_FLUSH_SECONDS": "0", "HF_HUB_OFFLINE": "1"}
    processes = []
    for number in range(workers):
        data = folder / (f"data-{number}" if own_dirs else "data")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.queue_processes", "worker", str(data)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        process.stdout.readline()  # up
        processes.append(process)
    owner = Viewer("user:bench", writes=True)
    started = time.perf_counter()
    ids = [
        queue.submit_upload(owner, [(JobFile(scan.name, "pdf", f"upload:{n}", Metadata(visibility="public")), scan)]).id
        for n in range(jobs)
    ]
    while queue._db.scalar("SELECT count(*) FROM jobs WHERE state = ?", (DONE,)) < len(ids):
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.terminate()
        process.wait()
    queue.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = postgres.Server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            paragraphs = sample_paragraphs("notiz-moorschutz-birkenau-sued.md")
            scan = image_pdf([scanned(typeset_page(paragraphs), seed=1)], folder / "scan.pdf")
            seconds: dict[str, list[float]] = {name: [] for name, _, _ in SETUPS}
            for number in range(args.runs):
                for name, workers, own_dirs in SETUPS:
                    run_folder = folder / f"{number}-{workers}-{own_dirs}"
                    seconds[name].append(run(server, scan, args.jobs, workers, own_dirs, run_folder))
            print(f"os.getloadavg() at the end: {os.getloadavg()}")
            print(f"| setup | median seconds for {args.jobs} jobs | jobs per minute | ratio to 1 worker |")
            print("|---|---|---|---|")
            single = statistics.median(seconds[SETUPS[0][0]])
            for name, _, _ in SETUPS:
                median = statistics.median(seconds[name])
                print(f"| {name} | {median:.1f} | {60 * args.jobs / median:.1f} | {single / median:.2f} |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
