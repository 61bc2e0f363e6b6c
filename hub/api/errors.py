"""Every API error as JSON: ``{"error": {"code", "message", "fields"}}``, never an HTML page."""

from __future__ import annotations

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from hub.api.blueprint import PREFIX, bp
from hub.errors import HubError, InvalidInput

HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be read."),
    401: ("unauthorized", "Send a valid API token as 'Authorization: Bearer <token>'."),
    403: ("forbidden", "Your role does not allow this."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    429: ("too_many_requests", "Too many requests; wait, then try again."),
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


def hub_error(exc: HubError) -> Response:
    """Answer a domain error with its status, code and every field it is about."""
    if isinstance(exc, InvalidInput):
        fields = exc.fields
    else:
        fields = {exc.field: exc.message} if exc.field else {}
    return error_response(exc.http_status, exc.code, exc.message, fields)


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
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


bp.register_error_handler(HubError, hub_error)
bp.register_error_handler(HTTPException, http_error)
