"""Errors a connector raises or returns, classified once at the connector's edge.

    ConnectorError
    ├── TransientError    worth retrying later: network, timeouts, 409, 429, 5xx;
    │                     may carry ``retry_after`` seconds (from a Retry-After header)
    └── PermanentError    retrying cannot help: validation, authentication, permission;
                          the message says what a person must fix

A connector translates its vendor's exceptions into these with ``raise ... from exc`` and
lets nothing else escape. The dispatcher retries a transient error on the retry policy's
schedule, turns a permanent one into a dead letter at once, and treats any other exception
as a transient error whose traceback is kept, so a connector bug surfaces as a dead letter
after the last attempt rather than as a silent loss. A connector that lacks a setting raises
none of these: it is not built at all, and its factory returns ``connectors.base.Off``.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A delivery did not happen; the subclass says whether trying again can help."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransientError(ConnectorError):
    """The delivery may succeed later; ``retry_after`` is the vendor's wish, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after cannot be negative")
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """The delivery cannot succeed until a person acts, e.g. shares the spreadsheet."""
