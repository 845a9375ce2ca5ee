"""The app's knowledge server and small lookups views share."""

from __future__ import annotations

from flask import abort, current_app

from kb.core.documents import DocumentRecord
from kb.core.errors import DocumentNotFound
from kb.service.server import KnowledgeServer


def server() -> KnowledgeServer:
    return current_app.extensions["kreiswissen"]


def local_path(target: str) -> bool:
    r"""Whether ``target`` is a path on this site, safe to redirect to (no open redirect).

    Browsers drop tabs and line breaks from an address and read a backslash as a slash, so
    ``/\t/evil.example`` and ``/\evil.example`` lead to another site as ``//evil.example`` does
    (and a line break does not fit in a Location header): control characters are refused.
    """
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(character) < 32 or ord(character) == 127 for character in target)
    )


def document_or_404(document_id: int) -> DocumentRecord:
    """The document if the asker may see it; hidden and missing ones are the same 404."""
    from web.identity import viewer

    with server().reading(viewer()) as kb:
        try:
            return kb.document(document_id)
        except DocumentNotFound:
            abort(404)
