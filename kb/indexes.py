"""The derived indexes of one data directory, kept in step: vectors, keywords, manifest."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.keyword import KeywordEntry, KeywordIndex
from index.manifest import Manifest
from index.vector import VectorIndex
from kb.documents import Metadata, Passage
from kb.errors import IndexMismatch


class IndexSet:
    """FAISS and Whoosh indexes under ``folder``, with a manifest naming the model."""

    def __init__(self, folder: Path, *, model_id: str, dim: int, ann_threshold: int) -> None:
        self.folder = folder
        self.model_id = model_id
        self.dim = dim
        folder.mkdir(parents=True, exist_ok=True)
        manifest = Manifest.read(self.manifest_path)
        if manifest is not None and (problem := manifest.mismatch(model_id, dim)):
            raise IndexMismatch(f"Der Index in {folder} {problem}. Bitte `kb reindex` ausführen.")
        self._loaded_manifest = self._manifest_stamp()
        self.vectors = VectorIndex(dim, self.vector_path, ann_threshold=ann_threshold)
        self.keywords = KeywordIndex(folder / "keyword")

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def vector_path(self) -> Path:
        return self.folder / "vectors.faiss"

    def _manifest_stamp(self) -> int | None:
        try:
            return self.manifest_path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def changed_on_disk(self) -> bool:
        """True when another writer saved the indexes after this set loaded them."""
        return self._manifest_stamp() != self._loaded_manifest

    def add(self, document_id: int, metadata: Metadata, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        self.vectors.add([p.id for p in passages], vectors)
        self.keywords.add([keyword_entry(p, document_id, metadata) for p in passages])

    def remove(self, document_id: int, passage_ids: Sequence[int]) -> None:
        self.vectors.remove(passage_ids)
        self.keywords.delete_documents([document_id])

    def save(self) -> None:
        self.vectors.save()
        Manifest(self.model_id, self.dim).write(self.manifest_path, len(self.vectors))
        self._loaded_manifest = self._manifest_stamp()

    @staticmethod
    def destroy(folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)


def keyword_entry(passage: Passage, document_id: int, metadata: Metadata) -> KeywordEntry:
    return KeywordEntry(
        passage_id=passage.id,
        document_id=document_id,
        text=passage.text,
        title=metadata.title or "",
        heading=" / ".join(passage.heading_path),
        county=metadata.county,
        doc_type=metadata.doc_type,
        topics=tuple(metadata.topics),
        year=metadata.year,
    )
