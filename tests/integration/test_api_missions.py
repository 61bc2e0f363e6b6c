"""The API's share of the mission rules: not before the day, reopen, providers, who did what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from hub.accounts import set_active
from hub.db import get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.models import User
from tests.conftest import Users
from tests.integration.test_api_support import (
    WHEN,
    api_as,
    assert_error,
    counts,
    new_customer,
    new_order,
)

LATER = (datetime.now(UTC) + timedelta(days=2)).isoformat()


def _done(app: Flask, users: Users) -> dict[str, object]:
    staff = api_as(app, users.concierge)
    order = new_order(staff, new_customer(staff), scheduled_at=WHEN, provider_id=users.provider.id)
    done = api_as(app, users.provider).post(f"/orders/{order['ref']}/complete")
    assert done.status_code == 200, done.get_json()
    body: dict[str, object] = done.get_json()
    return body


# -- complete: a provider not before the mission's day ---------------------------------------


def test_a_provider_cannot_complete_a_mission_before_its_day(app: Flask, users: Users) -> None:
    staff = api_as(app, users.concierge)
    ref = new_order(staff, new_customer(staff), scheduled_at=LATER, provider_id=users.provider.id)[
        "ref"
    ]
    before = counts(app)

    response = api_as(app, users.provider).post(f"/orders/{ref}/complete")

    assert_error(response, 409, "not_yet_due")
    assert "can be marked done from that day on" in response.get_json()["error"]["message"]
    assert counts(app) == before
    assert staff.get(f"/orders/{ref}").get_json()["status"] == "scheduled"
    # Staff correct records: they are not held to the day.
    assert staff.post(f"/orders/{ref}/complete").get_json()["status"] == "done"


# -- reopen --------------------------------------------------------------------------------


def test_a_concierge_reopens_a_mission_marked_done_by_mistake(app: Flask, users: Users) -> None:
    done = _done(app, users)
    staff = api_as(app, users.concierge)

    response = staff.post(
        f"/orders/{done['ref']}/reopen",
        {"reason": "Wrong mission tapped", "version": done["version"]},
    )

    assert response.status_code == 200
    body = response.get_json()
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert (body["status"], body["completed_at"], body["done_by"]) == ("scheduled", None, None)
    last = body["history"][-1]
    assert {key: last[key] for key in ("kind", "by", "from", "to")} == {
        "kind": "reopened",
        "by": "Claire Concierge",
        "from": "done",
        "to": "scheduled",
    }
    assert last["changes"]["reason"] == "Wrong mission tapped"
    # The provider can mark it done again.
    again = api_as(app, users.provider).post(f"/orders/{done['ref']}/complete")
    assert again.get_json()["status"] == "done"


def test_reopen_needs_a_reason(app: Flask, users: Users) -> None:
    done = _done(app, users)
    staff = api_as(app, users.concierge)
    before = counts(app)
    for body in (None, {}, {"reason": "  "}, {"reason": None}):
        assert_error(staff.post(f"/orders/{done['ref']}/reopen", body), 422, "invalid", "reason")
    assert counts(app) == before


def test_reopen_is_refused_once_billing_started(app: Flask, users: Users) -> None:
    done = _done(app, users)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            apply_billing_news(session, Actor.system("stripe"), str(done["ref"]), "pending")
    staff = api_as(app, users.concierge)
    before = counts(app)

    response = staff.post(f"/orders/{done['ref']}/reopen", {"reason": "Too late"})

    assert_error(response, 409, "invalid_transition")
    assert "Cancelling it" in response.get_json()["error"]["message"]
    assert counts(app) == before


def test_only_staff_reopen_and_only_done_orders(app: Flask, users: Users) -> None:
    done = _done(app, users)
    assert_error(
        api_as(app, users.provider).post(f"/orders/{done['ref']}/reopen", {"reason": "oops"}),
        403,
        "forbidden",
    )
    staff = api_as(app, users.admin)
    fresh = new_order(staff, new_customer(staff))["ref"]
    assert_error(
        staff.post(f"/orders/{fresh}/reopen", {"reason": "why"}), 409, "invalid_transition"
    )
    assert_error(
        staff.post(f"/orders/{done['ref']}/reopen", {"reason": "x", "version": 1}), 409, "stale"
    )


# -- providers -----------------------------------------------------------------------------


def test_staff_list_the_providers_with_their_active_flag(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            set_active(session, session.get(User, users.other_provider.id), False)  # type: ignore[arg-type]

    for user in (users.concierge, users.admin):
        response = api_as(app, user).get("/providers")
        assert response.status_code == 200
        assert response.get_json() == {
            "data": [
                {"id": users.provider.id, "name": "Paul Provider", "active": True},
                {"id": users.other_provider.id, "name": "Olga Provider", "active": False},
            ]
        }


def test_a_provider_cannot_list_the_providers(app: Flask, users: Users) -> None:
    assert_error(api_as(app, users.provider).get("/providers"), 403, "forbidden")
    assert api_as(app, None).get("/providers").status_code == 401


# -- who did what --------------------------------------------------------------------------


def test_the_order_body_says_who_created_it_who_did_it_and_its_history(
    app: Flask, users: Users
) -> None:
    done = _done(app, users)
    staff = api_as(app, users.concierge)

    body = staff.get(f"/orders/{done['ref']}").get_json()

    assert (body["created_by"], body["done_by"]) == ("Claire Concierge", "Paul Provider")
    assert body["completed_at"] is not None
    assert [(h["kind"], h["by"], h["from"], h["to"]) for h in body["history"]] == [
        ("created", "Claire Concierge", None, "new"),
        ("scheduled", "Claire Concierge", "new", "scheduled"),
        ("done", "Paul Provider", "scheduled", "done"),
    ]
    assert all(set(h) == {"at", "kind", "by", "from", "to", "changes"} for h in body["history"])
    # Lists stay lean: no history, no names of who did what.
    listed = staff.get("/orders").get_json()["data"][0]
    assert "history" not in listed and "created_by" not in listed
    # A provider reads who created and who did their mission, not the order's history.
    mine = api_as(app, users.provider).get(f"/orders/{done['ref']}").get_json()
    assert (mine["created_by"], mine["done_by"]) == ("Claire Concierge", "Paul Provider")
    assert "history" not in mine


def test_billing_news_in_the_history_name_the_billing_states(app: Flask, users: Users) -> None:
    done = _done(app, users)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            apply_billing_news(session, Actor.system("stripe"), str(done["ref"]), "pending")
    body = api_as(app, users.admin).get(f"/orders/{done['ref']}").get_json()
    last = body["history"][-1]
    assert (last["by"], last["from"], last["to"]) == ("stripe", "unbilled", "pending")
