"""A passage's vector and answer units as the bytes a shared catalogue stores (``passage_vectors``).

The passage vector stays float32, as FAISS holds it, so every node ranks exactly as the writer
would; the units are int32 start/end pairs and float16 vectors, the layout of index/units.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Span = tuple[int, int]


def encode(vector: np.ndarray, spans: Sequence[Span], units: np.ndarray) -> tuple[bytes, bytes, bytes]:
    return (
        np.asarray(vector, np.float32).tobytes(),
        np.asarray(spans, np.int32).reshape(-1, 2).tobytes(),
        np.asarray(units, np.float16).tobytes(),
    )


def decode(vector: bytes, spans: bytes, units: bytes, dim: int) -> tuple[np.ndarray, list[Span], np.ndarray]:
    pairs = np.frombuffer(spans, np.int32).reshape(-1, 2)
    return (
        np.frombuffer(vector, np.float32),
        [(int(start), int(end)) for start, end in pairs],
        np.frombuffer(units, np.float16).reshape(-1, dim).astype(np.float32),
    )
