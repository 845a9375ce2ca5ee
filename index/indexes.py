"""The derived indexes of one data directory, kept in step: vectors, keywords, manifest."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.keyword import KeywordEntry, KeywordIndex
from index.manifest import Manifest
from index.units import Span, UnitIndex
from index.vector import VectorIndex
from kb.core.access import DEFAULT_VISIBILITY
from kb.core.documents import Metadata, Passage
from kb.core.errors import IndexMismatch


class IndexSet:
    """FAISS and Tantivy indexes and the answer units' vectors under ``folder``, with a manifest naming the model."""

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
        self.units = UnitIndex(dim, folder / "units.npy")
        self._pending_deletions: list[int] = []  # documents to drop from the keyword index at save()
        self._pending_entries: list[KeywordEntry] = []  # keyword entries to add at save()

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def vector_path(self) -> Path:
        return self.folder / "vectors.faiss"

    def _manifest_stamp(self) -> str | None:
        """The manifest as saved last: its text changes with every save (a new ``saved`` token),
        where its modification time may not (file times tick in jiffies: two quick saves share one)."""
        try:
            return self.manifest_path.read_text("utf-8")
        except FileNotFoundError:
            return None

    def changed_on_disk(self) -> bool:
        """True when another writer saved the indexes after this set loaded them."""
        return self._manifest_stamp() != self._loaded_manifest

    def add(
        self,
        document_id: int,
        metadata: Metadata,
        passages: Sequence[Passage],
        vectors: np.ndarray,
        unit_spans: Sequence[Sequence[Span]] | None = None,
        unit_vectors: Sequence[np.ndarray] | None = None,
    ) -> None:
        """Add passages (and their answer units); keyword entries are written with the next :meth:`save`."""
        self.vectors.add([p.id for p in passages], vectors)
        if unit_spans is not None and unit_vectors is not None:
            self.units.add([p.id for p in passages], unit_spans, unit_vectors)
        self._pending_entries += [keyword_entry(p, document_id, metadata) for p in passages]

    def remove(self, document_id: int, passage_ids: Sequence[int]) -> None:
        self.vectors.remove(passage_ids)
        self.units.remove(passage_ids)
        self._pending_entries = [e for e in self._pending_entries if e.document_id != document_id]
        self._pending_deletions.append(document_id)

    def save(self) -> None:
        """Commit the keyword changes in one commit, then save the vectors and the manifest."""
        self.keywords.apply(self._pending_deletions, self._pending_entries)
        self._pending_deletions, self._pending_entries = [], []
        self.vectors.save()
        self.units.save()
        self._write_manifest()

    def replace_keyword_entries(self, entries: Sequence[KeywordEntry]) -> None:
        """Rewrite keyword entries at once (changed metadata); readers see it by the manifest."""
        self.keywords.add(entries, replace=True)
        self._write_manifest()

    def rewrite_keywords(self, document_ids: Sequence[int], entries: Sequence[KeywordEntry]) -> None:
        """Replace these documents' keyword entries in one commit; an older schema gains visibility first."""
        if self.keywords.needs_visibility:
            self.keywords.add_visibility_field()
        self.keywords.apply(document_ids, entries)
        self._write_manifest()

    def _write_manifest(self) -> None:
        """The last write of every change: readers reload their indexes when it changes."""
        Manifest(self.model_id, self.dim).write(self.manifest_path, len(self.vectors))
        self._loaded_manifest = self._manifest_stamp()


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
        visibility=metadata.visibility or DEFAULT_VISIBILITY,
    )


def new_generation(link: Path) -> Path:
    """A fresh folder beside ``link`` (``index-<time>-<random>``) for a complete set of indexes."""
    return link.with_name(f"{link.name}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}")


def publish(link: Path, folder: Path) -> None:
    """Point the symlink ``link`` at ``folder`` in one atomic step.

    Readers switch at their next refresh; the previous generation stays for readers still
    working in it, older ones are deleted. A plain folder of an older layout becomes a generation.
    """
    previous = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        previous = new_generation(link)
        link.rename(previous)
    staged = link.with_name(link.name + ".link-new")
    staged.unlink(missing_ok=True)
    os.symlink(folder.name, staged)
    os.replace(staged, link)
    for old in link.parent.glob(f"{link.name}-*"):
        if old.is_dir() and old.resolve() not in (folder.resolve(), previous):
            shutil.rmtree(old, ignore_errors=True)
