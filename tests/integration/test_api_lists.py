"""Lists through the API: keyset pages that never repeat or skip, filters, and their errors."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.db import get_db, get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.catalogue import set_service_active
from hub.ledger.queries import SETTLE
from hub.models import Order
from tests.conftest import Users
from tests.integration.test_api_support import (
    WHEN,
    Api,
    api_as,
    assert_error,
    new_customer,
    new_order,
)


def _walk(api: Api, path: str, between_pages: Any = None) -> tuple[list[str], int]:
    """Follow next_cursor to the end; return the references seen and the pages fetched."""
    seen: list[str] = []
    pages = 0
    url = path
    while True:
        body = api.get(url).get_json()
        pages += 1
        seen += [row["ref"] for row in body["data"]]
        if between_pages is not None:
            between_pages()
        if body["next_cursor"] is None:
            return seen, pages
        joiner = "&" if "?" in path else "?"
        url = f"{path}{joiner}cursor={body['next_cursor']}"


def _backdate(app: Flask, refs: list[str], by: timedelta) -> None:
    """Move these orders' last change into the past, as if it had happened that long ago."""
    orders = sa.Table("orders", Order.metadata)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            for ref in refs:
                when = session.scalars(sa.select(Order.updated_at).where(Order.ref == ref)).one()
                # Core, not the ORM: an ORM update would also bump the order's version.
                session.execute(
                    orders.update().where(orders.c.ref == ref).values(updated_at=when - by)
                )


def test_services_lists_the_active_catalogue_for_every_role(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            set_service_active(session, "PET", False)
    for user in (users.admin, users.concierge, users.provider):
        data = api_as(app, user).get("/services").get_json()["data"]
        assert {"code": "PARCEL", "label": "Réception de colis", "unit": "unit"}.items() <= next(
            s for s in data if s["code"] == "PARCEL"
        ).items()
        assert next(s for s in data if s["code"] == "PARCEL")["unit_price_cents"] == 300
        assert next(s for s in data if s["code"] == "PARCEL")["vat_bp"] == 2000
        assert "PET" not in {s["code"] for s in data}
        assert len(data) == 9


def test_order_pages_walk_every_order_once_while_orders_arrive(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    existing = [new_order(api, customer_id)["ref"] for _ in range(7)]
    arrived: list[str] = []
    seen, pages = _walk(
        api, "/orders?limit=3", lambda: arrived.append(new_order(api, customer_id)["ref"])
    )
    # Newest first; orders recorded during the walk are newer, so they are not in it.
    assert seen == list(reversed(existing))
    assert pages == 3
    assert len(arrived) == 3
    assert api.get("/orders?limit=200").get_json()["data"][0]["ref"] == arrived[-1]


def test_a_change_feed_walks_by_update_time_and_picks_up_later_changes(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    refs = [new_order(api, customer_id)["ref"] for _ in range(5)]
    # The feed shows only changes older than SETTLE: age these well beyond it.
    _backdate(app, refs, timedelta(hours=1))
    since = "2000-01-01T00:00:00Z"
    arrived: list[str] = []

    def arrive() -> None:
        if len(arrived) < 2:
            arrived.append(new_order(api, customer_id)["ref"])
            _backdate(app, arrived[-1:], SETTLE + timedelta(seconds=1))

    seen, _ = _walk(api, f"/orders?updated_since={since}&limit=2", arrive)
    # Oldest change first; orders added meanwhile changed last, so they come at the end.
    assert seen == refs + arrived
    # Resuming from a change time returns what changed since, the changed order last.
    first = api.get(f"/orders/{refs[0]}").get_json()
    api.patch(f"/orders/{refs[0]}", {"notes": "Later", "version": first["version"]})
    _backdate(app, refs[:1], SETTLE + timedelta(seconds=1))
    edited = api.get(f"/orders/{refs[0]}").get_json()
    later = api.get("/orders", query_string={"updated_since": edited["updated_at"]}).get_json()
    assert [o["ref"] for o in later["data"]] == [refs[0]]


def test_a_change_feed_holds_back_fresh_changes_until_they_settle(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    ref = new_order(api, customer_id)["ref"]
    since = {"updated_since": "2000-01-01T00:00:00Z"}
    assert api.get("/orders", query_string=since).get_json()["data"] == []
    _backdate(app, [ref], SETTLE + timedelta(seconds=1))
    assert [o["ref"] for o in api.get("/orders", query_string=since).get_json()["data"]] == [ref]


def test_a_change_committed_late_is_not_skipped_by_a_client_resuming_from_its_cursor(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    slow, fast = (new_order(api, customer_id)["ref"] for _ in range(2))
    _backdate(app, [slow, fast], timedelta(hours=1))
    since = "2000-01-01T00:00:00Z"
    # The fast change commits; a client reads the feed while the slow one is still running.
    api.post(f"/orders/{fast}/cancel")
    first = api.get("/orders", query_string={"updated_since": since}).get_json()["data"]
    # The slow change commits now, stamped before the fast one (it began first).
    api.post(f"/orders/{slow}/cancel")
    _backdate(app, [slow], timedelta(seconds=5))
    # Time passes: every change settles, and the client resumes from the last change it saw.
    passed = SETTLE + timedelta(seconds=1)
    _backdate(app, [slow, fast], passed)
    resume = since
    if first:
        resume = (datetime.fromisoformat(first[-1]["updated_at"]) - passed).isoformat()
    resumed = api.get("/orders", query_string={"updated_since": resume}).get_json()["data"]
    assert slow in [o["ref"] for o in [*first, *resumed]]
    assert [o["ref"] for o in resumed] == [slow, fast]


def test_filters_narrow_the_list(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    jeanne = new_customer(api)
    paul = new_customer(api, "Paul Durand", "paul.durand@example.com")
    new = new_order(api, jeanne)["ref"]
    mine = new_order(api, jeanne, scheduled_at=WHEN, provider_id=users.provider.id)["ref"]
    theirs = new_order(
        api, paul, scheduled_at="2026-12-03T18:00:00+01:00", provider_id=users.other_provider.id
    )["ref"]
    cancelled = new_order(api, paul)["ref"]
    api.post(f"/orders/{cancelled}/cancel")
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            apply_billing_news(session, Actor.system("stripe"), mine, "invoiced")

    def refs(query: str) -> list[str]:
        response = api.get(f"/orders?{query}")
        assert response.status_code == 200, response.get_json()
        return [o["ref"] for o in response.get_json()["data"]]

    assert refs("status=scheduled") == [theirs, mine]
    assert refs("status=cancelled") == [cancelled]
    assert refs("billing_status=invoiced") == [mine]
    assert refs("billing_status=unbilled&status=new") == [new]
    assert refs(f"provider_id={users.other_provider.id}") == [theirs]
    assert refs(f"customer_id={jeanne}") == [mine, new]
    assert refs("q=durand") == [cancelled, theirs]
    assert refs(f"q={mine.lower()}") == [mine]
    assert refs("scheduled_from=2026-12-02&scheduled_to=2026-12-31") == [theirs]
    assert refs("scheduled_from=2026-12-01&scheduled_to=2026-12-01") == [mine]
    assert refs("q=nobody") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=finished", "status"),
        ("status=new,done", "status"),
        ("billing_status=PAID", "billing_status"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-03-14T09:30:00", "updated_since"),
        ("updated_since=0001-01-01T00:00:00%2B01:00", "updated_since"),
        ("updated_since=9999-12-31T23:59:59-05:00", "updated_since"),
        ("provider_id=abc", "provider_id"),
        ("provider_id=-1", "provider_id"),
        ("customer_id=99999999999999999999999", "customer_id"),
        ("customer_id=%C2%B2", "customer_id"),
        ("q=" + "x" * 201, "q"),
        ("scheduled_from=14/03/2026", "scheduled_from"),
        ("scheduled_to=2026-02-30", "scheduled_to"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=eyJpZCI6MTAwMDAwMDAwMDAwMDAwMDAwMDAwMDB9", "cursor"),
        ("cursor=eyJpZCI6dHJ1ZX0", "cursor"),
        ("cursor=W10", "cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b"[" * 3000).decode(), "cursor"),
        ("cursor=W1tbW1tbW1td", "cursor"),
        ("cursor=" + "A" * 201, "cursor"),
        ("updated_since=2026-01-01T00:00:00Z&cursor=eyJpZCI6MX0", "cursor"),
        ("updated_since=2026-01-01T00:00:00Z&cursor=eyJpZCI6MSwidSI6IjIwMjYtMDEtMDEifQ", "cursor"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(app: Flask, users: Users, query: str, field: str) -> None:
    api = api_as(app, users.admin)
    new_order(api, new_customer(api))
    assert_error(api.get(f"/orders?{query}"), 422, "invalid", field)


def test_a_provider_lists_only_their_own_missions(app: Flask, users: Users) -> None:
    staff = api_as(app, users.concierge)
    customer_id = new_customer(staff)
    mine = [
        new_order(staff, customer_id, scheduled_at=WHEN, provider_id=users.provider.id)["ref"]
        for _ in range(3)
    ]
    new_order(staff, customer_id, scheduled_at=WHEN, provider_id=users.other_provider.id)
    new_order(staff, customer_id)
    provider = api_as(app, users.provider)
    seen, _ = _walk(provider, "/orders?limit=2")
    assert seen == list(reversed(mine))
    asked_for_other = f"/orders?provider_id={users.other_provider.id}"
    assert provider.get(asked_for_other).get_json()["data"] == []


def test_a_list_page_costs_the_same_queries_whatever_its_size(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    customer_ids = [new_customer(api, f"Client {i}", f"c{i}@example.com") for i in range(3)]
    for i in range(12):
        new_order(
            api,
            customer_ids[i % 3],
            provider_id=users.provider.id if i % 2 else users.other_provider.id,
            scheduled_at=WHEN,
            lines=[{"service_code": "PARCEL"}, {"service_code": "KEYS"}],
        )
    statements: list[str] = []
    engine = get_db(app).engine

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        sizes = {}
        for limit in (2, 12):
            statements.clear()
            body = api.get(f"/orders?limit={limit}").get_json()
            assert len(body["data"]) == limit
            assert all(len(o["lines"]) == 2 and o["provider"] for o in body["data"])
            sizes[limit] = len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert sizes[2] == sizes[12]


def test_customer_pages_search_and_walk_every_customer_once(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    ids = [new_customer(api, f"Martin {i}", f"martin{i}@example.com") for i in range(5)]
    other = new_customer(api, "Paul Durand", "paul@example.com")
    seen, pages = _walk(api, "/customers?q=martin&limit=2")
    assert seen == [f"K-{i:06d}" for i in reversed(ids)]
    assert pages == 3
    everyone = api.get("/customers").get_json()
    assert [c["id"] for c in everyone["data"]] == [other, *reversed(ids)]
    assert everyone["next_cursor"] is None
    one = api.get(f"/customers/{other}").get_json()
    assert (one["name"], one["email"], one["ref"]) == (
        "Paul Durand",
        "paul@example.com",
        f"K-{other:06d}",
    )
    for query, field in [("limit=500", "limit"), ("cursor=%%%", "cursor"), ("q=" + "x" * 201, "q")]:
        assert_error(api.get(f"/customers?{query}"), 422, "invalid", field)
    assert_error(api.get("/customers?q=a%00b"), 400, "bad_request")


def test_a_listed_order_reads_exactly_as_the_order_itself(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    lines = [
        {"service_code": "ASSEMBLY", "quantity": "1,5"},
        {"service_code": "PARCEL", "quantity": 3, "unit_price": "2,50"},
    ]
    planned = new_order(
        api,
        customer_id,
        lines=lines,
        scheduled_at=WHEN,
        provider_id=users.provider.id,
        notes="Code porte 1234B",
    )
    unplanned = new_order(api, customer_id)
    listed = api.get("/orders").get_json()["data"]
    assert [row["ref"] for row in listed] == [unplanned["ref"], planned["ref"]]
    for row in listed:
        # The single order adds who did what (created_by, done_by, history); lists stay lean.
        single = api.get(f"/orders/{row['ref']}").get_json()
        assert set(single) - set(row) == {"created_by", "done_by", "history"}
        assert row == {key: single[key] for key in row}
    assert listed[1]["provider"] == {"id": users.provider.id, "name": users.provider.name}
    assert [line["service_code"] for line in listed[1]["lines"]] == ["ASSEMBLY", "PARCEL"]
