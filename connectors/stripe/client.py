"""The one way the hub builds a Stripe client: explicit API version, timeouts, the library's
own network retries (409, 5xx and network errors, with the same idempotency key), and no
global ``stripe.api_key``."""

from __future__ import annotations

import stripe

#: The Stripe API version the hub is written against (stripe-python 16's own).
API_VERSION = "2026-10-28.endive"
#: Seconds to wait for Stripe: a request slower than this is retried, with its key.
TIMEOUT_SECONDS = 20.0
#: Retries the library makes itself before the outbox's own backoff takes over.
NETWORK_RETRIES = 2


def make_client(
    api_key: str,
    api_base: str,
    *,
    timeout: float = TIMEOUT_SECONDS,
    max_network_retries: int = NETWORK_RETRIES,
) -> stripe.StripeClient:
    """Return a client for ``api_base`` (Stripe, or the emulator in tests and the sandbox)."""
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses={"api": api_base.rstrip("/")},
        http_client=stripe.RequestsClient(timeout=timeout),
        max_network_retries=max_network_retries,
    )
