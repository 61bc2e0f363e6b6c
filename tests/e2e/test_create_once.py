"""One order per rendered form, in a real browser on a slow connection: a double tap, two posts
fired from the page, and Back then submit again each leave one order, on a phone and a desk."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, make_server

from hub.db import get_session, write_transaction
from hub.ledger.customers import CustomerInput, create_customer
from hub.models import IdempotencyKey, Order
from tests.conftest import PASSWORD, Users

if TYPE_CHECKING:
    # Types only: Playwright is loaded when a browser test runs.
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from playwright.sync_api import Browser, Locator, Page, Request
    from playwright.sync_api._generated import LocatorAssertions

pytestmark = pytest.mark.e2e


def expect(target: Locator) -> LocatorAssertions:
    """Playwright's retrying assertions, imported when a browser test runs."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


LATENCY_S = 1.5
TAP_GAP_MS = 300
ALREADY = "Cette commande a déjà été enregistrée."


@pytest.fixture
def slow_server(app: Flask) -> Iterator[str]:
    """Serve the app on loopback with every POST held 1.5 s before it reaches the hub."""
    inner = app.wsgi_app

    def slow(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST":
            time.sleep(LATENCY_S)
        return inner(environ, start_response)

    server = make_server("127.0.0.1", 0, slow, threaded=True)
    assert isinstance(server, ThreadedWSGIServer)
    # A post still held when the test ends must finish before the next test empties the tables,
    # or it would record its order there: server_close() waits for non-daemon request threads.
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _customer(app: Flask) -> int:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            data = CustomerInput.parse({"name": "Inès Dubois", "email": "ines@example.com"})
            return create_customer(session, data).id


def _orders(app: Flask) -> list[str]:
    with app.app_context():
        return list(get_session().scalars(sa.select(Order.ref)))


def _open_order_form(page: Page, base: str, users: Users, customer_id: int) -> None:
    page.goto(f"{base}/login")
    page.fill("#f-email", users.concierge.email)
    page.fill("#f-password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/board")
    page.goto(f"{base}/orders/new?customer_id={customer_id}")
    page.select_option('[name="lines.0.service_code"]', "KEYS")
    page.fill('[name="lines.0.quantity"]', "1")
    page.fill('[name="notes"]', "Sonner deux fois")


def _keep_post(sent: list[str], request: Request) -> None:
    if request.method == "POST":
        sent.append(request.url)


def _posts(page: Page) -> list[str]:
    """Start counting the POSTs the page sends from now on."""
    sent: list[str] = []
    page.on("request", lambda sent_now: _keep_post(sent, sent_now))
    return sent


def _double_tap(page: Page, selector: str) -> None:
    """Tap a button twice, 300 ms apart, where a finger would: on the spot it shows."""
    button = page.locator(selector)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(TAP_GAP_MS)
    page.mouse.click(x, y)


def test_a_double_tap_on_a_slow_connection_sends_one_order(
    app: Flask, slow_server: str, sized_page: Page, users: Users
) -> None:
    page = sized_page
    _open_order_form(page, slow_server, users, _customer(app))
    posts = _posts(page)
    # The page reports the button's state just after the first tap (Playwright's own calls
    # wait while a navigation is pending, so the page has to tell).
    busy: list[bool] = []
    page.expose_function("reportBusy", lambda disabled: busy.append(bool(disabled)))
    page.evaluate(
        """() => {
            const button = document.querySelector("button.primary");
            button.form.addEventListener("submit", () =>
                setTimeout(() => window.reportBusy(button.disabled), 100));
        }"""
    )
    _double_tap(page, "button.primary")
    page.wait_for_url(f"{slow_server}/orders/C-*")
    assert busy == [True]  # the button waits for the answer
    assert len(posts) == 1
    assert _orders(app) == [page.url.rsplit("/", 1)[1]]


def test_two_posts_fired_from_the_page_record_one_order(
    app: Flask, slow_server: str, sized_page: Page, users: Users
) -> None:
    page = sized_page
    _open_order_form(page, slow_server, users, _customer(app))
    # What a flaky connection or a script does behind the button's back: the form sent twice.
    landed = page.evaluate(
        """async (gap) => {
            const form = document.getElementById("order-form");
            const send = () => fetch(location.href, {method: "POST", body: new FormData(form)})
                .then((response) => response.url);
            const first = send();
            await new Promise((done) => setTimeout(done, gap));
            return Promise.all([first, send()]);
        }""",
        TAP_GAP_MS,
    )
    refs = _orders(app)
    assert len(refs) == 1
    assert landed == [f"{slow_server}/orders/{refs[0]}"] * 2


def test_without_javascript_a_double_tap_still_records_one_order(
    app: Flask, slow_server: str, browser: Browser, users: Users
) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 800}, locale="fr-FR", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _open_order_form(page, slow_server, users, _customer(app))
        posts = _posts(page)
        _double_tap(page, "button.primary")
        # The second tap aborts the first navigation: wait for where the page ends, not for it.
        expect(page.locator(".flash-info")).to_have_text(ALREADY, timeout=15_000)
        # Both posts reached the hub; the second, answered last, shows the first's order.
        assert len(posts) == 2
        assert _orders(app) == [page.url.rsplit("/", 1)[1]]
    finally:
        context.close()


def test_back_then_submit_again_shows_the_order_already_recorded(
    app: Flask, slow_server: str, sized_page: Page, users: Users
) -> None:
    page = sized_page
    _open_order_form(page, slow_server, users, _customer(app))
    page.click("button.primary")
    page.wait_for_url(f"{slow_server}/orders/C-*")
    first = page.url
    page.go_back()
    page.wait_for_url(f"{slow_server}/orders/new*")
    assert page.locator("button.primary").is_enabled()
    page.click("button.primary")
    page.wait_for_url(f"{slow_server}/orders/C-*")
    assert page.url == first
    assert ALREADY in page.locator(".flash").all_inner_texts()
    assert _orders(app) == [first.rsplit("/", 1)[1]]
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 1


def test_a_new_order_after_one_recorded_is_a_new_order(
    app: Flask, slow_server: str, sized_page: Page, users: Users
) -> None:
    # Opening the form again (not Back) is a new form: its order is recorded.
    page = sized_page
    customer_id = _customer(app)
    _open_order_form(page, slow_server, users, customer_id)
    page.click("button.primary")
    page.wait_for_url(f"{slow_server}/orders/C-*")
    page.goto(f"{slow_server}/orders/new?customer_id={customer_id}")
    page.select_option('[name="lines.0.service_code"]', "PARCEL")
    page.click("button.primary")
    page.wait_for_url(f"{slow_server}/orders/C-*")
    assert ALREADY not in page.content()
    assert len(_orders(app)) == 2
