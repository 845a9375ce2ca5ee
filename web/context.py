"""The app's knowledge server and small lookups views share."""

from __future__ import annotations

from flask import abort, current_app

from kb.core.documents import DocumentRecord
from kb.core.errors import DocumentNotFound
from kb.service.server import KnowledgeServer


def server() -> KnowledgeServer:
    return current_app.extensions["kreiswissen"]


def document_or_404(document_id: int) -> DocumentRecord:
    """The document if the asker may see it; hidden and missing ones are the same 404."""
    from web.identity import viewer

    with server().reading(viewer()) as kb:
        try:
            return kb.document(document_id)
        except DocumentNotFound:
            abort(404)
