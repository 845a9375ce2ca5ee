"""Who is asking: an API key on ``/api/v1``, a signed-in account on the pages, else anonymous."""

from __future__ import annotations

from flask import g, request, session

from kb.core.access import ANONYMOUS, Viewer
from kb.service.accounts import Account, ApiKey
from web.context import server

INVALID = "invalid"  # an Authorization header that names no active key


def bearer_key() -> ApiKey | str | None:
    """The request's active key, ``INVALID`` for a wrong or revoked one, None without a header."""
    if "bearer_key" not in g:
        header = request.headers.get("Authorization", "")
        key: ApiKey | str | None = None
        if header:
            kind, _, token = header.partition(" ")
            found = server().accounts.verify_key(token.strip()) if kind.lower() == "bearer" else None
            key = found or INVALID
        g.bearer_key = key
    return g.bearer_key


def account() -> Account | None:
    """The signed-in account, read afresh; a cookie of a session that ended (signed out, expired,
    password changed, account deleted) is cleared."""
    if "account" not in g:
        name, token = session.get("user"), session.get("sid")
        g.account = server().accounts.session_account(name, token) if name and token else None
        if name and g.account is None:
            session.clear()
    return g.account


def viewer() -> Viewer:
    """The API knows keys only (no cookies, so no CSRF there); the pages know accounts only."""
    if request.path.startswith("/api/"):
        key = bearer_key()
        return key.viewer if isinstance(key, ApiKey) else ANONYMOUS
    signed_in = account()
    return signed_in.viewer if signed_in else ANONYMOUS
