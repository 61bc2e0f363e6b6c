"""Every stripe exception the connector can meet maps to a transient or permanent error."""

from __future__ import annotations

import pytest
import stripe

from connectors.errors import ConnectorError, PermanentError, TransientError
from connectors.stripe.errors import ALREADY_DONE, already_done, stripe_errors, translate

CASES: list[tuple[stripe.StripeError, type[ConnectorError], str]] = [
    (
        stripe.APIConnectionError("connection reset"),  # type: ignore[no-untyped-call]
        TransientError,
        "could not be reached",
    ),
    (stripe.APIError("boom", http_status=500), TransientError, "(500)"),
    (stripe.APIError("bad gateway", http_status=502), TransientError, "(502)"),
    (stripe.IdempotencyError("in flight", http_status=409), TransientError, "(409)"),
    (stripe.RateLimitError("slow down", http_status=429), TransientError, "429"),
    (
        stripe.AuthenticationError("Invalid API Key", http_status=401),
        PermanentError,
        "Set [stripe] api_key (HUB_STRIPE_API_KEY)",
    ),
    (stripe.PermissionError("restricted", http_status=403), PermanentError, "restricted key"),
    (stripe.IdempotencyError("reused", http_status=400), PermanentError, "hub bug"),
    (
        stripe.InvalidRequestError(  # type: ignore[no-untyped-call]
            "No such tax rate", "lines[0]", http_status=400
        ),
        PermanentError,
        "(parameter lines[0])",
    ),
    (
        stripe.CardError(  # type: ignore[no-untyped-call]
            "declined", None, "card_declined", http_status=402
        ),
        PermanentError,
        "declined",
    ),
]


@pytest.mark.parametrize(("exc", "kind", "said"), CASES, ids=lambda c: type(c).__name__)
def test_each_stripe_error_is_classified_once(
    exc: stripe.StripeError, kind: type[ConnectorError], said: str
) -> None:
    with pytest.raises(kind, match=None) as raised, stripe_errors("issues invoice hub-inv-1"):
        raise exc
    assert said in raised.value.message
    assert raised.value.__cause__ is exc


def test_every_stripe_error_class_is_covered() -> None:
    covered = {type(exc) for exc, _kind, _said in CASES}
    core = {
        stripe.APIConnectionError,
        stripe.APIError,
        stripe.AuthenticationError,
        stripe.CardError,
        stripe.IdempotencyError,
        stripe.InvalidRequestError,
        stripe.PermissionError,
        stripe.RateLimitError,
    }
    assert core <= covered


def test_retry_after_is_read_from_the_header() -> None:
    exc = stripe.RateLimitError("slow down", http_status=429, headers={"retry-after": "12"})
    error = translate(exc, "issues invoice hub-inv-1")
    assert isinstance(error, TransientError) and error.retry_after == 12
    odd = stripe.RateLimitError("slow down", http_status=429, headers={"retry-after": "soon"})
    assert translate(odd, "x").retry_after is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("action", "status", "done"),
    [
        ("finalize", "open", True),
        ("finalize", "paid", True),
        ("finalize", "draft", False),
        ("void", "void", True),
        ("void", "paid", False),
        ("pay", "paid", True),
        ("pay", "open", False),
    ],
)
def test_already_done_is_proved_by_the_invoice_status(action: str, status: str, done: bool) -> None:
    assert already_done(action, status) is done


def test_the_already_done_list_is_closed() -> None:
    assert set(ALREADY_DONE) == {"finalize", "void", "pay"}
