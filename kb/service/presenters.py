"""The JSON shapes of documents and passages, shared by the CLI's --json and the API."""

from __future__ import annotations

import re

from kb.core.access import DEFAULT_VISIBILITY, LABELS
from kb.core.documents import DocumentRecord, Passage, SearchFilters
from kb.service.answering import NEXT_STEPS
from kb.service.duplicates import Copy
from kb.service.experience import CountyExperience
from kb.service.network import CountyProfile
from kb.service.place import Place
from kb.service.search import Answer, Hit, SearchResult

# What XML 1.0 cannot hold: control characters (a PDF's, a title's, a typed one) and non-characters
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def document_json(d: DocumentRecord) -> dict:
    m = d.metadata
    return {
        "id": d.id,
        "title": m.title,
        "file_name": d.file_name,
        "format": d.format,
        "county": m.county,
        "doc_type": m.doc_type,
        "year": m.year,
        "topics": m.topics,
        "source_url": m.source_url,
        "visibility": visibility_label(d),
        "page_count": d.page_count,
        "pages_without_text": d.pages_without_text,
        "ocr_pages": d.ocr_pages,
        "passages": d.passage_count,
        "status": d.status,
        "error": d.error,
        "content_hash": d.content_hash,
        "added_at": d.added_at,
        "updated_at": d.updated_at,
    }


def visibility_label(d: DocumentRecord) -> str:
    """ "öffentlich", "Netzwerk" or "Kreis-intern": who may see the document."""
    return LABELS[d.metadata.visibility or DEFAULT_VISIBILITY]


def passage_json(p: Passage) -> dict:
    return {
        "id": p.id,
        "document_id": p.document_id,
        "ordinal": p.ordinal,
        "text": p.text,
        "page_start": p.page_start,
        "page_end": p.page_end,
        "heading_path": list(p.heading_path),
        "char_start": p.char_start,
        "char_end": p.char_end,
        "token_count": p.token_count,
        "ocr_confidence": p.ocr_confidence,
    }


def passages_json(passages: list[Passage], copies: dict[int, list[Copy]], document: DocumentRecord) -> list[dict]:
    """A document's passages, each with the places it stands in nearly word for word."""
    return [passage_json(p) | {"near_duplicates": copies_json(copies.get(p.id, []), document)} for p in passages]


def place_json(place: Place) -> dict:
    """Where a passage stands in its original: pages and highlight rectangles (PDF; fractions of
    the page from its top left corner)."""
    p, d = place.passage, place.document
    return {
        "passage_id": p.id,
        "document_id": d.id,
        "format": d.format,
        "page_start": p.page_start,
        "page_end": p.page_end,
        "pages": place.pages,
        "boxes": [
            {"page": b.page, "left": b.left, "top": b.top, "width": b.width, "height": b.height} for b in place.boxes
        ],
        "citation": citation(d, p.page_start, p.page_end),
    }


def citation(document: DocumentRecord, page_start: int | None, page_end: int | None = None) -> str:
    """ "Landkreis X · Klimaschutzkonzept 2021 · S. 34" – how a passage is cited."""
    m = document.metadata
    kind = " ".join(str(part) for part in (m.doc_type, m.year) if part)
    parts = [m.county, kind or None, m.title if not kind else None]
    if page_start is not None:
        pages = f"{page_start}–{page_end}" if page_end and page_end != page_start else str(page_start)
        parts.append(f"{'Folie' if document.format == 'pptx' else 'S.'} {pages}")
    return " · ".join(p for p in parts if p)


def hit_json(hit: Hit) -> dict:
    p, d = hit.passage, hit.document
    return {
        "passage_id": p.id,
        "document_id": d.id,
        "title": d.metadata.title,
        "file_name": d.file_name,
        "format": d.format,
        "county": d.metadata.county,
        "doc_type": d.metadata.doc_type,
        "year": d.metadata.year,
        "topics": d.metadata.topics,
        "visibility": visibility_label(d),
        "page": p.page_start,
        "page_end": p.page_end,
        "heading": list(p.heading_path),
        "text": p.text,
        "ocr_confidence": p.ocr_confidence,
        "highlights": [list(span) for span in hit.highlights],
        "score": round(hit.score, 6),
        "relevance": None if hit.relevance is None else round(hit.relevance, 4),
        "ranks": {"dense": hit.dense_rank, "keyword": hit.keyword_rank},
        "citation": citation(d, p.page_start, p.page_end),
        "near_duplicates": copies_json(hit.near_duplicates, d),
    }


def copies_json(copies: list[Copy], shown: DocumentRecord) -> list[dict]:
    return [
        {
            "passage_id": c.passage.id,
            "document_id": c.document.id,
            "title": c.document.metadata.title,
            "county": c.document.metadata.county,
            "page": c.passage.page_start,
            "label": label,
        }
        for c, label in zip(copies, copy_labels(copies, shown), strict=True)
    ]


def copy_labels(copies: list[Copy], shown: DocumentRecord) -> list[str]:
    """ "Landkreis A (S. 12)": where else the passage shown from ``shown`` stands.

    The county names the place; where that does not tell the places apart (the shown document's
    own county, as for the same file uploaded again, or two copies in one county) the file name
    follows it.
    """
    counties = [c.document.metadata.county for c in copies if c.document.id != shown.id]
    labels = []
    for copy in copies:
        d, page = copy.document, copy.passage.page_start
        county = d.metadata.county
        if d.id == shown.id:
            place = "dieses Dokument"
        elif not county:
            place = d.file_name
        elif county == shown.metadata.county or counties.count(county) > 1:
            place = f"{county} · {d.file_name}"
        else:
            place = county
        labels.append(place if page is None else f"{place} ({'Folie' if d.format == 'pptx' else 'S.'} {page})")
    return labels


def xml_text(text: str) -> str:
    """``text`` without the characters XML cannot hold, for Word files and feeds (python-docx
    refuses them, a feed reader refuses the whole feed)."""
    return _NOT_XML.sub("", text)


def filters_json(filters: SearchFilters) -> dict:
    return {
        "county": list(filters.counties),
        "type": list(filters.doc_types),
        "topic": list(filters.topics),
        "year_from": filters.year_from,
        "year_to": filters.year_to,
        "document": list(filters.document_ids),
    }


def filters_text(filters: SearchFilters) -> str:
    """The filters as a person reads them: "Landkreis X · Leitfaden · Mobilität · 2020–2024"."""
    years = ""
    if filters.year_from or filters.year_to:
        years = f"{filters.year_from or ''}–{filters.year_to or ''}"
    return " · ".join([*filters.counties, *filters.doc_types, *filters.topics, *([years] if years else [])])


def search_json(result: SearchResult, offset: int = 0) -> dict:
    return {
        "query": result.query,
        "mode": result.mode,
        "filters": filters_json(result.filters),
        "offset": offset,
        "candidates": result.candidates,
        "matching": result.matching,
        "hits": [hit_json(hit) for hit in result.hits],
    }


def answer_json(answer: Answer) -> dict:
    documents: dict[int, dict] = {}
    for hit in answer.hits:
        entry = documents.setdefault(
            hit.document.id,
            {
                "document_id": hit.document.id,
                "title": hit.document.metadata.title,
                "county": hit.document.metadata.county,
                "doc_type": hit.document.metadata.doc_type,
                "year": hit.document.metadata.year,
                "passages": [],
            },
        )
        entry["passages"].append(hit_json(hit))
    by_id = {hit.passage.id: hit for hit in answer.hits}
    return {
        "query": answer.query,
        "filters": filters_json(answer.filters),
        "answered": answer.answered,
        "reason": answer.reason,
        "next_steps": [] if answer.answered else list(NEXT_STEPS),
        "answer": [
            {
                "text": s.text,
                "score": round(s.score, 6),
                "passage_id": s.passage_id,
                "document_id": s.document_id,
                "page": s.page,
                "citation": citation(by_id[s.passage_id].document, s.page),
            }
            for s in answer.sentences
        ],
        "documents": list(documents.values()),
    }


def county_json(profile: CountyProfile) -> dict:
    """A county page for the API: contacts are for signed-in members of the pages only."""
    return {
        "county": profile.county,
        "role": profile.role,
        "topics": [{"topic": topic, "documents": count} for topic, count in profile.topics],
        "documents": [document_json(d) for d in profile.documents],
    }


def experience_json(query: str, topic: str | None, counties: list[CountyExperience]) -> dict:
    """Wer hat damit Erfahrung, for the API (contacts are for signed-in members of the pages only)."""
    return {
        "query": query,
        "topic": topic,
        "counties": [
            {
                "county": c.county,
                "role": c.role,
                "passages": c.passages,
                "documents": c.documents,
                "best": [hit_json(hit) for hit in c.best],
            }
            for c in counties
        ],
    }
