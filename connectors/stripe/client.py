"""The one way the hub builds a Stripe client: explicit API version, timeouts, the library's
own network retries (409, 5xx and network errors, with the same idempotency key), no global
``stripe.api_key``, and every HTTP request paced by the process's rate limiter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe

from connectors.stripe.limiter import RateLimiter, shared_limiter

#: The Stripe API version the hub is written against (stripe-python 16's own).
API_VERSION = "2026-10-28.endive"
#: Seconds to wait for Stripe: a request slower than this is retried, with its key.
TIMEOUT_SECONDS = 20.0
#: Retries the library makes itself before the outbox's own backoff takes over.
NETWORK_RETRIES = 2


class LimitedRequestsClient(stripe.RequestsClient):
    """stripe's requests-based HTTP client, taking a token before each request it sends.

    The library calls ``request`` once per attempt, so its own retries are paced too.
    """

    def __init__(self, limiter: RateLimiter, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.limiter = limiter

    # Same signature as stripe.RequestsClient.request, which itself differs from its base's.
    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self.limiter.acquire()
        return super().request(method, url, headers, post_data)


def make_client(
    api_key: str,
    api_base: str,
    *,
    timeout: float = TIMEOUT_SECONDS,
    max_network_retries: int = NETWORK_RETRIES,
    limiter: RateLimiter | None = None,
    http_client: stripe.HTTPClient | None = None,
) -> stripe.StripeClient:
    """Return a client for ``api_base`` (Stripe, or the emulator in tests and the sandbox).

    Requests are paced by ``limiter`` when given; ``http_client`` (which then owns the
    timeout and the pace) lets the caller close the connections it opened.
    """
    if http_client is None:
        http_client = (
            stripe.RequestsClient(timeout=timeout)
            if limiter is None
            else LimitedRequestsClient(limiter, timeout=timeout)
        )
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses={"api": api_base.rstrip("/")},
        http_client=http_client,
        max_network_retries=max_network_retries,
    )


def paced_client(api_key: str, api_base: str, rate: float) -> stripe.StripeClient:
    """Return a client on this process's one bucket at ``rate``, which the connector shares:
    a reconciliation reading Stripe while invoices go out stays within the same pace."""
    return make_client(api_key, api_base, limiter=shared_limiter(rate))
