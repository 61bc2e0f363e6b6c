"""A provider works through their missions on a 375 px phone in a real browser."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Flask

from tests.conftest import PASSWORD, Users
from tests.integration.test_pages_missions import make_mission

if TYPE_CHECKING:
    # Types only: Playwright is loaded when a browser test runs.
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def test_a_provider_marks_a_mission_done_on_a_phone_without_sideways_scrolling(
    app: Flask, live_server: str, phone: Page, users: Users
) -> None:
    ref = make_mission(
        app,
        users,
        name="Marie-Thérèse de La Rochefoucauld-Montmorency",
        notes="Digicode " + "4521B" * 30 + " puis l'escalier C au fond de la cour, 3e étage.",
    )
    phone.goto(f"{live_server}/login")
    phone.fill("#f-email", users.provider.email)
    phone.fill("#f-password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url(f"{live_server}/missions")

    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    done = phone.locator(f"#m-{ref} button.big")
    box = done.bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 300
    phone_link = phone.locator(f"#m-{ref} a.mission-phone").bounding_box()
    assert phone_link is not None and phone_link["height"] >= 44

    phone.locator(f'#m-{ref} input[name="confirm"]').check()
    done.click()
    phone.wait_for_url(f"{live_server}/missions")
    assert phone.locator(".flash-success").is_visible()
    assert phone.locator(f"#m-{ref} button.big").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
