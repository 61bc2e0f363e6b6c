"""The sign-in page works in a real browser on a phone-sized screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.conftest import PASSWORD, Users

if TYPE_CHECKING:
    # Types only: Playwright is loaded when a browser test runs.
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def test_a_concierge_signs_in_on_a_phone_and_lands_on_the_board(
    live_server: str, phone: Page, users: Users
) -> None:
    phone.goto(f"{live_server}/login")
    phone.fill("#f-email", users.concierge.email)
    phone.fill("#f-password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url(f"{live_server}/board")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways on a phone"


def test_a_wrong_password_shows_a_message_and_stays_on_the_form(
    live_server: str, phone: Page, users: Users
) -> None:
    phone.goto(f"{live_server}/login")
    phone.fill("#f-email", users.concierge.email)
    phone.fill("#f-password", "not the password")
    phone.click("button.primary")
    assert phone.locator(".flash-error").is_visible()
    assert phone.url.endswith("/login")
