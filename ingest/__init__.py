"""Turn files into clean text blocks that keep their source (page, heading).

``load(path)`` checks the file (size, emptiness, that its content matches its extension) and
hands it to the loader for its format. Every problem is an ``IngestError`` naming the file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from ingest.ocr import OcrSettings, Progress
from kb.core.documents import LoadedDocument
from kb.core.errors import IngestError, UnsupportedFormat
from kb.core.vocabulary import FORMATS

_MAX_UNPACKED_BYTES = 300_000_000  # a DOCX/PPTX whose parts unpack to more is refused
_MAX_RATIO = 100  # ordinary Office XML packs 5–20 fold; far more means padding built to explode
_KIND_NAMES = {
    "pdf": "PDF",
    "docx": "Word-Dokument (DOCX)",
    "pptx": "PowerPoint-Präsentation (PPTX)",
    "zip": "ZIP-Archiv",
    "text": "Text",
    "image": "Bild (JPG, PNG oder TIFF)",
    "binary": "Binärdatei",
}
_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")


def supported(path: Path) -> bool:
    return path.suffix.lower() in FORMATS and not path.name.endswith(".meta.json")


def load(
    path: Path,
    *,
    max_bytes: int,
    ocr: OcrSettings | None = None,
    on_progress: Progress | None = None,
    checked_format: str | None = None,
) -> LoadedDocument:
    """The file as blocks; scanned PDF pages and images are read by OCR if ``ocr`` is given.

    ``checked_format`` is what :func:`check` returned for this very file (an upload checked on
    arrival); without it the file is checked here.
    """
    format = checked_format or check(path, max_bytes=max_bytes)
    if format in ("pdf", "image"):
        return _loader(format)(path, ocr, on_progress)
    return _loader(format)(path)


def check(path: Path, *, max_bytes: int) -> str:
    """The file's format, after checking its size and that its content matches its extension."""
    format = FORMATS.get(path.suffix.lower())
    if format is None:
        raise UnsupportedFormat(
            path,
            f"Das Format {path.suffix or '(ohne Endung)'} wird nicht unterstützt; möglich sind "
            + ", ".join(sorted(set(FORMATS)))
            + ".",
        )
    size = path.stat().st_size
    if size == 0:
        raise IngestError(path, "Die Datei ist leer (0 Bytes).")
    if size > max_bytes:
        raise IngestError(path, f"Die Datei ist mit {size / 1e6:.1f} MB größer als erlaubt ({max_bytes / 1e6:.0f} MB).")
    actual = _sniff(path)
    expected = format if format in ("pdf", "docx", "pptx", "image") else "text"
    if actual != expected:
        raise UnsupportedFormat(
            path,
            f"Die Dateiendung {path.suffix} passt nicht zum Inhalt ({_KIND_NAMES[actual]}); "
            f"erwartet: {_KIND_NAMES[expected]}.",
        )
    if format in ("docx", "pptx"):
        _check_unpacked_size(path)
    return format


def _check_unpacked_size(path: Path) -> None:
    """Refuse ZIP bombs: Office files whose parts unpack to far more than a document needs."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    unpacked = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    if unpacked > _MAX_UNPACKED_BYTES or (unpacked > 10_000_000 and unpacked / packed > _MAX_RATIO):
        raise IngestError(
            path,
            f"Die Datei entpackt sich auf {unpacked / 1e6:.0f} MB (aus {packed / 1e6:.1f} MB); "
            "das ist kein gewöhnliches Office-Dokument (ZIP-Bombe?) und wird nicht geöffnet.",
        )


def _loader(format: str) -> Callable[..., LoadedDocument]:
    if format == "pdf":
        from ingest.pdf import load_pdf

        return load_pdf
    if format == "image":
        from ingest.image import load_image

        return load_image
    if format in ("docx", "pptx"):
        from ingest.office import load_docx, load_pptx

        return load_docx if format == "docx" else load_pptx
    if format == "html":
        from ingest.html import load_html

        return load_html
    from ingest.text import load_markdown, load_text

    return load_markdown if format == "md" else load_text


def _sniff(path: Path) -> str:
    """What the bytes say the file is: pdf, docx, pptx, zip, text or binary."""
    with path.open("rb") as file:
        head = file.read(4096)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_IMAGE_SIGNATURES):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        return "zip"
    return "binary" if b"\x00" in head else "text"
