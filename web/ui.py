"""The German search pages for county officers: search, answer, facets, documents, browsing.

Every page shows what the visitor may see: anonymous visitors public documents, signed-in members
network material and their county's internal documents.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from kb.core.documents import DocumentRecord, SearchFilters
from kb.core.errors import InvalidQuery, KbError, PassageNotFound
from kb.core.vocabulary import DOC_TYPES, TOPICS, canonical_topic
from kb.service.gaps import UNANSWERED
from kb.service.presenters import citation, copy_labels, filters_text, place_json, visibility_label
from kb.service.visible import VisibleKnowledge
from web.context import document_or_404, server
from web.identity import account, viewer
from web.params import search_filters, search_request

bp = Blueprint("ui", __name__)

MESSAGES = {
    400: "Die Anfrage war fehlerhaft.",
    403: "Dafür fehlt die Berechtigung.",
    404: "Diese Seite gibt es nicht. Vielleicht hilft die Suche weiter.",
    405: "Diese Aktion ist hier nicht möglich.",
    413: "Die Datei ist zu groß.",
    429: "Zu viele Versuche in kurzer Zeit. Bitte warten Sie eine Minute.",
    500: "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
}
_QUESTION = re.compile(r"\?\s*$|^(wie|was|wer|wo|wann|warum|weshalb|welche[rsmn]?|womit|wozu|gibt es)\b", re.I)
MODES = {"hybrid": "Kombiniert (empfohlen)", "keyword": "Stichwörter", "dense": "Bedeutung"}
PAGE_SIZE = 10


def is_question(query: str) -> bool:
    return bool(_QUESTION.search(query.strip()))


def original_link(document: DocumentRecord, page: int | None) -> str:
    """Link to the original file, opened at ``page`` for PDFs (#page=N)."""
    url = url_for("ui.original", document_id=document.id)
    return f"{url}#page={page}" if page and document.format == "pdf" else url


def place_link(document: DocumentRecord, passage_id: int) -> str:
    """„Im Dokument zeigen“: the PDF viewer at the passage, or the text view scrolled to it."""
    url = url_for("ui.in_document", passage_id=passage_id)
    return url if document.format == "pdf" else f"{url}#stelle"


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "citation": citation,
        "copy_labels": copy_labels,
        "original_link": original_link,
        "filters_text": filters_text,
        "place_link": place_link,
        "visibility_label": visibility_label,
        "MODES": MODES,
    }


@bp.get("/")
def search() -> ResponseReturnValue:
    args = request.args
    query = args.get("q", "").strip()
    if not query:
        member = account()
        news = server().news(member) if member else []
        with server().reading(viewer()) as kb:
            facets = kb.facets()
        return render_template("search.html", query="", facets=facets, args=args, result=None, answer=None, news=news)
    with server().reading(viewer()) as kb:
        wanted = None
        facets = kb.facets()
        try:
            wanted = search_request(args, default_limit=PAGE_SIZE)
            result = kb.search(
                wanted.query, mode=wanted.mode, limit=PAGE_SIZE, offset=wanted.offset, filters=wanted.filters
            )
            answer = None
            if is_question(query) and wanted.offset == 0:
                answer = kb.answer(wanted.query, filters=wanted.filters, limit=5)
            if wanted.offset == 0 and not result.matching:  # nothing clears the relevance floor
                server().note(UNANSWERED, wanted.query, wanted.filters, account())
            facets = facet_counts(kb, wanted.filters)
        except InvalidQuery as error:
            return render_template(
                "search.html", query=query, facets=facets, args=args, result=None, answer=None, problem=str(error)
            ), 400
        except KbError as error:
            return render_template(
                "search.html", query=query, facets=facets, args=args, result=None, answer=None, problem=str(error)
            )
    return render_template(
        "search.html",
        query=query,
        facets=facets,
        args=args,
        result=result,
        answer=answer,
        offset=wanted.offset,
        page_size=PAGE_SIZE,
        page_url=lambda offset: url_for("ui.search", **_with(args, offset=offset)),
    )


def facet_counts(kb: VisibleKnowledge, filters: SearchFilters) -> dict[str, list[tuple[str, int]]]:
    """Counts per facet under the other facets' filters, so choosing one county still offers the rest."""
    without_own = {
        "county": {"counties": ()},
        "doc_type": {"doc_types": ()},
        "topic": {"topics": ()},
        "year": {"year_from": None, "year_to": None},
    }
    return {name: kb.facets(dataclasses.replace(filters, **cleared))[name] for name, cleared in without_own.items()}


def _with(args: MultiDict, **changes: object) -> dict:
    merged = {key: args.getlist(key) for key in args}
    merged.update({key: [str(value)] for key, value in changes.items()})
    return merged


@bp.get("/passage/<id:passage_id>")
def passage(passage_id: int) -> ResponseReturnValue:
    with server().reading(viewer()) as kb:
        try:
            found, document = kb.passage(passage_id)
            similar = kb.similar(passage_id, limit=5)
            copies = kb.copies(document.id).get(passage_id)
        except PassageNotFound:
            abort(404)
    return render_template("passage.html", passage=found, document=document, similar=similar, copies=copies)


@bp.get("/passage/<id:passage_id>/im-dokument")
def in_document(passage_id: int) -> ResponseReturnValue:
    """The passage in its place: a PDF at its page(s) with the passage highlighted, any other
    format (or a PDF with ``?ansicht=text``) as the document's text with the passage marked."""
    as_text = request.args.get("ansicht") == "text"
    with server().reading(viewer()) as kb:
        try:
            place = kb.place(passage_id)
            stretches = kb.reading_view(passage_id) if as_text or place.document.format != "pdf" else None
        except PassageNotFound:
            abort(404)
    if stretches is not None:
        return render_template("place_text.html", place=place, stretches=stretches)
    boxes = json.dumps(place_json(place)["boxes"])
    return render_template("place_pdf.html", place=place, boxes=boxes, pdfjs=pdf_viewer_installed())


def pdf_viewer_installed() -> bool:
    """Whether pdf.js was vendored into static/pdfjs/ (``make install``; never loaded from a CDN)."""
    folder = Path(current_app.static_folder or "") / "pdfjs"
    return all((folder / name).is_file() for name in ("pdf.min.mjs", "pdf.worker.min.mjs"))


@bp.get("/dokumente")
def documents() -> ResponseReturnValue:
    county, topic, doc_type = (request.args.get(k, "").strip() for k in ("county", "topic", "type"))
    with server().reading(viewer()) as kb:
        found = [
            d
            for d in kb.documents("ready")
            if (not county or (d.metadata.county or "").lower() == county.lower())
            and (not topic or topic.lower() in (t.lower() for t in d.metadata.topics))
            and (not doc_type or (d.metadata.doc_type or "").lower() == doc_type.lower())
        ]
        facets = kb.facets()
    return render_template(
        "documents.html", documents=found, facets=facets, county=county, topic=topic, doc_type=doc_type
    )


@bp.get("/dokumente/<id:document_id>")
def document(document_id: int) -> ResponseReturnValue:
    record = document_or_404(document_id)
    with server().reading(viewer()) as kb:
        passages = kb.passages(document_id)
        copies = kb.copies(document_id)
    return render_template("document.html", document=record, passages=passages, copies=copies)


@bp.get("/dokumente/<id:document_id>/original")
def original(document_id: int) -> ResponseReturnValue:
    record = document_or_404(document_id)
    with server().reading(viewer()) as kb:
        path = kb.original(record)
    if path is None:
        abort(404)
    return send_file(path, download_name=record.file_name)


@bp.get("/erfahrung")
def experience() -> ResponseReturnValue:
    """Wer hat damit Erfahrung? Counties ranked by their material on a question or a topic."""
    query = request.args.get("q", "").strip()
    topic = canonical_topic(request.args.get("topic", "")) or None
    counties, problem = [], None
    if query or topic:
        try:
            filters = dataclasses.replace(search_filters(request.args), topics=())
            counties = server().experience(viewer(), query, topic, filters)
        except KbError as error:
            problem = str(error)
    return render_template(
        "experience.html", query=query, topic=topic, counties=counties, problem=problem, signed_in=viewer().is_member
    ), (400 if problem else 200)


@bp.get("/landkreise/<county>")
def county(county: str) -> ResponseReturnValue:
    try:
        profile = server().county_profile(viewer(), county)
    except KbError:
        abort(404)
    return render_template("county.html", profile=profile, signed_in=viewer().is_member)


@bp.get("/hilfe")
def help_page() -> ResponseReturnValue:
    return render_template("help.html", doc_types=DOC_TYPES, topics=TOPICS)
