"""Read text from page images with Tesseract (through pytesseract): scans and photos.

Every paragraph Tesseract lays out on a scanned page becomes a paragraph of its own, with the
mean confidence of its words. On a photographed pinboard the cards (bright regions on a darker
board) are found first and each card is read as one paragraph, row by row, so neighbouring cards
never run into each other. A page that reads badly is read again turned the way Tesseract's
orientation detection says. Pages run in parallel, one single-threaded Tesseract process per
worker, each page with a time limit.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps

from ingest.blocks import page_blocks
from ingest.normalize import clean_text, has_text
from kb.core.documents import Block

MAX_PIXELS = 60_000_000  # larger page images are scaled down before OCR (a 300 dpi A2 page fits)
_RETRY_BELOW = 60.0  # mean word confidence under which the page may be turned
_MIN_ORIENTATION_CONFIDENCE = 2.0  # Tesseract's own threshold for trusting its orientation guess
_BLANK_CONTRAST = 24  # grey levels between the darkest and brightest pixels of an empty render

Progress = Callable[[int, int], None]  # (pages done, pages to read)


@dataclass(frozen=True)
class OcrSettings:
    languages: str = "deu"  # Tesseract language models, "+"-joined
    page_seconds: float = 60  # time limit per page
    max_pages: int = 100  # pages read per document at most
    dpi: int = 300  # resolution PDF pages are rendered at
    workers: int = 2  # pages read at the same time


@dataclass(slots=True)
class PageText:
    """What OCR found on one page: paragraphs with their mean word confidence (0–100)."""

    page: int
    paragraphs: list[tuple[str, float]] = field(default_factory=list)
    error: str | None = None  # why the page could not be read

    @property
    def confidence(self) -> float:
        return sum(c for _, c in self.paragraphs) / len(self.paragraphs) if self.paragraphs else 0.0

    def blocks(self) -> list[Block]:
        """Paragraphs only: without the type's size a numbered list item on a scanned measure sheet
        („2. Interessenabfrage …“) cannot be told from a heading, and a false one would carry
        into the next sheets; the page keeps the heading of the text around it."""
        return [
            block
            for text, conf in self.paragraphs
            for block in page_blocks(text, self.page, {}, round(conf, 1), by_numbering=False)
        ]


def unavailable(settings: OcrSettings) -> str | None:
    """Why OCR cannot run here (German message), or None if it can."""
    import pytesseract

    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return "Die Texterkennung (Tesseract) ist nicht installiert."
    missing = set(settings.languages.split("+")) - set(pytesseract.get_languages())
    if missing:
        return f"Für die Texterkennung fehlt das Sprachmodell {', '.join(sorted(missing))} (tesseract-ocr-…)."
    return None


def read_pages(
    pages: Iterable[tuple[int, Callable[[], Image.Image]]],
    total: int,
    settings: OcrSettings,
    on_progress: Progress | None = None,
) -> Iterator[PageText]:
    """Read ``(page number, render)`` pairs in order; ``render`` runs in the calling thread.

    PDF renderers are not thread-safe, so pages are rendered here and only Tesseract runs in
    the workers. At most two pages per worker are held in memory.
    """
    done = 0
    pending: list[Future[PageText]] = []
    with ThreadPoolExecutor(max_workers=max(settings.workers, 1)) as pool:
        for number, render in pages:
            try:
                image = render()
            except Exception as error:  # a page the renderer cannot draw costs only that page
                pending.append(
                    _resolved(PageText(number, error=f"Seite {number} ließ sich nicht darstellen ({error})."))
                )
            else:
                pending.append(pool.submit(read_page, image, number, settings))
            while len(pending) > 2 * settings.workers or (pending and pending[0].done()):
                done += 1
                yield pending.pop(0).result()
                if on_progress:
                    on_progress(done, total)
        for future in pending:
            done += 1
            yield future.result()
            if on_progress:
                on_progress(done, total)


def read_page(image: Image.Image, number: int, settings: OcrSettings) -> PageText:
    """OCR one page image; a time-out or Tesseract error is reported in ``PageText.error``."""
    deadline = time.monotonic() + settings.page_seconds
    try:
        image, dpi = _prepared(image)
        if blank(image):
            return PageText(number)
        pinned = cards(image)
        if pinned:
            return PageText(number, _read_cards(pinned, dpi, settings, deadline))
        page = PageText(number, _paragraphs(image, dpi, settings, deadline))
        if page.confidence < _RETRY_BELOW:
            angle = _orientation(image, deadline)
            if angle:
                turned = PageText(number, _paragraphs(image.rotate(-angle, expand=True), dpi, settings, deadline))
                if turned.confidence > page.confidence:
                    page = turned
        return page
    except RuntimeError as error:
        if "timeout" in str(error).lower():
            message = f"Seite {number}: Zeitlimit der Texterkennung ({settings.page_seconds:g} s) überschritten."
        else:
            message = f"Seite {number}: Texterkennung fehlgeschlagen ({error})."
        return PageText(number, error=message)
    except Exception as error:  # pytesseract wraps Tesseract's own failures in several types
        return PageText(
            number, error=f"Seite {number}: Texterkennung fehlgeschlagen ({type(error).__name__}: {error})."
        )


def _prepared(image: Image.Image) -> tuple[Image.Image, int | None]:
    """The image upright (camera EXIF), grey and at most MAX_PIXELS, with its resolution if known."""
    declared = image.info.get("dpi")
    dpi = round(float(declared[0])) if declared and 70 <= float(declared[0]) <= 1200 else None
    image = ImageOps.exif_transpose(image).convert("L")
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        scale = (MAX_PIXELS / pixels) ** 0.5
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
        dpi = round(dpi * scale) if dpi else None
    return image, dpi


def blank(image: Image.Image) -> bool:
    """Whether a grey image shows nothing: all its pixels (but a few specks) one shade."""
    low, high = np.percentile(np.asarray(image.reduce(4) if image.width >= 64 else image), [0.5, 99.5])
    return high - low < _BLANK_CONTRAST


def _seconds_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise RuntimeError("Tesseract process timeout")
    return left


def cards(image: Image.Image) -> list[Image.Image]:
    """The cards pinned on a board, cut out in reading order (rows top to bottom, then left to right).

    Cards are solid bright regions on a darker background, each between 0.5 % and 25 % of the
    picture; everything around a card (the board showing at a tilted card's corners) turns white.
    A scanned page or a single flip-chart sheet is one region that fills the picture: no cards.
    """
    from scipy import ndimage

    factor = max(1, image.width // 800)
    grey = np.asarray(image.reduce(factor) if factor > 1 else image)
    bright = ndimage.binary_opening(grey > _otsu_threshold(grey), iterations=2)
    labels, _ = ndimage.label(ndimage.binary_fill_holes(bright))  # letters are holes in a card
    found = []
    for index, (rows, columns) in enumerate(ndimage.find_objects(labels), 1):
        inside = labels[rows, columns] == index
        if 0.005 * grey.size <= inside.sum() <= 0.25 * grey.size and inside.mean() >= 0.6:
            box = (columns.start * factor, rows.start * factor, columns.stop * factor, rows.stop * factor)
            found.append((box, inside))
    if len(found) < 2:
        return []
    height = float(np.median([bottom - top for (_, top, _, bottom), _ in found]))
    ordered: list[list[tuple]] = []
    for card in sorted(found, key=lambda card: card[0][1]):
        if ordered and card[0][1] - ordered[-1][0][0][1] < height / 2:
            ordered[-1].append(card)
        else:
            ordered.append([card])
    return [_cut_out(image, box, inside) for row in ordered for box, inside in sorted(row, key=lambda c: c[0][0])]


def _cut_out(image: Image.Image, box: tuple[int, int, int, int], inside: np.ndarray) -> Image.Image:
    crop = image.crop(box)
    mask = Image.fromarray(inside.astype(np.uint8) * 255).resize(crop.size, Image.Resampling.NEAREST)
    white = Image.new("L", crop.size, 255)
    return Image.composite(crop, white, mask)


def _otsu_threshold(grey: np.ndarray) -> int:
    """The grey level that best separates dark from bright pixels (Otsu's method)."""
    counts = np.bincount(grey.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256)
    weight = np.cumsum(counts)
    mean = np.cumsum(counts * levels)
    dark, bright = weight, weight[-1] - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * dark - mean * weight[-1]) ** 2 / (dark * bright)
    return int(np.nanargmax(between))


def _read_cards(
    pinned: list[Image.Image], dpi: int | None, settings: OcrSettings, deadline: float
) -> list[tuple[str, float]]:
    """Each card read as one block of text, its lines joined into one paragraph."""
    texts = []
    for card in pinned:
        for text, confidence in _paragraphs(card, dpi, settings, deadline, layout=6):
            texts.append((" ".join(text.split("\n")), confidence))
    return texts


def _paragraphs(
    image: Image.Image, dpi: int | None, settings: OcrSettings, deadline: float, layout: int = 3
) -> list[tuple[str, float]]:
    """Tesseract's paragraphs: lines joined (hyphenation repaired), mean word confidence.

    ``layout`` is Tesseract's page segmentation mode: 3 finds columns and paragraphs, 6 reads one
    block. Without a known resolution (photos) Tesseract estimates it from the letter sizes.
    """
    import pytesseract

    data = pytesseract.image_to_data(
        image,
        lang=settings.languages,
        config=f"--psm {layout}" + (f" --dpi {dpi}" if dpi else ""),
        output_type=pytesseract.Output.DICT,
        timeout=_seconds_left(deadline),
    )
    paragraphs: dict[tuple[int, int], dict[int, list[tuple[str, float]]]] = {}
    for block, par, line, word, conf in zip(
        data["block_num"], data["par_num"], data["line_num"], data["text"], data["conf"], strict=True
    ):
        if word.strip() and float(conf) >= 0:
            paragraphs.setdefault((block, par), {}).setdefault(line, []).append((word, float(conf)))
    found = []
    for lines in paragraphs.values():
        words = [w for line in lines.values() for w in line]
        text = clean_text("\n".join(" ".join(word for word, _ in line) for line in lines.values()))
        if has_text(text, min_letters=2):
            found.append((text, sum(conf for _, conf in words) / len(words)))
    return found


def _orientation(image: Image.Image, deadline: float) -> int:
    """Degrees (clockwise) Tesseract would turn the page by, or 0 when it is unsure."""
    import pytesseract

    small = image.reduce(2) if image.width * image.height > 4_000_000 else image
    try:
        osd = pytesseract.image_to_osd(small, config="--psm 0", timeout=_seconds_left(deadline))
    except pytesseract.TesseractError:  # too little text to tell
        return 0
    rotate = re.search(r"Rotate: (\d+)", osd)
    confidence = re.search(r"Orientation confidence: ([\d.]+)", osd)
    if not rotate or not confidence or float(confidence.group(1)) < _MIN_ORIENTATION_CONFIDENCE:
        return 0
    return int(rotate.group(1))


def _resolved(page: PageText) -> Future[PageText]:
    future: Future[PageText] = Future()
    future.set_result(page)
    return future


def _single_threaded_tesseract() -> None:
    """Give Tesseract one OpenMP thread per process: parallel pages beat threads within a page.

    pytesseract passes its module's ``environ`` to the process; setting OMP_THREAD_LIMIT in our
    own environment would also limit torch's threads.
    """
    import pytesseract.pytesseract as runner

    runner.environ = {**os.environ, "OMP_THREAD_LIMIT": "1"}


_single_threaded_tesseract()
