"""A thousand invoices at the configured pace: the limiter keeps the emulator from ever
answering 429 when its own limit is the configured rate."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from connectors.stripe.connector import StripeConnector, stripe_connector
from connectors.stripe.limiter import RateLimiter
from sandbox.stripe import StripeEmulator
from tests.integration.stripe_billing.builders import CLEANING, SHOPPING, World, customer, deliver

RATE = 200.0


def test_a_thousand_invoices_stay_under_the_rate_with_zero_429(
    emulator: StripeEmulator, world: World
) -> None:
    emulator.rate_limit(RATE)  # Stripe's own bucket, at exactly the configured pace
    limiter = RateLimiter(RATE)
    built = stripe_connector(
        emulator.api_key, emulator.base_url, RATE, max_network_retries=0, limiter=limiter
    )
    assert isinstance(built, StripeConnector)
    events = [
        world.invoice({f"C-{n}": [CLEANING, SHOPPING]}, who=customer(1 + n % 100))
        for n in range(1000)
    ]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(lambda event: deliver(built, event), events))
    finally:
        built.close()
    failed = [outcome.error for outcome in outcomes if not outcome.delivered]
    # A 429 is not retried by the library: it would show here as a transient error.
    assert failed == []
    assert len(world.objects("invoice")) == 1000
    assert len(world.objects("customer")) == 100
    # Every request the emulator saw took a token first, and the bucket held some back (how
    # many depends on how busy the machine is; the pace itself is tested with a fake clock in
    # tests/unit/test_stripe_limiter.py).
    assert limiter.granted == emulator.requests_made()
    assert limiter.delayed > 0
