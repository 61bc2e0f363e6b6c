"""Missions that can't be closed by mistake, in a real browser at 375 px and at 1280 px.

A provider cannot close a mission before its day (no button, and a direct post is refused);
marking one done needs a ticked confirmation; a concierge reopens a mission closed by mistake,
with a reason the history shows; cancelling asks for a reason and a confirmation first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from hub.db import get_session
from hub.ledger.order_access import get_order
from tests.conftest import Users
from tests.e2e.conftest import sign_in
from tests.factories import make_customer, make_order
from tests.integration.test_pages_missions import make_mission

if TYPE_CHECKING:
    # Types only: Playwright is loaded when a browser test runs.
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

WIDTHS = [375, 1280]


def _fits(page: Page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _status(app: Flask, ref: str) -> str:
    with app.app_context():
        return str(get_order(get_session(), ref).status)


def _version(app: Flask, ref: str) -> int:
    with app.app_context():
        return get_order(get_session(), ref).version


def _done_order(app: Flask, users: Users) -> str:
    customer_id = make_customer(app, name="Jeanne Martin", email="jeanne@example.com")
    return make_order(
        app,
        customer_id,
        by=users.concierge,
        scheduled_at=datetime.now(UTC).isoformat(),
        provider_id=users.provider.id,
        status="done",
    )


def test_a_provider_cannot_close_a_future_mission_and_confirms_todays(
    app: Flask, live_server: str, sized_page: Page, users: Users
) -> None:
    page = sized_page
    today = make_mission(app, users, name="Client du jour")
    later = make_mission(
        app, users, name="Client d'après-demain", when=datetime.now(UTC) + timedelta(days=2)
    )
    sign_in(page, live_server, users.provider.email)
    page.wait_for_url(f"{live_server}/missions")
    _fits(page)

    # The future mission has no button, and says from when it can be marked done.
    future_card = page.locator(f"#m-{later}")
    assert future_card.locator("button").count() == 0
    assert "Vous pourrez la marquer comme terminée à partir du" in future_card.inner_text()

    # A direct post, with a valid CSRF token and the box ticked, is refused too.
    answer = page.evaluate(
        """async ([ref, version]) => {
            const token = document.querySelector('input[name="csrf_token"]').value;
            const body = new URLSearchParams({csrf_token: token, version, confirm: "yes"});
            const response = await fetch(`/missions/${ref}/done`, {method: "POST", body});
            return {status: response.status, text: await response.text()};
        }""",
        [later, str(_version(app, later))],
    )
    assert answer["status"] == 409
    assert "vous pourrez la marquer comme terminée à partir de ce jour-là" in answer["text"]
    assert _status(app, later) == "scheduled"

    # Today's mission: the button says what it does, and does nothing until confirmed.
    card = page.locator(f"#m-{today}")
    button = card.locator("button.big")
    assert button.inner_text().strip() == "Marquer comme terminée"
    button.click()
    assert page.url == f"{live_server}/missions"
    assert _status(app, today) == "scheduled"
    card.locator('input[name="confirm"]').check()
    button.click()
    page.wait_for_url(f"{live_server}/missions")
    assert page.locator(".flash-success").is_visible()
    assert _status(app, today) == "done"
    _fits(page)


def test_a_concierge_reopens_a_mission_closed_by_mistake(
    app: Flask, live_server: str, sized_page: Page, users: Users
) -> None:
    page = sized_page
    ref = _done_order(app, users)
    sign_in(page, live_server, users.concierge.email)
    page.goto(f"{live_server}/orders/{ref}")
    _fits(page)
    form = page.locator(f'form[action="/orders/{ref}/reopen"]')

    # Without a reason the browser does not send it.
    form.locator("button").click()
    assert page.url == f"{live_server}/orders/{ref}"
    assert _status(app, ref) == "done"

    form.locator("textarea").fill("La prestataire s'est trompée de mission")
    form.locator("button").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").is_visible()
    assert _status(app, ref) == "scheduled"
    history = page.locator("ol.history").inner_text()
    assert "Rouverte" in history
    assert "La prestataire s'est trompée de mission" in history
    assert "Claire Concierge" in history
    _fits(page)


def test_cancelling_asks_for_a_reason_and_a_confirmation_first(
    app: Flask, live_server: str, sized_page: Page, users: Users
) -> None:
    page = sized_page
    ref = _done_order(app, users)
    sign_in(page, live_server, users.concierge.email)
    page.goto(f"{live_server}/orders/{ref}")
    form = page.locator(f'form[action="/orders/{ref}/cancel"]')
    button = form.locator("button.danger")

    # One tap does nothing: the browser wants a reason and the ticked box.
    button.click()
    form.locator("textarea").fill("Client parti")
    button.click()
    assert page.url == f"{live_server}/orders/{ref}"
    assert _status(app, ref) == "done"

    # Without the browser's checks (no JavaScript, an old browser), the server asks too.
    page.evaluate(
        """(ref) => document.querySelectorAll(`form[action="/orders/${ref}/cancel"] [required]`)
            .forEach((el) => el.removeAttribute("required"))""",
        ref,
    )
    button.click()
    page.wait_for_load_state()
    assert "Cochez la case pour confirmer l'annulation." in page.content()
    assert _status(app, ref) == "done"
    _fits(page)

    form = page.locator(f'form[action="/orders/{ref}/cancel"]')
    form.locator("textarea").fill("Client parti")
    form.locator('input[name="confirm"]').check()
    form.locator("button.danger").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").is_visible()
    assert _status(app, ref) == "cancelled"
    assert "Client parti" in page.locator("ol.history").inner_text()
