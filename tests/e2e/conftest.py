"""Browser fixtures: the real app served on loopback, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import PASSWORD

if TYPE_CHECKING:
    # Types only: Playwright is loaded when a browser test runs.
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM = os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on a free loopback port for the duration of a test."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the test command installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized browser context (375 px wide), closed after the test."""
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(params=[375, 1280], ids=["phone", "desktop"])
def sized_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A fresh French browser page, once phone-sized (375 px) and once desktop-sized (1280 px)."""
    width: int = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form and wait for the page it leads to."""
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("button.primary")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.url
