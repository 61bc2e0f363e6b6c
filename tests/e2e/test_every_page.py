"""Every page, as an admin, a concierge and a provider, on a 375 px phone and a 1280 px desk,
over the demo's few weeks of orders: nothing wider than the screen, no text cut off, and a
full-page screenshot of each kept under test-artifacts/screenshots/<width>/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.accounts import Passwords
from hub.db import get_db, get_session, write_transaction
from hub.demo import USERS, seed_demo
from hub.ledger.catalogue import seed_default_catalogue
from hub.models import Customer, Order, OrderStatus, Role, User
from hub.user_admin import change_password
from jobs.registry import build_registry
from jobs.runs import run_job
from tests import conftest
from tests.conftest import PASSWORD, Users
from tests.e2e.conftest import sign_in
from tests.e2e.layout import assert_fits, screenshot
from tests.factories import make_customer, make_order
from tests.integration.workers import add_events, recording_log

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

WIDTHS = (375, 1280)
DEMO_PROVIDER = next(email for role, email, _ in USERS if role == Role.PROVIDER)
LONG_NAME = "Marie-Thérèse de La Rochefoucauld-Montmorency d'Aubigny"


@pytest.fixture
def app(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    """The hub with the recording connector on, so the outbox page has runs and dead letters."""
    flask_app = conftest.make_app(
        database, tmp_path, jobs={"extra_connectors": "connectors.recording:recording_connector"}
    )
    db = get_db(flask_app)
    conftest.empty_tables(db)
    with flask_app.app_context():
        session = get_session()
        with write_transaction(session):
            seed_default_catalogue(session)
    yield flask_app
    db.dispose()


@dataclass
class Site:
    """The records the pages are opened on."""

    customer_id: int
    long_customer_id: int
    done_ref: str
    new_ref: str
    mission_ref: str
    service_code: str


@pytest.fixture
def site(app: Flask, users: Users, tmp_path: Path) -> Site:
    """The demo's weeks of orders, a customer with a long name, and two dead letters."""
    with app.app_context():
        session = get_session()
        seed_demo(session, lambda _: None, passwords=Passwords("test"))
        with write_transaction(session):
            provider = session.scalars(sa.select(User).where(User.email == DEMO_PROVIDER)).one()
        change_password_hash = Passwords("test").hash(PASSWORD)
        with write_transaction(session):
            change_password(session, provider.id, change_password_hash)
        done_ref = session.scalars(
            sa.select(Order.ref).where(Order.status == OrderStatus.DONE).order_by(Order.id)
        ).first()
        new_ref = session.scalars(
            sa.select(Order.ref).where(Order.status == OrderStatus.NEW).order_by(Order.id)
        ).first()
        customer_id = session.scalars(sa.select(Customer.id).order_by(Customer.id)).first()
        session.commit()
    assert done_ref and new_ref and customer_id
    long_customer = make_customer(
        app,
        name=LONG_NAME,
        email="marie-therese.de-la-rochefoucauld-montmorency@conciergerie.example",
        phone="+33 6 12 34 56 78",
        address="Appartement 12, escalier C, 128 boulevard de Ménilmontant, 75020 Paris",
    )
    mission_ref = make_order(
        app,
        long_customer,
        by=users.concierge,
        lines=[{"service_code": "ASSEMBLY", "quantity": "2,5"}, {"service_code": "PARCEL"}],
        provider_id=users.provider.id,
        scheduled_at=(datetime.now(ZoneInfo("Europe/Paris")) + timedelta(hours=2)).isoformat(),
        notes="Digicode " + "4521B" * 12 + " puis l'escalier C au fond de la cour.",
    )
    # Two events the recording connector refuses for good: the outbox page lists dead letters
    # and a run with its error.
    recording_log(tmp_path).set_faults({mission_ref: {"permanent": "400 Bad Request: " + "x" * 90}})
    add_events(app, [mission_ref, mission_ref], payload={"order": {"ref": mission_ref}})
    result = run_job(app, build_registry(app).get("outbox.dispatch.recording"))
    assert result.outcome == "ok", result.error
    return Site(customer_id, long_customer, done_ref, new_ref, mission_ref, "ASSEMBLY")


def _pages(role: str, site: Site) -> list[tuple[str, str]]:
    """(name, address) of every page a role opens."""
    staff = [
        ("board", "/board"),
        ("board-yesterday", "/board?day=2026-11-30"),
        ("orders", "/orders"),
        ("orders-done", "/orders?status=done"),
        ("order-new", "/orders/new"),
        ("order-done", f"/orders/{site.done_ref}"),
        ("order-long", f"/orders/{site.mission_ref}"),
        ("order-edit", f"/orders/{site.new_ref}/edit"),
        ("customers", "/customers"),
        ("customer-new", "/customers/new"),
        ("customer", f"/customers/{site.customer_id}"),
        ("customer-long", f"/customers/{site.long_customer_id}"),
        ("customer-edit", f"/customers/{site.long_customer_id}/edit"),
    ]
    if role == "admin":
        return [
            *staff,
            ("users", "/admin/users"),
            ("user", "/admin/users/1"),
            ("services", "/admin/services"),
            ("service", f"/admin/services/{site.service_code}"),
            ("outbox", "/admin/outbox"),
            ("not-found", "/orders/C-0000-00000"),
        ]
    if role == "concierge":
        return staff
    return [("missions", "/missions"), ("mission", "/missions/" + site.mission_ref)]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ["admin", "concierge", "provider"])
def test_every_page_fits_the_screen_with_nothing_cut_off(
    app: Flask,
    live_server: str,
    browser: Browser,
    users: Users,
    site: Site,
    role: str,
    width: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server}/login")
        assert_fits(page)
        screenshot(page, "login")
        email = {"admin": users.admin.email, "concierge": users.concierge.email}.get(
            role, DEMO_PROVIDER
        )
        sign_in(page, live_server, email)
        for name, address in _pages(role, site):
            if role == "provider" and name == "mission":
                # The long-named customer's mission belongs to the tests' own provider.
                page.context.clear_cookies()
                sign_in(page, live_server, users.provider.email)
            page.goto(f"{live_server}{address}")
            assert_fits(page)
            screenshot(page, f"{role}-{name}")
    finally:
        context.close()


def test_a_providers_missions_show_the_next_days_first_and_fold_what_is_done(
    live_server: str, phone: Page, site: Site
) -> None:
    sign_in(phone, live_server, DEMO_PROVIDER)
    phone.goto(f"{live_server}/missions")

    # The demo's provider had a page 14,011 px tall; today and the next three days now come first
    # (about 5,000 px with the confirm box and access notes on each card): at most half of it.
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 7000, height
    first = phone.locator(".missions > .mission-day").first
    assert "mission-day-today" in (first.get_attribute("class") or "")
    done = phone.locator("details.mission-day-done")
    assert done.get_attribute("open") is None
    assert not done.locator(".mission").first.is_visible()
    done.locator("summary").click()
    assert done.locator(".mission").first.is_visible()
    assert_fits(phone)

    # The later missions are one plain link away, without JavaScript.
    shown = phone.locator(".mission-scheduled").count()
    more = phone.locator(".missions .more a")
    label = more.inner_text()
    more.click()
    phone.wait_for_load_state()
    later = int("".join(ch for ch in label if ch.isdigit()))
    assert phone.locator(".mission-scheduled").count() == shown + later
    assert_fits(phone)
    screenshot(phone, "provider-missions-all")
