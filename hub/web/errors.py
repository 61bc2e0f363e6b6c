"""Readable, translated error pages for every HTTP error outside the JSON API."""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from hub.errors import N_
from hub.http_errors import http_error, is_api_request

_PAGES: dict[int, tuple[str, str]] = {
    400: (
        N_("The form could not be read"),
        N_("The page may have been open too long. Go back, reload it, and try again."),
    ),
    403: (N_("Not allowed"), N_("Your role does not allow this page.")),
    404: (N_("Not found"), N_("There is nothing at this address.")),
    405: (N_("Not allowed"), N_("This address does not accept that action.")),
    413: (N_("Too large"), N_("What you sent is too large.")),
    429: (N_("Too many attempts"), N_("Wait a few minutes, then try again.")),
    500: (
        N_("Something went wrong"),
        N_("Something went wrong on our side. Nothing you typed was saved; try again."),
    ),
}


def http_error_page(exc: HTTPException) -> ResponseReturnValue:
    """Answer API addresses in JSON and every other address with a translated page."""
    # An unhandled exception reaching here as a 500 was already logged once, with its
    # traceback, by Flask's app.logger (the "hub" logger): logging it again would double it.
    if is_api_request():
        return http_error(exc)
    status = exc.code or 500
    if status < 400:
        return exc  # routing redirects (a missing trailing slash) are not errors
    title, message = _PAGES.get(status, _PAGES[500 if status >= 500 else 400])
    page = render_template("errors/error.html", title=_(title), message=_(message))
    kept = [(k, v) for k, v in exc.get_headers() if k in ("Allow", "Retry-After")]
    return page, status, kept


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error_page)
