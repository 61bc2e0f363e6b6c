"""The one boundary where stripe's exceptions become the connectors' errors.

    stripe.StripeError                      -> connectors.errors
    ├── APIConnectionError (network, timeout)  TransientError
    ├── RateLimitError (429)                   TransientError(retry_after=Retry-After)
    ├── IdempotencyError 409 (key in flight)   TransientError
    ├── APIError and any 5xx                   TransientError
    ├── AuthenticationError (401)              PermanentError: set [stripe] api_key
    ├── PermissionError (403)                  PermanentError: the key's permissions
    ├── IdempotencyError 400 (key reused)      PermanentError
    └── InvalidRequestError, CardError, other  PermanentError, with Stripe's own words

The library already retried 409s, 5xx and network errors (``client.NETWORK_RETRIES``) with
the same idempotency key before this boundary sees them; the outbox backs off after that.

Some refusals mean the work is already done: Stripe will not finalize an invoice twice, nor
void a void one, nor pay a paid one, and a deleted customer has nothing left to update. The
closed list ``ALREADY_DONE`` names them, each with the invoice statuses that prove it; the
caller re-reads the object and treats the refusal as success only when its status says so,
never on the wording of a message alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import stripe

from connectors.errors import ConnectorError, PermanentError, TransientError

#: Stripe refusals that mean "already done", by action: the statuses that prove it.
ALREADY_DONE: dict[str, frozenset[str]] = {
    # "This invoice is already finalized, you can't re-finalize a non-draft invoice."
    "finalize": frozenset({"open", "paid", "uncollectible", "void"}),
    # Voiding a void invoice is refused; the invoice is void, as wanted.
    "void": frozenset({"void"}),
    # "Invoice is already paid": paying it was the point.
    "pay": frozenset({"paid"}),
}

API_KEY_SETTING = "[stripe] api_key (HUB_STRIPE_API_KEY)"


def is_refusal(exc: stripe.StripeError) -> bool:
    """Tell whether Stripe refused a request as invalid (400), as it refuses done work."""
    return isinstance(exc, stripe.InvalidRequestError) and exc.http_status == 400


def already_done(action: str, status: str | None) -> bool:
    """Tell whether an invoice in ``status`` proves that ``action`` was already done."""
    return status in ALREADY_DONE[action]


def is_missing(exc: stripe.StripeError, param: str | None = None) -> bool:
    """Tell whether Stripe answered 404 for an object (deleted or never made)."""
    return (
        isinstance(exc, stripe.InvalidRequestError)
        and exc.http_status == 404
        and (param is None or exc.param == param)
    )


def retry_after(exc: stripe.StripeError) -> float | None:
    """Return the seconds a Retry-After header asks for, if it is a number."""
    value = (exc.headers or {}).get("retry-after") or (exc.headers or {}).get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def translate(exc: stripe.StripeError, doing: str) -> ConnectorError:
    """Return the connector error for a stripe exception raised while ``doing`` something."""
    said = exc.user_message or str(exc) or type(exc).__name__
    status = exc.http_status
    if isinstance(exc, stripe.RateLimitError) or status == 429:
        return TransientError(
            f"Stripe is rate limiting the hub while it {doing} (429); retrying later.",
            retry_after=retry_after(exc),
        )
    if isinstance(exc, stripe.APIConnectionError):
        return TransientError(f"Stripe could not be reached while the hub {doing}: {said}")
    if status == 409 or (status is not None and status >= 500) or isinstance(exc, stripe.APIError):
        return TransientError(f"Stripe failed while the hub {doing} ({status}): {said}")
    if isinstance(exc, stripe.AuthenticationError):
        return PermanentError(
            f"Stripe refused the API key ({said}). Set {API_KEY_SETTING} to a valid secret "
            "key of the right account (test or live), then replay the dead letters."
        )
    if isinstance(exc, stripe.PermissionError):
        return PermanentError(
            f"The Stripe key may not do this ({said}). Use a secret key, or a restricted "
            "key with write access to customers, tax rates, invoices and credit notes, in "
            f"{API_KEY_SETTING}; then replay."
        )
    if isinstance(exc, stripe.IdempotencyError):
        return PermanentError(
            f"Stripe refused a repeated step while the hub {doing}: {said} This is a hub "
            "bug (one step key, two requests); report it with this message."
        )
    param = getattr(exc, "param", None)
    where = f" (parameter {param})" if param else ""
    return PermanentError(
        f"Stripe refused the request while the hub {doing}{where}: {said} "
        "Fix the cause in the hub or in Stripe's dashboard, then replay."
    )


@contextmanager
def stripe_errors(doing: str) -> Iterator[None]:
    """Translate every stripe exception raised inside into a connector error."""
    try:
        yield
    except stripe.StripeError as exc:
        raise translate(exc, doing) from exc
