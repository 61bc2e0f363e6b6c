"""Orders cancelled after billing: voided invoices and credit notes, exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import Event
from connectors.errors import TransientError
from connectors.facts import InvoiceIssued, InvoiceReversed, Superseded
from connectors.stripe.connector import StripeConnector
from sandbox.stripe import StripeEmulator
from tests.integration.stripe_billing.builders import (
    CLEANING,
    SHOPPING,
    Spec,
    World,
    customer,
    deliver,
    deliver_until_done,
)


def _issue(
    connector: StripeConnector, world: World, orders: dict[str, list[Spec]], **options: Any
) -> tuple[Event, InvoiceIssued]:
    event = world.invoice(orders, **options)
    outcome = deliver(connector, event)
    assert outcome.delivered, outcome.error
    (issued,) = [f for f in outcome.facts if isinstance(f, InvoiceIssued)]
    return event, issued


def test_an_open_per_order_invoice_is_voided_once(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    requested, issued = _issue(connector, world, {"C-1": [CLEANING]})
    emulator.faults.add("lost", "/v1/invoices/*/void", method="POST")
    event = world.cancelled(requested, "C-1", action="void")
    outcome = deliver_until_done(connector, event)
    assert outcome.facts == (InvoiceReversed(issued.invoice_id, "C-1", "void", None, 3900),)
    assert world.objects("invoice")[0]["status"] == "void"
    emulator.idempotency.expire_all()
    assert deliver(connector, event).facts == outcome.facts  # a late copy: still one void
    assert sum(1 for e in world.objects("event") if e["type"] == "invoice.voided") == 1


def test_a_void_asked_for_a_paid_invoice_becomes_a_credit_note(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    requested, issued = _issue(connector, world, {"C-1": [CLEANING]})
    emulator.client().v1.invoices.pay(issued.stripe_invoice_id, {"paid_out_of_band": True})
    outcome = deliver(connector, world.cancelled(requested, "C-1", action="void"))
    (reversed_,) = outcome.facts
    assert isinstance(reversed_, InvoiceReversed) and reversed_.outcome == "credited"


@pytest.mark.parametrize("refund_to", ["refund", "customer_balance"])
def test_a_paid_invoice_gets_a_credit_note_refunded_as_configured(
    connector: StripeConnector, world: World, emulator: StripeEmulator, refund_to: str
) -> None:
    card = emulator.client().v1.customers.create({"name": "Ada", "payment_method": "pm_card_visa"})
    requested, issued = _issue(
        connector,
        world,
        {"C-1": [CLEANING], "C-2": [SHOPPING]},
        who=customer(stripe_customer_id=card.id),
        mode="monthly",
        collection_method="charge_automatically",
    )
    assert issued.status == "paid"
    event = world.cancelled(requested, "C-2", action="credit_note", refund_to=refund_to)
    outcome = deliver(connector, event)
    (note,) = world.objects("credit_note")
    assert outcome.facts == (
        InvoiceReversed(issued.invoice_id, "C-2", "credited", note["id"], 4500),
    )
    assert note["metadata"]["hub_order_ref"] == "C-2" and note["total"] == 4500
    (charge,) = world.objects("charge")
    stripe_customer = emulator.store.objects["customer"][card.id]
    if refund_to == "refund":
        assert (charge["amount_refunded"], stripe_customer["balance"]) == (4500, 0)
    else:
        assert (charge["amount_refunded"], stripe_customer["balance"]) == (0, -4500)


def test_an_order_inside_an_open_monthly_invoice_is_credited_once_by_its_lines(
    connector: StripeConnector, world: World, emulator: StripeEmulator
) -> None:
    requested, issued = _issue(
        connector, world, {"C-1": [CLEANING], "C-2": [SHOPPING, CLEANING]}, mode="monthly"
    )
    emulator.faults.add("lost", "/v1/credit_notes", method="POST")
    event = world.cancelled(requested, "C-2", action="credit_note")
    assert isinstance(deliver(connector, event).error, TransientError)
    emulator.idempotency.expire_all()
    outcome = deliver(connector, event)
    (note,) = world.objects("credit_note")
    assert note["total"] == 4500 + 3900 and note["type"] == "pre_payment"
    assert outcome.facts[0] == InvoiceReversed(
        issued.invoice_id, "C-2", "credited", note["id"], 8400
    )
    assert world.objects("invoice")[0]["amount_due"] == 3900


def test_a_stale_cancellation_never_overwrites_a_newer_one(
    connector: StripeConnector, world: World
) -> None:
    requested, _issued = _issue(connector, world, {"C-1": [CLEANING], "C-2": [SHOPPING]})
    first = world.cancelled(requested, "C-2", action="credit_note", version=7)
    assert deliver(connector, first).delivered
    late = deliver(connector, world.cancelled(requested, "C-2", action="credit_note", version=6))
    assert late.facts == (Superseded("C-2", delivered_version=6, newer_version=7),)
    assert len(world.objects("credit_note")) == 1
    older_than_invoice = world.cancelled(requested, "C-1", action="void", version=2)
    assert deliver(connector, older_than_invoice).facts == (
        Superseded("C-1", delivered_version=2, newer_version=3),
    )
