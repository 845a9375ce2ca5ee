"""A search node's indexes kept in step with a shared catalogue (``Config.shared``).

With a shared catalogue, writers store passages together with their vectors in the database and
never touch an index (kb/service/ingestion.py). Each node's ``KB_DATA_DIR/index`` is a cache this
module builds from the catalogue and then brings up to date from the change log
(kb/service/changes.py), change by change in order. The number of the last change applied is kept
with the indexes (``following.json``, written after they are saved): a node that was down catches up
on return, and a crash between the two only repeats changes. Repeating one does no harm: applying a
change takes the document's passages out of the indexes and puts back those the catalogue holds
for it now, if it is ready.

Search never relies on a cache being current: a node whose cache lags checks every hit against
the catalogue (kb/service/search.py), so a deleted or restricted document is not shown meanwhile,
and a new one appears once its change is applied.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index.indexes import IndexSet, new_generation, publish
from kb.core.config import Config
from kb.core.embedding import Embedder
from kb.core.files import atomic_path
from kb.service.catalogue import Catalogue
from kb.service.changes import ChangeFeed
from kb.service.vector_rows import decode

FOLLOWING = "following.json"
_DOCUMENTS_PER_READ = 200  # documents whose passages and vectors are read at once when building
_CHANGES_PER_SAVE = 500  # changes applied before the indexes are saved and the position written

log = logging.getLogger(__name__)
_followed: set[Path] = set()  # data directories whose cache a thread of this process keeps current


def following(data_dir: Path) -> bool:
    """Whether a thread of this process applies the changes to ``data_dir``'s cache as they come."""
    return data_dir.resolve() in _followed


@dataclass(frozen=True)
class Position:
    """The last change applied to an index folder: its number and time (which identifies it)."""

    seq: int = 0
    at: str = ""

    @classmethod
    def read(cls, folder: Path) -> Position | None:
        try:
            return cls(**json.loads((folder / FOLLOWING).read_text("utf-8")))
        except FileNotFoundError:
            return None

    def write(self, folder: Path) -> None:
        with atomic_path(folder / FOLLOWING) as tmp:
            tmp.write_text(json.dumps(asdict(self)), "utf-8")


class Follower:
    """Builds and updates one data directory's index cache from a shared catalogue."""

    def __init__(self, config: Config, embedder: Embedder) -> None:
        self.config = config
        self._model_id, self._dim = embedder.model_id, embedder.dim
        self.catalogue = Catalogue(config.database)
        self._feed = ChangeFeed(config.database)
        self._indexes: IndexSet | None = None

    def close(self) -> None:
        self._feed.close()
        self.catalogue.close()

    def catch_up(self) -> int:
        """Apply every change not applied yet; returns how many. A data directory without a
        cache, or with one of another catalogue, first gets a new one built from the catalogue."""
        with _following(self.config.data_dir):
            position = Position.read(self.config.index_dir) if self.config.index_dir.exists() else None
            if position is None or (position.seq and not self.catalogue.has_change(position.seq, position.at)):
                position = self._rebuild()
            indexes = self._open()
            applied = 0
            self._feed.position = position.seq
            while changes := self._feed.pending(_CHANGES_PER_SAVE):
                self._apply(indexes, sorted({change.document_id for change in changes}))
                indexes.save()
                Position(changes[-1].seq, changes[-1].at).write(indexes.folder)
                applied += len(changes)
            return applied

    def rebuild(self) -> None:
        """Replace the cache by one built from the catalogue (``kb reindex`` on a node)."""
        with _following(self.config.data_dir):
            self._rebuild()

    def follow(self, stop: threading.Event, wake_every: float = 1.0) -> None:
        """Apply changes as they come (woken by NOTIFY; at least every ``wake_every`` s) until ``stop``."""
        while not stop.is_set():
            try:
                self._feed.wait(wake_every)
            except Exception:  # the database restarting: look again after a pause
                log.exception("Warten auf Änderungen fehlgeschlagen; neuer Versuch")
                stop.wait(wake_every)
            try:
                self.catch_up()
            except Exception:  # the database restarting, a full disk: logged, tried again
                log.exception("Änderungen konnten nicht übernommen werden; neuer Versuch")
                stop.wait(wake_every)

    def _open(self) -> IndexSet:
        """This cache's indexes, reopened when another process saved or rebuilt them."""
        if self._indexes is None or self._indexes.changed_on_disk():
            self._indexes = IndexSet(
                self.config.index_dir, model_id=self._model_id, dim=self._dim, ann_threshold=self.config.ann_threshold
            )
        return self._indexes

    def _rebuild(self) -> Position:
        building = new_generation(self.config.index_dir)
        indexes = IndexSet(building, model_id=self._model_id, dim=self._dim, ann_threshold=self.config.ann_threshold)
        # the position first: a change committed while the documents are read is applied once more after
        position = Position(*(self.catalogue.last_change() or (0, "")))
        ready = [document.id for document in self.catalogue.documents("ready")]
        for start in range(0, len(ready), _DOCUMENTS_PER_READ):
            self._add(indexes, ready[start : start + _DOCUMENTS_PER_READ])
        indexes.save()
        position.write(building)
        publish(self.config.index_dir, building)
        self._indexes = None
        return position

    def _apply(self, indexes: IndexSet, document_ids: Sequence[int]) -> None:
        for document_id in document_ids:
            indexes.remove(document_id, indexes.keywords.passage_ids_of([document_id]))
        self._add(indexes, document_ids)

    def _add(self, indexes: IndexSet, document_ids: Sequence[int]) -> None:
        """Put the ready ones of these documents into ``indexes`` as the catalogue holds them."""
        documents = self.catalogue.documents_by_id(document_ids)
        by_document: dict[int, list] = {}
        for row in self.catalogue.ready_vectors(document_ids):
            by_document.setdefault(row[0].document_id, []).append(row)
        for document_id, rows in by_document.items():
            passages = [passage for passage, *_ in rows]
            decoded = [decode(*stored, dim=self._dim) for _, *stored in rows]
            indexes.add(
                document_id,
                documents[document_id].metadata,
                passages,
                np.stack([vector for vector, _, _ in decoded]),
                [spans for _, spans, _ in decoded],
                [units for _, _, units in decoded],
            )


@contextmanager
def _following(data_dir: Path) -> Iterator[None]:
    """One process at a time updates a data directory's cache (a server and a `kb check`, say)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "follow.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class Following:
    """A thread that keeps ``config``'s cache current, caught up before it starts (``kb serve``)."""

    def __init__(self, config: Config, embedder: Embedder) -> None:
        self._follower = Follower(config, embedder)
        self._follower.catch_up()
        self._data_dir = config.data_dir.resolve()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._follower.follow, args=(self._stop,), name="kb-follower", daemon=True
        )
        _followed.add(self._data_dir)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        _followed.discard(self._data_dir)
        self._follower.close()
