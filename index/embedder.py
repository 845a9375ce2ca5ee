"""The embedding model at work: token counts and vectors for queries and passages.

The model folder comes from :func:`index.model.ensure_model`; sentence-transformers (and torch)
are imported on first use, so counting tokens and listing documents never load them. Queries are
embedded by the same model exported to ONNX Runtime (:class:`QueryEncoder`): a search pays for
one short forward pass on one thread, beside whatever torch is doing, and needs no torch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.batching import Batcher
from index.model import MODEL_ID, PROMPTS, QUERY_ENCODER, ensure_query_encoder


class TokenCounter:
    """Counts model tokens without torch (only the ``tokenizers`` library)."""

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_truncation()
        limit = json.loads((model_dir / "sentence_bert_config.json").read_text("utf-8"))["max_seq_length"]
        prompt = self.count(PROMPTS["passage"])
        self.max_tokens = limit - 2 - prompt  # room for a passage's content

    def count(self, text: str) -> int:
        """Content tokens of ``text`` (no <s>, </s> or prompt)."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of every token the model reads for ``text`` (specials: (0, 0))."""
        return self._tokenizer.encode(text).offsets


class QueryEncoder:
    """Query vectors from the ONNX export of the model (one intra-op thread: a query is short,
    and two threads wait for each other whenever the machine is busy)."""

    def __init__(self, path: Path, tokenizer_path: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))  # truncates at the model's 512 tokens
        self._pad = self._tokenizer.token_to_id("<pad>")

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Query vectors; concurrent queries share forward passes (a batch of 8 costs 5 ms a query
        here, one alone 9 ms: the weights are read once per pass). Padding changes a vector by
        float rounding only (3.7e-8 at most, measured)."""
        out = np.zeros((len(texts), 384), np.float32)
        for start in range(0, len(texts), batch_size):
            encodings = self._tokenizer.encode_batch([PROMPTS["query"] + t for t in texts[start : start + batch_size]])
            width = max(len(e.ids) for e in encodings)
            ids = np.full((len(encodings), width), self._pad, np.int64)
            mask = np.zeros((len(encodings), width), np.int64)
            for row, encoding in enumerate(encodings):
                ids[row, : len(encoding.ids)] = encoding.ids
                mask[row, : len(encoding.ids)] = 1
            (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[start : start + len(encodings)] = vectors
        return out


class Embedder:
    """Dense vectors from the rebuilt model; loads sentence-transformers on first use."""

    model_id = MODEL_ID
    dim = 384
    max_seq_length = 512

    def __init__(self, model_dir: Path, *, threads: int | None = None, batch_size: int = 32) -> None:
        self.model_dir = model_dir
        self.threads = threads
        self.batch_size = batch_size
        self._model = None
        self._query_encoder: QueryEncoder | None = None
        self._counter = TokenCounter(model_dir)
        self.max_passage_tokens = self._counter.max_tokens
        self._queries = Batcher(self.embed_queries)  # concurrent searches share forward passes
        # paging, facet clicks and the answer block repeat a query: embed it once
        self.embed_query = lru_cache(maxsize=4096)(self._embed_query)

    @property
    def model(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.set_verbosity_error()  # the unused pooler is reported as missing
            transformers.logging.disable_progress_bar()

            if self.threads:
                torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        return self._model

    def count_tokens(self, text: str) -> int:
        return self._counter.count(text)

    def count_query_tokens(self, text: str) -> int:
        """All tokens the model sees for a query: prompt, text and the two specials."""
        return self._counter.count(PROMPTS["query"] + text) + 2

    def _embed_query(self, text: str) -> np.ndarray:
        vector = self._queries(text)
        vector.flags.writeable = False  # shared by every caller of the cache
        return vector

    @property
    def query_encoder(self) -> QueryEncoder:
        if self._query_encoder is None:
            path = self.model_dir / QUERY_ENCODER
            if not path.exists():  # exported once from the loaded model; later runs need no torch for queries
                path = ensure_query_encoder(self.model_dir, self.model[0].auto_model)
            self._query_encoder = QueryEncoder(path, self.model_dir / "tokenizer.json")
        return self._query_encoder

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.query_encoder.encode(texts)

    def embed_passages(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        self._check_lengths(texts)
        return self._encode(texts, "passage", progress)

    def _check_lengths(self, texts: Sequence[str]) -> None:
        for text in texts:
            tokens = self._counter.count(PROMPTS["passage"] + text) + 2
            if tokens > self.max_seq_length:
                raise ValueError(
                    f"passage of {tokens} tokens exceeds the model's {self.max_seq_length}; split it first"
                )

    def embed_passages_and_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors plus, per passage, one vector per character span of its text.

        One forward pass per passage: a span's vector is the mean of the passage's token vectors
        inside it, L2-normalised ("late chunking", Günther et al. 2024), so a sentence is read in
        its passage's context and costs nothing beyond embedding the passage.
        """
        self._check_lengths(texts)
        passages = np.zeros((len(texts), self.dim), np.float32)
        pooled: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        shift = len(PROMPTS["passage"])
        for start in range(0, len(texts), self.batch_size):
            chosen = order[start : start + self.batch_size]
            outputs = self.model.encode(
                [texts[i] for i in chosen],
                prompt_name="passage",
                batch_size=self.batch_size,
                output_value=None,
                show_progress_bar=False,
            )
            for i, output in zip(chosen, outputs, strict=True):
                vector = output["sentence_embedding"].float().numpy()
                passages[i] = vector / np.linalg.norm(vector)
                offsets = np.asarray(self._counter.offsets(PROMPTS["passage"] + texts[i]), np.int64).reshape(-1, 2)
                tokens = output["token_embeddings"].float().numpy()[: len(offsets)]
                pooled[i] = _span_means(tokens, offsets - shift, spans[i], self.dim)
        return passages, pooled

    def _encode(self, texts: Sequence[str], prompt: str, progress: Callable[[int], None] | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths batch well
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(texts), self.batch_size):
            chosen = order[start : start + self.batch_size]
            out[chosen] = self.model.encode(
                [texts[i] for i in chosen],
                prompt_name=prompt,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(min(start + self.batch_size, len(texts)))
        return out


def _span_means(tokens: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]], dim: int) -> np.ndarray:
    """L2-normalised mean of the token vectors overlapping each span (offsets relative to the text)."""
    out = np.zeros((len(spans), dim), np.float32)
    real = offsets[:, 1] > offsets[:, 0]
    for n, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 1] > start) & (offsets[:, 0] < end)
        vector = tokens[inside].mean(axis=0) if inside.any() else tokens[real].mean(axis=0)
        out[n] = vector / np.linalg.norm(vector)
    return out
