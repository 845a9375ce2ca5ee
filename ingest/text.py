"""Markdown (markdown-it-py) and plain-text loaders."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.blocks import paragraphs_from_lines
from ingest.frontmatter import front_date, front_title, split_front_matter, strip_shortcodes
from ingest.normalize import clean_text
from kb.core.documents import Block, LoadedDocument, Metadata
from kb.core.errors import IngestError

_UNDERLINE = re.compile(r"^(=+|-+)\s*$")


def read_text(path: Path) -> str:
    """File contents as text: UTF-8 (with or without BOM), else Windows-1252; binary is refused."""
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise IngestError(path, "Die Datei enthält Binärdaten und ist keine Textdatei.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def load_markdown(path: Path) -> LoadedDocument:
    """Markdown; front matter gives title and date, shortcodes and HTML are dropped."""
    front, body = split_front_matter(read_text(path).replace("\r\n", "\n"))
    loaded = markdown_document(clean_text(strip_shortcodes(body)), "md")
    loaded.metadata.title = front_title(front) or loaded.metadata.title
    loaded.created = front_date(front)
    return loaded


def markdown_document(text: str, format: str) -> LoadedDocument:
    """Blocks from Markdown: headings with levels, paragraphs, list items, table rows."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[Block] = []
    heading_level = 0
    row: list[str] = []
    for token in tokens:
        if token.type == "heading_open":
            heading_level = int(token.tag[1])
        elif token.type == "heading_close":
            heading_level = 0
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and any(row):
            blocks.append(Block(" | ".join(cell for cell in row if cell), None))
        elif token.type == "inline":
            content = _inline_text(token)
            if not content:
                continue
            if token.map is not None and heading_level == 0 and _in_table(tokens, token):
                row.append(content)
            elif heading_level:
                blocks.append(Block(content, None, "heading", heading_level))
            else:
                blocks.append(Block(content, None))
        elif token.type in ("fence", "code_block") and token.content.strip():
            blocks.append(Block(token.content.strip(), None))
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return LoadedDocument(format=format, blocks=blocks, metadata=Metadata(title=title))


def _in_table(tokens: list, inline: object) -> bool:
    index = tokens.index(inline)
    return index > 0 and tokens[index - 1].type in ("th_open", "td_open")


def _inline_text(token: object) -> str:
    parts = []
    for child in token.children or []:  # type: ignore[attr-defined]
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return " ".join("".join(parts).split())


def load_text(path: Path) -> LoadedDocument:
    """Plain text: blank lines separate paragraphs; underlined or numbered short lines are headings."""
    lines = clean_text(read_text(path)).split("\n")
    blocks: list[Block] = []
    pending: list[str] = []
    underline = -1
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if i == underline:
            continue
        if line.strip() and _UNDERLINE.match(following) and len(line.split()) <= 12:
            underline = i + 1
            blocks.extend(Block(p, None) for p in paragraphs_from_lines(pending))
            pending = []
            blocks.append(Block(line.strip(), None, "heading", 1 if following.startswith("=") else 2))
            continue
        pending.append(line)
    blocks.extend(Block(p, None) for p in paragraphs_from_lines(pending))
    title = next((b.text for b in blocks), None)
    return LoadedDocument(
        format="txt", blocks=blocks, metadata=Metadata(title=title if title and len(title) <= 120 else None)
    )


def text_document(title: str, text: str) -> LoadedDocument:
    """A record without a file (e.g. an evaluation corpus entry): title as heading, then text."""
    blocks = [Block(title, None, "heading", 1)] if title.strip() else []
    blocks += [Block(p, None) for p in paragraphs_from_lines(clean_text(text).split("\n"))]
    return LoadedDocument(format="txt", blocks=blocks, metadata=Metadata(title=title or None))
