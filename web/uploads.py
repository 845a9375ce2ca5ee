"""Uploaded files: safe names, size limit while streaming, format check, staging for the writer."""

from __future__ import annotations

import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from werkzeug.datastructures import FileStorage

from ingest import FORMATS, check
from kb.errors import IngestError, UnsupportedFormat

_UNSAFE = re.compile(r"[^\w .()+,-]", re.UNICODE)
_CHUNK = 1 << 16


@dataclass(frozen=True)
class UploadProblem(Exception):
    """Why an upload was refused; ``status`` is the HTTP status (413 too large, 415 wrong type)."""

    status: int
    message: str

    def __str__(self) -> str:
        return self.message


def safe_file_name(raw: str | None) -> str:
    """The last path component of ``raw``, without control characters or path syntax; keeps umlauts."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").split("/")[-1])
    name = _UNSAFE.sub("_", "".join(c for c in name if unicodedata.category(c)[0] != "C"))
    name = name.strip(" .")[-150:]
    if not name or Path(name).suffix.lower() not in FORMATS:
        allowed = ", ".join(sorted(FORMATS))
        raise UploadProblem(415, f"{raw!r}: Dateityp nicht unterstützt; möglich sind {allowed}.")
    return name


def stage(upload: FileStorage, uploads_dir: Path, max_bytes: int) -> tuple[Path, str]:
    """Stream ``upload`` into a private folder under ``uploads_dir``; returns (path, file name).

    Stops reading at ``max_bytes`` (413) and checks that the content matches the extension (415).
    """
    name = safe_file_name(upload.filename)
    folder = uploads_dir / secrets.token_hex(8)
    folder.mkdir(parents=True)
    path = folder / name
    try:
        written = 0
        with path.open("wb") as out:
            while chunk := upload.stream.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadProblem(413, f"{name}: größer als erlaubt ({max_bytes / 1e6:.0f} MB).")
                out.write(chunk)
        try:
            check(path, max_bytes=max_bytes)
        except IngestError as error:
            status = 415 if isinstance(error, UnsupportedFormat) else 422
            raise UploadProblem(status, f"{name}: {error.problem}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path, name
