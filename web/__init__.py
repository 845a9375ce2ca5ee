"""The web front end (German HTML pages, staff area) and the JSON API ``/api/v1``.

``create_app(config)`` builds the Flask app around one knowledge base; ``kb serve`` runs it under
waitress.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_cors import CORS
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from kb.core.config import Config
from kb.service import KnowledgeBase
from kb.service.server import KnowledgeServer
from kb.service.settings import session_secret
from web.extensions import csrf, rate_limits
from web.highlight import marked

_UPLOAD_FILES_PER_REQUEST = 20


def create_app(config: Config | None = None, *, kb: KnowledgeBase | None = None) -> Flask:
    config = (config or Config.from_env()).resolved()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=session_secret(config),
        MAX_CONTENT_LENGTH=config.max_upload_mb * 1_000_000 * _UPLOAD_FILES_PER_REQUEST,
        MAX_FORM_MEMORY_SIZE=1_000_000,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_HEADERS_ENABLED=True,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["kreiswissen"] = KnowledgeServer(config, kb or KnowledgeBase(config))

    from web import account, api, gaps, merkliste, network, staff, ui
    from web.params import IdConverter

    app.url_map.converters["id"] = IdConverter

    csrf.init_app(app)
    csrf.exempt(api.bp)  # the API authenticates with bearer keys, not cookies
    origins = [o.strip() for o in config.cors_origins.split(",") if o.strip()]
    if origins:
        CORS(app, resources={r"/api/*": {"origins": origins}}, allow_headers=["Authorization", "Content-Type"])
    app.jinja_env.filters["marked"] = marked
    app.register_blueprint(ui.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(merkliste.bp)
    app.register_blueprint(network.bp)
    app.register_blueprint(gaps.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(api.bp)
    rate_limits(app, config)
    if config.trusted_proxies:
        hops = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.register_error_handler(HTTPException, _http_error)
    app.after_request(_security_headers)
    return app


def _http_error(error: HTTPException) -> ResponseReturnValue:
    from web.api import error_response
    from web.ui import MESSAGES

    if request.path.startswith("/api/"):
        return error_response(error.code or 500, _code(error), error.description or error.name)
    message = MESSAGES.get(error.code or 500, error.description)
    return render_template("error.html", status=error.code, message=message), error.code


def _code(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_")


def _security_headers(response: Response) -> Response:
    # everything is served from here: no CDN, font or tracker (data protection)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
