"""The README's promise, in a browser at 375 px: in the sandbox, an order marked done gets its
invoice from the Stripe emulator, is paid on the emulator's page, and turns paid in the hub.

Everything is real but Stripe: the pages, the embedded worker process with the Stripe
connector, the emulator's signed webhook, the hub's webhook route and the ledger.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from hub.config import get_config
from hub.db import get_session
from hub.models import Order
from hub.models.orders import BillingStatus
from hub.server import start_worker, stop_worker
from tests import conftest
from tests.conftest import Users
from tests.e2e.conftest import sign_in
from tests.e2e.layout import assert_fits
from tests.e2e.sandbox_hub import sandbox_hub
from tests.factories import make_customer, make_order
from tests.waiting import wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("connectors.stripe.connector") is None,
        reason="needs the Stripe connector (connectors.stripe.connector), the webhook route "
        "and billing in the ledger; it turns on once they land",
    ),
]


def _reload_until(page: Page, selector: str, timeout: float = 60.0) -> bool:
    """Reload the page until something matches: the worker and the webhook work in the back."""

    def shown() -> bool:
        page.reload()
        return page.locator(selector).count() > 0

    return wait_until(shown, timeout=timeout, step=0.5)


def test_an_order_done_in_the_sandbox_is_invoiced_paid_on_the_sandbox_page_and_turns_paid(
    database: conftest.TestDatabase, tmp_path: Path, users: Users, phone: Page
) -> None:
    with sandbox_hub(
        database,
        tmp_path,
        hub={"language": "fr"},
        # No reopen window, and a worker that looks at the outbox often: the test waits less.
        stripe={"per_order_delay_minutes": 0},
        jobs={"dispatch_interval_seconds": 0.2},
    ) as hub:
        worker = start_worker(get_config(hub.app))
        try:
            customer = make_customer(hub.app)
            ref = make_order(
                hub.app,
                customer,
                by=users.concierge,
                provider_id=users.provider.id,
                scheduled_at=datetime.now(ZoneInfo("Europe/Paris")).isoformat(),
            )

            # The concierge marks the mission done on the order page.
            sign_in(phone, hub.url, users.concierge.email)
            order_page = f"{hub.url}/orders/{ref}"
            phone.goto(order_page)
            phone.locator(f'form[action$="/orders/{ref}/complete"] button').click()
            phone.wait_for_load_state()
            assert phone.locator(".badge-done").count() >= 1

            # The worker has the emulator make the invoice; the page links its payment page.
            assert _reload_until(phone, 'a[href*="/pay/"]'), phone.content()
            assert_fits(phone)
            pay_url = phone.locator('a[href*="/pay/"]').first.get_attribute("href")
            assert pay_url is not None
            assert pay_url.startswith(hub.sandbox.stripe.base_url + "/pay/in_")

            # The customer pays on the emulator's page, by test card.
            phone.goto(pay_url)
            assert "no real payment" in phone.locator(".banner").inner_text()
            phone.locator("form button[type=submit]").click()
            phone.wait_for_load_state()
            assert phone.locator("#status").inner_text() == "paid"

            # The signed invoice.paid comes back to the hub, and the order turns paid.
            phone.goto(order_page)
            assert _reload_until(phone, "h1 .badge-paid"), phone.content()
            assert phone.locator(".sandbox-banner").is_visible()
            assert_fits(phone)
        finally:
            stop_worker(worker)

        delivered = [
            d
            for d in hub.sandbox.stripe.webhooks.deliveries
            if d.event_type == "invoice.paid" and d.status is not None and 200 <= d.status < 300
        ]
        assert delivered, hub.sandbox.stripe.webhooks.deliveries
        with hub.app.app_context():
            session = get_session()
            order = session.scalars(sa.select(Order).where(Order.ref == ref)).one()
            assert order.billing_status is BillingStatus.PAID
            session.commit()
