"""Dates read one way on every page (day first, in French and in English), and the browser's
first request for /favicon.ico finds an icon."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import SignIn, Users
from tests.factories import make_customer, make_order

# 00:15 UTC is 01:15 in Paris on 1 December.
AT = "2026-12-01T01:15:00+01:00"


@pytest.fixture
def ref(app: Flask, users: Users) -> str:
    customer = make_customer(app)
    return make_order(
        app, customer, by=users.concierge, provider_id=users.provider.id, scheduled_at=AT
    )


@pytest.mark.parametrize(
    ("english", "day", "moment"),
    [
        (False, "mardi 1 décembre 2026", "1 déc. 2026, 01:15"),
        (True, "Tuesday, 1 December 2026", "1 Dec 2026, 01:15"),
    ],
)
def test_days_and_moments_read_day_first_everywhere(
    signed_in: SignIn, ref: str, english: bool, day: str, moment: str
) -> None:
    staff = signed_in("concierge", english=english)

    board = staff.get("/board?day=2026-12-01").get_data(as_text=True)
    assert day in board
    assert "2026-12-01</small>" not in board
    for page in ("/orders", f"/orders/{ref}"):
        html = staff.get(page).get_data(as_text=True)
        assert moment in html, page
        assert "12/1/26" not in html and "AM" not in html, page


def test_a_providers_mission_says_its_day_and_time_the_same_way(
    signed_in: SignIn, ref: str
) -> None:
    provider = signed_in("provider")

    html = provider.get(f"/missions/{ref}").get_data(as_text=True)

    assert "Tuesday, 1 December 2026, 01:15" in html


def test_the_icon_is_served_at_favicon_ico_and_kept_a_day(signed_in: SignIn) -> None:
    with signed_in("concierge").get("/favicon.ico") as response:
        body = response.get_data()

    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert response.cache_control.max_age == 86_400
    assert response.cache_control.public
    assert not response.cache_control.no_store


def test_pages_link_the_icon(app: Flask) -> None:
    html = app.test_client().get("/login").get_data(as_text=True)

    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert 'rel="icon" href="/favicon.ico"' in html
    with app.test_client().get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert svg.get_data().startswith(b"<svg")


def test_an_orders_reference_stays_whole_in_its_heading_and_plain_in_the_title(
    signed_in: SignIn, ref: str
) -> None:
    html = signed_in("concierge").get(f"/orders/{ref}").get_data(as_text=True)

    assert f'<h1>Order <span class="ref">{ref}</span>' in html
    assert f"<title>Order {ref} · " in html
