"""The provider's "My missions" pages: only their own missions, and a "Mark as done" that is safe.

A provider marks a mission done only from its scheduled day (in the business time zone), after
ticking a confirmation box.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.db import business_zone, get_session, write_transaction
from hub.errors import NotYetDue
from hub.ledger.actor import Actor
from hub.ledger.fulfilment import (
    cancel_order,
    complete_order,
    completion_day,
    is_due,
    schedule_order,
)
from hub.ledger.order_access import get_order
from hub.ledger.order_rows import CustomerRow, OrderRow
from hub.models import BillingStatus, Order, OrderEvent, OrderStatus, OutboxRow
from hub.web.missions import group_by_day
from tests.conftest import Users, login, post_form, read_in_english, sign_in
from tests.factories import make_customer, make_order
from tests.integration.test_pages_admin import session_csrf

#: Missions made by these tests are due today unless a test says otherwise: a mission may be
#: marked done from its day on (a test running past midnight still sees it as due).
NOW = datetime.now(UTC)
LATER = NOW + timedelta(days=2)


def make_mission(
    app: Flask,
    users: Users,
    *,
    provider_id: int | None = None,
    when: datetime = NOW,
    name: str = "Jeanne Martin",
    notes: str | None = "Digicode 4521B, 3e étage",
) -> str:
    """Record a customer and an order scheduled for a provider, as a concierge would."""
    customer_id = make_customer(
        app,
        name=name,
        email=None,
        phone="+33 6 12 34 56 78",
        address="3 rue Oberkampf\n75011 Paris",
    )
    return make_order(
        app,
        customer_id,
        by=users.concierge,
        lines=[
            {"service_code": "ASSEMBLY", "quantity": "1,5"},
            {"service_code": "PARCEL", "quantity": 2},
        ],
        provider_id=provider_id or users.provider.id,
        scheduled_at=when.isoformat(),
        notes=notes,
    )


def order_row(app: Flask, ref: str) -> Order:
    with app.app_context():
        return get_order(get_session(), ref)


def press_done(
    client: FlaskClient, ref: str, version: int | str, *, confirm: bool = True
) -> TestResponse:
    """Tick "I confirm" (unless told not to) and press "Mark as done", as the card does."""
    read_in_english(client)
    data = {"version": str(version), **({"confirm": "yes"} if confirm else {})}
    return post_form(client, "/missions", f"/missions/{ref}/done", data)


# -- who may see the pages -----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_sign_in_page(client: FlaskClient) -> None:
    for url in ("/missions", "/missions/C-2026-000001"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["admin", "concierge"])
def test_staff_cannot_open_the_providers_pages(
    client: FlaskClient, users: Users, role: str
) -> None:
    login(client, users.by_role(role))
    assert client.get("/missions").status_code == 403


def test_a_provider_lands_on_their_missions_after_signing_in(
    client: FlaskClient, users: Users
) -> None:
    response = post_form(
        client,
        "/login",
        "/login",
        {"email": users.provider.email, "password": "correct horse battery"},
    )
    assert response.headers["Location"] == "/missions"


# -- what a provider sees ------------------------------------------------------------------


def test_provider_sees_time_customer_address_phone_lines_notes_and_done_button(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    login(client, users.provider)

    html = client.get("/missions").get_data(as_text=True)

    assert ref in html
    assert "Jeanne Martin" in html
    assert "3 rue Oberkampf" in html
    assert 'href="tel:+33612345678"' in html
    assert "Montage de meubles" in html and "1,5" in html
    assert "Réception de colis" in html
    assert "Digicode 4521B" in html
    assert f'action="/missions/{ref}/done"' in html
    assert f'name="version" value="{order_row(app, ref).version}"' in html
    assert 'name="csrf_token"' in html


def test_mission_times_are_shown_in_the_business_time_zone(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    # 08:30 UTC on a summer day is 10:30 in Paris (UTC+2).
    make_mission(app, users, when=datetime(2030, 7, 1, 8, 30, tzinfo=UTC))
    login(client, users.provider)

    # A mission years ahead waits behind the "later missions" link.
    html = client.get("/missions?all=1").get_data(as_text=True)

    assert ">10:30</time>" in html


def test_provider_sees_only_their_missions(app: Flask, client: FlaskClient, users: Users) -> None:
    mine = make_mission(app, users, name="Mine Customer")
    theirs = make_mission(
        app, users, provider_id=users.other_provider.id, name="Someone Else's Customer"
    )
    login(client, users.provider)

    html = client.get("/missions").get_data(as_text=True)

    assert mine in html and "Mine Customer" in html
    assert theirs not in html and "Someone Else" not in html
    assert client.get(f"/missions/{mine}").status_code == 200
    assert client.get(f"/missions/{theirs}").status_code == 404
    assert client.get("/missions/C-2026-999999").status_code == 404


def test_mission_detail_shows_the_mission_with_its_done_button(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    login(client, users.provider)

    html = client.get(f"/missions/{ref}").get_data(as_text=True)

    assert "Jeanne Martin" in html
    assert f'action="/missions/{ref}/done"' in html


def test_missions_sort_under_local_days_with_earlier_undone_ones_first(app: Flask) -> None:
    # 10:00 UTC on 14 March is 11:00 in Paris (UTC+1).
    now = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    times = [
        datetime(2026, 3, 13, 8, 0, tzinfo=UTC),  # yesterday, not done yet
        datetime(2026, 3, 14, 22, 30, tzinfo=UTC),  # 23:30 in Paris: still today
        datetime(2026, 3, 14, 23, 30, tzinfo=UTC),  # 00:30 in Paris: tomorrow
        datetime(2026, 3, 16, 9, 0, tzinfo=UTC),
    ]
    customer = CustomerRow(id=1, name="Ada", email=None, phone=None, address=None)
    missions = [
        OrderRow(
            id=i,
            ref=f"C-2026-{i:06d}",
            status=OrderStatus.SCHEDULED,
            billing_status=BillingStatus.UNBILLED,
            customer=customer,
            provider=None,
            scheduled_at=t,
            completed_at=None,
            notes=None,
            currency="eur",
            total_cents=0,
            vat_cents=0,
            version=1,
            created_at=now,
            updated_at=now,
        )
        for i, t in enumerate(times)
    ]
    with app.test_request_context():
        days = group_by_day(missions, now)

    assert [(d.kind, d.on) for d in days] == [
        ("overdue", None),
        ("today", date(2026, 3, 14)),
        ("upcoming", date(2026, 3, 15)),
        ("upcoming", date(2026, 3, 16)),
    ]
    assert [len(d.missions) for d in days] == [1, 1, 1, 1]


def test_today_has_a_heading_even_without_missions(app: Flask) -> None:
    now = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    with app.test_request_context():
        days = group_by_day([], now)
    assert [(d.kind, d.missions) for d in days] == [("today", [])]


def test_customer_text_is_escaped(app: Flask, client: FlaskClient, users: Users) -> None:
    make_mission(
        app, users, name="<script>alert(1)</script>", notes='<img src=x onerror="alert(2)">'
    )
    login(client, users.provider)

    html = client.get("/missions").get_data(as_text=True)

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


# -- the Done button -----------------------------------------------------------------------


def test_done_button_completes_the_providers_own_mission(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    login(client, users.provider)

    response = press_done(client, ref, order_row(app, ref).version)

    assert response.status_code == 302
    assert response.headers["Location"] == "/missions"
    order = order_row(app, ref)
    assert order.status == "done"
    assert order.completed_at is not None
    with app.app_context():
        session = get_session()
        event = session.scalars(
            sa.select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == "done")
        ).one()
        assert event.actor_id == users.provider.id
        topics = session.scalars(
            sa.select(OutboxRow.topic).where(OutboxRow.aggregate_ref == ref)
        ).all()
        assert "order.done" in topics
    html = client.get("/missions").get_data(as_text=True)
    assert "is done" in html
    assert "Recently done" in html and ref in html
    assert f'action="/missions/{ref}/done"' not in html


def test_provider_cannot_complete_another_providers_mission(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    theirs = make_mission(app, users, provider_id=users.other_provider.id)
    login(client, users.provider)

    response = press_done(client, theirs, order_row(app, theirs).version)

    assert response.status_code == 404
    assert order_row(app, theirs).status == "scheduled"


def test_done_without_a_csrf_token_is_refused(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    login(client, users.provider)

    response = client.post(f"/missions/{ref}/done", data={"version": "2"})

    assert response.status_code == 400
    assert order_row(app, ref).status == "scheduled"


@pytest.mark.parametrize("role", ["admin", "concierge"])
def test_staff_cannot_use_the_providers_done_button(
    app: Flask, client: FlaskClient, users: Users, role: str
) -> None:
    ref = make_mission(app, users)
    login(client, users.by_role(role))
    token = session_csrf(app, client)
    response = client.post(f"/missions/{ref}/done", data={"csrf_token": token, "version": "2"})
    assert response.status_code == 403
    assert order_row(app, ref).status == "scheduled"


def test_a_mission_changed_meanwhile_gives_409_and_a_message(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    seen_version = order_row(app, ref).version
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            schedule_order(session, Actor.of(users.concierge), ref, NOW - timedelta(hours=1), None)
    login(client, users.provider)

    response = press_done(client, ref, seen_version)

    assert response.status_code == 409
    assert "changed order" in response.get_data(as_text=True)
    assert order_row(app, ref).status == "scheduled"


def test_pressing_done_twice_says_it_is_already_done(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    version = order_row(app, ref).version
    login(client, users.provider)
    assert press_done(client, ref, version).status_code == 302

    response = press_done(client, ref, version)

    assert response.status_code == 409
    assert "already marked done" in response.get_data(as_text=True)


def test_a_cancelled_mission_cannot_be_marked_done(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    version = order_row(app, ref).version
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            cancel_order(session, Actor.of(users.concierge), ref, "customer away")
    login(client, users.provider)

    response = press_done(client, ref, version)

    assert response.status_code == 409
    assert "was cancelled" in response.get_data(as_text=True)
    assert order_row(app, ref).status == "cancelled"


@pytest.mark.parametrize("version", ["", "abc", "-1", "9" * 30])
def test_a_garbled_version_is_refused_without_change(
    app: Flask, client: FlaskClient, users: Users, version: str
) -> None:
    ref = make_mission(app, users)
    login(client, users.provider)

    response = press_done(client, ref, version)

    assert response.status_code == 422
    assert "out of date" in response.get_data(as_text=True)
    assert order_row(app, ref).status == "scheduled"


def test_done_missions_older_than_a_week_leave_the_list(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    recent = make_mission(app, users, name="Recent Customer")
    old = make_mission(app, users, name="Old Customer")
    with app.app_context():
        session = get_session()
        for ref in (recent, old):
            with write_transaction(session):
                complete_order(session, Actor.of(users.provider), ref)
        with write_transaction(session):
            session.execute(
                sa.update(Order)
                .where(Order.ref == old)
                .values(completed_at=datetime.now(UTC) - timedelta(days=8))
            )
    login(client, users.provider)

    html = client.get("/missions").get_data(as_text=True)

    assert "Recent Customer" in html
    assert "Old Customer" not in html


def test_the_page_declares_a_phone_viewport(client: FlaskClient, users: Users) -> None:
    login(client, users.provider)
    html = client.get("/missions").get_data(as_text=True)
    assert re.search(r'<meta name="viewport" content="width=device-width', html)


# -- not before the mission's day, and only once confirmed ---------------------------------


def test_a_future_mission_offers_no_button_but_says_from_when(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    today = make_mission(app, users, name="Today Customer")
    later = make_mission(app, users, name="Later Customer", when=LATER)
    sign_in(client, users.provider)

    for url in ("/missions", f"/missions/{later}"):
        html = client.get(url).get_data(as_text=True)
        assert f'action="/missions/{later}/done"' not in html
        assert "You can mark it done from" in html
    html = client.get("/missions").get_data(as_text=True)
    assert f'action="/missions/{today}/done"' in html
    assert "Mark as done" in html and 'name="confirm" value="yes" required' in html


def test_a_direct_post_for_a_future_mission_is_refused_with_its_day(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users, when=LATER)
    login(client, users.provider)
    before = order_row(app, ref)

    response = press_done(client, ref, before.version)

    assert response.status_code == 409
    assert "you can mark it done from that day on" in response.get_data(as_text=True)
    after = order_row(app, ref)
    assert (after.status, after.version, after.completed_at) == ("scheduled", before.version, None)


def test_the_day_is_the_business_days_not_utcs(app: Flask, users: Users) -> None:
    # 23:30 UTC is already tomorrow in Paris: a mission then is due from tomorrow, in Paris.
    with app.app_context():
        session = get_session()
        zone = business_zone(session)
    assert str(zone) == "Europe/Paris"
    late_evening = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    assert completion_day(late_evening, zone) == date(2026, 3, 15)
    assert not is_due(late_evening, zone, datetime(2026, 3, 14, 22, 59, tzinfo=UTC))
    assert is_due(late_evening, zone, datetime(2026, 3, 14, 23, 0, tzinfo=UTC))


def test_marking_done_without_ticking_the_box_is_refused(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    login(client, users.provider)

    response = press_done(client, ref, order_row(app, ref).version, confirm=False)

    assert response.status_code == 422
    assert "Tick the box to confirm" in response.get_data(as_text=True)
    assert order_row(app, ref).status == "scheduled"


def test_staff_may_still_mark_a_future_mission_done_to_correct_records(
    app: Flask, users: Users
) -> None:
    ref = make_mission(app, users, when=LATER)
    with app.app_context():
        session = get_session()
        with pytest.raises(NotYetDue), write_transaction(session):
            complete_order(session, Actor.of(users.provider), ref)
        with write_transaction(session):
            complete_order(session, Actor.of(users.concierge), ref)
    assert order_row(app, ref).status == "done"


# -- the customer's access notes -------------------------------------------------------------


def test_customers_access_notes_reach_the_mission_card_and_page_escaped(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    customer_id = make_customer(
        app, name="Porte Close", notes="Code <b>4512B</b>, 3e étage, sonner deux fois"
    )
    ref = make_order(
        app,
        customer_id,
        by=users.concierge,
        provider_id=users.provider.id,
        scheduled_at=LATER.isoformat(),
        notes="Apporter des sacs",
    )
    login(client, users.provider)

    for url in ("/missions", f"/missions/{ref}"):
        html = client.get(url).get_data(as_text=True)
        assert "Code &lt;b&gt;4512B&lt;/b&gt;, 3e étage, sonner deux fois" in html, url
        assert "<b>4512B</b>" not in html, url
        assert "Apporter des sacs" in html, url
