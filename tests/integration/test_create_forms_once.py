"""Every create form records once: a second submit of the same rendered form (a double tap, or
Back and submit again) shows what the first one created, with a message, and adds nothing."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.db import get_session, write_transaction
from hub.ledger.customers import CustomerInput, create_customer
from hub.models import ApiToken, Customer, IdempotencyKey, Order, OutboxRow, Service, User
from hub.models.customers import customer_ref
from tests.conftest import SignIn, Users, csrf_from

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _customer(app: Flask) -> int:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            data = CustomerInput.parse({"name": "Jeanne Martin", "email": "j@example.com"})
            return create_customer(session, data).id


@dataclass(frozen=True)
class CreateForm:
    """One create form: where it is shown, where it posts, what it stores, what it sends."""

    name: str
    role: str
    page: str
    post: str
    model: type
    fields: dict[str, str]
    already: str


def _forms(customer_id: int, admin_id: int) -> list[CreateForm]:
    return [
        CreateForm(
            "customer",
            "concierge",
            "/customers/new",
            "/customers/new",
            Customer,
            {"name": "Inès Dubois", "email": "ines@example.com"},
            "This customer was already recorded.",
        ),
        CreateForm(
            "order",
            "concierge",
            "/orders/new",
            "/orders/new",
            Order,
            {
                "customer_id": str(customer_id),
                "lines.0.service_code": "PARCEL",
                "lines.0.quantity": "2",
                "notes": "Sonner deux fois",
            },
            "This order was already recorded.",
        ),
        CreateForm(
            "user",
            "admin",
            "/admin/users",
            "/admin/users",
            User,
            {
                "email": "nouvelle@example.com",
                "name": "Nora Nouvelle",
                "role": "concierge",
                "password": "a long enough password",
            },
            "This user was already recorded.",
        ),
        CreateForm(
            "service",
            "admin",
            "/admin/services",
            "/admin/services",
            Service,
            {
                "code": "WINDOWS",
                "label": "Lavage de vitres",
                "unit": "hour",
                "unit_price": "30",
                "vat_bp": "2000",
            },
            "This service was already recorded.",
        ),
        CreateForm(
            "token",
            "admin",
            f"/admin/users/{admin_id}",
            f"/admin/users/{admin_id}/tokens",
            ApiToken,
            {"label": "Tableau de bord"},
            "This API token was already created; it is shown only once.",
        ),
    ]


FORM_NAMES = ["customer", "order", "user", "service", "token"]


@pytest.fixture(params=FORM_NAMES)
def form(request: pytest.FixtureRequest, app: Flask, users: Users) -> CreateForm:
    found = {f.name: f for f in _forms(_customer(app), users.admin.id)}
    return found[request.param]


def _rendered(client: FlaskClient, url: str) -> tuple[str, str]:
    """Open a form page; return its CSRF token and its one-time form token."""
    html = client.get(url).get_data(as_text=True)
    match = _FORM_TOKEN.search(html)
    assert match, f"{url} has no one-time form token"
    return csrf_from(html), match.group(1)


def _send(
    client: FlaskClient, form: CreateForm, csrf: str, token: str | None, **fields: str
) -> TestResponse:
    data = {**form.fields, **fields, "csrf_token": csrf}
    if token is not None:
        data["form_token"] = token
    return client.post(form.post, data=data)


def test_each_rendered_form_carries_a_fresh_token(form: CreateForm, signed_in: SignIn) -> None:
    client = signed_in(form.role)
    _, first = _rendered(client, form.page)
    _, second = _rendered(client, form.page)
    assert first != second
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", first)


def test_the_same_form_sent_twice_records_once_and_shows_the_first_record(
    app: Flask, form: CreateForm, signed_in: SignIn
) -> None:
    client = signed_in(form.role)
    before = _count(app, form.model)
    csrf, token = _rendered(client, form.page)
    first = _send(client, form, csrf, token)
    assert first.status_code in (200, 302), first.get_data(as_text=True)
    again = _send(client, form, csrf, token)
    assert _count(app, form.model) == before + 1
    assert again.status_code == 303
    if first.status_code == 302:
        assert again.headers["Location"] == first.headers["Location"]
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert form.already in shown
    assert _count(app, IdempotencyKey) == 1


def test_a_resubmit_after_back_with_edited_fields_still_records_nothing_more(
    app: Flask, form: CreateForm, signed_in: SignIn
) -> None:
    # Back restores what was typed (a password field comes back empty): the token decides.
    client = signed_in(form.role)
    before = _count(app, form.model)
    csrf, token = _rendered(client, form.page)
    assert _send(client, form, csrf, token).status_code in (200, 302)
    edited = {name: "" for name in form.fields if name in ("password", "notes", "label")}
    again = _send(client, form, csrf, token, **edited)
    assert again.status_code == 303
    assert _count(app, form.model) == before + 1


def test_a_forged_token_is_a_400_with_a_message_and_stores_nothing(
    app: Flask, form: CreateForm, signed_in: SignIn
) -> None:
    client = signed_in(form.role)
    before = _count(app, form.model)
    csrf, _ = _rendered(client, form.page)
    for forged in ("", "abc", "x" * 31 + "!", "é" * 32, "a" * 33, "' OR 1=1 --" + "a" * 21):
        response = _send(client, form, csrf, forged)
        assert response.status_code == 400, forged
        page = response.get_data(as_text=True)
        assert "The form could not be read" in page
        assert "altered or is damaged, so nothing was saved" in page
    assert _count(app, form.model) == before
    assert _count(app, IdempotencyKey) == 0


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def kept() -> Iterator[_Kept]:
    handler = _Kept()
    logger = logging.getLogger("hub")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_a_form_from_before_tokens_still_records_and_is_logged(
    app: Flask, form: CreateForm, signed_in: SignIn, kept: _Kept
) -> None:
    client = signed_in(form.role)
    before = _count(app, form.model)
    csrf, _ = _rendered(client, form.page)
    response = _send(client, form, csrf, None)
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    assert _count(app, form.model) == before + 1
    assert _count(app, IdempotencyKey) == 0
    assert any("without a one-time token" in line for line in kept.messages)


def test_a_refused_form_keeps_its_token_and_its_fix_records_once(
    app: Flask, signed_in: SignIn, users: Users
) -> None:
    client = signed_in("concierge")
    csrf, token = _rendered(client, "/customers/new")
    form = _forms(0, users.admin.id)[0]
    refused = _send(client, form, csrf, token, email="not an e-mail")
    assert refused.status_code == 422
    assert f'name="form_token" value="{token}"' in refused.get_data(as_text=True)
    assert _count(app, Customer) == 0
    fixed = _send(client, form, csrf, token)
    again = _send(client, form, csrf, token)
    assert fixed.status_code == 302
    assert again.headers["Location"] == fixed.headers["Location"]
    assert _count(app, Customer) == 1


def test_a_new_token_after_a_created_api_token_makes_another(
    app: Flask, signed_in: SignIn, users: Users
) -> None:
    # The token page answers the create itself (the secret is shown once): its next form is new.
    client = signed_in("admin")
    form = _forms(0, users.admin.id)[4]
    csrf, token = _rendered(client, form.page)
    shown = _send(client, form, csrf, token).get_data(as_text=True)
    match = _FORM_TOKEN.search(shown)
    assert match and match.group(1) != token
    assert _send(client, form, csrf, match.group(1)).status_code == 200
    assert _count(app, ApiToken) == 2


def test_tokens_belong_to_one_user_and_one_form(app: Flask, signed_in: SignIn) -> None:
    customer_id = _customer(app)
    claire = signed_in("concierge")
    alice = signed_in("admin")
    csrf, token = _rendered(claire, "/customers/new")
    customer_form, order_form = _forms(customer_id, 0)[:2]
    assert _send(claire, customer_form, csrf, token).status_code == 302
    # Another user, or another form, sending the same token records its own.
    alice_csrf, _ = _rendered(alice, "/customers/new")
    assert _send(alice, customer_form, alice_csrf, token).status_code == 302
    assert _send(claire, order_form, csrf, token).status_code == 302
    assert _count(app, Customer) == 3
    assert _count(app, Order) == 1


@pytest.mark.parametrize("name", ["order", "customer"])
def test_two_simultaneous_submits_of_one_form_record_once(
    app: Flask, signed_in: SignIn, users: Users, name: str
) -> None:
    form = {f.name: f for f in _forms(_customer(app), users.admin.id)}[name]
    before = _count(app, form.model)
    clients = [signed_in("concierge") for _ in range(2)]
    # Both tabs of one person: the token is the same, the user is the same.
    csrf, token = _rendered(clients[0], form.page)
    csrf_other, _ = _rendered(clients[1], form.page)
    start = threading.Barrier(2)
    answers: list[TestResponse] = []

    def submit(client: FlaskClient, csrf_token: str) -> None:
        start.wait()
        answers.append(_send(client, form, csrf_token, token))

    threads = [
        threading.Thread(target=submit, args=(client, csrf_token))
        for client, csrf_token in zip(clients, (csrf, csrf_other), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answer.status_code for answer in answers) == [302, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert _count(app, form.model) == before + 1
    # The loser's transaction left nothing behind: every outbox row is about a stored record.
    with app.app_context():
        session = get_session()
        subjects = set(session.scalars(sa.select(OutboxRow.aggregate_ref)))
        stored = {customer_ref(i) for i in session.scalars(sa.select(Customer.id))}
        stored |= set(session.scalars(sa.select(Order.ref)))
    assert subjects <= stored


def test_a_postback_of_the_order_form_keeps_its_token(app: Flask, signed_in: SignIn) -> None:
    # Without JavaScript, "Add a line" and "Find" post the form back: still the same form.
    client = signed_in("concierge")
    order_form = _forms(_customer(app), 0)[1]
    csrf, token = _rendered(client, order_form.page)
    for action in ("add_line", "find_customer"):
        grown = _send(client, order_form, csrf, token, action=action)
        assert grown.status_code == 200
        assert f'name="form_token" value="{token}"' in grown.get_data(as_text=True)
    assert _send(client, order_form, csrf, token).status_code == 302
    assert _send(client, order_form, csrf, token).status_code == 303
    assert _count(app, Order) == 1
