"""The JSON shapes of documents and passages, shared by the CLI's --json and the API."""

from __future__ import annotations

from kb.documents import DocumentRecord, Passage


def document_json(d: DocumentRecord) -> dict:
    m = d.metadata
    return {
        "id": d.id, "title": m.title, "file_name": d.file_name, "format": d.format,
        "county": m.county, "doc_type": m.doc_type, "year": m.year, "topics": m.topics,
        "source_url": m.source_url, "page_count": d.page_count,
        "pages_without_text": d.pages_without_text, "passages": d.passage_count,
        "status": d.status, "error": d.error, "content_hash": d.content_hash,
        "added_at": d.added_at, "updated_at": d.updated_at,
    }


def passage_json(p: Passage) -> dict:
    return {
        "id": p.id, "document_id": p.document_id, "ordinal": p.ordinal, "text": p.text,
        "page_start": p.page_start, "page_end": p.page_end, "heading_path": list(p.heading_path),
        "char_start": p.char_start, "char_end": p.char_end, "token_count": p.token_count,
    }
