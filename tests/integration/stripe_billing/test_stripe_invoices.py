"""Issuing invoices in the emulator: calls per invoice, lines, totals, and exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import PermanentError, TransientError
from connectors.facts import CustomerLinked, InvoiceIssued
from connectors.stripe.connector import StripeConnector, stripe_connector
from connectors.stripe.limiter import RateLimiter
from sandbox.stripe import StripeEmulator
from tests.integration.stripe_billing.builders import (
    BOOKS,
    CLEANING,
    SHOPPING,
    Spec,
    World,
    customer,
    deliver,
    deliver_until_done,
)
from tests.integration.stripe_billing.conftest import MakeConnector


def _issued(facts: tuple[object, ...]) -> InvoiceIssued:
    (issued,) = [fact for fact in facts if isinstance(fact, InvoiceIssued)]
    return issued


def test_a_per_order_invoice_is_issued_and_sent_with_the_hubs_totals(
    connector: StripeConnector, world: World
) -> None:
    event = world.invoice({"C-2026-000001": [CLEANING, SHOPPING]})
    outcome = deliver(connector, event)
    assert outcome.delivered, outcome.error
    (invoice,) = world.objects("invoice")
    issued = _issued(outcome.facts)
    assert issued.stripe_invoice_id == invoice["id"]
    assert (issued.status, invoice["status"], invoice["auto_advance"]) == ("open", "open", False)
    assert (issued.total_cents, issued.tax_cents) == (
        event.payload["total_cents"],
        event.payload["vat_cents"],
    )
    assert issued.number and issued.hosted_url and issued.pdf_url
    assert invoice["metadata"]["hub_invoice_key"] == event.payload["invoice_key"]
    assert invoice["metadata"]["hub_order_refs"] == "C-2026-000001"
    (stripe_customer,) = world.objects("customer")
    assert CustomerLinked(12, stripe_customer["id"]) in outcome.facts
    assert stripe_customer["metadata"] == {
        "hub_customer_id": "12",
        "hub_customer_ref": "K-0012",
        "hub_version": "1",
    }
    assert stripe_customer["address"]["line1"] == "12 rue des Lilas"
    lines = world.lines_of(invoice["id"])
    assert [line["description"] for line in lines] == [
        "Ménage 1,5 × 26,00\u00a0€",  # noqa: RUF001 - as printed on the PDF
        "Courses 1 × 45,00\u00a0€",  # noqa: RUF001
    ]
    assert {line["metadata"]["hub_order_ref"] for line in lines} == {"C-2026-000001"}
    rates = world.objects("tax_rate")
    assert sorted((r["description"], r["inclusive"], r["country"]) for r in rates) == [
        ("TVA 10 %", True, "FR"),
        ("TVA 20 %", True, "FR"),
    ]


def test_once_customer_and_rates_exist_a_per_order_invoice_costs_four_calls(
    connector: StripeConnector, world: World
) -> None:
    assert deliver(connector, world.invoice({"C-1": [CLEANING]})).delivered
    before = world.calls()
    assert deliver(connector, world.invoice({"C-2": [CLEANING]})).delivered
    assert world.calls() - before == 4
    # A fresh process knows the customer from the ledger and the rates from one list call.
    linked = world.objects("customer")[0]["id"]
    before = world.calls()
    assert deliver(
        connector, world.invoice({"C-3": [CLEANING]}, who=customer(stripe_customer_id=linked))
    ).delivered
    assert world.calls() - before == 4
    assert len(world.objects("customer")) == 1


@pytest.mark.parametrize("orders", [1, 10, 40])
def test_a_monthly_invoice_costs_the_same_four_calls_whatever_its_orders(
    connector: StripeConnector, world: World, emulator: StripeEmulator, orders: int
) -> None:
    assert deliver(connector, world.invoice({"C-0": [CLEANING, SHOPPING, BOOKS]})).delivered
    before = world.calls()
    event = world.invoice(
        {f"C-2026-{n:06d}": [CLEANING, SHOPPING] for n in range(1, orders + 1)}, mode="monthly"
    )
    outcome = deliver(connector, event)
    assert outcome.delivered, outcome.error
    assert world.calls() - before == 4
    assert emulator.counts["POST /v1/invoices/{id}/add_lines"] == 2
    issued = _issued(outcome.facts)
    assert len(world.lines_of(issued.stripe_invoice_id)) == 2 * orders
    assert issued.total_cents == event.payload["total_cents"]


def test_a_long_order_list_is_cut_to_fit_stripes_metadata(
    connector: StripeConnector, world: World
) -> None:
    refs = {f"C-2026-{n:06d}": [SHOPPING] for n in range(1, 61)}
    outcome = deliver(connector, world.invoice(refs, mode="monthly"))
    assert outcome.delivered, outcome.error
    (invoice,) = world.objects("invoice")
    text = invoice["metadata"]["hub_order_refs"]
    assert len(text) <= 500 and text.startswith("C-2026-000001,")
    kept = text.split(",")
    assert int(kept[-1].removeprefix("+")) == 60 - (len(kept) - 1)


def test_a_charge_automatically_invoice_is_paid_with_the_saved_card(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    card_holder = emulator.client().v1.customers.create(
        {"name": "Ada", "payment_method": "pm_card_visa", "metadata": {"hub_customer_id": "12"}}
    )
    event = world.invoice(
        {"C-1": [CLEANING]},
        who=customer(stripe_customer_id=card_holder.id),
        collection_method="charge_automatically",
    )
    outcome = deliver(connector, event)
    assert outcome.delivered, outcome.error
    issued = _issued(outcome.facts)
    assert issued.status == "paid" and issued.paid_at is not None


def test_a_declined_card_leaves_the_invoice_issued_and_open(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    declined = emulator.client().v1.customers.create(
        {"name": "Ada", "payment_method": "pm_card_chargeDeclined"}
    )
    event = world.invoice(
        {"C-1": [CLEANING]},
        who=customer(stripe_customer_id=declined.id),
        collection_method="charge_automatically",
    )
    outcome = deliver(connector, event)
    assert outcome.delivered, outcome.error
    assert _issued(outcome.facts).status == "open"


def test_a_customer_without_a_saved_card_still_gets_an_issued_invoice_with_its_payment_page(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    no_card = emulator.client().v1.customers.create({"name": "Bo"})
    event = world.invoice(
        {"C-1": [CLEANING]},
        who=customer(stripe_customer_id=no_card.id),
        collection_method="charge_automatically",
    )
    outcome = deliver(connector, event)
    assert outcome.delivered, outcome.error  # not a dead letter the ledger never hears of
    issued = _issued(outcome.facts)
    assert issued.status == "open"
    assert issued.hosted_url is not None and issued.number is not None


def test_more_lines_than_stripe_holds_are_refused_before_any_call(
    connector: StripeConnector, world: World
) -> None:
    event = world.invoice({f"C-{n}": [SHOPPING] for n in range(251)}, mode="monthly")
    outcome = deliver(connector, event)
    assert isinstance(outcome.error, PermanentError)
    assert "ledger must split" in outcome.error.message
    assert world.calls() == 0


def test_lines_go_in_chunks_and_a_lost_chunk_is_never_doubled(
    make_connector: MakeConnector, world: World, emulator: StripeEmulator
) -> None:
    connector = make_connector(lines_per_call=100)
    emulator.faults.add("lost", "/v1/invoices/*/add_lines", method="POST")
    emulator.faults.add("lost", "/v1/invoices/*/add_lines", method="POST")
    # The first chunk goes in, its answer lost; then the second, its answer lost too; and
    # the event is older than Stripe keeps keys, so only the lines' own marks can tell.
    event = world.invoice(
        {f"C-{n}": [SHOPPING] for n in range(250)}, mode="monthly", age=timedelta(hours=25)
    )
    assert isinstance(deliver(connector, event).error, TransientError)
    emulator.idempotency.expire_all()
    assert isinstance(deliver(connector, event).error, TransientError)
    emulator.idempotency.expire_all()
    outcome = deliver_until_done(connector, event)
    assert outcome.delivered, outcome.error
    (invoice,) = world.objects("invoice")
    lines = world.lines_of(invoice["id"])
    assert len(lines) == 250
    assert len({line["metadata"]["hub_line"] for line in lines}) == 250
    assert invoice["total"] == event.payload["total_cents"]
    assert emulator.counts["POST /v1/invoices/{id}/add_lines"] == 3


STEPS = [
    "/v1/customers",
    "/v1/tax_rates",
    "/v1/invoices",
    "/v1/invoices/*/add_lines",
    "/v1/invoices/*/finalize",
    "/v1/invoices/*/send",
]


@pytest.mark.parametrize("path", STEPS)
@pytest.mark.parametrize("retries", [0, 2], ids=["outbox-retries", "library-retries"])
def test_a_lost_response_at_any_step_still_yields_one_of_everything(
    make_connector: MakeConnector,
    world: World,
    emulator: StripeEmulator,
    path: str,
    retries: int,
) -> None:
    connector = make_connector(retries=retries)
    emulator.faults.add("lost", path, method="POST")
    event = world.invoice({"C-1": [CLEANING, SHOPPING]})
    outcome = deliver_until_done(connector, event)
    assert outcome.delivered, outcome.error
    assert emulator.faults.fired == [("lost", "POST", path.replace("*", _id_in(emulator)))]
    assert len(world.objects("customer")) == 1
    assert len(world.objects("tax_rate")) == 2
    (invoice,) = world.objects("invoice")
    assert len(world.lines_of(invoice["id"])) == 2
    assert invoice["status"] == "open"
    assert sum(1 for e in world.objects("event") if e["type"] == "invoice.sent") == 1


def _id_in(emulator: StripeEmulator) -> str:
    invoices = list(emulator.store.objects["invoice"])
    return invoices[0] if invoices else ""


def test_a_timed_out_request_that_stripe_applied_is_not_applied_twice(
    make_connector: MakeConnector, world: World, emulator: StripeEmulator
) -> None:
    connector = make_connector(timeout=0.5)
    emulator.faults.add("timeout", "/v1/invoices/*/add_lines", method="POST", delay_seconds=1.0)
    event = world.invoice({"C-1": [CLEANING]})
    first = deliver(connector, event)
    assert isinstance(first.error, TransientError)
    outcome = deliver_until_done(connector, event)
    assert outcome.delivered, outcome.error
    (invoice,) = world.objects("invoice")
    assert len(world.lines_of(invoice["id"])) == 1


def test_an_event_older_than_its_keys_finds_its_invoice_by_metadata(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    emulator.faults.add("lost", "/v1/invoices/*/finalize", method="POST")
    event = world.invoice({"C-1": [CLEANING]}, age=timedelta(hours=25))
    assert isinstance(deliver(connector, event).error, TransientError)
    emulator.idempotency.expire_all()  # 24 hours later, as far as Stripe's keys go
    outcome = deliver_until_done(connector, event)
    assert outcome.delivered, outcome.error
    (invoice,) = world.objects("invoice")
    assert len(world.lines_of(invoice["id"])) == 1
    assert _issued(outcome.facts).stripe_invoice_id == invoice["id"]
    assert emulator.counts["GET /v1/invoices/search"] == 2


def test_an_invoice_for_a_customer_deleted_in_stripe_goes_to_a_new_customer(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    gone = emulator.client().v1.customers.create({"name": "Ada"})
    emulator.client().v1.customers.delete(gone.id)
    outcome = deliver(
        connector, world.invoice({"C-1": [CLEANING]}, who=customer(stripe_customer_id=gone.id))
    )
    assert outcome.delivered, outcome.error
    (linked,) = [fact for fact in outcome.facts if isinstance(fact, CustomerLinked)]
    assert linked.stripe_customer_id != gone.id
    (invoice,) = world.objects("invoice")
    assert invoice["customer"] == linked.stripe_customer_id


# -- totals to the cent --------------------------------------------------------------------

VAT_RATES = st.sampled_from([2000, 1000, 550])
LINE_SPECS = st.tuples(
    st.sampled_from(["Ménage", "Courses", "Repassage"]),
    st.integers(min_value=1, max_value=50_000),
    st.sampled_from([250, 500, 1000, 1250, 1500, 2000, 3000, 3333]),
    VAT_RATES,
)


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[StripeEmulator, StripeConnector, World]]:
    with StripeEmulator() as running:
        built = stripe_connector(
            running.api_key,
            running.base_url,
            1000,
            max_network_retries=0,
            limiter=RateLimiter(1000),
        )
        assert isinstance(built, StripeConnector)
        yield running, built, World(running)
        built.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(orders=st.lists(st.lists(LINE_SPECS, min_size=1, max_size=4), min_size=1, max_size=6))
def test_stripe_totals_equal_the_hubs_to_the_cent(
    shared: tuple[StripeEmulator, StripeConnector, World], orders: list[list[Spec]]
) -> None:
    _emulator, connector, world = shared
    event = world.invoice({f"C-{n}": specs for n, specs in enumerate(orders)}, mode="monthly")
    outcome = deliver(connector, event)
    assert outcome.delivered, outcome.error
    issued = _issued(outcome.facts)
    assert issued.total_cents == event.payload["total_cents"]
    assert issued.tax_cents == event.payload["vat_cents"]
