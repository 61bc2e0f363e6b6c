"""Reconciliation finds what Stripe's webhooks never told the hub, repairs it, reports the rest."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import stripe
from click.testing import CliRunner, Result
from flask import Flask

from connectors.stripe.limiter import shared_limiter
from hub.cli import main
from hub.config import get_config
from hub.db import get_session
from hub.ledger.stripe_news import NewsCounts
from hub.models import InboxStatus, ReconcileReport
from jobs.registry import build_registry
from jobs.runs import run_job
from sandbox.stripe import StripeEmulator
from tests import conftest
from tests.conftest import SignIn, Users
from tests.integration.stripe_support import (
    Billed,
    apply_inbox,
    bill_in_ledger,
    billing_events,
    emulator,
    ledger_invoice,
    link,
    order_of,
    stored_events,
    stripe_client,
    stripe_hub,
    stripe_invoice,
)

__all__ = ["emulator", "stripe_client", "stripe_hub"]


def run_reconcile(
    database: conftest.TestDatabase, tmp_path: Path, emulator: StripeEmulator, *args: str
) -> Result:
    """Run ``hub reconcile stripe`` as an operator would, against the test database."""
    env = {
        "HUB_CONFIG": "/dev/null",
        "HUB_DATABASE_URL": database.url,
        "HUB_SECRET_KEY": "reconcile-test-secret-0123456789",
        "HUB_INSTANCE_PATH": str(tmp_path / "cli-instance"),
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_PASSWORD_HASH_COST": "test",
        "HUB_STRIPE_API_KEY": emulator.api_key,
        "HUB_STRIPE_API_BASE": emulator.base_url,
    }
    return CliRunner().invoke(main, ["reconcile", "stripe", *args], env=env)


def _linked_invoice(
    stripe_hub: Flask, users: Users, client: stripe.StripeClient, orders: int = 1
) -> tuple[Billed, str]:
    billed = bill_in_ledger(stripe_hub, users, orders=orders)
    invoice = stripe_invoice(client, billed)
    assert invoice.id is not None
    link(stripe_hub, billed, invoice.id)
    return billed, invoice.id


def reports(app: Flask) -> list[ReconcileReport]:
    with app.app_context():
        session = get_session()
        found = list(session.scalars(sa.select(ReconcileReport).order_by(ReconcileReport.id)))
        session.expunge_all()
        return found


def test_a_payment_whose_webhook_was_lost_makes_the_order_paid(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
    database: conftest.TestDatabase,
    tmp_path: Path,
    signed_in: SignIn,
) -> None:
    billed, stripe_id = _linked_invoice(stripe_hub, users, stripe_client)
    # Paid on Stripe's page; no webhook endpoint is set, so the hub hears nothing.
    paid = stripe_client.v1.invoices.pay(stripe_id, {"payment_method": "pm_card_visa"})
    assert order_of(stripe_hub, billed.refs[0]).billing_status == "invoiced"

    result = run_reconcile(database, tmp_path, emulator)
    assert result.exit_code == 0, result.output
    assert "1 repaired, 0 unresolved." in result.output

    order = order_of(stripe_hub, billed.refs[0])
    assert order.billing_status == "paid"
    (line,) = billing_events(order, "billing_paid")
    assert line.actor_label == "reconcile"
    assert line.changes["payment"] == {
        "method": "card",
        "amount_cents": billed.total_cents,
        "invoice_number": paid.number,
        "source": "reconciliation",
    }
    assert ledger_invoice(stripe_hub, billed.invoice_id).status == "paid"
    (report,) = reports(stripe_hub)
    assert (report.target, report.repaired, report.unresolved) == ("stripe", 1, 0)
    assert report.details["seen"]["invoices"] == 1
    page = signed_in("concierge", english=False).get(f"/orders/{billed.refs[0]}")
    assert "(rapprochement avec Stripe)" in page.get_data(as_text=True)

    # The events the webhooks missed wait in the inbox; applying them changes nothing more.
    assert {e.type for e in stored_events(stripe_hub)} == {"invoice.finalized", "invoice.paid"}
    assert apply_inbox(stripe_hub) == NewsCounts(applied=2)
    assert len(billing_events(order_of(stripe_hub, billed.refs[0]), "billing_paid")) == 1

    again = run_reconcile(database, tmp_path, emulator)
    assert again.exit_code == 0 and "0 repaired, 0 unresolved." in again.output


def test_an_amount_mismatch_and_an_unknown_invoice_are_reported_and_exit_1(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
    database: conftest.TestDatabase,
    tmp_path: Path,
    signed_in: SignIn,
) -> None:
    billed = bill_in_ledger(stripe_hub, users)
    planted = stripe_invoice(stripe_client, billed, amount_cents=billed.total_cents + 100)
    assert planted.id is not None
    link(stripe_hub, billed, planted.id)
    stranger = Billed(invoice_id=999, refs=["C-2026-999999"], customer_id=1, total_cents=500)
    unknown = stripe_invoice(stripe_client, stranger)

    result = run_reconcile(database, tmp_path, emulator, "--since", "2020-01-01")
    assert result.exit_code == 1, result.output
    assert (
        f"Invoice {billed.key} ({planted.id}) totals {billed.total_cents + 100} cents in Stripe "
        f"but {billed.total_cents} in the hub." in result.output
    )
    assert f"Stripe invoice {unknown.id} (hub-inv-999) has no invoice in the hub." in result.output
    assert "0 repaired, 2 unresolved." in result.output
    (report,) = reports(stripe_hub)
    assert [item["kind"] for item in report.details["drift"]] == [
        "unknown_invoice",
        "amount_mismatch",
    ]

    page = signed_in("admin").get("/admin/outbox").get_data(as_text=True)
    assert "0 repaired, 2 to settle in Stripe" in page
    assert f"totals {billed.total_cents + 100} cents in Stripe" in page


def test_an_invoice_made_twice_in_stripe_is_reported(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
    database: conftest.TestDatabase,
    tmp_path: Path,
) -> None:
    billed, first = _linked_invoice(stripe_hub, users, stripe_client)
    second = stripe_invoice(stripe_client, billed)

    result = run_reconcile(database, tmp_path, emulator)
    assert result.exit_code == 1
    (report,) = reports(stripe_hub)
    kinds = {item["kind"]: item["params"] for item in report.details["drift"]}
    assert kinds["invoiced_twice"]["ids"] == ", ".join(sorted([first, str(second.id)]))
    assert kinds["order_invoiced_twice"]["ref"] == billed.refs[0]


def test_the_hourly_job_repairs_a_missed_void_and_the_outbox_page_shows_failed_events(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    signed_in: SignIn,
) -> None:
    billed, stripe_id = _linked_invoice(stripe_hub, users, stripe_client, orders=2)
    stripe_client.v1.invoices.void_invoice(stripe_id)

    job = build_registry(stripe_hub).get("stripe.reconcile")
    bucket = shared_limiter(get_config(stripe_hub).stripe.rate)  # the connector's own
    granted = bucket.granted
    result = run_job(stripe_hub, job)
    assert result.outcome == "ok", result.error
    assert bucket.granted > granted  # its reads kept to the pace the connector keeps
    for ref in billed.refs:
        assert order_of(stripe_hub, ref).billing_status == "void"
    (report,) = reports(stripe_hub)
    assert (report.repaired, report.unresolved) == (1, 0)
    assert report.details["repairs"][0]["params"]["orders"] == ", ".join(billed.refs)

    with stripe_hub.app_context():
        session = get_session()
        from hub.ledger.stripe_inbox import mark_failed

        event_id = min(row.id for row in stored_events(stripe_hub))
        mark_failed(session, event_id, "RuntimeError: the database went away")
    assert InboxStatus.FAILED in {row.status for row in stored_events(stripe_hub)}
    page = signed_in("admin").get("/admin/outbox").get_data(as_text=True)
    assert "1 Stripe event(s) could not be applied" in page
    assert "the database went away" in page
    assert "1 repaired, 0 to settle in Stripe" in page


def test_no_reconciliation_job_without_a_stripe_key(app: Flask) -> None:
    names = [spec.name for spec in build_registry(app)]
    assert "stripe.inbox" in names and "stripe.reconcile" not in names


def test_an_invoice_key_past_the_databases_integers_is_reported_unknown(
    stripe_hub: Flask,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
    database: conftest.TestDatabase,
    tmp_path: Path,
) -> None:
    stranger = Billed(invoice_id=2**31, refs=["C-2026-999999"], customer_id=1, total_cents=500)
    unknown = stripe_invoice(stripe_client, stranger)

    result = run_reconcile(database, tmp_path, emulator, "--since", "2020-01-01")
    assert result.exit_code == 1, result.output
    assert f"Stripe invoice {unknown.id} (hub-inv-{2**31}) has no invoice in the hub." in (
        result.output
    )
