"""Refuse requests carrying a NUL character anywhere the views read, before any query runs."""

from __future__ import annotations

from flask import Flask, abort, request

from hub.http_errors import is_api_request


def refuse_nul() -> None:
    """Answer 400 when the query string, form or URL holds a NUL, which PostgreSQL cannot store."""
    fields = [*request.args.items(multi=True), *(request.view_args or {}).items()]
    # The API reads only JSON bodies; parsing one as a form would leave it empty.
    if not is_api_request():
        fields.extend(request.form.items(multi=True))
    if any("\x00" in key or "\x00" in str(value) for key, value in fields):
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)
