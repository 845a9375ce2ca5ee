"""Flask extensions shared by the blueprints (initialised in ``create_app``)."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from kb.core.config import Config
from kb.service.accounts import ApiKey
from kb.service.rate_counts import SCHEME, storage_options
from web.identity import bearer_key

csrf = CSRFProtect()


def rate_limits(app: Flask, config: Config) -> Limiter:
    """The API's limits per key (each its own limit) or, without one, per client address; staff
    sign-in and the feedback control per client address. Counted with the catalogue
    (kb/service/rate_counts.py), so every process and node of a deployment shares one count; in
    memory, per process, while that store cannot be reached."""

    def api_identity() -> str:
        key = bearer_key()
        return f"key:{key.key_id}" if isinstance(key, ApiKey) else get_remote_address()

    def api_limit() -> str:
        key = bearer_key()
        if isinstance(key, ApiKey):
            return key.rate_limit or config.key_rate_limit
        return config.api_rate_limit

    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=f"{SCHEME}://",
        storage_options=storage_options(config),
        in_memory_fallback_enabled=True,
    )
    limiter.limit(api_limit, key_func=api_identity)(app.blueprints["api"])
    login = app.view_functions["staff.login"]
    app.view_functions["staff.login"] = limiter.limit(config.login_rate_limit, methods=["POST"])(login)
    feedback = app.view_functions["gaps.feedback"]
    app.view_functions["gaps.feedback"] = limiter.limit(config.api_rate_limit)(feedback)
    return limiter
