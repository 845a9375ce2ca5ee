"""Search nodes following one PostgreSQL catalogue (issue 14), each a process of its own.

Two or three nodes (tests/node_processes.py: what `kb serve` runs, on the stand-in embedder, each
with a data directory of its own as its local index cache, none doing jobs) and a worker process
(tests/queue_processes.py: what `kb worker` runs) against the tests' own PostgreSQL server. A
change made through one node is found on the others; a node that was stopped answers, once it
answers at all, with what changed while it was away; a PostgreSQL restart under load loses no
committed change; and what a reader may not see stays hidden on every node.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from kb.service.accounts import Accounts

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
COUNTY, OTHER_COUNTY = "Landkreis Uckermark", "Landkreis Prignitz"
PATIENCE = 120  # seconds a poll waits at most: a bound for a hung node, not a measured delay


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Reply:
    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> dict:
        return json.loads(self.text)


class Node:
    """A search node: its own process, port and data directory (the local index cache)."""

    def __init__(self, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name, self.data, self.env = name, folder / f"node-{name}", env
        self.port = free_port()
        self.log = folder / f"node-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Node:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.node_processes", "serve", str(self.data), str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)

    def request(
        self,
        method: str,
        path: str,
        key: str | None = None,
        *,
        query: dict | None = None,
        body: dict | None = None,
        upload: tuple[Path, dict[str, str]] | None = None,
    ) -> Reply:
        url = f"http://127.0.0.1:{self.port}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif upload is not None:
            data, headers["Content-Type"] = multipart(*upload)
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Reply(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), dict(error.headers))

    def first_reply(self, method: str, path: str, key: str | None = None, **options) -> Reply:
        """The first request this node answers after its start (connections refused until then)."""
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                return self.request(method, path, key, **options)
            except urllib.error.URLError as error:
                if not isinstance(error.reason, ConnectionRefusedError):
                    raise
            assert self.process.poll() is None, f"node {self.name} ended:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"node {self.name} did not answer:\n{self.log.read_text()}"
            time.sleep(0.1)

    def applied(self) -> int:
        """The number of the last change this node's cache holds (kb/service/follower.py)."""
        return json.loads((self.data / "index" / "following.json").read_text("utf-8"))["seq"]

    def file_names(self, query: str, key: str | None = None) -> set[str]:
        """The files of the hits for ``query`` (hybrid, the first 10)."""
        reply = self.request("GET", "/api/v1/search", key, query={"q": query, "limit": 10})
        if reply.status == 422 and "Wissensbasis ist leer" in reply.text:
            return set()  # nothing this reader may see has arrived yet
        assert reply.status == 200, (self.name, reply.status, reply.text)
        return {hit["file_name"] for hit in reply.json()["hits"]}


def multipart(file: Path, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + file.read_bytes()
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def codeword(number: int) -> str:
    """A word no other test document contains: what a search for exactly one document asks."""
    return "kenn" + "".join("bcdfghklmn"[int(digit)] for digit in f"{number:03d}")


def note(folder: Path, number: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"merkblatt-{number:03d}.md"
    word = codeword(number)
    path.write_text(
        f"# Merkblatt {word}\n\nDer Landkreis prüft {word}: Photovoltaik auf dem Dach der Schule "
        "und eine Ladesäule am Rathaus.\n",
        encoding="utf-8",
    )
    return path


def wait_until(condition: Callable[[], object], what: str, seconds: float = PATIENCE) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


@dataclass
class Cluster:
    url: str
    nodes: list[Node]
    editor: str  # a write key of COUNTY that sees its county-internal documents
    other: str  # a read key of OTHER_COUNTY, up to its own county-internal documents

    def upload(self, node: Node, path: Path, visibility: str = "öffentlich") -> str:
        """The job's address after uploading ``path`` through ``node``'s API."""
        reply = node.request("POST", "/api/v1/documents", self.editor, upload=(path, {"visibility": visibility}))
        assert reply.status == 202, reply.text
        return reply.headers["Location"]

    def finished(self, node: Node, job: str) -> dict:
        """The job once it has finished (a node that cannot reach the database yet is asked again)."""

        def ended() -> dict | None:
            reply = node.request("GET", job, self.editor)
            answer = reply.json() if reply.status == 200 else None
            return answer if answer and answer["status"] in ("done", "failed") else None

        return wait_until(ended, f"job {job}")

    def added(self, node: Node, path: Path, visibility: str = "öffentlich") -> int:
        """Upload ``path`` through ``node`` and wait for the worker: the new document's id."""
        job = self.finished(node, self.upload(node, path, visibility))
        assert job["status"] == "done" and job["files"][0]["outcome"] == "added", job
        return job["files"][0]["document_id"]

    def edit(self, node: Node, method: str, path: str, body: dict | None = None) -> None:
        """An edit or deletion through ``node``, waited for also when the node answered "still queued"."""
        reply = node.request(method, path, self.editor, body=body)
        if reply.status == 202:
            job = self.finished(node, reply.headers["Location"])
            assert job["status"] == "done", job
        else:
            assert reply.status in (200, 204), reply.text

    def found_everywhere(self, path: Path, key: str | None = None) -> None:
        for node in self.nodes:
            wait_until(lambda node=node: path.name in node.file_names(codeword_of(path), key), f"{path} on {node.name}")

    def last_change(self) -> int:
        """The number of the last change committed to the catalogue."""
        with psycopg.connect(self.url) as db:
            return db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]

    def applied_everywhere(self) -> None:
        """Wait until every node has applied the last committed change to its cache."""
        last = self.last_change()
        for node in self.nodes:
            wait_until(lambda node=node: node.applied() == last, f"change {last} on {node.name}")


def codeword_of(path: Path) -> str:
    return codeword(int(path.stem.rpartition("-")[2]))


@contextmanager
def cluster(server, folder: Path, node_count: int) -> Iterator[Cluster]:
    """``node_count`` search nodes and a worker against a fresh database of ``server``."""
    url = server.new_database()
    accounts = Accounts(url)  # applies the migrations before the processes start
    editor = accounts.create_key("write", "Redaktion", county=COUNTY, highest="kreis-intern")
    other = accounts.create_key("read", "Nachbarkreis", county=OTHER_COUNTY, highest="kreis-intern")
    accounts.close()
    env = os.environ | {
        "KB_DATABASE_URL": url,
        "KB_SERVE_WORKER": "false",
        "KB_OCR": "false",
        "KB_FLUSH_SECONDS": "0",
        "KB_READERS": "4",
        "KB_JOB_LEASE_SECONDS": "10",  # a job whose worker lost it in the restart is taken over soon
        "KB_API_RATE_LIMIT": "1000000 per minute",
        "KB_KEY_RATE_LIMIT": "1000000 per minute",
        "HF_HUB_OFFLINE": "1",
    }
    with ExitStack() as stack:
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.queue_processes", "worker", str(folder / "worker")],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        stack.callback(lambda: worker.poll() is None and (worker.terminate(), worker.wait(60)))
        worker.stdout.readline()  # up
        nodes = [Node(name, folder, env) for name in "abc"[:node_count]]
        for node in nodes:
            stack.callback(node.stop)
            node.start()
        for node in nodes:
            assert node.first_reply("GET", "/api/v1/health").status == 200
        yield Cluster(url, nodes, editor, other)


def test_an_upload_through_one_node_is_found_on_the_others_and_on_a_node_started_later(postgres_server, tmp_path: Path):
    with cluster(postgres_server, tmp_path, 2) as nodes:
        a, b = nodes.nodes
        path = note(tmp_path / "files", 1)
        nodes.upload(a, path)
        nodes.found_everywhere(path)  # on B: polled, a bound for a hung node, not a delay measured

        late = Node("c", tmp_path, a.env).start()  # a fresh node: an empty cache
        try:
            first = late.first_reply("GET", "/api/v1/search", query={"q": codeword_of(path), "limit": 10})
            assert first.status == 200 and path.name in {hit["file_name"] for hit in first.json()["hits"]}
        finally:
            late.stop()
        nodes.applied_everywhere()


def test_a_node_that_was_stopped_answers_only_once_it_has_caught_up(postgres_server, tmp_path: Path):
    with cluster(postgres_server, tmp_path, 2) as nodes:
        a, b = nodes.nodes
        gone, hidden, new = (note(tmp_path / "files", number) for number in (1, 2, 3))
        gone_id, hidden_id = nodes.added(a, gone), nodes.added(a, hidden)
        nodes.found_everywhere(gone)
        nodes.found_everywhere(hidden)  # B's cache holds both

        b.stop()
        nodes.edit(a, "DELETE", f"/api/v1/documents/{gone_id}")
        nodes.edit(a, "PATCH", f"/api/v1/documents/{hidden_id}", {"visibility": "kreis-intern"})
        nodes.added(a, new)
        b.start()

        everything = " ".join(codeword_of(path) for path in (gone, hidden, new))
        first = b.first_reply("GET", "/api/v1/search", query={"q": everything, "limit": 10})
        assert first.status == 200
        assert {hit["file_name"] for hit in first.json()["hits"]} == {new.name}  # deleted, hidden, added
        assert b.file_names(everything, nodes.editor) == {hidden.name, new.name}
        assert b.applied() == nodes.last_change()  # nothing changed since it started


def test_a_postgresql_restart_under_load_loses_no_committed_change(postgres_server, tmp_path: Path):
    with cluster(postgres_server, tmp_path, 3) as nodes:
        files = tmp_path / "files"
        first = note(files, 0)
        nodes.added(nodes.nodes[0], first)
        nodes.found_everywhere(first)

        stop, answered, failed = threading.Event(), {n.name: [] for n in nodes.nodes}, {n.name: 0 for n in nodes.nodes}

        def keep_searching(node: Node) -> None:
            while not stop.is_set():
                try:
                    if first.name in node.file_names(codeword_of(first)):
                        answered[node.name].append(time.monotonic())
                except (AssertionError, OSError):  # a 5xx or a cut connection while the server restarts
                    failed[node.name] += 1

        searchers = [threading.Thread(target=keep_searching, args=(node,)) for node in nodes.nodes]
        for searcher in searchers:
            searcher.start()
        try:
            paths = [note(files, number) for number in range(1, 13)]
            jobs = [nodes.upload(nodes.nodes[n % 3], path) for n, path in enumerate(paths)]
            wait_until(
                lambda: nodes.nodes[0].request("GET", jobs[2], nodes.editor).json()["status"] == "done",
                "the first jobs",
            )
            postgres_server.restart()  # fast: every open connection is cut, mid-job and mid-search
            restarted = time.monotonic()
            later = [note(files, number) for number in (13, 14, 15)]
            for node, path in zip(nodes.nodes, later, strict=True):  # every node takes writes again
                wait_until(lambda node=node, path=path: retried_upload(nodes, node, path), f"an upload on {node.name}")
            results = {path: nodes.finished(nodes.nodes[0], job) for path, job in zip(paths, jobs, strict=True)}
            wait_until(
                lambda: all(times and times[-1] > restarted for times in answered.values()),
                "a search answered on every node after the restart",
            )
        finally:
            stop.set()
            for searcher in searchers:
                searcher.join()

        # a job or file in hand when the connection is cut may end failed (it says so; the uploader
        # sends the file again); what must not happen is a file added and missing on some node
        done = [
            path
            for path, job in results.items()
            if job["status"] == "done" and all(file["outcome"] != "failed" for file in job["files"])
        ]
        assert done, {path.name: (job["error"], job["files"]) for path, job in results.items()}
        for path in [*done, *later]:
            nodes.found_everywhere(path)
        nodes.applied_everywhere()


def retried_upload(nodes: Cluster, node: Node, path: Path) -> bool:
    """Upload ``path`` through ``node`` and wait for its job; False if the node refused it (the
    database still coming back), so that the caller tries again."""
    reply = node.request("POST", "/api/v1/documents", nodes.editor, upload=(path, {"visibility": "öffentlich"}))
    if reply.status != 202:
        return False
    return nodes.finished(node, reply.headers["Location"])["status"] == "done"


def test_county_internal_documents_stay_hidden_on_every_node(postgres_server, tmp_path: Path):
    with cluster(postgres_server, tmp_path, 3) as nodes:
        public, internal = note(tmp_path / "files", 1), note(tmp_path / "files", 2)
        internal_id = nodes.added(nodes.nodes[0], internal, "kreis-intern")
        nodes.added(nodes.nodes[1], public)
        nodes.found_everywhere(public)
        nodes.found_everywhere(internal, nodes.editor)  # every node holds it in its indexes

        secret = codeword_of(internal)
        both = f"{secret} {codeword_of(public)}"
        for node in nodes.nodes:
            for key in (None, nodes.other):  # anonymous, and a key of another county
                replies = {
                    "search": node.request("GET", "/api/v1/search", key, query={"q": both, "limit": 50}),
                    "answer": node.request("GET", "/api/v1/answer", key, query={"q": both}),
                    "documents": node.request("GET", "/api/v1/documents", key),
                    "document": node.request("GET", f"/api/v1/documents/{internal_id}", key),
                    "facets": node.request("GET", "/api/v1/facets", key),
                    "health": node.request("GET", "/api/v1/health", key),
                }
                for what, reply in replies.items():
                    told = reply.json()
                    told.pop("query", None)  # the question asked, echoed
                    assert secret not in json.dumps(told, ensure_ascii=False), (node.name, what, told)
                    assert internal.name not in reply.text, (node.name, what)
                assert replies["document"].status == 404
                assert {hit["file_name"] for hit in replies["search"].json()["hits"]} == {public.name}
                assert replies["documents"].json()["total"] == 1
                assert replies["health"].json()["documents"] == 1
                assert {f["value"]: f["count"] for f in replies["facets"].json()["county"]} == {COUNTY: 1}
            assert node.file_names(both, nodes.editor) == {public.name, internal.name}
            assert node.request("GET", f"/api/v1/documents/{internal_id}", nodes.editor).status == 200
