"""Admin pages: users, their access and API tokens, and the service catalogue."""

from __future__ import annotations

import re
import secrets
import threading

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.test import TestResponse

from hub import accounts
from hub.db import get_session, write_transaction
from hub.errors import Conflict
from hub.ledger.actor import Actor
from hub.ledger.customers import CustomerInput, create_customer
from hub.ledger.order_access import get_order
from hub.ledger.orders import OrderInput, create_order
from hub.models import ApiToken, Service, User
from tests.conftest import PASSWORD, Users, login, post_form, sign_in

NEW_PASSWORD = "a brand new passphrase"


def session_csrf(app: Flask, client: FlaskClient) -> str:
    """Return a valid CSRF token for the client's session, for posts from pages it cannot open."""
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", secrets.token_hex(20))
    assert app.secret_key is not None
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def post(app: Flask, client: FlaskClient, url: str, **data: str) -> TestResponse:
    return client.post(url, data={**data, "csrf_token": session_csrf(app, client)})


def user_row(app: Flask, email: str) -> User | None:
    with app.app_context():
        return accounts.find_user(get_session(), email)


def user_of(app: Flask, email: str) -> User:
    user = user_row(app, email)
    assert user is not None, email
    return user


def service_row(app: Flask, code: str) -> Service | None:
    with app.app_context():
        return get_session().scalars(sa.select(Service).where(Service.code == code)).first()


def service_of(app: Flask, code: str) -> Service:
    service = service_row(app, code)
    assert service is not None, code
    return service


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.fixture
def admin(client: FlaskClient, users: Users) -> FlaskClient:
    sign_in(client, users.admin)
    return client


# -- who may open the pages ----------------------------------------------------------------

PAGES = ["/admin/users", "/admin/users/1", "/admin/services", "/admin/services/PARCEL"]
POSTS = [
    ("/admin/users", {"email": "x@example.com", "role": "admin", "password": NEW_PASSWORD}),
    ("/admin/users/{id}/role", {"role": "admin"}),
    ("/admin/users/{id}/password", {"password": NEW_PASSWORD}),
    ("/admin/users/{id}/active", {"active": "0"}),
    ("/admin/users/{id}/tokens", {"label": "x"}),
    ("/admin/services", {"code": "NEW", "label": "x", "unit": "unit", "unit_price": "1"}),
    ("/admin/services/PARCEL", {"label": "x", "unit": "unit", "unit_price": "1"}),
    ("/admin/services/PARCEL/active", {"active": "0"}),
]


def test_anonymous_visitors_are_sent_to_the_sign_in_page(client: FlaskClient) -> None:
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url


@pytest.mark.parametrize("role", ["concierge", "provider"])
def test_other_roles_get_403_on_every_admin_page_and_form(
    app: Flask, client: FlaskClient, users: Users, role: str
) -> None:
    me = users.by_role(role)
    login(client, me)
    for url in PAGES:
        assert client.get(url.replace("/1", f"/{me.id}")).status_code == 403, url
    for url, data in POSTS:
        response = post(app, client, url.format(id=me.id), **data)
        assert response.status_code == 403, url
    assert user_of(app, me.email).role == role
    assert user_row(app, "x@example.com") is None
    assert service_of(app, "PARCEL").label == "Réception de colis"


def test_an_admin_opens_every_admin_page(admin: FlaskClient, users: Users) -> None:
    for url in PAGES:
        assert admin.get(url.replace("/1", f"/{users.admin.id}")).status_code == 200, url


def test_posts_without_csrf_are_refused(app: Flask, admin: FlaskClient, users: Users) -> None:
    for url, data in POSTS:
        assert admin.post(url.format(id=users.provider.id), data=data).status_code == 400, url
    assert user_row(app, "x@example.com") is None
    assert user_of(app, users.provider.email).active


# -- users ---------------------------------------------------------------------------------


def test_users_page_lists_everyone_with_role_and_access(admin: FlaskClient, users: Users) -> None:
    html = admin.get("/admin/users").get_data(as_text=True)
    for person in (users.admin, users.concierge, users.provider, users.other_provider):
        assert person.email in html
    assert "Provider" in html and "Concierge" in html


def test_admin_adds_a_user_who_can_then_sign_in(app: Flask, admin: FlaskClient) -> None:
    response = post(
        app,
        admin,
        "/admin/users",
        email=" New.Person@Example.com ",
        name="Nina New",
        role="provider",
        password=NEW_PASSWORD,
    )

    assert response.status_code == 302
    person = user_row(app, "new.person@example.com")
    assert person is not None and person.role == "provider" and person.name == "Nina New"
    assert response.headers["Location"] == f"/admin/users/{person.id}"
    other = app.test_client()
    login(other, person, NEW_PASSWORD)
    assert other.get("/missions").status_code == 200


def test_bad_new_user_form_marks_every_field_keeps_values_and_stores_nothing(
    app: Flask, admin: FlaskClient
) -> None:
    before = count(app, User)

    response = post(
        app,
        admin,
        "/admin/users",
        email="not-an-email",
        name="Typed Name",
        role="boss",
        password="short",
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "is not an e-mail address" in html
    assert "Choose a role" in html
    assert "at least 10 characters" in html
    assert 'value="not-an-email"' in html
    assert 'value="Typed Name"' in html
    assert 'value="short"' not in html  # a password is never sent back
    assert count(app, User) == before


def test_an_e_mail_already_used_is_refused(app: Flask, admin: FlaskClient, users: Users) -> None:
    before = count(app, User)
    response = post(
        app,
        admin,
        "/admin/users",
        email=users.concierge.email.upper(),
        role="concierge",
        password=NEW_PASSWORD,
    )
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert count(app, User) == before


def test_a_new_user_needs_a_password(app: Flask, admin: FlaskClient) -> None:
    response = post(app, admin, "/admin/users", email="p@example.com", role="concierge")
    assert response.status_code == 422
    assert "This field is required" in response.get_data(as_text=True)
    assert user_row(app, "p@example.com") is None


def test_admin_changes_a_role(app: Flask, admin: FlaskClient, users: Users) -> None:
    response = post(app, admin, f"/admin/users/{users.provider.id}/role", role="concierge")
    assert response.status_code == 302
    assert user_of(app, users.provider.email).role == "concierge"


def test_an_unknown_role_is_refused(app: Flask, admin: FlaskClient, users: Users) -> None:
    response = post(app, admin, f"/admin/users/{users.provider.id}/role", role="superuser")
    assert response.status_code == 422
    assert "Choose a role" in response.get_data(as_text=True)
    assert user_of(app, users.provider.email).role == "provider"


def test_an_admin_cannot_remove_their_own_admin_role(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    response = post(app, admin, f"/admin/users/{users.admin.id}/role", role="concierge")
    assert response.status_code == 403
    assert "your own admin role" in response.get_data(as_text=True)
    assert user_of(app, users.admin.email).role == "admin"


def test_an_admin_cannot_deactivate_themself(app: Flask, admin: FlaskClient, users: Users) -> None:
    response = post(app, admin, f"/admin/users/{users.admin.id}/active", active="0")
    assert response.status_code == 403
    assert "your own account" in response.get_data(as_text=True)
    assert user_of(app, users.admin.email).active
    assert admin.get("/admin/users").status_code == 200


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        for change in ("role", "active"):
            with (
                pytest.raises(Conflict, match="last active admin"),
                write_transaction(session),
            ):
                person = session.get(User, users.admin.id, populate_existing=True)
                assert person is not None
                if change == "role":
                    accounts.set_role(session, person, "concierge")
                else:
                    accounts.set_active(session, person, False)
    row = user_row(app, users.admin.email)
    assert row is not None and row.role == "admin" and row.active


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            person = session.get(User, users.concierge.id)
            assert person is not None
            accounts.set_role(session, person, "admin")
    clients = {users.admin.id: app.test_client(), users.concierge.id: app.test_client()}
    login(clients[users.admin.id], users.admin)
    login(clients[users.concierge.id], users.concierge)
    tokens = {uid: session_csrf(app, c) for uid, c in clients.items()}
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def demote_the_other(me: int, other: int) -> None:
        barrier.wait()
        response = clients[me].post(
            f"/admin/users/{other}/role", data={"role": "concierge", "csrf_token": tokens[me]}
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=demote_the_other, args=(users.admin.id, users.concierge.id)),
        threading.Thread(target=demote_the_other, args=(users.concierge.id, users.admin.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 302 in statuses
    assert set(statuses) <= {302, 403, 409}
    with app.app_context():
        admins = get_session().scalars(
            sa.select(User).where(User.role == "admin", User.active.is_(True))
        )
        assert len(list(admins)) == 1


def test_deactivating_ends_sessions_and_revokes_tokens_and_reactivating_restores_sign_in(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    provider = app.test_client()
    login(provider, users.provider)
    assert provider.get("/missions").status_code == 200
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            token = accounts.create_token(session, session.merge(users.provider), "phone")

    response = post(app, admin, f"/admin/users/{users.provider.id}/active", active="0")

    assert response.status_code == 302
    assert provider.get("/missions").status_code == 302
    with app.app_context():
        assert accounts.user_for_token(get_session(), token) is None
    html = admin.get(f"/admin/users/{users.provider.id}").get_data(as_text=True)
    assert "Deactivated" in html and "Reactivate" in html

    assert post(app, admin, f"/admin/users/{users.provider.id}/active", active="1").status_code
    assert user_of(app, users.provider.email).active
    login(provider, users.provider)
    assert provider.get("/missions").status_code == 200
    with app.app_context():
        assert accounts.user_for_token(get_session(), token) is None  # old tokens stay revoked


def test_an_unknown_access_choice_changes_nothing(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    response = post(app, admin, f"/admin/users/{users.provider.id}/active", active="maybe")
    assert response.status_code == 400
    assert user_of(app, users.provider.email).active


def test_password_reset_ends_the_users_sessions_and_sets_the_new_password(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    provider = app.test_client()
    login(provider, users.provider)

    response = post(app, admin, f"/admin/users/{users.provider.id}/password", password=NEW_PASSWORD)

    assert response.status_code == 302
    assert provider.get("/missions").status_code == 302
    fresh = app.test_client()
    login(fresh, users.provider, NEW_PASSWORD)
    assert fresh.get("/missions").status_code == 200


def test_a_short_new_password_is_refused_and_nothing_changes(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    old_hash = user_of(app, users.provider.email).password_hash
    response = post(app, admin, f"/admin/users/{users.provider.id}/password", password="short")
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert user_of(app, users.provider.email).password_hash == old_hash


def test_an_admin_resetting_their_own_password_stays_signed_in(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    response = post(app, admin, f"/admin/users/{users.admin.id}/password", password=NEW_PASSWORD)
    assert response.status_code == 302
    assert admin.get("/admin/users").status_code == 200


def test_unknown_users_give_404(app: Flask, admin: FlaskClient) -> None:
    assert admin.get("/admin/users/999999").status_code == 404
    assert post(app, admin, "/admin/users/999999/role", role="admin").status_code == 404


def test_a_new_token_is_shown_once_and_works(app: Flask, admin: FlaskClient, users: Users) -> None:
    response = post(app, admin, f"/admin/users/{users.concierge.id}/tokens", label="Zapier")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = re.search(r'<code class="token">(hub_[^<]+)</code>', html)
    assert token is not None
    with app.app_context():
        owner = accounts.user_for_token(get_session(), token.group(1))
        assert owner is not None and owner.id == users.concierge.id
    page = admin.get(f"/admin/users/{users.concierge.id}").get_data(as_text=True)
    assert token.group(1) not in page
    assert token.group(1)[:10] in page and "Zapier" in page


def test_a_token_label_that_is_too_long_is_refused(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    response = post(app, admin, f"/admin/users/{users.concierge.id}/tokens", label="x" * 101)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "At most 100 characters" in html
    assert 'value="' + "x" * 101 + '"' in html
    assert count(app, ApiToken) == 0


def test_a_deactivated_user_gets_no_new_token(app: Flask, admin: FlaskClient, users: Users) -> None:
    post(app, admin, f"/admin/users/{users.provider.id}/active", active="0")
    response = post(app, admin, f"/admin/users/{users.provider.id}/tokens", label="x")
    assert response.status_code == 409
    assert count(app, ApiToken) == 0


def test_admin_revokes_a_token(app: Flask, admin: FlaskClient, users: Users) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            token = accounts.create_token(session, session.merge(users.concierge), "n8n")
        token_id = session.scalars(sa.select(ApiToken.id)).one()

    # A token is revoked only through its owner's page.
    wrong = post(app, admin, f"/admin/users/{users.provider.id}/tokens/{token_id}/revoke")
    assert wrong.status_code == 404
    response = post(app, admin, f"/admin/users/{users.concierge.id}/tokens/{token_id}/revoke")

    assert response.status_code == 302
    with app.app_context():
        assert accounts.user_for_token(get_session(), token) is None
    html = admin.get(f"/admin/users/{users.concierge.id}").get_data(as_text=True)
    assert "Revoke</button>" not in html


def test_user_supplied_names_are_escaped(app: Flask, admin: FlaskClient) -> None:
    post(
        app,
        admin,
        "/admin/users",
        email="evil@example.com",
        name="<script>alert(1)</script>",
        role="concierge",
        password=NEW_PASSWORD,
    )
    person = user_row(app, "evil@example.com")
    assert person is not None
    for url in ("/admin/users", f"/admin/users/{person.id}"):
        html = admin.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


# -- catalogue -----------------------------------------------------------------------------


def test_catalogue_lists_active_and_retired_services_and_explains_prices(
    app: Flask, admin: FlaskClient
) -> None:
    post(app, admin, "/admin/services/PET/active", active="0")
    html = admin.get("/admin/services").get_data(as_text=True)
    assert "Réception de colis" in html and "Visite animaux de compagnie" in html
    assert "Retired" in html and "Bring back" in html
    assert "new orders only" in html


def test_admin_adds_a_service(app: Flask, admin: FlaskClient) -> None:
    response = post(
        app,
        admin,
        "/admin/services",
        code="window",
        label="Lavage de vitres",
        unit="hour",
        unit_price="12,50 €",
        vat_bp="550",
    )
    assert response.status_code == 302
    service = service_row(app, "WINDOW")
    assert service is not None and service.active
    assert (service.label, service.unit, service.unit_price_cents, service.vat_bp) == (
        "Lavage de vitres",
        "hour",
        1250,
        550,
    )


def test_bad_service_form_marks_every_field_keeps_values_and_stores_nothing(
    app: Flask, admin: FlaskClient
) -> None:
    before = count(app, Service)
    response = post(
        app,
        admin,
        "/admin/services",
        code="bad code!",
        label="",
        unit="week",
        unit_price="12,345",
        vat_bp="1900",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "capital letters" in html
    assert "This field is required" in html
    assert "Choose a unit" in html
    assert "at most 2 decimals" in html
    assert "Choose a VAT rate" in html
    assert 'value="bad code!"' in html and 'value="12,345"' in html
    assert count(app, Service) == before


@pytest.mark.parametrize("price", ["abc", "-3", "12.5.0", "1 000 000,01"])
def test_unreadable_prices_are_refused(app: Flask, admin: FlaskClient, price: str) -> None:
    response = post(
        app,
        admin,
        "/admin/services",
        code="NEWONE",
        label="x",
        unit="unit",
        unit_price=price,
        vat_bp="2000",
    )
    assert response.status_code == 422
    assert 'id="e-unit_price"' in response.get_data(as_text=True)
    assert service_row(app, "NEWONE") is None


def test_a_service_code_already_taken_is_refused(app: Flask, admin: FlaskClient) -> None:
    response = post(
        app,
        admin,
        "/admin/services",
        code="PARCEL",
        label="Another parcel",
        unit="unit",
        unit_price="1",
        vat_bp="2000",
    )
    assert response.status_code == 422
    assert "already taken" in response.get_data(as_text=True)
    assert service_of(app, "PARCEL").label == "Réception de colis"


def test_edit_form_shows_the_price_as_people_type_it(admin: FlaskClient) -> None:
    html = admin.get("/admin/services/ASSEMBLY").get_data(as_text=True)
    assert 'value="35,00"' in html
    assert '<option value="2000" selected>' in html


def test_a_new_price_applies_to_new_orders_only(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            customer = create_customer(session, CustomerInput.parse({"name": "Jeanne"}))
            data = OrderInput.parse(
                {"customer_id": customer.id, "lines": [{"service_code": "ASSEMBLY", "quantity": 2}]}
            )
            old_ref = create_order(session, Actor.of(users.concierge), data).ref

    response = post(
        app,
        admin,
        "/admin/services/ASSEMBLY",
        label="Montage de meubles",
        unit="hour",
        unit_price="40,00",
        vat_bp="2000",
    )

    assert response.status_code == 302
    assert service_of(app, "ASSEMBLY").unit_price_cents == 4000
    with app.app_context():
        session = get_session()
        old = get_order(session, old_ref)  # type: ignore[arg-type]
        assert old.lines[0].unit_price_cents == 3500
        assert old.total_cents == 7000
        with write_transaction(session):
            new = create_order(session, Actor.of(users.concierge), data)
        assert new.lines[0].unit_price_cents == 4000
        assert new.total_cents == 8000


def test_bad_edit_is_refused_and_changes_nothing(app: Flask, admin: FlaskClient) -> None:
    response = post(
        app,
        admin,
        "/admin/services/ASSEMBLY",
        label="Typed label",
        unit="hour",
        unit_price="douze",
        vat_bp="2000",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "is not a number" in html
    assert 'value="douze"' in html and 'value="Typed label"' in html
    service = service_row(app, "ASSEMBLY")
    assert service is not None
    assert (service.label, service.unit_price_cents) == ("Montage de meubles", 3500)


def test_the_code_of_a_service_cannot_change(app: Flask, admin: FlaskClient) -> None:
    post(
        app,
        admin,
        "/admin/services/ASSEMBLY",
        code="OTHER",
        label="Montage",
        unit="hour",
        unit_price="35",
        vat_bp="2000",
    )
    assert service_row(app, "OTHER") is None
    assert service_of(app, "ASSEMBLY").label == "Montage"


def test_unknown_services_give_404(app: Flask, admin: FlaskClient) -> None:
    assert admin.get("/admin/services/NOPE").status_code == 404
    assert admin.get("/admin/services/parcel").status_code == 404
    assert post(app, admin, "/admin/services/NOPE/active", active="0").status_code == 404
    response = post(
        app, admin, "/admin/services/NOPE", label="x", unit="unit", unit_price="1", vat_bp="0"
    )
    assert response.status_code == 404


def test_admin_retires_a_service_and_brings_it_back(app: Flask, admin: FlaskClient) -> None:
    assert post(app, admin, "/admin/services/PET/active", active="0").status_code == 302
    assert not service_of(app, "PET").active
    assert post(app, admin, "/admin/services/PET/active", active="1").status_code == 302
    assert service_of(app, "PET").active
    assert post(app, admin, "/admin/services/PET/active", active="").status_code == 400


def test_service_labels_are_escaped(app: Flask, admin: FlaskClient) -> None:
    post(
        app,
        admin,
        "/admin/services",
        code="XSS",
        label='<img src=x onerror="alert(1)">',
        unit="unit",
        unit_price="1",
        vat_bp="2000",
    )
    assert service_row(app, "XSS") is not None
    for url in ("/admin/services", "/admin/services/XSS"):
        html = admin.get(url).get_data(as_text=True)
        assert "<img src=x" not in html, url
        assert "&lt;img src=x" in html, url


def test_every_form_on_the_admin_pages_carries_a_csrf_token(
    admin: FlaskClient, users: Users
) -> None:
    for url in ("/admin/users", f"/admin/users/{users.provider.id}", "/admin/services"):
        html = admin.get(url).get_data(as_text=True)
        assert "&#34;" not in html, url  # field attributes are rendered, not escaped
        forms = re.findall(r"<form\b.*?</form>", html, flags=re.S)
        assert forms, url
        for form in forms:
            assert 'name="csrf_token"' in form, (url, form[:80])


def test_sign_in_with_the_old_password_fails_after_a_reset(
    app: Flask, admin: FlaskClient, users: Users
) -> None:
    post(app, admin, f"/admin/users/{users.provider.id}/password", password=NEW_PASSWORD)
    other = app.test_client()
    response = post_form(
        other, "/login", "/login", {"email": users.provider.email, "password": PASSWORD}
    )
    assert response.status_code == 401
