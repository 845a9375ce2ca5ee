"""The query encoder (the model exported to ONNX Runtime) against the model itself."""

from __future__ import annotations

import numpy as np

QUERIES = [
    "Wie binden wir die kreisangehörigen Gemeinden ein?",
    "Radverkehr Pendler",
    "Förderung Klimaschutzmanagement Kommunalrichtlinie",
    "Wärmeplanung",
]
PASSAGES = [
    "Die Gemeinden des Kreises treffen sich viermal im Jahr zum Klimaschutz-Stammtisch.",
    "Pendler-Radrouten verbinden die Ortsteile mit dem Bahnhof.",
    "Die Kommunalrichtlinie fördert Stellen für das Klimaschutzmanagement.",
    "Die kommunale Wärmeplanung zeigt, welche Straßen ein Wärmenetz bekommen.",
]


def test_query_vectors_agree_with_the_model_and_find_the_same_passages(embedder):
    onnx = embedder.embed_queries(QUERIES)
    torch = embedder._encode(QUERIES, "query", None)  # the sentence-transformers model, float32
    assert onnx.shape == (len(QUERIES), embedder.dim) and onnx.dtype == np.float32
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    assert (onnx * torch).sum(axis=1).min() > 0.9999
    passages = embedder.embed_passages(PASSAGES)
    assert ((onnx @ passages.T).argmax(axis=1) == (torch @ passages.T).argmax(axis=1)).all()


def test_a_query_gets_the_same_vector_alone_and_among_others(embedder):
    together = embedder.embed_queries(QUERIES)
    alone = np.vstack([embedder.embed_queries([q]) for q in reversed(QUERIES)])[::-1]
    assert np.allclose(together, alone, atol=1e-6)  # padding in a batch: float rounding only
    assert np.array_equal(embedder.embed_query(QUERIES[1]), embedder.embed_queries([QUERIES[1]])[0])
