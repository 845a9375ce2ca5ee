"""Bring files into the knowledge base: load, describe, split, embed, store, index."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kb.documents import LoadedDocument, Metadata

ADDED, UPDATED, UNCHANGED, FAILED, SKIPPED = "added", "updated", "unchanged", "failed", "skipped"


@dataclass(slots=True)
class FileResult:
    path: str
    outcome: str  # added | updated | unchanged | failed | skipped
    document_id: int | None = None
    passages: int = 0
    pages: int | None = None
    pages_without_text: list[int] = field(default_factory=list)
    message: str | None = None
    ocr_pages: list[int] = field(default_factory=list)


@dataclass(slots=True)
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def passages(self) -> int:
        return sum(f.passages for f in self.files if f.outcome in (ADDED, UPDATED))

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.outcome == FAILED]

    @property
    def pages_without_text(self) -> int:
        return sum(len(f.pages_without_text) for f in self.files if f.outcome in (ADDED, UPDATED))

    @property
    def ocr_pages(self) -> int:
        return sum(len(f.ocr_pages) for f in self.files if f.outcome in (ADDED, UPDATED))

    def summary(self) -> str:
        return (
            f"{self.count(ADDED)} neu, {self.count(UPDATED)} aktualisiert, "
            f"{self.count(UNCHANGED)} unverändert, {self.count(FAILED)} fehlgeschlagen, "
            f"{self.count(SKIPPED)} übersprungen · {self.passages} Passagen · "
            f"{self.ocr_pages} Seiten per Texterkennung · {self.pages_without_text} Seiten ohne Text"
        )

    def as_dict(self) -> dict:
        return {
            "added": self.count(ADDED),
            "updated": self.count(UPDATED),
            "unchanged": self.count(UNCHANGED),
            "failed": self.count(FAILED),
            "skipped": self.count(SKIPPED),
            "passages": self.passages,
            "pages_without_text": self.pages_without_text,
            "ocr_pages": self.ocr_pages,
            "files": [
                {
                    "path": f.path,
                    "outcome": f.outcome,
                    "document_id": f.document_id,
                    "passages": f.passages,
                    "pages": f.pages,
                    "pages_without_text": f.pages_without_text,
                    "ocr_pages": f.ocr_pages,
                    "message": f.message,
                }
                for f in self.files
            ],
        }


def discover(paths: Iterable[Path], is_supported: Callable[[Path], bool], exclude: Path) -> Iterator[tuple[Path, bool]]:
    """Files to ingest, as ``(path, explicit)``; folders are walked recursively in name order.

    Files found in a folder walk that no loader supports are yielded with ``explicit=False`` so
    the caller can list them as skipped; hidden files, ``.meta.json`` sidecars and everything
    under ``exclude`` (the knowledge base's own data directory) are ignored.
    """
    exclude = exclude.resolve()
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if (
                    child.is_file()
                    and not any(part.startswith(".") for part in relative)
                    and not child.name.endswith(".meta.json")
                    and "__pycache__" not in relative
                    and not child.resolve().is_relative_to(exclude)
                ):
                    yield child, is_supported(child)
        else:
            yield path, True


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def original_path(originals: Path, digest: str, file_name: str) -> Path:
    """Where the original of a file with content hash ``digest`` is kept."""
    return originals / digest[:2] / f"{digest}{Path(file_name).suffix.lower()}"


def keep_original(path: Path, digest: str, originals: Path) -> Path:
    """Store the file content-addressed (``originals/ab/abcdef….pdf``) so it can be served later."""
    target = original_path(originals, digest, path.name)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return target


def describe(loaded: LoadedDocument, given: Metadata, sidecar: Metadata, fallback_title: str) -> Metadata:
    """Metadata by precedence: given (CLI/form) > sidecar > the file's own > detection."""
    from ingest.metadata import canonical_county, detect_metadata

    declared = given.merged_over(sidecar).merged_over(loaded.metadata)
    text = "\n".join(block.text for block in loaded.blocks[:400])
    detected = detect_metadata(declared.title, text, loaded.format, loaded.created)
    merged = declared.merged_over(detected)
    if merged.county:
        merged.county = canonical_county(merged.county) or merged.county
    merged.title = merged.title or fallback_title
    return merged
