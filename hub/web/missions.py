"""Placeholder for the missions pages."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue

from hub.web.auth import staff_required

bp = Blueprint("missions", __name__)


@bp.get("/missions")
@staff_required
def index() -> ResponseReturnValue:
    return "missions"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
