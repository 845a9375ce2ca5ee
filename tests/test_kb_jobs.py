"""The shared job queue: a job is its submitter's alone, claimed by one worker at a time, taken
over when its worker stops renewing the lease, and done exactly once — on both engines, and with
worker processes of their own against one PostgreSQL database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kb.core.access import ADMIN, Viewer
from kb.core.documents import Metadata
from kb.core.embedding import Embedder
from kb.service import KnowledgeBase
from kb.service.accounts import Accounts
from kb.service.jobs import DONE, FAILED, MAX_ATTEMPTS, QUEUED, RUNNING, Job, JobFile, JobQueue
from kb.service.writer import Worker
from tests.conftest import make_app, make_config
from tests.scangen import image_pdf, sample_paragraphs, scanned, typeset_page

ANNA = Viewer("user:anna", writes=True)
BERND = Viewer("user:bernd", writes=True)
ADMINISTRATOR = Viewer("user:root", role=ADMIN)
ROOT = Path(__file__).resolve().parent.parent


def note(folder: Path, number: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"notiz-{number:02d}.md"
    path.write_text(
        f"# Notiz {number}\n\nDer Landkreis prüft Maßnahme {number}: Photovoltaik auf dem Dach der Schule "
        f"Nummer {number} und eine Ladesäule am Rathaus.\n",
        encoding="utf-8",
    )
    return path


def upload_job(queue: JobQueue, path: Path, owner: Viewer = ANNA) -> Job:
    kind = path.suffix.lstrip(".")
    return queue.submit_upload(owner, [(JobFile(path.name, kind, f"upload:{path.stem}", PUBLIC_METADATA), path)])


PUBLIC_METADATA = Metadata(visibility="public", county="Landkreis Uckermark")


def test_a_job_is_its_submitters_and_one_worker_holds_it(database, tmp_path: Path):
    queue = JobQueue(database)
    staged = note(tmp_path / "staged", 1)
    job = upload_job(queue, staged)
    assert queue.get(job.id, ANNA).status == QUEUED and queue.get(job.id, ADMINISTRATOR) is not None
    assert queue.get(job.id, BERND) is None and queue.recent(BERND) == []  # others' jobs do not exist for them
    claim = queue.claim("worker-1", lease_seconds=60)
    assert claim is not None and claim.job.id == job.id and claim.job.status == QUEUED
    assert queue.claim("worker-2", lease_seconds=60) is None  # running, its lease alive
    source = queue.file_source(claim, 0)
    if queue.keeps_bytes:  # PostgreSQL: any machine's worker reads the file from the database
        assert source == staged.read_bytes()
    else:  # SQLite: the staged copy on this machine
        assert source == staged
    assert queue.renew(claim, lease_seconds=60)
    assert queue.finish(claim)
    assert queue.get(job.id, ANNA).status == DONE and queue.file_source(claim, 0) is None
    queue.close()


def test_an_expired_lease_passes_the_job_on_and_the_first_worker_changes_nothing(database):
    queue = JobQueue(database)
    job = queue.submit("delete", ANNA, {"document_id": 7})
    first = queue.claim("worker-1", lease_seconds=0)  # as if it had stopped renewing long ago
    time.sleep(0.01)
    second = queue.claim("worker-2", lease_seconds=60)
    assert second is not None and second.job.id == first.job.id == job.id
    assert not queue.renew(first, lease_seconds=60) and not queue.finish(first)
    queue.note_progress(first, "veraltet")
    assert queue.get(job.id, ANNA).progress is None
    assert queue.finish(second, "Kein Dokument mit der Nummer 7.")
    ended = queue.get(job.id, ANNA)
    assert (ended.status, ended.error) == (FAILED, "Kein Dokument mit der Nummer 7.")
    queue.close()


def test_a_job_whose_workers_keep_dying_is_given_up(database):
    queue = JobQueue(database)
    job = queue.submit("delete", ANNA, {"document_id": 7})
    for attempt in range(MAX_ATTEMPTS):
        assert queue.claim(f"worker-{attempt}", lease_seconds=0) is not None
        time.sleep(0.01)
    assert queue.claim("worker-last", lease_seconds=60) is None
    given_up = queue.get(job.id, ANNA)
    assert given_up.status == FAILED and f"{MAX_ATTEMPTS}-mal abgebrochen" in given_up.error
    queue.close()


def test_an_idle_worker_is_woken_when_a_job_comes_in(database_url, tmp_path: Path, fake_embedder):
    """Within seconds, though its safety poll is an hour here: on PostgreSQL another node's job
    sends a notice; on SQLite the worker sees another process's queued job at its next look (a
    `kb worker` beside `kb serve --no-worker`), and its own process wakes it at once."""
    config = make_config(tmp_path / "data", database_url=database_url)
    worker, other_node = Worker(config, fake_embedder, idle_poll=3600), JobQueue(config.database)
    assert not worker.wait_for_work(0.2)  # nothing came
    job = other_node.submit("delete", ANNA, {"document_id": 7})
    assert worker.wait_for_work(10)  # an hour before the poll; seconds now
    assert worker.run_one() and other_node.job(job.id).status == FAILED  # there is no document 7
    worker.close()
    other_node.close()


def test_jobs_finished_longer_ago_than_the_retention_are_purged(database_url, tmp_path: Path, fake_embedder):
    config = make_config(tmp_path / "data", database_url=database_url, jobs_retention_days=30)
    queue = JobQueue(config.database)
    old_done, old_failed, recent, queued = (queue.submit("delete", ANNA, {"document_id": n}) for n in range(4))
    for job, error in ((old_done, None), (old_failed, "Kein Dokument"), (recent, None)):
        claim = queue.claim("worker-1", lease_seconds=60)
        assert claim.job.id == job.id and queue.finish(claim, error)
    queue._db.execute(  # as if they had finished 31 days ago
        "UPDATE jobs SET finished_at = ? WHERE id IN (?, ?)",
        ((datetime.now(UTC) - timedelta(days=31)).isoformat(timespec="seconds"), old_done.id, old_failed.id),
    )
    running = queue.claim("worker-2", lease_seconds=60)
    assert running.job.id == queued.id
    worker = Worker(config, fake_embedder)
    assert worker.run(until_idle=True) == 0  # nothing to do, so it tidies up
    assert queue.job(old_done.id) is None and queue.job(old_failed.id) is None
    assert [queue.job(job.id).status for job in (recent, queued)] == [DONE, RUNNING]
    assert queue.purge(30) == 0
    worker.close()
    queue.close()


def test_a_deletion_taken_over_after_its_first_worker_deleted_the_document_is_done(
    database_url, tmp_path: Path, fake_embedder
):
    config = make_config(tmp_path / "data", database_url=database_url, ocr=False)
    kb = KnowledgeBase(config, embedder=fake_embedder)
    document_id = kb.ingest([note(tmp_path / "notes", 1)]).files[0].document_id
    queue = JobQueue(config.database)
    job = queue.submit("delete", ANNA, {"document_id": document_id})
    assert queue.claim("worker-1", lease_seconds=0).job.id == job.id
    kb.remove(document_id)  # the first worker deleted it, then died before it could say so
    time.sleep(0.01)
    worker = Worker(config, fake_embedder)
    assert worker.run(until_idle=True) == 1
    taken_over = queue.job(job.id)
    assert (taken_over.status, taken_over.error) == (DONE, None)
    again = queue.submit("delete", ANNA, {"document_id": document_id})  # a first attempt: truly not there
    assert worker.run(until_idle=True) == 1
    assert queue.job(again.id).status == FAILED and str(document_id) in queue.job(again.id).error
    worker.close()
    queue.close()
    kb.close()


def test_the_staged_files_of_an_upload_job_that_failed_are_removed(tmp_path: Path, fake_embedder):
    """SQLite keeps uploads as staged copies in the data directory: a job that fails before it
    reaches some of its files, or is given up, leaves none of them behind."""
    config = make_config(tmp_path / "data", ocr=False)
    queue = JobQueue(config.database)
    staged = [note(config.uploads_dir / f"upload-{number}", number) for number in range(3)]
    job = queue.submit_upload(
        ANNA, [(JobFile(path.name, "md", f"upload:{path.stem}", PUBLIC_METADATA), path) for path in staged]
    )
    staged[1].unlink()  # lost: the job fails at its second file
    worker = Worker(config, fake_embedder)
    assert worker.run(until_idle=True) == 1
    failed = queue.job(job.id)
    assert failed.status == FAILED and "nicht mehr vorhanden" in failed.error
    assert [r.outcome for r in failed.results] == ["added"]
    assert not any(path.parent.exists() for path in staged)  # the third, never reached, is gone too

    given_up = upload_job(queue, note(config.uploads_dir / "upload-9", 9))
    for attempt in range(MAX_ATTEMPTS):
        assert queue.claim(f"dying-{attempt}", lease_seconds=0) is not None
        time.sleep(0.01)
    assert queue.claim("worker-last", lease_seconds=60) is None
    assert queue.job(given_up.id).status == FAILED and not (config.uploads_dir / "upload-9").exists()
    worker.close()
    queue.close()


@pytest.mark.postgres
def test_a_claim_skips_the_job_another_worker_is_claiming_without_waiting(postgres_server, tmp_path: Path):
    import psycopg

    url = postgres_server.new_database()
    queue = JobQueue(url)
    first, second = (upload_job(queue, note(tmp_path, number)) for number in (1, 2))
    with psycopg.connect(url) as other:  # a transaction of another worker, between its SELECT and UPDATE
        other.execute("SELECT id FROM jobs WHERE id = %s FOR UPDATE", (first.id,))
        claim = queue.claim("worker-2", lease_seconds=60)
        assert claim is not None and claim.job.id == second.id
    assert queue.claim("worker-3", lease_seconds=60).job.id == first.id
    queue.close()


# worker processes against one PostgreSQL database


def environment(url: str, **settings: str) -> dict[str, str]:
    return os.environ | {"KB_DATABASE_URL": url, "KB_FLUSH_SECONDS": "0", "HF_HUB_OFFLINE": "1"} | settings


def start_worker(data: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """A worker process (the stand-in embedder) and its name, once it is up."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.queue_processes", "worker", str(data)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, process.stdout.readline().strip()


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    assert process.wait(60) == 0


def wait_until(condition, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError("gave up waiting")


def assert_catalogue_and_indexes_agree(data: Path, url: str, embedder: Embedder, names: list[str]) -> KnowledgeBase:
    kb = KnowledgeBase(make_config(data, database_url=url), embedder=embedder)
    report = kb.check()
    assert report.ok, report.lines()
    documents = kb.documents()
    assert sorted(d.file_name for d in documents) == sorted(names)  # each exactly once
    assert {d.status for d in documents} == {"ready"}
    return kb


@pytest.mark.postgres
@pytest.mark.slow
def test_two_worker_processes_share_the_queue_and_do_each_job_once(postgres_server, tmp_path: Path, fake_embedder):
    url = postgres_server.new_database()
    data, env = tmp_path / "worker-data", environment(url, KB_OCR="false")
    queue = JobQueue(url)
    workers = [start_worker(data, env) for _ in range(2)]
    notes = [note(tmp_path / "notes", number) for number in range(30)]
    jobs = [upload_job(queue, path) for path in notes]
    wait_until(lambda: all(queue.job(job.id).is_finished for job in jobs))
    for process, _ in workers:
        stop(process)

    rows = queue._db.execute("SELECT state, attempts, lease_owner FROM jobs ORDER BY id").fetchall()
    assert [(row.state, row.attempts) for row in rows] == [(DONE, 1)] * len(jobs)  # none claimed twice
    assert {row.lease_owner for row in rows} == {name for _, name in workers}  # both did some
    assert [queue.job(job.id).results[0].outcome for job in jobs] == ["added"] * len(jobs)
    assert_catalogue_and_indexes_agree(data, url, fake_embedder, [path.name for path in notes]).close()
    queue.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_the_job_of_a_killed_worker_is_finished_by_another_once_its_lease_ran_out(
    postgres_server, tmp_path: Path, fake_embedder
):
    url = postgres_server.new_database()
    data, env = tmp_path / "worker-data", environment(url, KB_JOB_LEASE_SECONDS="3", KB_THREADS="1")
    first_note = note(tmp_path / "staged", 1)
    paragraphs = sample_paragraphs("notiz-moorschutz-birkenau-sued.md")
    scan = image_pdf(
        [scanned(typeset_page(paragraphs), seed=page) for page in range(4)],
        tmp_path / "staged" / "gescannt.pdf",
    )
    queue = JobQueue(url)
    job = queue.submit_upload(
        ANNA,
        [
            (JobFile(first_note.name, "md", "upload:note", PUBLIC_METADATA), first_note),
            (JobFile(scan.name, "pdf", "upload:scan", PUBLIC_METADATA), scan),
        ],
    )
    first, _ = start_worker(data, env)
    reading = wait_until(lambda: (found := queue.job(job.id)).progress and "Texterkennung" in found.progress and found)
    assert reading.status == RUNNING and [r.outcome for r in reading.results] == ["added"]
    first.kill()  # mid-job: the note is in, the scan half read
    first.wait()

    second, second_name = start_worker(data, env)
    finished = wait_until(lambda: (found := queue.job(job.id)).is_finished and found)
    stop(second)
    assert finished.status == DONE, finished.error
    assert [r.outcome for r in finished.results] == ["added", "added"] and finished.results[1].ocr_pages
    row = queue._db.execute("SELECT attempts, lease_owner FROM jobs WHERE id = ?", (job.id,)).fetchone()
    assert (row.attempts, row.lease_owner) == (2, second_name)
    kb = assert_catalogue_and_indexes_agree(data, url, fake_embedder, [first_note.name, scan.name])
    hits = kb.search(paragraphs[2][:120], limit=3).hits
    assert hits and hits[0].document.file_name == scan.name
    kb.close()
    queue.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_job_submitted_on_one_node_is_followed_on_another(postgres_server, tmp_path: Path, fake_embedder):
    url = postgres_server.new_database()
    env = environment(url, KB_OCR="false")
    accounts = Accounts(url)
    key, other_key = accounts.create_key("write", "Portal"), accounts.create_key("write", "Anderes Portal")
    accounts.close()
    node_a = subprocess.run(
        [sys.executable, "-m", "tests.queue_processes", "upload", str(tmp_path / "a"), key, str(note(tmp_path, 5))],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert node_a.returncode == 0, node_a.stderr
    submitted = json.loads(node_a.stdout.splitlines()[-1])
    assert submitted["status_code"] == 202 and submitted["job"]["status"] == QUEUED  # node A runs no worker

    node_b = make_app(make_config(tmp_path / "b", database_url=url), fake_embedder, serve_worker=False).test_client()
    owner, stranger = {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {other_key}"}
    seen = node_b.get(submitted["location"], headers=owner)
    assert seen.status_code == 200 and seen.get_json()["id"] == submitted["job"]["id"]
    assert node_b.get(submitted["location"], headers=stranger).status_code == 404

    worker = subprocess.run(
        [sys.executable, "-m", "tests.queue_processes", "worker", str(tmp_path / "b"), "--until-idle"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert worker.returncode == 0, worker.stderr
    done = node_b.get(submitted["location"], headers=owner).get_json()
    assert done["status"] == DONE and done["files"][0]["outcome"] == "added", done
    found = node_b.get("/api/v1/search", query_string={"q": "Ladesäule am Rathaus Schule 5"}, headers=owner)
    assert found.get_json()["hits"][0]["file_name"] == "notiz-05.md"


@pytest.mark.model
@pytest.mark.slow
def test_kb_worker_does_the_queued_uploads_and_stops_when_idle(tmp_path: Path):
    data = tmp_path / "data"
    config = make_config(data)
    queue = JobQueue(config.database)
    staged = note(config.uploads_dir / "abc123", 3)  # where an upload waits on SQLite
    job = upload_job(queue, staged)
    worker = subprocess.run(
        [sys.executable, "-m", "kb.main", "--data-dir", str(data), "worker", "--until-idle"],
        env=os.environ | {"HF_HUB_OFFLINE": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert worker.returncode == 0 and "1 Aufträge erledigt." in worker.stdout, worker.stdout + worker.stderr
    done = queue.job(job.id)
    assert done.status == DONE and done.results[0].outcome == "added", done
    assert not staged.exists()  # the staged copy is gone with the job done
    queue.close()


def test_a_server_starting_does_the_jobs_left_queued_before(fake_web_config, fake_embedder, tmp_path: Path):
    queue = JobQueue(fake_web_config.database)
    job = upload_job(queue, note(fake_web_config.uploads_dir / "vorher", 4))  # queued, then the server stopped
    server = make_app(fake_web_config, fake_embedder).extensions["kreiswissen"]
    server.writer.start()  # what `kb serve` does at start
    done = server.writer.settle(job, 120)
    assert done.status == DONE and done.results[0].outcome == "added", done
    with server.reading(ANNA) as kb:
        assert kb.search("Ladesäule am Rathaus Schule 4", limit=1).hits[0].document.file_name == "notiz-04.md"
    queue.close()
