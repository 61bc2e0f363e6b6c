"""A day at the kiosk in a real browser: a concierge records an order on a phone, the provider
marks it done on theirs, and the ledger keeps the history and the outbox rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.db import get_session
from hub.models import Customer, Order, OrderEvent, OutboxRow
from tests.conftest import Users
from tests.e2e.conftest import sign_in

if TYPE_CHECKING:
    # Types only: Playwright is loaded when a browser test runs.
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_concierge_records_an_order_and_the_provider_marks_it_done_on_phones(
    app: Flask, live_server: str, browser: Browser, phone: Page, users: Users
) -> None:
    now = datetime.now(ZoneInfo("Europe/Paris"))
    # Later today: a provider may mark a mission done from its day on, not before.
    when = min(now + timedelta(hours=2), now.replace(hour=23, minute=59)).replace(second=0)

    # The concierge records a new customer and their order in one form.
    sign_in(phone, live_server, users.concierge.email)
    phone.wait_for_url(f"{live_server}/board")
    phone.goto(f"{live_server}/orders/new")
    _no_sideways_scroll(phone)
    phone.fill('[name="customer.name"]', "Inès Dubois")
    phone.fill('[name="customer.email"]', "ines.dubois@example.com")
    phone.fill('[name="customer.address"]', "12 rue des Martyrs, 75009 Paris")
    phone.select_option('[name="lines.0.service_code"]', "ASSEMBLY")
    phone.fill('[name="lines.0.quantity"]', "1,5")
    phone.select_option('[name="lines.1.service_code"]', "PARCEL")
    phone.fill('[name="lines.1.quantity"]', "2")
    phone.fill('[name="lines.1.unit_price"]', "2,50")
    phone.fill('[name="scheduled_at"]', when.strftime("%Y-%m-%dT%H:%M"))
    phone.select_option('[name="provider_id"]', str(users.provider.id))
    phone.fill('[name="notes"]', "Code porte 4521B")
    phone.click("button.primary")
    phone.wait_for_url(f"{live_server}/orders/C-*")
    ref = phone.url.rsplit("/", 1)[1]
    _no_sideways_scroll(phone)
    assert "Inès Dubois" in phone.content()

    # The provider sees the mission on their phone, confirms, and taps "Mark as done".
    provider_context = browser.new_context(viewport={"width": 375, "height": 740})
    mission_page = provider_context.new_page()
    sign_in(mission_page, live_server, users.provider.email)
    mission_page.wait_for_url(f"{live_server}/missions")
    _no_sideways_scroll(mission_page)
    card = mission_page.locator(".mission", has_text=ref)
    assert "Code porte 4521B" in card.inner_text()
    card.locator('input[name="confirm"]').check()
    card.locator("button.big").click()
    mission_page.wait_for_load_state()
    provider_context.close()

    # The concierge's order page now shows the whole history.
    phone.goto(f"{live_server}/orders/{ref}")
    assert phone.locator(".badge-done").count() >= 1

    with app.app_context():
        session = get_session()
        order = session.scalars(sa.select(Order).where(Order.ref == ref)).one()
        assert order.status == "done"
        assert order.total_cents == 5250 + 500
        assert session.scalars(sa.select(Customer.name)).all() == ["Inès Dubois"]
        kinds = session.scalars(
            sa.select(OrderEvent.kind)
            .where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.id)
        ).all()
        assert kinds == ["created", "scheduled", "done"]
        topics = session.scalars(
            sa.select(OutboxRow.topic)
            .where(OutboxRow.aggregate_ref == ref, OutboxRow.connector == "sheets")
            .order_by(OutboxRow.id)
        ).all()
        assert topics == ["order.created", "order.scheduled", "order.done"]
