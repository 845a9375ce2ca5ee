"""Dense vector index (FAISS): inner product on L2-normalised vectors, keyed by passage id.

Exact (flat) up to ``ann_threshold`` vectors; above it the index is rebuilt as an IVF index
(inverted lists over k-means cells, vectors stored as float16), which supports removal by id and
filtered search, with ``nprobe`` chosen for recall@10 >= 0.98 against exact search
(``bench/vector_ann.py``). Scanning the probed cells is bound by memory bandwidth: float16 halves
it (100k passages: 4.3 → 2.5 ms a query; scores within 1e-4 of float32, 99.75 % of the top 10
alike), and halves the memory (1M passages: 0.77 instead of 1.5 GB).
HNSW was ruled out: FAISS cannot remove vectors from it.

An index read from a file is shared: every VectorIndex that opens the same saved file (the
readers of a server, one per request thread) searches one FAISS object in memory, which is safe
as FAISS searches only read. The first change (add, remove) copies it for the changer alone;
a save shares the saved state with those who open that file next.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.core.files import atomic_path

DEFAULT_ANN_THRESHOLD = 50_000  # 32 portal clients at 100k: exact search costs p95 653 ms, IVF 498 ms (README)
PROBE_SHARE = 0.3  # share of IVF cells probed per query: recall@10 0.984 at 100k (bench/vector_ann.py)
_EXACT_BELOW = 20_000  # a filter this selective is answered by exact search over its ids


class _Loaded:
    """A FAISS index as saved in one file version; held by every VectorIndex reading it."""

    __slots__ = ("index", "__weakref__")

    def __init__(self, index) -> None:  # noqa: ANN001 - faiss.Index
        self.index = index


_loaded: weakref.WeakValueDictionary[tuple, _Loaded] = weakref.WeakValueDictionary()  # freed with the last user
_loading = threading.Lock()


def _file_key(path: Path) -> tuple:
    """One saved version of ``path``: an atomic save makes a new inode."""
    stat = path.stat()
    return str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size


def _read_shared(path: Path) -> _Loaded:
    import faiss

    key = _file_key(path)
    with _loading:  # readers opening a new generation at once read the file once
        loaded = _loaded.get(key)
        if loaded is None:
            loaded = _loaded[key] = _Loaded(faiss.read_index(str(path)))
        return loaded


class VectorIndex:
    """Passage vectors with add, remove and (optionally filtered) top-k search."""

    def __init__(self, dim: int, path: Path | None = None, *, ann_threshold: int = DEFAULT_ANN_THRESHOLD) -> None:
        import faiss

        self.dim = dim
        self.path = path
        self.ann_threshold = ann_threshold
        self._shared: _Loaded | None = None  # set while self._index is the shared copy of a file
        if path is not None and path.exists():
            self._shared = _read_shared(path)
            self._index = self._shared.index
            if self._index.d != dim:
                raise ValueError(f"{path} holds {self._index.d}-dimensional vectors, expected {dim}")
        else:
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def _own(self) -> None:
        """Copy the shared index before the first change, so readers never see a change."""
        import faiss

        if self._shared is not None:
            self._index = faiss.clone_index(self._index)
            self._shared = None

    @property
    def nprobe(self) -> int:
        """Cells visited per query: a fixed share of all cells keeps recall steady as n grows."""
        return max(1, math.ceil(self._index.nlist * PROBE_SHARE))

    @property
    def approximate(self) -> bool:
        return not hasattr(self._index, "id_map")

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if len(ids):
            self._own()
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Sequence[int]) -> None:
        if len(ids):
            self._own()
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def ids(self) -> np.ndarray:
        import faiss

        if not self.approximate:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)
        lists = self._index.invlists
        parts = [
            faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
            for i in range(lists.nlist)
            if lists.list_size(i)
        ]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of these passages, in order."""
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        return self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``limit`` passages as ``(id, score)``; ``allowed`` restricts the search itself.

        With ``allowed``, FAISS only scores those ids (an IDSelector), so a filter never
        empties a top-k that was cut before filtering. A small allowed set is searched exactly.
        """
        import faiss

        if len(self) == 0 or limit <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        # One OpenMP thread for this (the calling) thread's searches: a single query gains little
        # from two, and two wait for each other whenever the 2 cores are busy (flat search of 100k
        # vectors under load: p50 30 ms with two threads, 13 ms with one). Builds keep all threads.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self._search(query, limit, allowed)
        finally:
            faiss.omp_set_num_threads(threads)

    def _search(self, query: np.ndarray, limit: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        import faiss

        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        selector = None if allowed is None else faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        if self.approximate:
            # a selective filter probes every cell: FAISS then scores only the allowed ids, exactly
            exact = allowed is not None and len(allowed) < _EXACT_BELOW
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nlist if exact else self.nprobe)
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = self._index.search(query, min(limit, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def optimize(self) -> None:
        """Switch to (or retrain) the approximate index when the collection has outgrown it."""
        n = len(self)
        trained_for = (self._index.nlist / 4) ** 2 if self.approximate else 0  # nlist = 4 * sqrt(n)
        if n <= self.ann_threshold or (self.approximate and n < 2 * trained_for):
            return
        import faiss

        ids = self.ids()
        if self.approximate:
            vectors = self.vectors(ids.tolist())
        else:  # the flat index's storage, in the order of its id map, without a call per vector
            vectors = self._index.index.reconstruct_n(0, n)
        nlist = max(1, int(4 * math.sqrt(n)))
        quantizer = faiss.IndexFlatIP(self.dim)
        # vectors kept as float16: half the bytes to scan per probed cell, scores within 1e-4
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT, False
        )
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(n, size=min(n, 64 * nlist), replace=False)]
        index.train(sample)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.add_with_ids(vectors, ids)
        self._index, self._shared = index, None

    def save(self, path: Path | None = None) -> None:
        """Write atomically (a crash leaves the old file or the new one)."""
        import faiss

        target = path or self.path
        if target is None:
            raise ValueError("no path to save the vector index to")
        self.optimize()
        with atomic_path(target) as tmp:
            faiss.write_index(self._index, str(tmp))
        self.path = target
        with _loading:  # who opens the saved file next shares this object instead of reading it
            self._shared = _loaded[_file_key(target)] = self._shared or _Loaded(self._index)
