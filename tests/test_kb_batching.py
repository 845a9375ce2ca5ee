"""Concurrent searches share the model's forward passes: the Batcher with real threads, and the
real embedder giving the same vectors batched as alone."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from index.batching import Batcher


def test_callers_arriving_together_share_batches_and_each_gets_its_own_result():
    batches: list[list[int]] = []

    def square_slowly(items):
        batches.append(list(items))
        time.sleep(0.05)  # a forward pass
        return [item * item for item in items]

    batcher = Batcher(square_slowly, max_batch=8)
    results: dict[int, int] = {}
    threads = [threading.Thread(target=lambda n=n: results.update({n: batcher(n)})) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: n * n for n in range(20)}
    assert sorted(item for batch in batches for item in batch) == list(range(20))  # each item once
    assert max(len(batch) for batch in batches) > 1 and all(len(batch) <= 8 for batch in batches)
    assert len(batches) < 20


def test_a_lone_caller_is_served_at_once_and_a_failure_reaches_every_caller_of_its_batch():
    batcher = Batcher(lambda items: [len(items)])
    assert batcher("allein") == 1

    broken = {"now": True}

    def fail_while_broken(items):
        time.sleep(0.05)
        if broken["now"]:
            raise RuntimeError("Modell nicht geladen")
        return [item.upper() for item in items]

    failing = Batcher(fail_while_broken)
    errors: list[str] = []

    def call() -> None:
        try:
            failing("x")
        except RuntimeError as error:
            errors.append(str(error))

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == ["Modell nicht geladen"] * 5
    broken["now"] = False
    assert failing("danach") == "DANACH"  # the failure left no caller waiting and no stuck lead


@pytest.mark.parametrize("callers", [1, 12])
def test_batched_query_vectors_equal_the_vectors_of_single_queries(embedder, callers: int):
    queries = [f"Wie fördert der Kreis die Wärmeplanung in Gemeinde {n}?" for n in range(callers)]
    alone = {q: embedder.embed_queries([q])[0] for q in queries}
    together: dict[str, np.ndarray] = {}
    threads = [threading.Thread(target=lambda q=q: together.update({q: embedder.embed_query(q)})) for q in queries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for query in queries:
        assert np.allclose(together[query], alone[query], atol=1e-4)
