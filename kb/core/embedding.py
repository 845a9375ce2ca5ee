"""What the service needs of an embedding model, whichever implements it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Turns queries and passages into L2-normalised vectors of one model's space.

    ``index.embedder.Embedder`` is the real model (multilingual-e5-small); tests of logic that
    does not judge ranking quality use a deterministic stand-in with the same interface.
    """

    model_id: str  # written to the index manifest: an index of another model is rebuilt
    dim: int
    max_seq_length: int  # tokens the model reads at most, prompt and special tokens included
    max_passage_tokens: int  # content tokens a passage (with its heading) may have

    def count_tokens(self, text: str) -> int:
        """Content tokens of a passage text (no prompt, no special tokens)."""
        ...

    def count_query_tokens(self, text: str) -> int:
        """All tokens the model sees for a query."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32; raises ValueError for a passage over the model's limit."""
        ...

    def embed_passages_and_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors as :meth:`embed_passages`, plus per passage one L2-normalised vector
        per ``(start, end)`` character span of its text (the answer units), read in context."""
        ...
