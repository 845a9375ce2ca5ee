"""The change log: every change of a document is logged in its own transaction, numbered in
commit order, and a follower gets each change once, in order, woken by the commit."""

from __future__ import annotations

import threading
import time

import pytest

from kb.core.documents import Metadata, PassageDraft
from kb.service.catalogue import Catalogue
from kb.service.changes import ChangeFeed


def add(catalogue: Catalogue, key: str, status: str = "ready") -> int:
    document_id = catalogue.upsert_document(
        source_key=key,
        content_hash=key,
        file_name=f"{key}.md",
        format="md",
        metadata=Metadata(title=key),
        page_count=None,
        pages_without_text=[],
        status=status,
    )
    catalogue.replace_passages(document_id, [PassageDraft(0, "Satz", None, None, (), 0, 4, 1)])
    return document_id


def add_committed(catalogue: Catalogue, key: str) -> int:
    with catalogue.transaction():
        return add(catalogue, key)


def test_every_change_of_a_document_is_logged_with_it_and_read_once_in_order(database):
    catalogue, feed = Catalogue(database), ChangeFeed(database)
    with catalogue.transaction():
        first = add(catalogue, "a", status="pending")
    catalogue.set_status(first, "ready")  # outside a transaction: still one with its change
    try:
        with catalogue.transaction():
            add(catalogue, "b")
            raise RuntimeError("crash mid-ingest")
    except RuntimeError:
        pass
    with catalogue.transaction():
        catalogue.update_metadata(first, Metadata(title="neu"))
    with catalogue.transaction():
        second = add(catalogue, "c")
        catalogue.delete_document(first)
    changes = feed.pending()
    assert [c.document_id for c in changes] == [first, first, first, second, first]  # nothing of "b"
    assert [c.seq for c in changes] == sorted({c.seq for c in changes})
    assert feed.pending() == []
    later = ChangeFeed(database, after=changes[2].seq)  # a node that had applied three of them
    assert later.pending() == changes[3:]
    for opened in (later, feed, catalogue):
        opened.close()


def test_a_follower_waiting_for_changes_is_given_one_committed_by_another_connection(database):
    feed = ChangeFeed(database, poll=0.05)
    received: list = []
    follower = threading.Thread(target=lambda: received.extend(feed.wait(timeout=120)))
    follower.start()
    writer = Catalogue(database)
    with writer.transaction():
        document_id = add(writer, "a")
    follower.join(150)
    assert [c.document_id for c in received] == [document_id]
    writer.close()
    feed.close()


@pytest.mark.postgres
def test_concurrent_writers_commit_their_changes_in_number_order(postgres_server):
    """Two connections write at once: the second waits for the first's commit before it numbers
    its change, so a follower never sees a number whose predecessor commits later."""
    url = postgres_server.new_database()
    first, second, feed = Catalogue(url), Catalogue(url), ChangeFeed(url)
    done = threading.Event()

    def write_second() -> None:
        with second.transaction():
            add(second, "b")
        done.set()

    with first.transaction():
        add(first, "a")
        other = threading.Thread(target=write_second)
        other.start()
        other.join(0.5)  # give it the chance to get ahead; it must wait for this commit
        assert feed.pending() == []  # nothing committed yet
    other.join(60)
    assert done.is_set()
    changes = feed.pending()
    assert [c.document_id for c in changes] == [1, 2] and changes[0].seq < changes[1].seq
    for opened in (first, second, feed):
        opened.close()


@pytest.mark.postgres
def test_a_follower_outlives_a_postgresql_restart_and_misses_no_change(postgres_server):
    """A restart cuts the follower's connections: it connects and listens again, and is given the
    change committed while it was cut off as well as those after, each once."""
    url = postgres_server.new_database()
    feed = ChangeFeed(url)
    writer = Catalogue(url)
    with writer.transaction():
        first = add(writer, "a")
    assert [c.document_id for c in feed.wait(timeout=60)] == [first]

    postgres_server.restart()
    writer.close()
    writer = Catalogue(url)
    with writer.transaction():
        while_cut_off = add(writer, "b")  # committed while the follower's connections are dead
    assert [c.document_id for c in feed.wait(timeout=60)] == [while_cut_off]

    assert feed.wait(timeout=0.5) == []  # meanwhile its listening connection found cut, and replaced
    received: list = []
    follower = threading.Thread(target=lambda: received.extend(feed.wait(timeout=3600)), daemon=True)
    follower.start()
    time.sleep(1)  # let it reach the wait for a notice: only the notice can end it before the hour
    later = add_committed(writer, "c")
    follower.join(300)
    assert [c.document_id for c in received] == [later]

    received.clear()
    follower = threading.Thread(target=lambda: received.extend(feed.wait(timeout=3600)), daemon=True)
    follower.start()
    postgres_server.restart()  # while the follower waits
    writer.close()
    writer = Catalogue(url)
    last = add_committed(writer, "d")
    follower.join(300)
    assert [c.document_id for c in received] == [last]
    assert feed.pending() == []
    writer.close()
    feed.close()
