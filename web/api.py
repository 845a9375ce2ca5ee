"""The versioned JSON API for the network's portal: ``/api/v1``.

Reads need a key with scope ``read`` (or none, if ``KB_PUBLIC_READ`` allows), writes a key with
scope ``write``; keys come as ``Authorization: Bearer …``. What a request sees is what its key
may see (anonymous: public documents); a hidden document is a 404 like a missing one. Every
error is ``{"error": {"code", "message"}}`` with a fitting status.
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from kb.core.errors import DocumentNotFound, Forbidden, InvalidQuery, KbError, PassageNotFound, UploadRefused
from kb.core.vocabulary import canonical_topic, metadata_from
from kb.service.briefing import briefing_docx
from kb.service.gaps import HELPFUL, UNANSWERED, UNHELPFUL
from kb.service.merkliste import MAX_ENTRIES
from kb.service.presenters import (
    answer_json,
    citation,
    copies_json,
    county_json,
    document_json,
    experience_json,
    hit_json,
    passage_json,
    passages_json,
    place_json,
    search_json,
)
from kb.service.uploads import stage_all
from kb.service.writer import DONE, FAILED, Job
from web.context import server
from web.highlight import with_html_highlight
from web.identity import INVALID, bearer_key, viewer
from web.merkliste import DOCX_TYPE, MAX_TITLE, passage_link
from web.openapi import openapi_document
from web.params import MAX_INTEGER, integer, search_filters, search_request

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_WAIT_SECONDS = 60  # metadata edits and deletions: how long a request waits for the writer
_FORM_OVERHEAD = 1_000_000  # multipart boundaries and metadata fields beside the file


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    response = jsonify({"error": {"code": code, "message": message}})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kreiswissen"'
    return response, status


@bp.before_request
def _one_file_per_request() -> None:
    # API uploads carry one file: refuse anything larger from its Content-Length, unread
    request.max_content_length = server().config.max_upload_mb * 1_000_000 + _FORM_OVERHEAD


@bp.errorhandler(KbError)
def _kb_error(error: KbError) -> ResponseReturnValue:
    if isinstance(error, DocumentNotFound | PassageNotFound):
        return error_response(404, "not_found", str(error))
    if isinstance(error, InvalidQuery):
        return error_response(400, "invalid_parameter", str(error))
    if isinstance(error, Forbidden):
        return error_response(403, "forbidden", str(error))
    return error_response(422, "unprocessable", str(error))


@bp.errorhandler(UploadRefused)
def _upload_refused(error: UploadRefused) -> ResponseReturnValue:
    status = {"too_large": 413, "unsupported_media_type": 415, "insufficient_storage": 507}.get(error.code, 422)
    return error_response(status, error.code, error.message)


def require(scope: str) -> Callable:
    """Check the bearer key for ``scope``; anonymous reads pass when the config allows them."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def checked(*args: object, **kwargs: object) -> object:
            key = bearer_key()
            if key is None:
                if scope == "read" and server().config.public_read:
                    return view(*args, **kwargs)
                return error_response(401, "unauthorized", "API-Schlüssel fehlt (Authorization: Bearer …).")
            if key == INVALID:
                return error_response(401, "unauthorized", "API-Schlüssel ungültig oder widerrufen.")
            if not key.allows(scope):
                return error_response(403, "forbidden", f"Dieser Schlüssel hat nur Scope {key.scope}.")
            return view(*args, **kwargs)

        return checked

    return decorate


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/health")
def health() -> Response:
    with server().reading(viewer()) as kb:
        documents, passages = kb.counts()
    return jsonify({"status": "ok", "documents": documents, "passages": passages})


@bp.get("/search")
@require("read")
def search() -> Response:
    wanted = search_request(request.args)
    with server().reading(viewer()) as kb:
        result = kb.search(
            wanted.query, mode=wanted.mode, limit=wanted.limit, offset=wanted.offset, filters=wanted.filters
        )
    data = search_json(result, wanted.offset)
    data["hits"] = [with_html_highlight(hit) for hit in data["hits"]]
    return jsonify(data)


@bp.get("/answer")
@require("read")
def answer() -> Response:
    wanted = search_request(request.args, default_limit=5)
    with server().reading(viewer()) as kb:
        found = kb.answer(wanted.query, limit=wanted.limit, filters=wanted.filters)
    if not found.answered:
        server().note(UNANSWERED, wanted.query, wanted.filters, None)
    data = answer_json(found)
    for document in data["documents"]:
        document["passages"] = [with_html_highlight(hit) for hit in document["passages"]]
    return jsonify(data)


@bp.post("/briefing")
@require("read")
def briefing() -> Response:
    """The passages named in the body as a Word file, each quoted with its citation and link."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise UploadRefused("unsupported_media_type", "Erwartet wird ein JSON-Objekt (Content-Type: application/json).")
    ids, title = body.get("passage_ids"), body.get("title") or ""
    if not isinstance(ids, list) or not ids or not all(type(i) is int and 0 < i <= MAX_INTEGER for i in ids):
        raise InvalidQuery("'passage_ids' muss eine Liste von Passagennummern sein, z. B. [12, 40].")
    if len(ids) > MAX_ENTRIES or not isinstance(title, str) or len(title) > MAX_TITLE:
        raise InvalidQuery(f"Höchstens {MAX_ENTRIES} Passagen und ein Titel von höchstens {MAX_TITLE} Zeichen.")
    with server().reading(viewer()) as kb:
        quotes = kb.quotes(list(dict.fromkeys(ids)))
    document = briefing_docx(quotes, passage_link, title=title.strip())
    return send_file(io.BytesIO(document), mimetype=DOCX_TYPE, as_attachment=True, download_name="briefing.docx")


@bp.get("/experience")
@require("read")
def experience() -> Response:
    query = request.args.get("q", "").strip()
    given = request.args.get("topic", "").strip()
    topic = canonical_topic(given) if given else None
    if given and topic is None:
        raise InvalidQuery(f"Unbekanntes Handlungsfeld {given!r}.")
    if not query and not topic:
        raise InvalidQuery("Bitte 'q' (eine Frage) oder 'topic' (ein Handlungsfeld) angeben.")
    filters = dataclasses.replace(search_filters(request.args), topics=())
    data = experience_json(query, topic, server().experience(viewer(), query, topic, filters))
    for county in data["counties"]:
        county["best"] = [with_html_highlight(hit) for hit in county["best"]]
    return jsonify(data)


@bp.get("/counties/<county>")
@require("read")
def county(county: str) -> Response:
    try:
        profile = server().county_profile(viewer(), county)
    except KbError:
        return error_response(404, "not_found", "Diesen Landkreis kennt Kreiswissen nicht.")
    return jsonify(county_json(profile))


@bp.post("/feedback")
@require("read")
def feedback() -> tuple[str, int]:
    """The portal's „hilfreich / nicht hilfreich“: the question and its filters count, nothing else."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise UploadRefused("unsupported_media_type", "Erwartet wird ein JSON-Objekt (Content-Type: application/json).")
    query, helpful = body.get("q"), body.get("helpful")
    if not isinstance(query, str) or not query.strip() or not isinstance(helpful, bool):
        raise InvalidQuery("Erwartet: 'q' (die Frage) und 'helpful' (true oder false).")
    filters = search_filters(MultiDict(_filter_items(body)))
    server().note(HELPFUL if helpful else UNHELPFUL, query, filters, None)
    return "", 204


def _filter_items(body: dict) -> list[tuple[str, str]]:
    """The search filters of a JSON body, named as in the query string: county, type, topic (each a
    string or a list), year_from, year_to."""
    items = []
    for name in ("county", "type", "topic", "year_from", "year_to"):
        given = body.get(name)
        for value in given if isinstance(given, list) else [] if given is None else [given]:
            items.append((name, str(value)))
    return items


@bp.get("/facets")
@require("read")
def facets() -> Response:
    filters = search_filters(request.args)
    with server().reading(viewer()) as kb:
        counted = kb.facets(filters)
    return jsonify({name: [{"value": v, "count": n} for v, n in values] for name, values in counted.items()})


@bp.get("/passages/<id:passage_id>")
@require("read")
def passage(passage_id: int) -> Response:
    with server().reading(viewer()) as kb:
        found, document = kb.passage(passage_id)
        copies = kb.copies(document.id).get(passage_id, [])
    return jsonify(
        passage_json(found)
        | {
            "document": document_json(document),
            "citation": citation(document, found.page_start, found.page_end),
            "near_duplicates": copies_json(copies, document),
        }
    )


@bp.get("/passages/<id:passage_id>/location")
@require("read")
def location(passage_id: int) -> Response:
    """Where the passage stands in its original: the rectangles a viewer highlights, and the
    address of the page that shows it there (PDF viewer or marked text)."""
    with server().reading(viewer()) as kb:
        place = kb.place(passage_id)
    data = place_json(place)
    data["viewer"] = url_for("ui.in_document", passage_id=passage_id, _external=True)
    data["original"] = url_for("api.original", document_id=place.document.id, _external=True)
    return jsonify(data)


@bp.get("/passages/<id:passage_id>/similar")
@require("read")
def similar(passage_id: int) -> Response:
    limit = integer(request.args, "limit", 5)
    if not 1 <= limit <= 50:
        raise InvalidQuery(f"limit muss zwischen 1 und 50 liegen, nicht {limit}.")
    with server().reading(viewer()) as kb:
        hits = kb.similar(passage_id, limit=limit, filters=search_filters(request.args))
    return jsonify({"passage_id": passage_id, "hits": [with_html_highlight(hit_json(hit)) for hit in hits]})


@bp.get("/documents")
@require("read")
def documents() -> Response:
    limit, offset = integer(request.args, "limit", 50), integer(request.args, "offset", 0)
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidQuery("limit muss zwischen 1 und 500 liegen und offset darf nicht negativ sein.")
    status = request.args.get("status")
    if status not in (None, "ready", "pending", "failed"):
        raise InvalidQuery(f"Unbekannter Status {status!r}; möglich: ready, pending, failed.")
    with server().reading(viewer()) as kb:
        found = kb.documents(status)
    return jsonify(
        {"total": len(found), "offset": offset, "documents": [document_json(d) for d in found[offset : offset + limit]]}
    )


@bp.get("/documents/<id:document_id>")
@require("read")
def document(document_id: int) -> Response:
    with server().reading(viewer()) as kb:
        record = kb.document(document_id)
        data = document_json(record)
        if request.args.get("passages") in ("1", "true"):
            data["passage_list"] = passages_json(kb.passages(document_id), kb.copies(document_id), record)
    return jsonify(data)


@bp.get("/documents/<id:document_id>/original")
@require("read")
def original(document_id: int) -> Response:
    with server().reading(viewer()) as kb:
        record = kb.document(document_id)
        path = kb.original(record)
    if path is None:
        raise DocumentNotFound(f"Das Original von Dokument {document_id} ist nicht gespeichert.")
    return send_file(path, download_name=record.file_name, as_attachment=False)


@bp.post("/documents")
@require("write")
def upload() -> tuple[Response, int, dict]:
    files = request.files.getlist("file")
    if not files:
        raise UploadRefused("unprocessable", "Kein Dokument im Feld 'file' (multipart/form-data).")
    with server().reading(viewer()) as kb:
        metadata = kb.placed(metadata_from(request.form, source="Metadaten"))
    return _accepted(server().writer.add(_stage(files), metadata, viewer()))


@bp.put("/documents/<id:document_id>/file")
@require("write")
def replace(document_id: int) -> tuple[Response, int, dict]:
    with server().reading(viewer()) as kb:
        record = kb.changeable(document_id)
        metadata = kb.placed(metadata_from(request.form, source="Metadaten").merged_over(record.metadata))
    file = request.files.get("file")
    if file is None:
        raise UploadRefused("unprocessable", "Kein Dokument im Feld 'file' (multipart/form-data).")
    [staged] = _stage([file])
    return _accepted(server().writer.replace(record, staged, metadata, viewer()))


@bp.patch("/documents/<id:document_id>")
@require("write")
def update(document_id: int) -> Response | tuple[Response, int, dict]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise UploadRefused("unsupported_media_type", "Erwartet wird ein JSON-Objekt (Content-Type: application/json).")
    given = metadata_from({k: v for k, v in body.items() if v is not None}, source="Metadaten", strict=True)
    with server().reading(viewer()) as kb:
        metadata = kb.placed(given.merged_over(kb.changeable(document_id).metadata))
    job = _settled(server().writer.update(document_id, metadata, viewer()))
    if job.status != DONE:
        return _accepted(job)
    with server().reading(viewer()) as kb:
        return jsonify(document_json(kb.document(document_id)))


@bp.delete("/documents/<id:document_id>")
@require("write")
def delete(document_id: int) -> tuple[str | Response, int] | tuple[Response, int, dict]:
    with server().reading(viewer()) as kb:
        kb.changeable(document_id)
    job = _settled(server().writer.delete(document_id, viewer()))
    if job.status != DONE:
        return _accepted(job)
    return "", 204


@bp.get("/jobs/<id:job_id>")
@require("write")
def job(job_id: int) -> Response:
    found = server().writer.get(job_id, viewer())
    if found is None:
        return error_response(404, "not_found", f"Auftrag {job_id} gibt es nicht.")
    return jsonify(found.as_json())


def _stage(files: list) -> list:
    config = server().config
    return stage_all([(f.stream, f.filename) for f in files], config.uploads_dir, config.max_upload_mb * 1_000_000)


def _accepted(job: Job) -> tuple[Response, int, dict]:
    """202 with the job: it is queued or running (or finished, for uploads the client polls)."""
    return jsonify(job.as_json()), 202, {"Location": url_for("api.job", job_id=job.id)}


def _settled(job: Job) -> Job:
    """Wait for an edit or deletion; a failure is the client's error, a slow writer a 202."""
    job = server().writer.settle(job, _WAIT_SECONDS)
    if job.status == FAILED:
        raise KbError(job.error or "Die Änderung ist fehlgeschlagen.")
    return job
