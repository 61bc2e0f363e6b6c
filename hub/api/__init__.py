"""JSON API v1 at /api/v1: bearer tokens, JSON errors, keyset pages, an OpenAPI document.

Each module adds its routes to the one blueprint when imported; init_app registers it.
"""

from __future__ import annotations

from flask import Flask

from hub.api import auth, customers, errors, openapi, orders, providers, services
from hub.api.blueprint import bp

__all__ = [
    "auth",
    "bp",
    "customers",
    "errors",
    "init_app",
    "openapi",
    "orders",
    "providers",
    "services",
]


def init_app(app: Flask) -> None:
    """Register the API; tokens, not cookies, authenticate it, so CSRF does not apply."""
    # The pages' CSRFProtect, registered by init_web before this runs.
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(bp)
