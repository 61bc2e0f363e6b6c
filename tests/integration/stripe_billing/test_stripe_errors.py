"""Stripe's failures as the outbox sees them, and the refusals that mean "already done"."""

from __future__ import annotations

import stripe

from connectors.errors import PermanentError, TransientError
from connectors.facts import CustomerLinked, InvoiceReversed, Superseded
from connectors.payloads import InvoiceCancelled, InvoiceRequested, read_payload
from connectors.stripe.connector import StripeConnector, stripe_connector
from connectors.stripe.limiter import RateLimiter
from sandbox.stripe import StripeEmulator
from tests.integration.stripe_billing.builders import CLEANING, World, customer, deliver
from tests.integration.stripe_billing.conftest import MakeConnector


def test_a_server_error_is_transient_and_the_library_retries_it_with_its_key(
    make_connector: MakeConnector, world: World, emulator: StripeEmulator
) -> None:
    emulator.faults.add("error", "/v1/invoices", method="POST", status=503)
    outcome = deliver(make_connector(), world.invoice({"C-1": [CLEANING]}))
    assert isinstance(outcome.error, TransientError) and "(503)" in outcome.error.message
    emulator.faults.add("error", "/v1/invoices", method="POST", status=500)
    assert deliver(make_connector(retries=2), world.invoice({"C-2": [CLEANING]})).delivered


def test_a_429_is_transient_and_asks_for_its_retry_after(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    emulator.faults.add("rate_limit", "/v1/invoices", method="POST", retry_after=7)
    outcome = deliver(connector, world.invoice({"C-1": [CLEANING]}))
    assert isinstance(outcome.error, TransientError)
    assert outcome.error.retry_after == 7


def test_a_timeout_is_transient(
    make_connector: MakeConnector, world: World, emulator: StripeEmulator
) -> None:
    emulator.faults.add("timeout", "/v1/customers", method="POST", delay_seconds=1.0)
    outcome = deliver(make_connector(timeout=0.3), world.invoice({"C-1": [CLEANING]}))
    assert isinstance(outcome.error, TransientError)
    assert "could not be reached" in outcome.error.message


def test_an_invalid_request_is_permanent_with_stripes_words(
    connector: StripeConnector, world: World
) -> None:
    event = world.invoice({"C-1": [CLEANING]}, collection_method="by_pigeon")
    outcome = deliver(connector, event)
    assert isinstance(outcome.error, PermanentError)
    assert "collection_method" in outcome.error.message
    assert "then replay" in outcome.error.message


def test_a_wrong_api_key_is_permanent_and_says_which_setting_to_fix(
    emulator: StripeEmulator, world: World
) -> None:
    built = stripe_connector("sk_test_wrong", emulator.base_url, 100, limiter=RateLimiter(100))
    assert isinstance(built, StripeConnector)
    try:
        outcome = deliver(built, world.invoice({"C-1": [CLEANING]}))
    finally:
        built.close()
    assert isinstance(outcome.error, PermanentError)
    assert "Set [stripe] api_key (HUB_STRIPE_API_KEY)" in outcome.error.message


def test_without_an_api_key_the_connector_is_off_and_says_what_to_set() -> None:
    off = stripe_connector("", "https://api.stripe.com", 20)
    assert not isinstance(off, StripeConnector)
    assert off.name == "stripe"
    assert off.message.startswith("Set [stripe] api_key (HUB_STRIPE_API_KEY)")


# -- the closed list of "already done" -----------------------------------------------------


def _draft(connector: StripeConnector, world: World, emulator: StripeEmulator) -> stripe.Invoice:
    """Issue an invoice whose finalize fails, and return it as the connector last saw it."""
    emulator.faults.add("error", "/v1/invoices/*/finalize", method="POST", status=400)
    event = world.invoice({"C-1": [CLEANING]})
    assert isinstance(deliver(connector, event).error, PermanentError)
    (invoice,) = world.objects("invoice")
    return emulator.client().v1.invoices.retrieve(invoice["id"])


def test_an_invoice_already_finalized_counts_as_finalized(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    stale = _draft(connector, world, emulator)
    emulator.client().v1.invoices.finalize_invoice(stale.id)  # by hand, in the dashboard
    done = connector.invoices.finalize(world.invoice({"C-1": [CLEANING]}), stale)
    assert (stale.status, done.status) == ("draft", "open")


def test_an_invoice_already_paid_counts_as_paid(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    stale = _draft(connector, world, emulator)
    opened = emulator.client().v1.invoices.finalize_invoice(stale.id)
    emulator.client().v1.invoices.pay(opened.id, {"paid_out_of_band": True})
    event = world.invoice({"C-1": [CLEANING]}, collection_method="charge_automatically")
    request = read_payload(event.topic, event.payload, InvoiceRequested)
    done = connector.invoices.collect(event, request, opened)
    assert (opened.status, done.status) == ("open", "paid")


def test_an_invoice_already_void_counts_as_voided(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    requested = world.invoice({"C-1": [CLEANING]})
    assert deliver(connector, requested).delivered
    (invoice,) = world.objects("invoice")
    opened = emulator.client().v1.invoices.retrieve(invoice["id"])
    emulator.client().v1.invoices.void_invoice(invoice["id"])  # by hand, meanwhile
    event = world.cancelled(requested, "C-1", action="void")
    request = read_payload(event.topic, event.payload, InvoiceCancelled)
    facts = connector.reversals.void(event, request, opened)
    assert facts == [InvoiceReversed(request.invoice_id, "C-1", "void", None, 3900)]
    assert sum(1 for e in world.objects("event") if e["type"] == "invoice.voided") == 1


def test_a_customer_deleted_in_stripe_has_nothing_left_to_update(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    gone = emulator.client().v1.customers.create({"name": "Ada"})
    emulator.client().v1.customers.delete(gone.id)
    outcome = deliver(
        connector, world.customer_changed(customer(version=4, stripe_customer_id=gone.id))
    )
    assert outcome.delivered and outcome.facts == ()
    assert emulator.requests_made("POST", "/v1/customers/{id}") == 0


# -- customer updates ----------------------------------------------------------------------


def test_a_newer_customer_copy_updates_stripe_and_an_older_one_is_dropped(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    assert deliver(connector, world.invoice({"C-1": [CLEANING]}, who=customer(version=5))).delivered
    (stripe_customer,) = world.objects("customer")
    newer = customer(version=6, name="Ada King", email="ada@king.fr", address=None)
    outcome = deliver(connector, world.customer_changed(newer))
    assert outcome.facts == (CustomerLinked(12, stripe_customer["id"]),)
    assert (stripe_customer["name"], stripe_customer["email"]) == ("Ada King", "ada@king.fr")
    assert stripe_customer["address"] is None
    assert stripe_customer["metadata"]["hub_version"] == "6"
    # A worker frozen past its lease delivers version 4 late: it changes nothing.
    stale = customer(version=4, name="Ada Lovelace")
    outcome = deliver(connector, world.customer_changed(stale))
    assert outcome.facts == (Superseded("K-0012", delivered_version=4, newer_version=6),)
    assert stripe_customer["name"] == "Ada King"


def test_a_customer_not_yet_in_stripe_is_left_to_its_first_invoice(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    outcome = deliver(connector, world.customer_changed(customer(version=2)))
    assert outcome.delivered and outcome.facts == ()
    assert world.objects("customer") == []
