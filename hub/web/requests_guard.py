"""Refuse requests the views must never see: NUL characters, ids no column can hold."""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

from hub.api.errors import is_api_request
from hub.ledger import validation


class IdConverter(IntegerConverter):
    """Match ``<int:...>`` path segments only up to the largest id a column can hold."""

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", validation.MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def refuse_nul() -> None:
    """Answer 400 when the query string, form or URL holds a NUL, which PostgreSQL cannot store."""
    fields = [*request.args.items(multi=True), *(request.view_args or {}).items()]
    # The API reads only JSON bodies; parsing one as a form would leave it empty.
    if not is_api_request():
        fields.extend(request.form.items(multi=True))
    if any("\x00" in key or "\x00" in str(value) for key, value in fields):
        abort(400)


def init_app(app: Flask) -> None:
    # Before any blueprint adds its rules: a rule picks its converter when it is added, and
    # an id past the column's range is then a plain 404 instead of a database error.
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul)
