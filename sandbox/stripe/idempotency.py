"""Remember idempotent results the way Stripe does (https://docs.stripe.com/api/idempotent_requests).

A POST with an `Idempotency-Key` that the account has seen in the last 24 hours replays the
first result (same status and body, with `Idempotent-Replayed: true`). Reusing the key on
another endpoint or with other parameters is a 400 `idempotency_error`; reusing it while the
first request still runs is a 409. Results are saved only once the endpoint started
executing: a request refused by parameter validation saves nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import StripeError

KEY_LIFETIME_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


@dataclass
class Saved:
    """The first request made with a key, and its result once known."""

    endpoint: str
    params: dict[str, Any]
    request_id: str
    at: float
    status: int | None = None
    body: str | None = None


@dataclass
class IdempotencyCache:
    """Saved results by (API key, idempotency key)."""

    saved: dict[tuple[str, str], Saved] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(
        self, api_key: str, key: str, endpoint: str, params: dict[str, Any], request_id: str
    ) -> Saved | None:
        """Return the saved result to replay, or None after claiming the key for this request."""
        if len(key) > MAX_KEY_LENGTH:
            raise StripeError(
                400,
                f"Idempotency keys can be at most {MAX_KEY_LENGTH} characters.",
                type="idempotency_error",
            )
        with self._lock:
            saved = self.saved.get((api_key, key))
            if saved is not None and time.time() - saved.at > KEY_LIFETIME_SECONDS:
                saved = None
            if saved is None:
                self.saved[(api_key, key)] = Saved(endpoint, params, request_id, time.time())
                return None
        if saved.status is None:
            raise StripeError(
                409,
                "There is currently another in-progress request using this Idempotent Key"
                " (that probably means you submitted twice, and the other request is still"
                f" going through): {key}. Please try again later.",
                type="idempotency_error",
            )
        if saved.endpoint != endpoint:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they"
                f" were first used for ('{saved.endpoint}' vs '{endpoint}'). Try using a key"
                f" other than '{key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        if saved.params != params:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they"
                f" were first used with. Try using a key other than '{key}' if you meant to"
                " execute a different request.",
                type="idempotency_error",
            )
        return saved

    def finish(self, api_key: str, key: str, status: int, body: str) -> None:
        """Save the result of the request that claimed the key."""
        with self._lock:
            self.saved[(api_key, key)].status = status
            self.saved[(api_key, key)].body = body

    def release(self, api_key: str, key: str) -> None:
        """Forget a claim whose request never started executing."""
        with self._lock:
            self.saved.pop((api_key, key), None)

    def expire_all(self) -> None:
        """Forget every key, as 24 hours later."""
        with self._lock:
            self.saved.clear()
