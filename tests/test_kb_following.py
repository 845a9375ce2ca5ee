"""Search nodes of a shared PostgreSQL catalogue: each data directory is a node's index cache,
built from the catalogue and kept in step with its change log; writers touch no index."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from index.indexes import keyword_entry
from kb.core.access import ANONYMOUS, COUNTY, NETWORK, PUBLIC, Viewer
from kb.core.documents import NO_FILTERS, Metadata, SearchFilters
from kb.service import KnowledgeBase, follower
from kb.service.follower import FOLLOWING, Following
from kb.service.server import KnowledgeServer
from tests.conftest import SAMPLES, make_config

OWN = "Landkreis Lindenau"
QUERY = "Wie binden wir die kreisangehörigen Gemeinden ein?"


@pytest.fixture
def shared_url(postgres_server) -> str:
    return postgres_server.new_database()


def node(tmp_path: Path, name: str, url: str, embedder) -> KnowledgeBase:
    return KnowledgeBase(make_config(tmp_path / name, database_url=url, ocr=False), embedder=embedder)


def found_documents(kb: KnowledgeBase, query: str, filters: SearchFilters = NO_FILTERS, mode="hybrid") -> set[str]:
    return {hit.document.file_name for hit in kb.search(query, filters=filters, mode=mode, limit=50).hits}


def add_note(writer: KnowledgeBase, name: str, text: str) -> None:
    """A public Markdown note ingested by ``writer``."""
    folder = writer.config.data_dir.parent / "notes"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, "utf-8")
    assert not writer.ingest([folder / name], metadata=Metadata(visibility=PUBLIC)).failed


def test_a_document_ingested_on_one_node_is_found_on_another_built_from_the_catalogue(
    tmp_path, shared_url, fake_embedder
):
    writer = node(tmp_path, "a", shared_url, fake_embedder)
    report = writer.ingest([SAMPLES])
    assert report.passages  # (the scans fail: OCR is off here)
    assert not (tmp_path / "a" / "index").exists()  # a writer of a shared catalogue touches no index

    reader = node(tmp_path, "b", shared_url, fake_embedder)  # a fresh node: its cache is built at first use
    names = {d.file_name for d in writer.documents("ready")}
    assert found_documents(reader, QUERY) & names
    assert reader.check().ok, reader.check()
    position = json.loads((tmp_path / "b" / "index" / FOLLOWING).read_text())
    assert position["seq"] >= len(names)


def test_a_node_applies_additions_metadata_changes_and_deletions_in_order(tmp_path, shared_url, fake_embedder):
    writer = node(tmp_path, "a", shared_url, fake_embedder)
    add_note(writer, "moor.md", "# Moorschutz\n\nDie Wiedervernässung der Moore bindet Kohlenstoff.")
    reader = node(tmp_path, "b", shared_url, fake_embedder)
    assert found_documents(reader, "Wiedervernässung Moore", mode="keyword") == {"moor.md"}

    add_note(writer, "rad.md", "# Radverkehr\n\nDer Kreis baut Radschnellwege zwischen den Gemeinden.")
    moor = writer.find_document("moor.md")
    writer.update_metadata(moor.id, Metadata(title="Moore", county=OWN, visibility=COUNTY))
    reader.refresh()  # a node without a follower thread catches up when it refreshes
    assert found_documents(reader, "Radschnellwege Gemeinden", mode="keyword") == {"rad.md"}
    outsider = SearchFilters(access=ANONYMOUS.access)
    member = SearchFilters(access=Viewer("key:x", county=OWN, clearance=COUNTY).access)
    assert not found_documents(reader, "Wiedervernässung Moore", outsider, mode="keyword")
    assert found_documents(reader, "Wiedervernässung Moore", member, mode="keyword") == {"moor.md"}

    writer.remove(moor.id)
    reader.refresh()
    assert not found_documents(reader, "Wiedervernässung Moore", mode="keyword")
    assert reader.check().ok, reader.check()


def test_a_lagging_node_never_shows_what_the_catalogue_no_longer_allows(tmp_path, shared_url, fake_embedder):
    """Before a node applies a change, its search already obeys the catalogue: a document made
    internal or deleted elsewhere is not shown, though its entries are still in the node's cache."""
    writer = node(tmp_path, "a", shared_url, fake_embedder)
    add_note(writer, "moor.md", "# Moorschutz\n\nDie Wiedervernässung der Moore bindet Kohlenstoff.")
    add_note(writer, "wald.md", "# Waldumbau\n\nDer Waldumbau zu Mischwald bindet Kohlenstoff.")
    add_note(writer, "rad.md", "# Radverkehr\n\nDer Kreis baut Radschnellwege zwischen den Gemeinden.")
    reader = node(tmp_path, "b", shared_url, fake_embedder)
    following = Following(reader.config, fake_embedder)  # as `kb serve` does: a thread applies changes
    following.stop()  # ... which is not running now: the node lags behind what comes next
    assert found_documents(reader, "Kohlenstoff", mode="keyword") == {"moor.md", "wald.md"}

    moor, wald = writer.find_document("moor.md"), writer.find_document("wald.md")
    writer.update_metadata(moor.id, Metadata(title="Moore", county=OWN, visibility=NETWORK))
    writer.remove(wald.id)
    assert reader.indexes.keywords.passage_ids_of([moor.id, wald.id])  # not applied: still in the cache
    outsider = SearchFilters(access=ANONYMOUS.access)
    for mode in ("keyword", "dense", "hybrid"):
        assert found_documents(reader, "Kohlenstoff", outsider, mode=mode) <= {"rad.md"}, mode
        assert "wald.md" not in found_documents(reader, "Kohlenstoff", mode=mode), mode
    assert reader.search("Kohlenstoff", mode="keyword").candidates == 1  # nor counted: moor.md alone

    add_note(writer, "see.md", "# Seen\n\nUferschutz an den Seen bindet Kohlenstoff.")
    [new] = writer.passages(writer.find_document("see.md").id)
    assert reader.similar(new.id) == []  # not in this node's indexes yet: nothing to compare with, no error


def test_a_server_node_follows_changes_in_a_thread_and_a_returning_node_catches_up(tmp_path, shared_url, fake_embedder):
    writer = node(tmp_path, "a", shared_url, fake_embedder)
    add_note(writer, "moor.md", "# Moorschutz\n\nDie Wiedervernässung der Moore bindet Kohlenstoff.")
    config = make_config(tmp_path / "b", database_url=shared_url, ocr=False)
    server = KnowledgeServer(config, KnowledgeBase(config, embedder=fake_embedder))
    server.follow()
    add_note(writer, "rad.md", "# Radverkehr\n\nDer Kreis baut Radschnellwege zwischen den Gemeinden.")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with server.reading(ANONYMOUS) as kb:
            if kb.search("Radschnellwege", mode="keyword").hits:
                break
        time.sleep(0.05)
    else:
        pytest.fail("the following node did not find the new document within 30 s")
    server.close()

    writer.remove(writer.find_document("moor.md").id)  # while node b is down
    returned = KnowledgeServer(config, KnowledgeBase(config, embedder=fake_embedder))
    returned.follow()  # caught up before it returns: the first search already reflects the deletion
    try:
        with returned.reading(ANONYMOUS) as kb:
            assert not kb.search("Wiedervernässung Moore", mode="keyword").hits
            assert kb.search("Radschnellwege", mode="keyword").hits
        assert returned.kb.check().ok
    finally:
        returned.close()


def test_a_cache_of_another_catalogue_is_rebuilt(tmp_path, postgres_server, fake_embedder):
    first, second = postgres_server.new_database(), postgres_server.new_database()
    add_note(node(tmp_path, "w1", first, fake_embedder), "moor.md", "# Moor\n\nMoore binden Kohlenstoff.")
    add_note(node(tmp_path, "w2", second, fake_embedder), "rad.md", "# Rad\n\nRadwege verbinden Orte.")
    assert found_documents(node(tmp_path, "n", first, fake_embedder), "Kohlenstoff Radwege", mode="keyword") == {
        "moor.md"
    }
    moved = node(tmp_path, "n", second, fake_embedder)  # the same data directory, now on another database
    assert found_documents(moved, "Kohlenstoff Radwege", mode="keyword") == {"rad.md"}
    assert moved.check().ok


def test_a_reader_opened_between_the_keyword_commit_and_the_vector_save_still_answers(
    tmp_path, shared_url, fake_embedder, monkeypatch
):
    """A node applying a change commits its keyword index before it saves the vectors; a reader
    opened in between finds a passage by its words whose vector it does not hold yet. It used to
    answer with an error 500 (FAISS: key not found); the passage now waits for the next refresh."""
    writer = node(tmp_path, "a", shared_url, fake_embedder)
    add_note(writer, "moor.md", "# Moorschutz\n\nDie Wiedervernässung der Moore bindet Kohlenstoff.")
    assert found_documents(node(tmp_path, "b", shared_url, fake_embedder), "Moore", mode="keyword")  # cache built
    add_note(writer, "rad.md", "# Radverkehr\n\nDer Kreis baut Radschnellwege zwischen den Gemeinden.")
    rad = writer.find_document("rad.md")
    cache = node(tmp_path, "b", shared_url, fake_embedder)
    monkeypatch.setattr(follower, "_followed", {cache.config.data_dir.resolve()})  # a follower thread "runs"
    cache.indexes.keywords.add([keyword_entry(p, rad.id, rad.metadata) for p in writer.passages(rad.id)])

    reader = node(tmp_path, "b", shared_url, fake_embedder)  # opened now: new keywords, old vectors
    assert found_documents(reader, "Radschnellwege Gemeinden", mode="keyword") == {"rad.md"}
    assert "rad.md" not in found_documents(reader, "Radschnellwege Gemeinden", mode="hybrid")
    assert found_documents(reader, "Wiedervernässung Moore", mode="hybrid") >= {"moor.md"}
