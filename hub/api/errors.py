"""Every API error as JSON: ``{"error": {"code", "message", "fields"}}``, never an HTML page."""

from __future__ import annotations

from flask import Response
from werkzeug.exceptions import HTTPException

from hub.api.blueprint import bp
from hub.errors import HubError, InvalidInput
from hub.http_errors import HTTP_CODES, error_response, http_error, is_api_request

__all__ = ["HTTP_CODES", "error_response", "http_error", "hub_error", "is_api_request"]


def hub_error(exc: HubError) -> Response:
    """Answer a domain error with its status, code and every field it is about."""
    if isinstance(exc, InvalidInput):
        fields = exc.fields
    else:
        fields = {exc.field: exc.message} if exc.field else {}
    return error_response(exc.http_status, exc.code, exc.message, fields)


bp.register_error_handler(HubError, hub_error)
bp.register_error_handler(HTTPException, http_error)
