"""HTTP errors as the API's JSON body, shared by the API and the app-wide error handler.

Unrouted addresses under the API's prefix (a 404, a 405, a 413 before routing) reach the
app-wide handler of the pages, not the API blueprint's: both answer them from here, so the
pages and the API need not import each other.
"""

from __future__ import annotations

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/v1"

HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be read."),
    401: ("unauthorized", "Send a valid API token as 'Authorization: Bearer <token>'."),
    403: ("forbidden", "Your role does not allow this."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request body is too large."),
    414: ("uri_too_long", "The address is too long; send long values in the body."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    429: ("too_many_requests", "Too many requests; wait, then try again."),
    431: ("headers_too_large", "A request header is too large."),
    500: ("server_error", "Something went wrong on our side."),
}
# Headers of an HTTP error that the JSON answer must keep.
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    """Build the JSON body every API error shares."""
    response = jsonify(error={"code": code, "message": message, "fields": fields or {}})
    response.status_code = status
    return response


def http_error(exc: HTTPException) -> Response:
    """Answer an HTTP error (unknown address, bad method, unreadable body) as JSON."""
    status = exc.code or 500
    code, message = HTTP_CODES.get(status, ("error", "The request failed."))
    # Our own descriptions are specific; werkzeug's stock ones are replaced by ours.
    if exc.description and exc.description != type(exc).description:
        message = exc.description
    response = error_response(status, code, message)
    for name, value in exc.get_headers():
        if name in _KEPT_HEADERS:
            response.headers[name] = value
    return response


def is_api_request() -> bool:
    """Tell whether the current request addresses the JSON API."""
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")
