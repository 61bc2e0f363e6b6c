"""A password reset ends every way in, and a token's user comes with the token."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from hub import accounts
from hub.db import get_session
from hub.models import ApiToken
from tests.conftest import Users, api_token, csrf_from, login, read_in_english


def test_a_password_reset_by_an_admin_revokes_the_user_s_api_tokens_and_says_so(
    app: Flask, users: Users
) -> None:
    token = api_token(app, users.provider)
    other = api_token(app, users.concierge)
    api = app.test_client()
    assert (
        api.get("/api/v1/services", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )

    admin = app.test_client()
    login(admin, users.admin)
    read_in_english(admin)
    page = f"/admin/users/{users.provider.id}"
    form = {
        "csrf_token": csrf_from(admin.get(page).get_data(as_text=True)),
        "password": "x" * 8 + "new-secret",
    }
    response = admin.post(page + "/password", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert "API tokens" in response.get_data(as_text=True)

    assert (
        api.get("/api/v1/services", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    # Only that user's tokens: another user's token still works.
    assert (
        api.get("/api/v1/services", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    )
    with app.app_context():
        revoked = (
            get_session()
            .scalars(sa.select(ApiToken.revoked_at).where(ApiToken.user_id == users.provider.id))
            .all()
        )
    assert revoked and all(when is not None for when in revoked)


def test_a_token_and_its_user_are_read_in_one_query(app: Flask, users: Users) -> None:
    token = api_token(app, users.concierge)
    with app.app_context():
        session = get_session()
        accounts.user_for_token(session, token)  # notes the use: the next call only reads
        session.commit()
        session.expunge_all()
        statements: list[str] = []
        engine = session.get_bind()

        def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            user = accounts.user_for_token(session, token)
            assert user is not None
            assert (user.email, user.role, user.active) == (
                users.concierge.email,
                "concierge",
                True,
            )
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements
