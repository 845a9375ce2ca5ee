"""A deterministic stand-in for the embedding model, for tests of logic that do not judge ranking.

Words are hashed into ``dim`` buckets and the vector is L2-normalised, so texts that share words
come out similar and nothing is loaded or downloaded (haystack's MockTextEmbedder is the model).
Every test that judges ranking quality or the model's behaviour uses the real model instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_TOKENS = re.compile(r"\w+|[^\w\s]")


class HashingEmbedder:
    model_id = "hashing-test-embedder"
    max_seq_length = 512
    max_passage_tokens = 480

    def __init__(self, dim: int = 128) -> None:
        self.dim = dim

    def count_tokens(self, text: str) -> int:
        return len(_TOKENS.findall(text))

    def count_query_tokens(self, text: str) -> int:
        return self.count_tokens(text) + 4  # as the model: prompt and two special tokens

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        for text in texts:
            if self.count_tokens(text) > self.max_passage_tokens:
                raise ValueError(f"passage of {self.count_tokens(text)} tokens exceeds {self.max_passage_tokens}")
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages_and_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        units = [
            np.stack([self._vector(text[a:b]) for a, b in found]) if found else np.zeros((0, self.dim), np.float32)
            for text, found in zip(texts, spans, strict=True)
        ]
        return self.embed_passages(texts), units

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, np.float32)
        for word in re.findall(r"\w+", text.lower()):
            bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
            vector[bucket % self.dim] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector
