"""Billing on the pages, the API and the command line: the mode override, the invoice links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from hub.cli import main
from hub.db import get_session, write_transaction
from hub.ledger.delivery_results import record_facts
from tests import billing, conftest
from tests.billing import completed_at, customer, done_order, order_of
from tests.conftest import SignIn, Users, api_headers, post_form
from tests.integration.test_cli import Hub, _make_hub

ISSUED_URL = "https://invoice.stripe.com/i/acct_1/test_x"
PDF_URL = "https://pay.stripe.com/invoice/acct_1/test_x/pdf"


def _issue(app: Flask, ref: str) -> None:
    from connectors.base import Event
    from connectors.facts import InvoiceIssued
    from hub.db import utcnow

    with app.app_context():
        session = get_session()
        invoice_id = order_of(session, ref).invoice_id
        assert invoice_id is not None
        event = Event(0, "invoice.requested", "invoice", "hub-inv", {}, 1, utcnow())
        fact = InvoiceIssued(invoice_id, "in_1", "open", 1000, 167, "F-0042", ISSUED_URL, PDF_URL)
        with write_transaction(session):
            record_facts(session, event, [fact])


def test_staff_choose_a_customer_billing_mode_on_its_page(
    app: Flask, users: Users, signed_in: SignIn
) -> None:
    customer_id = customer(app)
    client = signed_in("concierge")
    page = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "Hub default (Per order)" in page and 'value="monthly"' in page
    url = f"/customers/{customer_id}"
    saved = post_form(
        client, url, f"{url}/billing-mode", {"billing_mode": "monthly", "version": "1"}
    )
    assert saved.status_code == 302
    with app.app_context():
        from hub.ledger.customers import get_customer

        assert get_customer(get_session(), customer_id).billing_mode == "monthly"
    page = client.get(url).get_data(as_text=True)
    assert '<option value="monthly" selected>' in page
    # Back to the hub's default.
    version = str(2)
    post_form(client, url, f"{url}/billing-mode", {"billing_mode": "", "version": version})
    with app.app_context():
        from hub.ledger.customers import get_customer

        assert get_customer(get_session(), customer_id).billing_mode is None


def test_the_billing_mode_form_refuses_nonsense_stale_posts_and_missing_tokens(
    app: Flask, users: Users, signed_in: SignIn
) -> None:
    customer_id = customer(app)
    client = signed_in("admin")
    url = f"/customers/{customer_id}"
    bad = post_form(client, url, f"{url}/billing-mode", {"billing_mode": "daily", "version": "1"})
    assert bad.status_code == 422
    assert "per order, monthly or weekly" in bad.get_data(as_text=True)
    stale = post_form(
        client, url, f"{url}/billing-mode", {"billing_mode": "weekly", "version": "9"}
    )
    assert stale.status_code == 409
    forged = client.post(f"{url}/billing-mode", data={"billing_mode": "weekly", "version": "1"})
    assert forged.status_code == 400
    provider = signed_in("provider")
    refused = provider.post(f"{url}/billing-mode", data={"billing_mode": "weekly"})
    assert refused.status_code in (400, 403)
    with app.app_context():
        from hub.ledger.customers import get_customer

        assert get_customer(get_session(), customer_id).billing_mode is None


def test_the_page_is_french_for_french_readers(app: Flask, users: Users, signed_in: SignIn) -> None:
    customer_id = customer(app)
    page = signed_in("concierge", english=False).get(f"/customers/{customer_id}")
    text = page.get_data(as_text=True)
    assert "Par commande" in text and "Mensuelle" in text


def test_the_order_page_and_the_api_show_the_invoice_number_and_links(
    app: Flask, users: Users, signed_in: SignIn
) -> None:
    ref = done_order(app, users, customer(app))
    client = signed_in("concierge")
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert "being issued in Stripe" in page
    api = app.test_client()
    headers = api_headers(app, users.concierge)
    assert api.get(f"/api/v1/orders/{ref}", headers=headers).get_json()["invoice"] is None
    _issue(app, ref)
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert "F-0042" in page and f'href="{ISSUED_URL}"' in page and f'href="{PDF_URL}"' in page
    body = api.get(f"/api/v1/orders/{ref}", headers=headers).get_json()
    assert body["billing_status"] == "invoiced"
    assert body["invoice"] == {
        "number": "F-0042",
        "hosted_url": ISSUED_URL,
        "pdf_url": PDF_URL,
        "status": "open",
    }
    listed = api.get("/api/v1/orders", headers=headers).get_json()["data"]
    assert [o["invoice"] for o in listed if o["ref"] == ref] == [body["invoice"]]


@pytest.fixture
def hub(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Hub]:
    runner = _make_hub(database.url, tmp_path)
    runner.env["HUB_STRIPE_BILLING_MODE"] = "monthly"
    conftest.empty_tables(runner.db)
    yield runner
    runner.db.dispose()


def test_hub_invoice_run_decides_a_month_and_says_what(hub: Hub, app: Flask, users: Users) -> None:
    # `app` seeds the catalogue in the emptied database the command then works on.
    jeanne = customer(app)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            from hub.ledger.actor import Actor
            from hub.ledger.customers import set_billing_mode
            from hub.models import BillingMode

            set_billing_mode(session, Actor.of(users.admin), jeanne, BillingMode.MONTHLY)
    ref = done_order(app, users, jeanne)
    completed_at(app, ref, datetime(2026, 10, 15, 12, tzinfo=UTC))
    bad = hub("invoice", "run", "--period", "2026-W40")
    assert bad.exit_code == 2 and "2026-11" in bad.output
    result = hub("invoice", "run", "--period", "2026-10")
    assert result.exit_code == 0, result.output
    assert "K-" in result.output and "hub-inv-" in result.output and "1 order(s)" in result.output
    assert "monthly 2026-10: 1 invoice(s) for 1 order(s)" in result.output
    again = hub("invoice", "run", "--mode", "monthly", "--period", "2026-10")
    assert "0 invoice(s)" in again.output
    with app.app_context():
        assert order_of(get_session(), ref).billing_status == "pending"
        assert len(billing.invoices(get_session())) == 1
    assert main is not None
