"""Fixtures for the Stripe connector's tests: a running emulator and a connector built by the
hub's own factory, talking to it over HTTP with the real, unpatched stripe library.

None of these tests touch the database: they build ``Event`` snapshots as the dispatcher
would, call ``deliver``, and look at the emulator's state and at the facts returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from connectors.stripe.connector import StripeConnector, stripe_connector
from connectors.stripe.limiter import RateLimiter
from sandbox.stripe import StripeEmulator
from tests.integration.stripe_billing.builders import World

MakeConnector = Callable[..., StripeConnector]


@pytest.fixture
def emulator() -> Iterator[StripeEmulator]:
    with StripeEmulator() as running:
        yield running


@pytest.fixture
def make_connector(emulator: StripeEmulator) -> Iterator[MakeConnector]:
    made: list[StripeConnector] = []

    def make(
        *, retries: int = 0, timeout: float = 2.0, rate: float = 1000.0, **options: object
    ) -> StripeConnector:
        built = stripe_connector(
            emulator.api_key,
            emulator.base_url,
            rate,
            timeout=timeout,
            max_network_retries=retries,
            limiter=RateLimiter(rate),
            **options,  # type: ignore[arg-type]
        )
        assert isinstance(built, StripeConnector)
        made.append(built)
        return built

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: MakeConnector) -> StripeConnector:
    return make_connector()


@pytest.fixture
def world(emulator: StripeEmulator) -> World:
    return World(emulator)
