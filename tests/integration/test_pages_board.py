"""Today's board: the day's missions in the business's time zone and orders needing care."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.fulfilment import cancel_order, complete_order
from tests.conftest import Users, login, sign_in
from tests.factories import make_customer, make_order

PARIS = ZoneInfo("Europe/Paris")


def _customer(app: Flask, name: str, address: str) -> int:
    return make_customer(app, name=name, email="x@example.com", address=address)


def _order(app: Flask, users: Users, customer_id: int, **extra: Any) -> str:
    return make_order(
        app, customer_id, by=users.concierge, lines=[{"service_code": "KEYS"}], **extra
    )


def _mission(app: Flask, users: Users, customer_id: int, when: datetime, provider: int) -> str:
    return _order(app, users, customer_id, scheduled_at=when.isoformat(), provider_id=provider)


@pytest.mark.parametrize("role", ["concierge", "admin"])
def test_the_board_renders_for_staff(
    app: Flask, users: Users, client: FlaskClient, role: str
) -> None:
    sign_in(client, users.by_role(role))
    for url in ("/board", "/board?day=2026-12-02", "/board?day=nonsense", "/board?day=0001-01-01"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "No mission on that day." in response.get_data(as_text=True)


def test_providers_are_refused_and_strangers_sent_to_sign_in(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    response = client.get("/board")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    login(client, users.provider)
    assert client.get("/board").status_code == 403


def test_the_days_missions_are_listed_by_time_in_the_business_time_zone(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    jeanne = _customer(app, "Jeanne Martin", "3 rue Oberkampf")
    marc = _customer(app, "Marc Dubois", "8 rue Ordener")
    day = datetime(2026, 12, 2, tzinfo=PARIS)
    late = _mission(app, users, jeanne, day.replace(hour=23, minute=30), users.provider.id)
    early = _mission(app, users, marc, day.replace(hour=8), users.other_provider.id)
    # Half past midnight in Paris on the 3rd is still the 2nd in UTC: not on the board.
    next_day = _mission(app, users, marc, day + timedelta(days=1, minutes=30), users.provider.id)
    previous_day = _mission(app, users, marc, day - timedelta(minutes=30), users.provider.id)
    cancelled = _mission(app, users, marc, day.replace(hour=12), users.provider.id)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            cancel_order(session, Actor.of(users.admin), cancelled, "no longer needed")
    sign_in(client, users.concierge)

    html = client.get("/board?day=2026-12-02").get_data(as_text=True)
    missions = html.split("Missions of the day", 1)[1].split("To schedule", 1)[0]
    shown = re.findall(r'href="/orders/([^"]+)"', missions)
    assert shown == [early, late]
    for ref in (next_day, previous_day, cancelled):
        assert ref not in missions
    assert "8 rue Ordener" in missions and "3 rue Oberkampf" in missions
    assert "Olga Provider" in missions and "Paul Provider" in missions
    assert "Remise de clés" in missions
    assert 'href="/board?day=2026-12-01"' in html and 'href="/board?day=2026-12-03"' in html


def test_the_board_counts_and_lists_orders_needing_attention(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer = _customer(app, "Jeanne Martin", "3 rue Oberkampf")
    now = datetime.now(PARIS)
    waiting = [_order(app, users, customer) for _ in range(2)]
    upcoming = _mission(app, users, customer, now + timedelta(days=3), users.provider.id)
    done = _mission(app, users, customer, now, users.provider.id)
    unpaid = _mission(app, users, customer, now - timedelta(days=10), users.provider.id)
    with app.app_context():
        session = get_session()
        admin, stripe = Actor.of(users.admin), Actor.system("stripe")
        with write_transaction(session):
            complete_order(session, admin, done)
            complete_order(session, admin, unpaid)
            apply_billing_news(session, stripe, unpaid, "invoiced")
            apply_billing_news(session, stripe, unpaid, "payment_failed")
    sign_in(client, users.concierge)

    html = client.get("/board").get_data(as_text=True)
    counts = dict(
        (label.strip(), int(number))
        for number, label in re.findall(r"<strong>(\d+)</strong>([^<]+)</a>", html)
    )
    # The unpaid order was completed today too, which is when the board saw it done.
    assert counts == {
        "to schedule": 2,
        "scheduled": 1,
        "done that day": 2,
        "billing problem": 1,
    }
    to_schedule = html.split("<h2>To schedule</h2>", 1)[1].split("</section>", 1)[0]
    assert set(re.findall(r'href="/orders/(C-[^"]+)"', to_schedule)) == set(waiting)
    billing = html.split("<h2>Billing problems</h2>", 1)[1].split("</section>", 1)[0]
    assert re.findall(r'href="/orders/(C-[^"]+)"', billing) == [unpaid]
    assert "Payment failed" in billing
    done_today = html.split("<h2>Done that day</h2>", 1)[1].split("</section>", 1)[0]
    assert set(re.findall(r'href="/orders/(C-[^"]+)"', done_today)) == {done, unpaid}
    assert upcoming not in to_schedule + billing + done_today
    assert 'href="/orders?status=new"' in html
