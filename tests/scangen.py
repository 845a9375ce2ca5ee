"""Scanned and photographed material made from German text: what the OCR tests must read.

Text is set by fpdf2 and rasterised by PDFium, as a printer and a scanner would; then the image is
degraded the way scans and phone photos are: grey noise and specks, a slight skew, a page fed in
upside down, a photo's uneven light, blur and JPEG artefacts.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import jiwer
import numpy as np
import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image, ImageFilter

from tests.pdfgen import latin1

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CARD_COLOURS = ((255, 243, 150), (198, 236, 200), (196, 220, 255), (255, 205, 210))


def sample_paragraphs(name: str) -> list[str]:
    """The paragraphs of a Markdown sample, without markup."""
    text = (SAMPLES / name).read_text(encoding="utf-8")
    paragraphs = []
    for block in text.split("\n\n"):
        block = re.sub(r"^\s*(#+|\d+\.)\s*", "", block.strip(), flags=re.MULTILINE)
        if block:
            paragraphs.append(" ".join(block.split()))
    return paragraphs


def typeset_page(paragraphs: list[str], *, size: int = 11) -> Image.Image:
    """One A4 page with the paragraphs, rasterised at 300 dpi in grey."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=size)
    for paragraph in paragraphs:
        pdf.multi_cell(0, size * 0.5, latin1(paragraph))
        pdf.ln(size * 0.3)
    return _rasterise(bytes(pdf.output()), dpi=300)


def scanned(image: Image.Image, *, seed: int, skew: float = 1.2, noise: float = 22, turn: int = 0) -> Image.Image:
    """A scanner's copy: grey noise, dark specks, a slight skew and optionally turned by ``turn``°."""
    rng = np.random.default_rng(seed)
    pixels = np.asarray(image.convert("L"), dtype=np.float32)
    pixels = pixels * 0.92 + 12 + rng.normal(0, noise, pixels.shape)
    specks = rng.random(pixels.shape) < 0.0008
    pixels[specks] = 40
    page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    page = page.rotate(skew, expand=True, fillcolor=235, resample=Image.Resampling.BICUBIC)
    return page.rotate(turn, expand=True) if turn else page


def image_pdf(pages: list[Image.Image], path: Path, dpi: int = 300) -> Path:
    """A PDF made of page images only: no text layer, like a scanner's output."""
    pages[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return path


def mixed_pdf(text_pages: list[list[str]], scans: list[Image.Image], path: Path) -> Path:
    """A concept whose first pages have a text layer and whose annex pages are scans."""
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    for paragraphs in text_pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5.5, latin1(paragraph))
            pdf.ln(3)
    for scan in scans:
        pdf.add_page()
        buffer = io.BytesIO()
        scan.save(buffer, "PNG")
        pdf.image(buffer, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.output(str(path))
    return path


def pinboard_photo(cards: list[str], path: Path, *, seed: int, columns: int = 3) -> Path:
    """A phone photo of moderation cards pinned on a cork board (JPEG)."""
    pdf = FPDF(orientation="L", format="A3")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_fill_color(176, 138, 96)
    pdf.rect(0, 0, pdf.w, pdf.h, style="F")
    gap, height = 14, 62
    width = (pdf.w - 44 - (columns - 1) * gap) / columns
    pdf.set_font("Helvetica", style="B", size=min(26, width / 4.6))  # no word broken inside a card
    for i, card in enumerate(cards):
        x = 22 + (i % columns) * (width + gap)
        y = 24 + (i // columns) * (height + gap)
        pdf.set_fill_color(*CARD_COLOURS[i % len(CARD_COLOURS)])
        pdf.rect(x, y, width, height, style="F")
        pdf.set_xy(x + 6, y + 10)
        pdf.multi_cell(width - 12, pdf.font_size * 1.3, latin1(card), align="C")
    photo = _rasterise(bytes(pdf.output()), dpi=150, grey=False)
    rng = np.random.default_rng(seed)
    pixels = np.asarray(photo, dtype=np.float32)
    h, w = pixels.shape[:2]
    light = 0.65 + 0.35 * np.outer(np.linspace(1, 0.7, h), np.linspace(0.8, 1, w))  # lamp top left
    pixels = pixels * light[..., None] + rng.normal(0, 8, pixels.shape)
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    photo = photo.rotate(2.0, expand=True, fillcolor=(120, 95, 70), resample=Image.Resampling.BICUBIC)
    photo.filter(ImageFilter.GaussianBlur(0.7)).save(path, "JPEG", quality=72)
    return path


def word_accuracy(reference: str, recognised: str) -> float:
    """1 − word error rate, on words compared without punctuation and case."""
    return max(0.0, 1 - jiwer.wer(_words(reference), _words(recognised)))


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", latin1(text).replace("-\n", "").casefold()))


def _rasterise(pdf: bytes, *, dpi: int, grey: bool = True) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=dpi / 72, grayscale=grey).to_pil().convert("L" if grey else "RGB")
    finally:
        document.close()
