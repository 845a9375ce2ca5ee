"""HTML loader: trafilatura keeps the main content and drops navigation, banners and scripts."""

from __future__ import annotations

from pathlib import Path

from ingest.normalize import clean_text
from ingest.text import markdown_document, read_text
from kb.core.documents import LoadedDocument, Metadata
from kb.core.errors import IngestError


def load_html(path: Path) -> LoadedDocument:
    import trafilatura

    html = read_text(path)
    markdown = trafilatura.extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        favor_recall=True,
        deduplicate=False,
        with_metadata=False,
    )
    if not markdown or not markdown.strip():
        raise IngestError(path, "Die HTML-Seite enthält keinen erkennbaren Haupttext.")
    document = markdown_document(clean_text(markdown), "html")
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta else None) or document.metadata.title
    document.metadata = Metadata(title=title, source_url=meta.url if meta else None)
    document.created = meta.date if meta and meta.date else None
    return document
