"""Errors the emulator answers with, shaped as Stripe's `{"error": {...}}` bodies.

Reference: https://docs.stripe.com/api/errors (type, code, message, param; HTTP 400 for
invalid requests, 401 for authentication, 402 for card errors, 404 for missing resources,
409 for idempotency conflicts, 429 for rate limits).
"""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """Raise to answer a request with a Stripe error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self, request_id: str) -> dict[str, Any]:
        """Return the JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    """Build a 400 `invalid_request_error`."""
    return StripeError(400, message, code=code, param=param)


def missing(kind: str, object_id: str, *, param: str = "id") -> StripeError:
    """Build the 404 Stripe answers for an unknown object id."""
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)
