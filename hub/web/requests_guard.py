"""Refuse requests the views must never see: NUL characters, ids no column can hold, bodies
over the size limit however they are sent, request lines and headers too long to be real."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, abort, request
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge, SecurityError
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_content_length, get_host

from hub.config import get_config
from hub.http_errors import API_PREFIX, is_api_request
from hub.ledger import validation

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


#: gunicorn's default limits. The server is given twice as much room (see hub.server), so
#: that a request over these reaches the app and gets its answer (JSON under /api/), not
#: gunicorn's own HTML page.
MAX_REQUEST_TARGET = 4094
MAX_HEADER_FIELD = 8190


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


class StreamedBodyLimit:
    """Give a body sent without Content-Length (chunked) a length, so the limit applies.

    Werkzeug stops reading such a stream at MAX_CONTENT_LENGTH without saying so, and the
    view then works on the first megabyte as if it were the whole body. Read one byte more
    than the limit here: the length then tells werkzeug the body is too large (a 413, as
    for a declared Content-Length), and a body within the limit reads as before.
    """

    def __init__(self, app: WSGIApplication, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # Only where the server ends the stream itself (gunicorn, werkzeug's server do for
        # chunked bodies); otherwise werkzeug reads nothing and there is nothing to bound.
        if get_content_length(environ) is None and environ.get("wsgi.input_terminated"):
            body = _read_at_most(environ["wsgi.input"], self.max_bytes + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # Decoded already: werkzeug ignores Content-Length while this says "chunked".
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


class TrustedHosts:
    """Answer 400 to a request for a host name that is not the hub's, before Flask sees it.

    Werkzeug would otherwise echo the Host header in the redirects it builds (``//x`` paths).
    Flask's TRUSTED_HOSTS refuses such a request too, but then has no URL adapter for the
    error page; refusing here gives a plain answer (JSON under /api/) that needs none.
    """

    def __init__(self, app: WSGIApplication, hosts: list[str]) -> None:
        self.app = app
        self.hosts = hosts

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            get_host(environ, trusted_hosts=self.hosts)
        except SecurityError:
            path = environ.get("PATH_INFO", "")
            if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                body = {
                    "error": {
                        "code": "bad_request",
                        "message": "This server does not answer to that host name.",
                        "fields": {},
                    }
                }
                answer = Response(json.dumps(body), 400, mimetype="application/json")
            else:
                answer = Response("Unknown host name.\n", 400, mimetype="text/plain")
            return answer(environ, start_response)
        return self.app(environ, start_response)


def _read_at_most(stream: io.BufferedIOBase, limit: int) -> bytes:
    parts: list[bytes] = []
    left = limit
    while left > 0:
        chunk = stream.read(min(left, 64 * 1024))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def refuse_oversized_head() -> None:
    """Answer 414 for an address, or 431 for a header, longer than a client ever needs."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    # Some servers' raw URI leaves the query string out; PATH_INFO is decoded, so shorter.
    rebuilt = len(environ.get("PATH_INFO", "")) + 1 + len(environ.get("QUERY_STRING", ""))
    if max(len(raw), rebuilt) > MAX_REQUEST_TARGET:
        raise RequestURITooLarge()
    if any(len(name) + len(value) + 2 > MAX_HEADER_FIELD for name, value in request.headers):
        raise RequestHeaderFieldsTooLarge()


def init_app(app: Flask) -> None:
    max_bytes = app.config.get("MAX_CONTENT_LENGTH")
    if max_bytes:
        app.wsgi_app = StreamedBodyLimit(app.wsgi_app, max_bytes)  # type: ignore[method-assign]
    # Inside ProxyFix (create_app adds it last), so it sees the host the client asked for.
    app.wsgi_app = TrustedHosts(app.wsgi_app, get_config(app).trusted_hosts)  # type: ignore[method-assign]
    # Before any blueprint adds its rules: a rule picks its converter when it is added, and
    # an id past the column's range is then a plain 404 instead of a database error.
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_oversized_head)
    app.before_request(refuse_nul)
