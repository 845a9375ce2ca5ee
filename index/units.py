"""Answer units' vectors, stored at ingest so an answer embeds nothing but the question.

Each quotable unit of a passage (a sentence or a line, ``kb/service/answering.py``) is kept as
its character span in the passage text and its vector, in one table sorted by passage id:
``units.npy`` beside the FAISS index, read memory-mapped (the server's readers share one copy in
the page cache) and rewritten atomically on save. Vectors are float16: ranking a handful of
sentences does not notice the rounding, and it halves the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.core.files import atomic_path

Span = tuple[int, int]


def _table(dim: int, rows: int = 0) -> np.ndarray:
    dtype = np.dtype([("passage", np.int64), ("start", np.int32), ("end", np.int32), ("vector", np.float16, (dim,))])
    return np.zeros(rows, dtype)


class UnitIndex:
    """Spans and vectors of the answer units of every passage."""

    def __init__(self, dim: int, path: Path | None = None) -> None:
        self.dim = dim
        self.path = path
        self._rows = _table(dim)
        if path is not None and path.exists():
            stored = np.load(path, mmap_mode="r")
            if stored.dtype == self._rows.dtype:  # another size of vector: left empty, answers embed
                self._rows = stored
        self._added: list[np.ndarray] = []
        self._removed: set[int] = set()

    def __len__(self) -> int:
        self._consolidate()
        return len(self._rows)

    def add(self, passage_ids: Sequence[int], spans: Sequence[Sequence[Span]], vectors: Sequence[np.ndarray]) -> None:
        """Units of these passages: per passage its spans and a ``(len(spans), dim)`` array."""
        for passage_id, found, matrix in zip(passage_ids, spans, vectors, strict=True):
            if len(found) != len(matrix):
                raise ValueError(f"passage {passage_id}: {len(found)} spans for {len(matrix)} vectors")
            rows = _table(self.dim, len(found))
            rows["passage"] = passage_id
            if len(found):
                rows["start"], rows["end"] = np.asarray(found, np.int32).reshape(-1, 2).T
                rows["vector"] = matrix
            self._added.append(rows)
            self._removed.discard(passage_id)

    def remove(self, passage_ids: Sequence[int]) -> None:
        self._consolidate()
        self._removed.update(int(i) for i in passage_ids)

    def units(self, passage_id: int) -> tuple[list[Span], np.ndarray] | None:
        """The passage's spans and float32 vectors; None when none are stored (an older index)."""
        self._consolidate()
        if passage_id in self._removed:
            return None
        owners = self._rows["passage"]
        start, end = np.searchsorted(owners, passage_id, "left"), np.searchsorted(owners, passage_id, "right")
        if start == end:
            return None
        rows = self._rows[start:end]
        return list(zip(rows["start"].tolist(), rows["end"].tolist(), strict=True)), rows["vector"].astype(np.float32)

    def save(self, path: Path | None = None) -> None:
        """Write atomically (a crash leaves the old file or the new one)."""
        target = path or self.path
        if target is None:
            raise ValueError("no path to save the unit index to")
        self._consolidate()
        if self._removed:
            self._rows = self._rows[~np.isin(self._rows["passage"], np.fromiter(self._removed, np.int64))]
            self._removed = set()
        with atomic_path(target) as tmp, tmp.open("wb") as out:
            np.save(out, np.ascontiguousarray(self._rows))
        self.path = target

    def _consolidate(self) -> None:
        """Merge added rows into the table, kept sorted by passage id."""
        if self._added:
            rows = np.concatenate([np.asarray(self._rows), *self._added])
            self._rows = rows[np.argsort(rows["passage"], kind="stable")]
            self._added = []
