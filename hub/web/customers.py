"""Placeholder for the customers pages."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue

from hub.web.auth import staff_required

bp = Blueprint("customers", __name__)


@bp.get("/customers")
@staff_required
def index() -> ResponseReturnValue:
    return "customers"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
