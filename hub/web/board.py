"""Placeholder for the board pages."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue

from hub.web.auth import staff_required

bp = Blueprint("board", __name__)


@bp.get("/board")
@staff_required
def index() -> ResponseReturnValue:
    return "board"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
