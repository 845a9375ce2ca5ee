"""The FAISS vector index: ids, filters inside the search, atomic saves, the IVF path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.vector import VectorIndex

DIM = 64


def clustered(n: int, seed: int = 3) -> np.ndarray:
    """Unit vectors around a shared direction with low-rank structure, like sentence embeddings."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(12, DIM))
    x = 2 * rng.normal(size=DIM) + rng.normal(size=(n, 12)) @ basis + 0.3 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_add_search_and_remove_by_passage_id():
    vectors = clustered(50)
    index = VectorIndex(DIM)
    index.add(list(range(1000, 1050)), vectors)
    assert index.search(vectors[7], 1)[0][0] == 1007
    index.remove([1007])
    assert 1007 not in {i for i, _ in index.search(vectors[7], 10)}
    assert sorted(index.ids().tolist()) == [i for i in range(1000, 1050) if i != 1007]


def test_filters_apply_inside_the_search_not_after_a_cut():
    vectors = clustered(500)
    index = VectorIndex(DIM)
    index.add(list(range(500)), vectors)
    allowed = np.arange(400, 500)  # the 400 nearest neighbours of the query are all outside
    hits = index.search(vectors[0], 10, allowed)
    assert len(hits) == 10 and all(i >= 400 for i, _ in hits)
    exact = sorted(range(400, 500), key=lambda i: -float(vectors[i] @ vectors[0]))[:10]
    assert [i for i, _ in hits] == exact


def test_save_is_atomic_and_round_trips(tmp_path: Path):
    vectors = clustered(30)
    index = VectorIndex(DIM, tmp_path / "vectors.faiss")
    index.add(list(range(30)), vectors)
    index.save()
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.faiss"]  # no temp file left behind
    again = VectorIndex(DIM, tmp_path / "vectors.faiss")
    assert again.search(vectors[3], 3) == index.search(vectors[3], 3)
    with pytest.raises(ValueError, match="holds 64-dimensional vectors, expected 32"):
        VectorIndex(32, tmp_path / "vectors.faiss")


def test_above_the_threshold_the_index_turns_approximate_and_keeps_working(tmp_path: Path):
    vectors = clustered(3000)
    ids = np.arange(10, 3010)
    exact = VectorIndex(DIM)
    exact.add(ids, vectors)
    approx = VectorIndex(DIM, tmp_path / "v.faiss", ann_threshold=1000)
    approx.add(ids, vectors)
    approx.save()
    assert approx.approximate and not exact.approximate
    # kept as float16 (half the memory): each vector reads back as its float16 rounding
    assert np.array_equal(approx.vectors([12, 10]), vectors[[2, 0]].astype(np.float16).astype(np.float32))
    queries = clustered(100, seed=9)
    recall = np.mean(
        [len({i for i, _ in approx.search(q, 10)} & {i for i, _ in exact.search(q, 10)}) / 10 for q in queries]
    )
    assert recall >= 0.95
    allowed = ids[::50]
    found, expected = approx.search(queries[0], 10, allowed), exact.search(queries[0], 10, allowed)
    # the exact filtered top 10, scored from float16 vectors: near ties may swap
    assert np.allclose([s for _, s in found], [s for _, s in expected], atol=1e-3)
    assert len({i for i, _ in found} & {i for i, _ in expected}) >= 9
    approx.remove([10, 11])
    assert len(approx) == 2998 and not {10, 11} & set(approx.ids().tolist())
    reloaded = VectorIndex(DIM, tmp_path / "v.faiss", ann_threshold=1000)
    assert reloaded.approximate and len(reloaded) == 3000


def test_readers_of_one_saved_file_share_one_index_and_a_change_stays_private(tmp_path: Path):
    vectors = clustered(40)
    path = tmp_path / "vectors.faiss"
    writer = VectorIndex(DIM, path)
    writer.add(list(range(40)), vectors[:40])
    writer.save()
    readers = [VectorIndex(DIM, path) for _ in range(3)]
    assert len({id(r._index) for r in readers}) == 1 and readers[0]._index is writer._index

    writer.remove([7])
    assert 7 in {i for i, _ in readers[0].search(vectors[7], 1)}  # readers keep the saved state
    writer.save()
    fresh = VectorIndex(DIM, path)
    assert fresh._index is writer._index and 7 not in fresh.ids().tolist()
    assert len(readers[1]) == 40


def test_a_search_leaves_the_threads_of_later_builds_as_they_were():
    import faiss

    index = VectorIndex(DIM)
    index.add(list(range(20)), clustered(20))
    before = faiss.omp_get_max_threads()
    assert index.search(clustered(20)[3], 1)[0][0] == 3
    assert faiss.omp_get_max_threads() == before
