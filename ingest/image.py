"""Image loader: photos and scans (JPG, PNG, TIFF), read by OCR; each TIFF frame is a page."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from ingest.ocr import OcrSettings, Progress, read_pages, unavailable
from kb.core.documents import LoadedDocument
from kb.core.errors import IngestError

_MAX_IMAGE_PIXELS = 150_000_000  # a 150-megapixel photo is plenty; more is a decompression bomb


def load_image(path: Path, ocr: OcrSettings | None = None, on_progress: Progress | None = None) -> LoadedDocument:
    if ocr is None:
        raise IngestError(path, "Bilder werden per Texterkennung gelesen; sie ist abgeschaltet (KB_OCR=false).")
    reason = unavailable(ocr)
    if reason:
        raise IngestError(path, f"{reason} Bilddateien lassen sich ohne sie nicht lesen.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError) as error:
        raise IngestError(
            path, f"Das Bild ist beschädigt oder zu groß und kann nicht gelesen werden ({error})."
        ) from None
    with image:
        if image.width * image.height > _MAX_IMAGE_PIXELS:
            raise IngestError(
                path,
                f"Das Bild hat {image.width} × {image.height} Pixel; erlaubt sind {_MAX_IMAGE_PIXELS / 1e6:.0f} MP.",
            )
        frames = getattr(image, "n_frames", 1)
        count = min(frames, ocr.max_pages)
        renders = ((number, _frame(image, number)) for number in range(1, count + 1))
        pages = list(read_pages(renders, count, ocr, on_progress))
    problems = [page.error for page in pages if page.error]
    if frames > count:
        problems.append(
            f"Texterkennung nur für {count} Seiten je Dokument (KB_OCR_MAX_PAGES); "
            f"{frames - count} weitere Seiten bleiben ungelesen."
        )
    read = [page for page in pages if page.paragraphs]
    if not read:
        raise IngestError(path, " ".join(["Die Texterkennung fand in dem Bild keinen Text.", *problems]))
    return LoadedDocument(
        format="image",
        blocks=[block for page in read for block in page.blocks()],
        page_count=frames,
        pages_without_text=[page.page for page in pages if not page.paragraphs],
        ocr_pages=[page.page for page in read],
        warnings=problems,
    )


def _frame(image: Image.Image, number: int):
    """A function that loads frame ``number`` (1-based) when called."""

    def load() -> Image.Image:
        frame = ImageSequence.Iterator(image)[number - 1]
        copy = frame.copy()
        copy.info.update(frame.info)
        return copy

    return load
