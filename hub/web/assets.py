"""Files browsers ask for at fixed addresses, served from hub/static with long caching."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("assets", __name__)

#: A day: the icon rarely changes, and a browser asks again once it has expired.
ICON_MAX_AGE = 86_400


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The hub's icon, which browsers fetch on their first visit whatever the page links."""
    assert current_app.static_folder is not None
    response = send_from_directory(
        current_app.static_folder,
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=ICON_MAX_AGE,
    )
    response.cache_control.public = True
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
