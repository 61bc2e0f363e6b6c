"""Placeholder for the order pages."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue

from hub.web.auth import staff_required

bp = Blueprint("orders", __name__)


@bp.get("/orders")
@staff_required
def index() -> ResponseReturnValue:
    return "orders"


@bp.get("/orders/new")
@staff_required
def new() -> ResponseReturnValue:
    return "new"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
