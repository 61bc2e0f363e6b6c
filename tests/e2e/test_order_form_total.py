"""The order form's running total in a real browser equals what the ledger stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Flask

from hub.db import get_session
from hub.ledger.order_access import get_order
from hub.money import format_cents
from tests.conftest import Users
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

if TYPE_CHECKING:
    # Types only: Playwright is loaded when a browser test runs.
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def _total(page: Page) -> str:
    return page.inner_text("#order-total")


def test_the_running_total_follows_the_lines_and_equals_the_stored_total(
    app: Flask, live_server: str, sized_page: Page, users: Users
) -> None:
    page = sized_page
    customer_id = make_customer(app, name="Jeanne Martin")
    sign_in(page, live_server, users.concierge.email)
    page.goto(f"{live_server}/orders/new?customer_id={customer_id}")
    lang = page.evaluate("document.documentElement.lang")
    assert _total(page) == format_cents(0, lang)

    page.select_option('[name="lines.0.service_code"]', "ASSEMBLY")  # 35,00 € an hour
    assert _total(page) == format_cents(3500, lang)
    page.fill('[name="lines.0.quantity"]', "1,5")
    assert _total(page) == format_cents(5250, lang)
    page.select_option('[name="lines.1.service_code"]', "KEYS")  # 8,00 €
    page.fill('[name="lines.1.quantity"]', "0,333")
    page.fill('[name="lines.1.unit_price"]', "12,50")
    # 0,333 x 12,50 € = 4,1625 €, rounded half up to 4,16 €.
    assert _total(page) == format_cents(5250 + 416, lang)
    page.fill('[name="lines.1.unit_price"]', "12,5x")
    assert _total(page) == "—"
    page.fill('[name="lines.1.unit_price"]', "12,50")
    # A third line added in the browser counts too: 3 x 2,50 € parcels at 0,05 € = 0,15 €.
    page.click("[data-add-line]")
    page.select_option('[name="lines.3.service_code"]', "PARCEL")
    page.fill('[name="lines.3.quantity"]', "3")
    page.fill('[name="lines.3.unit_price"]', "0,05")
    shown = _total(page)
    assert shown == format_cents(5250 + 416 + 15, lang)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]

    page.click("button.primary")
    page.wait_for_url(f"{live_server}/orders/C-*")
    ref = page.url.rsplit("/", 1)[1]
    with app.app_context():
        stored = get_order(get_session(), ref).total_cents
    assert shown == format_cents(stored, lang)


def test_a_customer_beyond_the_newest_is_found_as_one_types_and_chosen_by_keyboard(
    app: Flask, live_server: str, sized_page: Page, users: Users
) -> None:
    page = sized_page
    oldest = make_customer(app, name="Zoé <b>Lambert</b>", email=None, phone="06 12 34 56 78")
    for number in range(25):
        make_customer(app, name=f"Client {number:02d}", email=f"c{number}@example.com")
    sign_in(page, live_server, users.concierge.email)
    page.goto(f"{live_server}/orders/new")
    assert page.locator(f'#f-customer_id option[value="{oldest}"]').count() == 0

    page.click("#f-customer_q")
    page.keyboard.type("lamb")
    option = page.locator(f'#f-customer_id option[value="{oldest}"]')
    option.wait_for(state="attached")
    assert option.inner_text().startswith("Zoé <b>Lambert</b> · 06 12 34 56 78")
    assert page.locator("#f-customer_id option").count() == 2  # "a new customer", and her
    assert "1" in page.inner_text("#customer-found")
    # Enter in the search box goes to the list, not to "save"; the arrow key chooses her.
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-customer_id"
    page.keyboard.press("ArrowDown")
    assert page.input_value("#f-customer_id") == str(oldest)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]

    page.select_option('[name="lines.0.service_code"]', "KEYS")
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/orders/C-*")
    ref = page.url.rsplit("/", 1)[1]
    with app.app_context():
        assert get_order(get_session(), ref).customer_id == oldest
