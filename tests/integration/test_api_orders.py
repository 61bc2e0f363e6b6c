"""Orders through the API: create, read, edit, schedule, complete, cancel, with versions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from hub.db import get_session
from hub.models import Order, OrderEvent, OutboxRow
from tests.conftest import Users
from tests.integration.test_api_support import (
    WHEN,
    api_as,
    assert_error,
    counts,
    new_customer,
    new_order,
)


def test_a_concierge_records_an_order_with_french_amounts(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    response = api.post(
        "/orders",
        {
            "customer_id": str(customer_id),
            "lines": [
                {"service_code": "ASSEMBLY", "quantity": "1,5"},
                {"service_code": "PARCEL", "quantity": 2, "unit_price": "2,50"},
                {"service_code": "CLEANING", "quantity": 0.5, "unit_price": 30},
                {"service_code": "PLANTS", "quantity": "1", "unit_price": "12,50 €"},
            ],
            "notes": "Code 1234B",
        },
    )
    assert response.status_code == 201
    order = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/orders/{order['ref']}")
    assert response.headers["ETag"] == f'"{order["version"]}"'
    # 1.5 h x 35,00 + 2 x 2,50 + 0.5 h x 30,00 + 12,50 = 52,50 + 5,00 + 15,00 + 12,50.
    assert order["total_cents"] == 8500
    assert order["vat_cents"] == 875 + 83 + 136 + 208
    assert [(line["quantity"], line["unit_price_cents"]) for line in order["lines"]] == [
        ("1.5", 3500),
        ("2", 250),
        ("0.5", 3000),
        ("1", 1250),
    ]
    assert (order["status"], order["billing_status"], order["invoice"]) == (
        "new",
        "unbilled",
        None,
    )
    assert order["customer"]["id"] == customer_id
    assert order["notes"] == "Code 1234B"
    with app.app_context():
        session = get_session()
        stored = session.scalars(sa.select(Order)).one()
        assert (stored.ref, stored.total_cents) == (order["ref"], 8500)
        assert session.scalars(sa.select(OrderEvent.kind)).all() == ["created"]
        topics = session.scalars(
            sa.select(OutboxRow.topic).where(OutboxRow.aggregate_type == "order")
        )
        assert set(topics) == {"order.created"}
    assert api.get(f"/orders/{order['ref']}").get_json() == order


def test_an_order_with_a_time_and_a_provider_starts_scheduled(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    order = new_order(api, new_customer(api), scheduled_at=WHEN, provider_id=users.provider.id)
    assert order["status"] == "scheduled"
    assert order["scheduled_at"] == "2026-12-01T08:30:00+00:00"
    assert order["provider"] == {"id": users.provider.id, "name": "Paul Provider"}


def test_an_order_goes_from_new_to_scheduled_to_done(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    ref = new_order(api, new_customer(api))["ref"]
    scheduled = api.post(
        f"/orders/{ref}/schedule",
        {"scheduled_at": WHEN, "provider_id": str(users.provider.id)},
    ).get_json()
    assert (scheduled["status"], scheduled["provider"]["id"]) == ("scheduled", users.provider.id)
    done = api.post(f"/orders/{ref}/complete", {"version": scheduled["version"]}).get_json()
    assert done["status"] == "done"
    assert done["completed_at"] is not None
    with app.app_context():
        kinds = get_session().scalars(sa.select(OrderEvent.kind).order_by(OrderEvent.id)).all()
    assert kinds == ["created", "scheduled", "done"]


def test_a_cancellation_keeps_its_reason_in_the_history(app: Flask, users: Users) -> None:
    api = api_as(app, users.admin)
    ref = new_order(api, new_customer(api))["ref"]
    response = api.post(f"/orders/{ref}/cancel", {"reason": "Customer away"})
    assert response.get_json()["status"] == "cancelled"
    with app.app_context():
        event = get_session().scalars(sa.select(OrderEvent).order_by(OrderEvent.id.desc())).first()
        assert event is not None
        assert (event.kind, event.changes) == ("cancelled", {"reason": "Customer away"})


def test_a_forbidden_transition_is_a_conflict_that_changes_nothing(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    ref = new_order(api, new_customer(api))["ref"]
    before = counts(app)
    assert_error(api.post(f"/orders/{ref}/complete"), 409, "invalid_transition")
    assert api.post(f"/orders/{ref}/cancel").status_code == 200
    after_cancel = counts(app)
    assert_error(api.post(f"/orders/{ref}/cancel"), 409, "invalid_transition")
    assert_error(
        api.post(
            f"/orders/{ref}/schedule", {"scheduled_at": WHEN, "provider_id": users.provider.id}
        ),
        409,
        "invalid_transition",
    )
    assert counts(app) == after_cancel
    assert after_cancel["order_events"] == before["order_events"] + 1


def test_scheduling_needs_a_time_and_a_provider(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    ref = new_order(api, new_customer(api))["ref"]
    before = counts(app)
    assert_error(
        api.post(f"/orders/{ref}/schedule", {"provider_id": users.provider.id}),
        422,
        "invalid",
        "scheduled_at",
    )
    assert_error(
        api.post(f"/orders/{ref}/schedule", {"scheduled_at": WHEN}), 422, "invalid", "provider_id"
    )
    assert_error(
        api.post(
            f"/orders/{ref}/schedule", {"scheduled_at": WHEN, "provider_id": users.concierge.id}
        ),
        422,
        "invalid",
        "provider_id",
    )
    assert counts(app) == before


def test_a_stale_version_is_refused_with_409(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    order = new_order(api, new_customer(api))
    ref, read_version = order["ref"], order["version"]
    # Someone else edits the order first.
    assert (
        api.patch(f"/orders/{ref}", {"notes": "Ring twice", "version": read_version}).status_code
        == 200
    )
    before = counts(app)
    when = {"scheduled_at": WHEN, "provider_id": users.provider.id}
    assert_error(
        api.post(f"/orders/{ref}/schedule", {**when, "version": read_version}), 409, "stale"
    )
    assert_error(api.post(f"/orders/{ref}/cancel", {"version": str(read_version)}), 409, "stale")
    assert_error(
        api.patch(f"/orders/{ref}", {"notes": "Mine", "version": read_version}), 409, "stale"
    )
    stale_header = {**api.headers, "If-Match": f'"{read_version}"'}
    response = api.client.post(f"/api/v1/orders/{ref}/cancel", headers=stale_header)
    assert_error(response, 409, "stale")
    assert counts(app) == before
    current = api.get(f"/orders/{ref}")
    assert (current.get_json()["status"], current.get_json()["notes"]) == ("new", "Ring twice")
    fresh_header = {**api.headers, "If-Match": current.headers["ETag"]}
    scheduled = api.client.post(f"/api/v1/orders/{ref}/schedule", json=when, headers=fresh_header)
    assert scheduled.get_json()["status"] == "scheduled"


def test_an_edit_replaces_lines_and_keeps_what_it_does_not_mention(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    order = new_order(
        api,
        new_customer(api),
        notes="Ring twice",
        scheduled_at=WHEN,
        provider_id=users.provider.id,
        lines=[{"service_code": "PARCEL", "quantity": 3, "unit_price": "2,50"}],
    )
    ref = order["ref"]
    notes_only = api.patch(
        f"/orders/{ref}", {"notes": "Ring three times", "version": order["version"]}
    )
    edited = notes_only.get_json()
    assert edited["notes"] == "Ring three times"
    # Unmentioned fields keep their values, including a price that differs from the catalogue.
    assert [
        (line["service_code"], line["quantity"], line["amount_cents"]) for line in edited["lines"]
    ] == [("PARCEL", "3", 750)]
    assert (edited["status"], edited["scheduled_at"], edited["provider"]["id"]) == (
        "scheduled",
        order["scheduled_at"],
        users.provider.id,
    )
    relined = api.patch(
        f"/orders/{ref}",
        {"lines": [{"service_code": "IRONING", "quantity": "2,5"}], "version": edited["version"]},
    ).get_json()
    assert [(line["service_code"], line["amount_cents"]) for line in relined["lines"]] == [
        ("IRONING", 6500)
    ]
    assert relined["total_cents"] == 6500
    assert relined["notes"] == "Ring three times"


def test_an_edit_needs_a_version_and_valid_fields(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    order = new_order(api, new_customer(api))
    ref = order["ref"]
    before = counts(app)
    assert_error(api.patch(f"/orders/{ref}", {"notes": "x"}), 422, "invalid", "version")
    version = order["version"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lines": []}, "lines"),
        ({"lines": [{"service_code": "NOPE"}]}, "lines.0.service_code"),
        ({"notes": 12}, "notes"),
        ({"customer_id": new_customer(api, "Paul Durand", "paul@example.com")}, "customer_id"),
    ]
    for body, field in cases:
        assert_error(
            api.patch(f"/orders/{ref}", {**body, "version": version}), 422, "invalid", field
        )
    assert counts(app)["order_events"] == before["order_events"]
    assert api.get(f"/orders/{ref}").get_json() == order


def test_a_done_order_can_no_longer_be_edited(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    order = new_order(api, new_customer(api), scheduled_at=WHEN, provider_id=users.provider.id)
    done = api.post(f"/orders/{order['ref']}/complete").get_json()
    response = api.patch(f"/orders/{order['ref']}", {"notes": "late", "version": done["version"]})
    assert_error(response, 422, "invalid")
    assert api.get(f"/orders/{order['ref']}").get_json()["notes"] is None


def test_a_provider_completes_their_own_mission_only(app: Flask, users: Users) -> None:
    staff = api_as(app, users.concierge)
    customer_id = new_customer(staff)
    mine = new_order(staff, customer_id, scheduled_at=WHEN, provider_id=users.provider.id)["ref"]
    theirs = new_order(staff, customer_id, scheduled_at=WHEN, provider_id=users.other_provider.id)[
        "ref"
    ]
    unassigned = new_order(staff, customer_id)["ref"]
    provider = api_as(app, users.provider)
    assert provider.get(f"/orders/{mine}").get_json()["provider"]["id"] == users.provider.id
    before = counts(app)
    for ref in (theirs, unassigned):
        assert_error(provider.get(f"/orders/{ref}"), 404, "not_found")
        assert_error(provider.post(f"/orders/{ref}/complete"), 404, "not_found")
    # Someone else's mission answers exactly like a reference that does not exist.
    missing = provider.get("/orders/C-2026-999999").get_json()["error"]
    hidden = provider.get(f"/orders/{theirs}").get_json()["error"]
    assert hidden == {**missing, "message": missing["message"].replace("C-2026-999999", theirs)}
    assert counts(app) == before
    assert provider.post(f"/orders/{mine}/complete").get_json()["status"] == "done"
    assert staff.get(f"/orders/{theirs}").get_json()["status"] == "scheduled"
