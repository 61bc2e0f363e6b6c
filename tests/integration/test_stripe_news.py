"""The worker applies Stripe's news to the ledger: once, in Stripe's order, never backwards."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import stripe
from flask import Flask

from hub.db import get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.stripe_news import NewsCounts
from hub.models import BillingStatus, Customer, InboxStatus
from jobs.registry import build_registry
from jobs.runs import run_job
from sandbox.stripe import StripeEmulator
from tests.conftest import SignIn, Users
from tests.factories import make_customer
from tests.integration.stripe_support import (
    Billed,
    apply_inbox,
    bill_in_ledger,
    billing_events,
    emulator,
    events_of,
    ledger_invoice,
    link,
    order_of,
    post_event,
    stored_events,
    stripe_client,
    stripe_hub,
    stripe_invoice,
)

__all__ = ["emulator", "stripe_client", "stripe_hub"]


def test_a_card_payment_makes_the_order_paid_with_a_readable_history_line(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
    signed_in: SignIn,
) -> None:
    billed = bill_in_ledger(stripe_hub, users)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None
    paid = stripe_client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})
    events = events_of(emulator, invoice.id)
    client = stripe_hub.test_client()
    for kind in ("invoice.finalized", "invoice.paid"):
        assert post_event(client, events[kind]).status_code == 200

    assert apply_inbox(stripe_hub) == NewsCounts(applied=2)

    (ref,) = billed.refs
    order = order_of(stripe_hub, ref)
    assert order.billing_status == "paid"
    (line,) = billing_events(order, "billing_paid")
    assert line.actor_label == "stripe"
    assert line.changes == {
        "payment": {"method": "card", "amount_cents": 800, "invoice_number": paid.number}
    }
    stored = ledger_invoice(stripe_hub, billed.invoice_id)
    assert (stored.status, stored.number) == ("paid", paid.number)
    assert stored.stripe_invoice_id == invoice.id
    assert stored.hosted_url == paid.hosted_invoice_url and stored.paid_at is not None

    page = signed_in("concierge", english=False).get(f"/orders/{ref}").get_data(as_text=True)
    assert f"payée par carte, 8,00\u00a0€, facture {paid.number}" in page


def test_a_duplicate_is_applied_once(
    stripe_hub: Flask, users: Users, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    billed = bill_in_ledger(stripe_hub, users)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None
    link(stripe_hub, billed, invoice.id)
    stripe_client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    paid = events_of(emulator, invoice.id)["invoice.paid"]
    client = stripe_hub.test_client()

    post_event(client, paid)
    post_event(client, paid)
    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)
    # Stripe retries again after it was applied: acknowledged, nothing happens twice.
    assert post_event(client, paid).get_json()["receipt"] == "duplicate"
    assert apply_inbox(stripe_hub) == NewsCounts()

    order = order_of(stripe_hub, billed.refs[0])
    assert len(billing_events(order, "billing_paid")) == 1
    assert [row.status for row in stored_events(stripe_hub)] == [InboxStatus.APPLIED]


def test_paid_arriving_before_finalized_ends_paid(
    stripe_hub: Flask, users: Users, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    billed = bill_in_ledger(stripe_hub, users, orders=2)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None
    stripe_client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    events = events_of(emulator, invoice.id)
    client = stripe_hub.test_client()
    # Delivered out of order, and applied in separate passes so order of arrival is all there is.
    post_event(client, events["invoice.paid"])
    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)
    post_event(client, events["invoice.finalized"])
    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)

    for ref in billed.refs:
        order = order_of(stripe_hub, ref)
        assert order.billing_status == "paid"
        assert billing_events(order, "billing_invoiced") == []
        (line,) = billing_events(order, "billing_paid")
        # Two orders on one invoice: each history line shows the order's own share.
        assert line.changes["payment"]["amount_cents"] == order.total_cents
    assert ledger_invoice(stripe_hub, billed.invoice_id).status == "paid"


def test_events_received_together_apply_in_stripes_order(
    stripe_hub: Flask, users: Users, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    billed = bill_in_ledger(stripe_hub, users)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None
    stripe_client.v1.invoices.void_invoice(invoice.id)
    events = events_of(emulator, invoice.id)
    finalized = {**events["invoice.finalized"], "created": events["invoice.voided"]["created"] - 5}
    client = stripe_hub.test_client()
    post_event(client, events["invoice.voided"])
    post_event(client, finalized)

    assert apply_inbox(stripe_hub) == NewsCounts(applied=2)
    order = order_of(stripe_hub, billed.refs[0])
    # Finalized (older) applied first, then voided: both moves are in the history.
    assert [e.kind for e in order.events if e.kind.startswith("billing_")] == [
        "billing_pending",
        "billing_invoiced",
        "billing_void",
    ]
    assert ledger_invoice(stripe_hub, billed.invoice_id).status == "void"


def test_a_failed_event_is_applied_when_stripe_redelivers_it(
    stripe_hub: Flask, users: Users, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    # The customer has no e-mail: the ledger refuses to start billing the order.
    billed = bill_in_ledger(stripe_hub, users, email=None)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None
    finalized = events_of(emulator, invoice.id)["invoice.finalized"]
    client = stripe_hub.test_client()
    post_event(client, finalized)

    assert apply_inbox(stripe_hub) == NewsCounts(failed=1)
    (row,) = stored_events(stripe_hub)
    assert row.status == InboxStatus.FAILED and "has no e-mail" in (row.last_error or "")
    assert order_of(stripe_hub, billed.refs[0]).billing_status == "unbilled"

    with stripe_hub.app_context():
        session = get_session()
        with write_transaction(session):
            customer = session.get(Customer, billed.customer_id)
            assert customer is not None
            customer.email = "j@example.com"
    assert post_event(client, finalized).get_json()["receipt"] == "redelivered"
    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)
    assert order_of(stripe_hub, billed.refs[0]).billing_status == "invoiced"
    (row,) = stored_events(stripe_hub)
    assert (row.status, row.attempts) == (InboxStatus.APPLIED, 2)


def test_unknown_types_and_foreign_invoices_are_ignored(
    stripe_hub: Flask, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    customer = stripe_client.v1.customers.create({"name": "Someone in the dashboard"})
    assert customer.id is not None
    by_hand = stripe_client.v1.invoices.create({"customer": customer.id, "auto_advance": False})
    assert by_hand.id is not None
    stripe_client.v1.invoices.finalize_invoice(by_hand.id)
    client = stripe_hub.test_client()
    post_event(client, events_of(emulator, by_hand.id)["invoice.finalized"])
    post_event(client, events_of(emulator, customer.id)["customer.created"])

    assert apply_inbox(stripe_hub) == NewsCounts(ignored=2)
    foreign, unknown = stored_events(stripe_hub)
    assert foreign.status == unknown.status == InboxStatus.IGNORED
    assert "names no invoice of the hub" in (foreign.last_error or "")


def test_a_refund_whose_charge_has_null_metadata_is_ignored_not_failed(stripe_hub: Flask) -> None:
    event = {
        "id": "evt_refund_null_metadata",
        "object": "event",
        "type": "charge.refunded",
        "livemode": False,
        "created": 1_764_547_200,
        "data": {"object": {"id": "ch_1", "object": "charge", "metadata": None, "refunded": True}},
    }
    assert post_event(stripe_hub.test_client(), event).status_code == 200
    assert apply_inbox(stripe_hub) == NewsCounts(ignored=1)
    (stored,) = stored_events(stripe_hub)
    assert stored.status == InboxStatus.IGNORED


def test_a_credit_note_credits_its_order_and_a_deleted_customer_is_forgotten(
    stripe_hub: Flask, users: Users, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    billed = bill_in_ledger(stripe_hub, users)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None and isinstance(invoice.customer, str)
    link(stripe_hub, billed, invoice.id)
    with stripe_hub.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(
                sa.update(Customer)
                .where(Customer.id == billed.customer_id)
                .values(stripe_customer_id=invoice.customer)
            )
    stripe_client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    note = stripe_client.v1.credit_notes.create(
        {
            "invoice": invoice.id,
            "amount": billed.total_cents,
            "metadata": {"hub_order_ref": billed.refs[0], "hub_invoice_key": billed.key},
        }
    )
    assert note.id is not None
    stripe_client.v1.customers.delete(invoice.customer)
    client = stripe_hub.test_client()
    for event_type, about in (
        ("invoice.paid", invoice.id),
        ("credit_note.created", note.id),
        ("customer.deleted", invoice.customer),
    ):
        post_event(client, events_of(emulator, about)[event_type])

    assert apply_inbox(stripe_hub) == NewsCounts(applied=3)
    order = order_of(stripe_hub, billed.refs[0])
    assert order.billing_status == "credited"
    (line,) = billing_events(order, "billing_credited")
    assert line.changes == {"credit_note": note.number}
    with stripe_hub.app_context():
        customer = get_session().get(Customer, billed.customer_id)
        assert customer is not None and customer.stripe_customer_id is None


def test_the_worker_job_applies_the_inbox_and_records_a_run(
    stripe_hub: Flask, users: Users, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    job = build_registry(stripe_hub).get("stripe.inbox")
    assert run_job(stripe_hub, job).run_id is None  # idle runs leave nothing behind
    billed = bill_in_ledger(stripe_hub, users)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None
    post_event(stripe_hub.test_client(), events_of(emulator, invoice.id)["invoice.finalized"])

    result = run_job(stripe_hub, job)
    assert result.outcome == "ok" and result.run_id is not None
    assert order_of(stripe_hub, billed.refs[0]).billing_status == "invoiced"


def test_a_key_or_customer_id_past_the_databases_integers_is_foreign_not_a_failure(
    stripe_hub: Flask, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    # Typed by hand in the dashboard: PostgreSQL's INTEGER cannot even compare with these.
    stranger = Billed(invoice_id=2**31, refs=["C-2026-999999"], customer_id=2**31, total_cents=500)
    invoice = stripe_invoice(stripe_client, stranger)
    assert invoice.id is not None and isinstance(invoice.customer, str)
    stripe_client.v1.customers.update(invoice.customer, {"name": "Jeanne M."})
    client = stripe_hub.test_client()
    post_event(client, events_of(emulator, invoice.id)["invoice.finalized"])
    post_event(client, events_of(emulator, invoice.customer)["customer.updated"])

    assert apply_inbox(stripe_hub) == NewsCounts(ignored=2)
    assert {row.status for row in stored_events(stripe_hub)} == {InboxStatus.IGNORED}


def test_a_link_that_is_not_a_web_address_is_never_kept_nor_shown(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
    signed_in: SignIn,
) -> None:
    billed = bill_in_ledger(stripe_hub, users)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None
    finalized = events_of(emulator, invoice.id)["invoice.finalized"]
    finalized["data"]["object"]["hosted_invoice_url"] = "javascript:alert(document.cookie)"
    finalized["data"]["object"]["invoice_pdf"] = "data:text/html,<script>alert(1)</script>"
    assert post_event(stripe_hub.test_client(), finalized).status_code == 200

    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)
    stored = ledger_invoice(stripe_hub, billed.invoice_id)
    assert (stored.hosted_url, stored.pdf_url) == (None, None)
    page = signed_in("concierge").get(f"/orders/{billed.refs[0]}").get_data(as_text=True)
    assert "javascript:" not in page and "data:text/html" not in page


def test_a_declined_payment_then_an_uncollectible_invoice_move_the_order_each_time(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
) -> None:
    billed = bill_in_ledger(stripe_hub, users)
    invoice = stripe_invoice(stripe_client, billed)
    assert invoice.id is not None
    link(stripe_hub, billed, invoice.id)
    with pytest.raises(stripe.CardError):
        stripe_client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_chargeDeclined"})
    stripe_client.v1.invoices.mark_uncollectible(invoice.id)
    events = events_of(emulator, invoice.id)
    client = stripe_hub.test_client()
    (ref,) = billed.refs

    assert post_event(client, events["invoice.payment_failed"]).status_code == 200
    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)
    assert order_of(stripe_hub, ref).billing_status == "payment_failed"

    assert post_event(client, events["invoice.marked_uncollectible"]).status_code == 200
    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)
    assert order_of(stripe_hub, ref).billing_status == "uncollectible"
    assert ledger_invoice(stripe_hub, billed.invoice_id).status == "uncollectible"


def test_a_full_refund_naming_its_order_credits_it(stripe_hub: Flask, users: Users) -> None:
    billed = bill_in_ledger(stripe_hub, users)
    (ref,) = billed.refs
    with stripe_hub.app_context():
        session = get_session()
        with write_transaction(session):
            for target in (BillingStatus.INVOICED, BillingStatus.PAID):
                apply_billing_news(session, Actor.system("test"), ref, target)
    refund = {
        "id": "evt_full_refund",
        "object": "event",
        "type": "charge.refunded",
        "livemode": False,
        "created": 1_764_547_200,
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "metadata": {"hub_order_ref": ref},
                "refunded": True,
            }
        },
    }
    assert post_event(stripe_hub.test_client(), refund).status_code == 200
    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)
    assert order_of(stripe_hub, ref).billing_status == "credited"


def test_customer_updated_links_a_hub_customer_not_linked_yet(
    stripe_hub: Flask, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    hub_id = make_customer(stripe_hub)
    made = stripe_client.v1.customers.create(
        {"name": "Jeanne", "metadata": {"hub_customer_id": str(hub_id)}}
    )
    assert made.id is not None
    stripe_client.v1.customers.update(made.id, {"phone": "+33 6 00 00 00 00"})
    updated = events_of(emulator, made.id)["customer.updated"]
    assert post_event(stripe_hub.test_client(), updated).status_code == 200
    assert apply_inbox(stripe_hub) == NewsCounts(applied=1)
    with stripe_hub.app_context():
        stored = get_session().get(Customer, hub_id)
        assert stored is not None and stored.stripe_customer_id == made.id
