"""Flask extensions shared by the blueprints (initialised in ``create_app``)."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from kb.core.config import Config
from kb.service.accounts import ApiKey
from web.identity import bearer_key

csrf = CSRFProtect()


def rate_limits(app: Flask, config: Config) -> Limiter:
    """Per-app limits (in memory): the API per key (each its own limit) or, without one, per
    client address; staff sign-in per client address."""

    def api_identity() -> str:
        key = bearer_key()
        return f"key:{key.key_id}" if isinstance(key, ApiKey) else get_remote_address()

    def api_limit() -> str:
        key = bearer_key()
        if isinstance(key, ApiKey):
            return key.rate_limit or config.key_rate_limit
        return config.api_rate_limit

    limiter = Limiter(key_func=get_remote_address, app=app, storage_uri="memory://")
    limiter.limit(api_limit, key_func=api_identity)(app.blueprints["api"])
    login = app.view_functions["staff.login"]
    app.view_functions["staff.login"] = limiter.limit(config.login_rate_limit, methods=["POST"])(login)
    return limiter
