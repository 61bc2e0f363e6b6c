"""Placeholder for the admin pages."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue

from hub.web.auth import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@admin_required
def users() -> ResponseReturnValue:
    return "users"


@bp.get("/services")
@admin_required
def services() -> ResponseReturnValue:
    return "services"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
