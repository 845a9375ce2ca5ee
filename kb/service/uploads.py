"""Uploaded files: safe names, size limit while streaming, format check, staging for the writer."""

from __future__ import annotations

import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest import check
from kb.core.errors import DiskFull, IngestError, UnsupportedFormat, UploadRefused
from kb.core.files import is_disk_full
from kb.core.vocabulary import FORMATS

_UNSAFE = re.compile(r"[^\w .()+,-]", re.UNICODE)
_CHUNK = 1 << 16


@dataclass(frozen=True)
class StagedFile:
    """An upload written to its own private folder and checked, waiting for the writer."""

    path: Path
    name: str  # the safe form of the name it was uploaded under
    format: str  # what the check found (pdf, docx, …), so ingest need not check again

    def discard(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)


def safe_file_name(raw: str | None) -> str:
    """The last path component of ``raw``, without control characters or path syntax; keeps umlauts."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").split("/")[-1])
    name = _UNSAFE.sub("_", "".join(c for c in name if unicodedata.category(c)[0] != "C"))
    name = name.strip(" .")[-150:]
    if not name or Path(name).suffix.lower() not in FORMATS:
        allowed = ", ".join(sorted(FORMATS))
        raise UploadRefused("unsupported_media_type", f"{raw!r}: Dateityp nicht unterstützt; möglich sind {allowed}.")
    return name


def stage(stream: BinaryIO, raw_name: str | None, uploads_dir: Path, max_bytes: int) -> StagedFile:
    """Stream an upload into a private folder under ``uploads_dir`` and check it.

    Stops reading at ``max_bytes`` (``too_large``) and checks that the content matches the
    extension (``unsupported_media_type``) and is a readable file (``unprocessable``); a full
    data directory refuses it as ``insufficient_storage``.
    """
    name = safe_file_name(raw_name)
    folder = uploads_dir / secrets.token_hex(8)
    path = folder / name
    try:
        folder.mkdir(parents=True)
        written = 0
        with path.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadRefused("too_large", f"{name}: größer als erlaubt ({max_bytes / 1e6:.0f} MB).")
                out.write(chunk)
        try:
            format = check(path, max_bytes=max_bytes)
        except IngestError as error:
            code = "unsupported_media_type" if isinstance(error, UnsupportedFormat) else "unprocessable"
            raise UploadRefused(code, f"{name}: {error.problem}") from None
    except OSError as error:
        shutil.rmtree(folder, ignore_errors=True)
        if is_disk_full(error):
            raise UploadRefused("insufficient_storage", f"{name}: {DiskFull(uploads_dir.parent)}") from None
        raise
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StagedFile(path, name, format)


def stage_all(files: list[tuple[BinaryIO, str | None]], uploads_dir: Path, max_bytes: int) -> list[StagedFile]:
    """Stage every file or none: a refused one discards those staged before it."""
    staged: list[StagedFile] = []
    try:
        for stream, raw_name in files:
            staged.append(stage(stream, raw_name, uploads_dir, max_bytes))
    except BaseException:
        for item in staged:
            item.discard()
        raise
    return staged
