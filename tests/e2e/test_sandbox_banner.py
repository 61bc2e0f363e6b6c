"""On a phone, a hub in the sandbox says so on every page, without crowding the screen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import conftest
from tests.conftest import Users
from tests.e2e.conftest import sign_in
from tests.e2e.layout import assert_fits
from tests.e2e.sandbox_hub import sandbox_hub

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

BANNER = "Bac à sable : aucun paiement réel, Stripe et Google sont simulés."


def test_the_sandbox_banner_tops_every_page_on_a_phone(
    database: conftest.TestDatabase, tmp_path: Path, users: Users, phone: Page
) -> None:
    with sandbox_hub(database, tmp_path, hub={"language": "fr"}) as hub:
        phone.goto(f"{hub.url}/login")
        banner = phone.locator(".sandbox-banner")
        assert banner.inner_text() == BANNER
        assert_fits(phone)
        sign_in(phone, hub.url, users.concierge.email)
        for path in ("/board", "/orders", "/customers", "/orders/new"):
            phone.goto(f"{hub.url}{path}")
            assert banner.is_visible(), path
            assert banner.inner_text() == BANNER, path
            # The first thing on the screen, full width, two short lines at most.
            box = banner.bounding_box()
            assert box is not None, path
            assert (box["x"], box["y"], box["width"]) == (0, 0, 375), path
            assert box["height"] <= 60, path
            assert_fits(phone)


def test_a_hub_outside_the_sandbox_shows_no_banner_on_a_phone(
    live_server: str, users: Users, phone: Page
) -> None:
    sign_in(phone, live_server, users.concierge.email)
    for path in ("/board", "/orders"):
        phone.goto(f"{live_server}{path}")
        assert phone.locator(".sandbox-banner").count() == 0, path
