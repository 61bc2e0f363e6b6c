"""Errors the emulator answers with, shaped like Google's JSON error body.

ApiError
├── InvalidArgument      400 INVALID_ARGUMENT (unknown field, bad range, unsupported request)
├── Unauthenticated      401 UNAUTHENTICATED (no bearer token)
├── PermissionDenied     403 PERMISSION_DENIED
├── NotFound             404 NOT_FOUND
├── ResourceExhausted    429 RESOURCE_EXHAUSTED (quota), with Retry-After
└── ServerError          5xx (injected)
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message", "status"}}`."""

    code = 500
    status = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """Return the JSON body Google sends for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class InvalidArgument(ApiError):
    """The request is malformed or asks for something the emulator refuses."""

    code = 400
    status = "INVALID_ARGUMENT"


class Unauthenticated(ApiError):
    """The request carries no bearer token."""

    code = 401
    status = "UNAUTHENTICATED"


class PermissionDenied(ApiError):
    """The caller may not touch this spreadsheet."""

    code = 403
    status = "PERMISSION_DENIED"


class NotFound(ApiError):
    """The spreadsheet or sheet does not exist."""

    code = 404
    status = "NOT_FOUND"


class ResourceExhausted(ApiError):
    """A per-minute quota is used up."""

    code = 429
    status = "RESOURCE_EXHAUSTED"


class ServerError(ApiError):
    """An injected server-side failure with any 5xx code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = {500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE"}.get(
            code, "UNAVAILABLE"
        )
