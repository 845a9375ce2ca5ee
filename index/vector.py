"""Dense vector index (FAISS): inner product on L2-normalised vectors, keyed by passage id."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class VectorIndex:
    """Exact inner-product search over passage vectors; add and remove by passage id."""

    def __init__(self, dim: int, path: Path | None = None) -> None:
        import faiss

        self.dim = dim
        self.path = path
        if path is not None and path.exists():
            self._index = faiss.read_index(str(path))
            if self._index.d != dim:
                raise ValueError(f"{path} holds {self._index.d}-dimensional vectors, expected {dim}")
        else:
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                     np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Sequence[int]) -> None:
        if len(ids):
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def ids(self) -> np.ndarray:
        import faiss

        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of these passages, in order (for "more like this")."""
        return np.vstack([self._index.reconstruct(int(i)) for i in ids]) if len(ids) else np.zeros((0, self.dim), np.float32)

    def search(self, query: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``limit`` passages as ``(id, score)``; ``allowed`` restricts the search itself.

        With ``allowed``, FAISS only scores those ids (an IDSelector), so a filter never
        empties a top-k that was cut before filtering.
        """
        import faiss

        if len(self) == 0 or limit <= 0:
            return []
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)
        k = min(limit, len(self))
        scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def save(self, path: Path | None = None) -> None:
        """Write atomically: a temp file in the same folder, fsync, then rename over the old one."""
        import faiss

        target = path or self.path
        if target is None:
            raise ValueError("no path to save the vector index to")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
        os.close(fd)
        try:
            faiss.write_index(self._index, tmp)
            with open(tmp, "rb") as file:
                os.fsync(file.fileno())
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self.path = target
