"""The OpenAPI 3.1 description of ``/api/v1``; tests check it against the implementation."""

from __future__ import annotations

from kb.core.access import LABELS, LEVELS
from kb.core.vocabulary import DOC_TYPES, NETWORK_ROLES, TOPICS

_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}
_OCR_CONFIDENCE = {
    "type": ["number", "null"],
    "minimum": 0,
    "maximum": 100,
    "description": "Set when the text was read by OCR: Tesseract's mean word confidence (0–100); null otherwise",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _json_body(properties: dict, *required: str) -> dict:
    """A required JSON object body with these properties."""
    schema = {"type": "object", "required": list(required), "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _object(properties: dict) -> dict:
    """An object in a response, every property present."""
    return {"type": "object", "required": list(properties), "properties": properties}


def _errors(*statuses: int) -> dict:
    texts = {
        400: "Ungültiger Parameter",
        401: "API-Schlüssel fehlt oder ist ungültig",
        403: "Schlüssel ohne Schreibrecht oder Dokument eines anderen Landkreises",
        404: "Nicht gefunden",
        405: "Methode nicht erlaubt",
        413: "Datei zu groß",
        415: "Dateityp nicht unterstützt",
        422: "Nicht verarbeitbar",
        429: "Zu viele Anfragen",
        507: "Kein Speicherplatz mehr im Datenverzeichnis",
    }
    return {str(s): _json(_ref("Error"), texts[s]) for s in statuses}


def _query(name: str, schema: dict, description: str, *, required: bool = False, array: bool = False) -> dict:
    parameter = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    if array:
        parameter |= {"schema": {"type": "array", "items": schema}, "style": "form", "explode": True}
    return parameter


_FILTERS = [
    _query("county", {"type": "string"}, "Landkreis (mehrfach möglich)", array=True),
    _query("type", {"type": "string", "enum": list(DOC_TYPES)}, "Dokumenttyp (mehrfach möglich)", array=True),
    _query("topic", {"type": "string", "enum": list(TOPICS)}, "Handlungsfeld (mehrfach möglich)", array=True),
    _query("year_from", {"type": "integer", "minimum": 1900, "maximum": 2100}, "Jahr ab"),
    _query("year_to", {"type": "integer", "minimum": 1900, "maximum": 2100}, "Jahr bis"),
    _query("document", {"type": "integer", "minimum": 1}, "Nur in diesen Dokumenten", array=True),
]
_Q = _query("q", {"type": "string", "minLength": 1, "maxLength": 2000}, "Stichwörter oder Frage", required=True)
_READ = [{"bearer": []}, {}]
_MULTIPART_UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": _ref("Upload")}}}
_WRITE = [{"bearer": []}]
_PATH_ID = {"in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}

# what a document and each search hit say about the document
_DOCUMENT_FIELDS = {
    "title": _NULLABLE_STRING,
    "file_name": {"type": "string"},
    "format": {"type": "string"},
    "county": _NULLABLE_STRING,
    "doc_type": _NULLABLE_STRING,
    "year": _NULLABLE_INT,
    "topics": {"type": "array", "items": {"type": "string"}},
    "visibility": {
        "type": "string",
        "enum": list(LABELS.values()),
        "description": "Who sees the document: öffentlich (anyone), Netzwerk (members of every county), "
        "Kreis-intern (members of its county)",
    },
}
# what a client may send: the German names or the ASCII aliases, in any case
_VISIBILITY_INPUT = {
    "type": "string",
    "enum": [*LABELS.values(), *LEVELS, *(label.lower() for label in LABELS.values() if label != label.lower())],
    "description": "öffentlich|Netzwerk|Kreis-intern (or public|network|county); default Netzwerk",
}

_SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Document": {
        "type": "object",
        "required": [
            "id",
            "title",
            "file_name",
            "format",
            "county",
            "doc_type",
            "year",
            "topics",
            "visibility",
            "status",
        ],
        "properties": {
            "id": {"type": "integer"},
            **_DOCUMENT_FIELDS,
            "source_url": _NULLABLE_STRING,
            "page_count": _NULLABLE_INT,
            "pages_without_text": {"type": "array", "items": {"type": "integer"}},
            "ocr_pages": {"type": "array", "items": {"type": "integer"}, "description": "Pages read by OCR"},
            "passages": {"type": "integer"},
            "status": {"type": "string", "enum": ["pending", "ready", "failed"]},
            "error": _NULLABLE_STRING,
            "content_hash": {"type": "string"},
            "added_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "passage_list": {"type": "array", "items": _ref("Passage")},
        },
    },
    "Passage": {
        "type": "object",
        "required": ["id", "document_id", "text", "page_start", "page_end", "heading_path"],
        "properties": {
            "id": {"type": "integer"},
            "document_id": {"type": "integer"},
            "ordinal": {"type": "integer"},
            "text": {"type": "string"},
            "page_start": _NULLABLE_INT,
            "page_end": _NULLABLE_INT,
            "heading_path": {"type": "array", "items": {"type": "string"}},
            "char_start": {"type": "integer"},
            "char_end": {"type": "integer"},
            "token_count": {"type": "integer"},
            "ocr_confidence": _OCR_CONFIDENCE,
            "document": _ref("Document"),
            "citation": {"type": "string"},
            "near_duplicates": {
                "type": "array",
                "description": "The same passage in other places the caller may see (as for a search hit)",
                "items": _ref("NearDuplicate"),
            },
        },
    },
    "Location": {
        "type": "object",
        "required": ["passage_id", "document_id", "format", "pages", "boxes", "viewer", "original", "citation"],
        "properties": {
            "passage_id": {"type": "integer"},
            "document_id": {"type": "integer"},
            "format": {"type": "string"},
            "page_start": _NULLABLE_INT,
            "page_end": _NULLABLE_INT,
            "pages": {"type": "array", "items": {"type": "integer"}},
            "boxes": {
                "type": "array",
                "description": "Rectangles over the passage's lines, in fractions of the page from its top left "
                "corner; empty for formats without pages or where the text layer does not hold the passage",
                "items": {
                    "type": "object",
                    "required": ["page", "left", "top", "width", "height"],
                    "properties": {
                        "page": {"type": "integer", "minimum": 1},
                        "left": {"type": "number"},
                        "top": {"type": "number"},
                        "width": {"type": "number"},
                        "height": {"type": "number"},
                    },
                },
            },
            "viewer": {"type": "string", "description": "The page showing the passage in its place"},
            "original": {"type": "string"},
            "citation": {"type": "string"},
        },
    },
    "Hit": {
        "type": "object",
        "required": [
            "passage_id",
            "document_id",
            "text",
            "highlight",
            "highlights",
            "score",
            "relevance",
            "ranks",
            "citation",
            "page",
            "near_duplicates",
        ],
        "properties": {
            "passage_id": {"type": "integer"},
            "document_id": {"type": "integer"},
            **_DOCUMENT_FIELDS,
            "page": _NULLABLE_INT,
            "page_end": _NULLABLE_INT,
            "heading": {"type": "array", "items": {"type": "string"}},
            "text": {"type": "string"},
            "ocr_confidence": _OCR_CONFIDENCE,
            "highlight": {"type": "string", "description": "HTML: escaped text with <mark> around matches"},
            "highlights": {
                "type": "array",
                "description": "Matching terms as [start, end] character offsets into text",
                "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
            },
            "score": {"type": "number", "description": "Fused score that orders the list"},
            "relevance": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "Calibrated probability that the passage is relevant, comparable across queries; "
                "hits below the relevance floor are 'weniger passend' and never quoted; null for similar passages",
            },
            "ranks": {
                "type": "object",
                "properties": {"dense": _NULLABLE_INT, "keyword": _NULLABLE_INT},
            },
            "citation": {"type": "string"},
            "near_duplicates": {
                "type": "array",
                "description": (
                    "The same passage (near-identical text: copied chapters, boilerplate, the same file uploaded "
                    "again) in other places the caller may see; it is shown once, as this hit, and these places "
                    "are not listed as hits of their own. Places the caller may not see are neither listed nor "
                    "counted."
                ),
                "items": _ref("NearDuplicate"),
            },
        },
    },
    "NearDuplicate": {
        "type": "object",
        "required": ["passage_id", "document_id", "title", "county", "page", "label"],
        "properties": {
            "passage_id": {"type": "integer"},
            "document_id": {"type": "integer"},
            "title": _NULLABLE_STRING,
            "county": _NULLABLE_STRING,
            "page": _NULLABLE_INT,
            "label": {"type": "string", "description": "How the UI names the place, e.g. „Landkreis A (S. 12)“"},
        },
    },
    "Filters": {
        "type": "object",
        "properties": {
            "county": {"type": "array", "items": {"type": "string"}},
            "type": {"type": "array", "items": {"type": "string"}},
            "topic": {"type": "array", "items": {"type": "string"}},
            "year_from": _NULLABLE_INT,
            "year_to": _NULLABLE_INT,
            "document": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["query", "mode", "filters", "offset", "candidates", "matching", "hits"],
        "properties": {
            "query": {"type": "string"},
            "mode": {"type": "string", "enum": ["hybrid", "keyword", "dense"]},
            "filters": _ref("Filters"),
            "offset": {"type": "integer"},
            "candidates": {"type": "integer"},
            "matching": {"type": "integer", "description": "Candidates whose relevance clears the floor"},
            "hits": {"type": "array", "items": _ref("Hit")},
        },
    },
    "Answer": {
        "type": "object",
        "required": ["query", "answered", "answer", "documents"],
        "properties": {
            "query": {"type": "string"},
            "filters": _ref("Filters"),
            "answered": {
                "type": "boolean",
                "description": "false: no passage clears the relevance floor, so nothing is quoted (answer is empty)",
            },
            "reason": {**_NULLABLE_STRING, "description": "Why nothing is quoted, when answered is false"},
            "next_steps": {
                "type": "array",
                "items": {"type": "string"},
                "description": "What to try instead, when answered is false",
            },
            "answer": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["text", "passage_id", "document_id", "citation"],
                    "properties": {
                        "text": {"type": "string"},
                        "score": {"type": "number"},
                        "passage_id": {"type": "integer"},
                        "document_id": {"type": "integer"},
                        "page": _NULLABLE_INT,
                        "citation": {"type": "string"},
                    },
                },
            },
            "documents": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Job": {
        "type": "object",
        "required": ["id", "kind", "status", "total", "done", "files"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["upload", "update", "delete"]},
            "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
            "total": {"type": "integer"},
            "done": {"type": "integer"},
            "progress": {**_NULLABLE_STRING, "description": "What a running job is doing, e.g. OCR page 3 of 12"},
            "error": _NULLABLE_STRING,
            "created_at": {"type": "string"},
            "files": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string"},
                        "outcome": {"type": "string", "enum": ["added", "updated", "unchanged", "failed", "skipped"]},
                        "document_id": _NULLABLE_INT,
                        "passages": {"type": "integer"},
                        "pages": _NULLABLE_INT,
                        "pages_without_text": {"type": "array", "items": {"type": "integer"}},
                        "ocr_pages": {"type": "array", "items": {"type": "integer"}},
                        "message": _NULLABLE_STRING,
                    },
                },
            },
        },
    },
    "Metadata": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "maxLength": 300},
            "county": {"type": "string", "maxLength": 100},
            "doc_type": {"type": "string", "enum": list(DOC_TYPES)},
            "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
            "topics": {"type": "array", "items": {"type": "string", "enum": list(TOPICS)}},
            "source_url": {"type": "string", "maxLength": 2000},
            "visibility": _VISIBILITY_INPUT,
        },
    },
    "Upload": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "title": {"type": "string"},
            "county": {"type": "string"},
            "doc_type": {"type": "string", "enum": list(DOC_TYPES)},
            "year": {"type": "integer"},
            "topics": {"type": "string", "description": "Handlungsfelder, durch Kommas getrennt"},
            "source_url": {"type": "string"},
            "visibility": _VISIBILITY_INPUT,
        },
    },
}


def openapi_document() -> dict:
    search_parameters = [
        _Q,
        _query("mode", {"type": "string", "enum": ["hybrid", "keyword", "dense"]}, "Suchverfahren"),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Treffer je Seite"),
        _query("offset", {"type": "integer", "minimum": 0, "maximum": 1000}, "Versatz"),
        *_FILTERS,
    ]
    read_errors = _errors(400, 401, 403, 429)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kreiswissen API",
            "version": "1.0.0",
            "description": "Suche im Praxiswissen der Landkreise zum kommunalen Klimaschutz. Jede Antwort "
            "enthält nur, was der Schlüssel sehen darf (ohne Schlüssel: öffentliche Dokumente); ein "
            "verborgenes Dokument ist ein 404 wie ein nicht vorhandenes. Schreibschlüssel eines "
            "Landkreises ändern nur dessen Dokumente (sonst 403).",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _SCHEMAS,
        },
        "paths": {
            "/health": {
                "get": {
                    "summary": "Betriebszustand",
                    "security": [{}],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status", "documents", "passages"],
                                "properties": {
                                    "status": {"type": "string"},
                                    "documents": {"type": "integer"},
                                    "passages": {"type": "integer"},
                                },
                            },
                            "Zustand",
                        )
                    },
                }
            },
            "/search": {
                "get": {
                    "summary": "Passagen suchen",
                    "security": _READ,
                    "parameters": search_parameters,
                    "responses": {"200": _json(_ref("SearchResult"), "Treffer"), **read_errors, **_errors(422)},
                }
            },
            "/answer": {
                "get": {
                    "summary": "Frage beantworten (extraktiv, mit Belegen)",
                    "security": _READ,
                    "parameters": [
                        _Q,
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 20}, "Passagen"),
                        *_FILTERS,
                    ],
                    "responses": {"200": _json(_ref("Answer"), "Antwort"), **read_errors, **_errors(422)},
                }
            },
            "/feedback": {
                "post": {
                    "summary": "Rückmeldung „hilfreich / nicht hilfreich“ zu einer Frage (ohne Personenbezug gezählt)",
                    "security": _READ,
                    "requestBody": _json_body(
                        {
                            "q": {"type": "string", "minLength": 1, "maxLength": 2000},
                            "helpful": {"type": "boolean"},
                            "county": {"type": "array", "items": {"type": "string"}},
                            "type": {"type": "array", "items": {"type": "string"}},
                            "topic": {"type": "array", "items": {"type": "string"}},
                            "year_from": {"type": "integer", "minimum": 1900, "maximum": 2100},
                            "year_to": {"type": "integer", "minimum": 1900, "maximum": 2100},
                        },
                        "q",
                        "helpful",
                    ),
                    "responses": {"204": {"description": "Gezählt"}, **read_errors, **_errors(415)},
                }
            },
            "/experience": {
                "get": {
                    "summary": "Wer hat damit Erfahrung? Landkreise nach Menge passenden Materials",
                    "security": _READ,
                    "parameters": [
                        _query("q", {"type": "string", "maxLength": 2000}, "Frage oder Stichwörter"),
                        _query("topic", {"type": "string", "enum": list(TOPICS)}, "Handlungsfeld"),
                        *[p for p in _FILTERS if p["name"] != "topic"],
                    ],
                    "responses": {
                        "200": _json(
                            _object(
                                {
                                    "query": {"type": "string"},
                                    "topic": {"type": ["string", "null"]},
                                    "counties": {
                                        "type": "array",
                                        "items": _object(
                                            {
                                                "county": {"type": "string"},
                                                "role": {"type": ["string", "null"]},
                                                "passages": {"type": "integer"},
                                                "documents": {"type": "integer"},
                                                "best": {"type": "array", "items": _ref("Hit")},
                                            }
                                        ),
                                    },
                                }
                            ),
                            "Landkreise, der mit dem meisten passenden Material zuerst",
                        ),
                        **read_errors,
                    },
                }
            },
            "/counties/{county}": {
                "get": {
                    "summary": "Ein Landkreis im Netzwerk: Rolle, Handlungsfelder, sichtbare Dokumente",
                    "security": _READ,
                    "parameters": [
                        {"name": "county", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                    ],
                    "responses": {
                        "200": _json(
                            _object(
                                {
                                    "county": {"type": "string"},
                                    "role": {"type": ["string", "null"], "enum": [*NETWORK_ROLES, None]},
                                    "topics": {
                                        "type": "array",
                                        "items": _object(
                                            {"topic": {"type": "string"}, "documents": {"type": "integer"}}
                                        ),
                                    },
                                    "documents": {"type": "array", "items": _ref("Document")},
                                }
                            ),
                            "Landkreis",
                        ),
                        **read_errors,
                        **_errors(404),
                    },
                }
            },
            "/facets": {
                "get": {
                    "summary": "Anzahl Dokumente je Landkreis, Typ, Handlungsfeld und Jahr",
                    "security": _READ,
                    "parameters": _FILTERS,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "value": {"type": ["string", "integer"]},
                                            "count": {"type": "integer"},
                                        },
                                    },
                                },
                            },
                            "Facetten",
                        ),
                        **read_errors,
                    },
                }
            },
            "/passages/{passage_id}": {
                "get": {
                    "summary": "Eine Passage mit Dokument und Beleg",
                    "security": _READ,
                    "parameters": [{"name": "passage_id", **_PATH_ID}],
                    "responses": {"200": _json(_ref("Passage"), "Passage"), **read_errors, **_errors(404)},
                }
            },
            "/passages/{passage_id}/location": {
                "get": {
                    "summary": "Wo die Passage im Original steht: Seiten und Markierungsrechtecke (PDF)",
                    "security": _READ,
                    "parameters": [{"name": "passage_id", **_PATH_ID}],
                    "responses": {"200": _json(_ref("Location"), "Stelle im Original"), **read_errors, **_errors(404)},
                }
            },
            "/briefing": {
                "post": {
                    "summary": "Passagen als Word-Datei für eine Ausschussvorlage: jede wörtlich mit Quelle und Link",
                    "security": _READ,
                    "requestBody": _json_body(
                        {
                            "passage_ids": {
                                "type": "array",
                                "items": {"type": "integer", "minimum": 1},
                                "minItems": 1,
                                "maxItems": 200,
                            },
                            "title": {"type": "string", "maxLength": 200},
                        },
                        "passage_ids",
                    ),
                    "responses": {
                        "200": {
                            "description": "Word-Datei (DOCX)",
                            "content": {
                                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                                    "schema": {"type": "string", "format": "binary"}
                                }
                            },
                        },
                        **read_errors,
                        **_errors(404, 415),
                    },
                }
            },
            "/passages/{passage_id}/similar": {
                "get": {
                    "summary": "Ähnliche Passagen, bevorzugt aus anderen Landkreisen",
                    "security": _READ,
                    "parameters": [
                        {"name": "passage_id", **_PATH_ID},
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 50}, "Treffer"),
                        *_FILTERS,
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["passage_id", "hits"],
                                "properties": {
                                    "passage_id": {"type": "integer"},
                                    "hits": {"type": "array", "items": _ref("Hit")},
                                },
                            },
                            "Ähnliche Passagen",
                        ),
                        **read_errors,
                        **_errors(404),
                    },
                }
            },
            "/documents": {
                "get": {
                    "summary": "Dokumente auflisten",
                    "security": _READ,
                    "parameters": [
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Anzahl"),
                        _query("offset", {"type": "integer", "minimum": 0}, "Versatz"),
                        _query("status", {"type": "string", "enum": ["ready", "pending", "failed"]}, "Status"),
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["total", "offset", "documents"],
                                "properties": {
                                    "total": {"type": "integer"},
                                    "offset": {"type": "integer"},
                                    "documents": {"type": "array", "items": _ref("Document")},
                                },
                            },
                            "Dokumente",
                        ),
                        **read_errors,
                    },
                },
                "post": {
                    "summary": "Dokument(e) hochladen; die Aufnahme läuft im Hintergrund",
                    "security": _WRITE,
                    "requestBody": _MULTIPART_UPLOAD,
                    "responses": {
                        "202": _json(_ref("Job"), "Aufnahme eingereiht (Location: Auftrag)"),
                        **_errors(400, 401, 403, 413, 415, 422, 429, 507),
                    },
                },
            },
            "/documents/{document_id}": {
                "get": {
                    "summary": "Ein Dokument (mit passages=true auch seine Passagen)",
                    "security": _READ,
                    "parameters": [
                        {"name": "document_id", **_PATH_ID},
                        _query("passages", {"type": "boolean"}, "Passagen mitliefern"),
                    ],
                    "responses": {"200": _json(_ref("Document"), "Dokument"), **read_errors, **_errors(404)},
                },
                "patch": {
                    "summary": "Metadaten ändern",
                    "security": _WRITE,
                    "parameters": [{"name": "document_id", **_PATH_ID}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Metadata")}}},
                    "responses": {
                        "200": _json(_ref("Document"), "Geändertes Dokument"),
                        "202": _json(_ref("Job"), "Noch nicht abgeschlossen (Location: Auftrag)"),
                        **_errors(400, 401, 403, 404, 415, 422, 429),
                    },
                },
                "delete": {
                    "summary": "Dokument löschen (Katalog und beide Indizes)",
                    "security": _WRITE,
                    "parameters": [{"name": "document_id", **_PATH_ID}],
                    "responses": {
                        "204": {"description": "Gelöscht"},
                        "202": _json(_ref("Job"), "Noch nicht abgeschlossen (Location: Auftrag)"),
                        **_errors(401, 403, 404, 422, 429),
                    },
                },
            },
            "/documents/{document_id}/file": {
                "put": {
                    "summary": "Datei eines Dokuments ersetzen",
                    "security": _WRITE,
                    "parameters": [{"name": "document_id", **_PATH_ID}],
                    "requestBody": _MULTIPART_UPLOAD,
                    "responses": {
                        "202": _json(_ref("Job"), "Ersetzung eingereiht"),
                        **_errors(400, 401, 403, 404, 413, 415, 422, 429, 507),
                    },
                }
            },
            "/documents/{document_id}/original": {
                "get": {
                    "summary": "Die Originaldatei",
                    "security": _READ,
                    "parameters": [{"name": "document_id", **_PATH_ID}],
                    "responses": {
                        "200": {"description": "Datei", "content": {"*/*": {"schema": {"type": "string"}}}},
                        **read_errors,
                        **_errors(404),
                    },
                }
            },
            "/jobs/{job_id}": {
                "get": {
                    "summary": "Stand eines Aufnahme-Auftrags",
                    "security": _WRITE,
                    "parameters": [{"name": "job_id", **_PATH_ID}],
                    "responses": {"200": _json(_ref("Job"), "Auftrag"), **_errors(401, 403, 404, 429)},
                }
            },
        },
    }
