"""Bearer-token authentication and role checks for the API; no cookies, no CSRF."""

from __future__ import annotations

from flask import Response, g, request

from hub import accounts
from hub.api.blueprint import bp
from hub.api.errors import error_response
from hub.db import get_session
from hub.ledger.actor import Actor
from hub.ledger.actor import require_staff as ledger_require_staff
from hub.models import User

#: Endpoints anyone may read without a token.
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


def _unauthorized(message: str, *, invalid: bool) -> Response:
    response = error_response(401, "unauthorized", message)
    challenge = 'Bearer realm="hub"'
    if invalid:
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


@bp.before_request
def authenticate() -> Response | None:
    """Find the user behind the bearer token, or answer 401 before the view runs."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _unauthorized("Send an API token as 'Authorization: Bearer <token>'.", invalid=False)
    user = accounts.user_for_token(get_session(), token)
    if user is None:
        return _unauthorized("This API token is unknown, revoked or disabled.", invalid=True)
    g.api_user = user
    g.log_user_id = user.id
    return None


def api_user() -> User:
    """Return the user the request's token belongs to."""
    user: User = g.api_user
    return user


def actor() -> Actor:
    return Actor.of(api_user())


def require_staff() -> Actor:
    """Return the actor if a concierge or admin, else raise Forbidden (a 403)."""
    return ledger_require_staff(actor())
