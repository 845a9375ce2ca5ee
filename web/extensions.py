"""Flask extensions shared by the blueprints (initialised in ``create_app``)."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from kb.core.config import Config

csrf = CSRFProtect()


def rate_limits(app: Flask, config: Config) -> Limiter:
    """Per-app limits (in memory, per client address): the API as a whole and staff sign-in."""
    limiter = Limiter(key_func=get_remote_address, app=app, storage_uri="memory://")
    limiter.limit(config.api_rate_limit)(app.blueprints["api"])
    login = app.view_functions["staff.login"]
    app.view_functions["staff.login"] = limiter.limit(config.login_rate_limit, methods=["POST"])(login)
    return limiter
