"""Liveness and readiness probes for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from hub import accounts
from hub.db import get_session
from hub.models import Role
from hub.outbox.status import outbox_totals

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


def _may_see_details() -> bool:
    """Tell whether the caller is a signed-in admin or holds a live API token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return accounts.user_for_token(get_session(), token.strip()) is not None
    return bool(current_user.is_authenticated and current_user.has_role(Role.ADMIN))


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Report whether the database answers, and to operators how the outbox is doing."""
    session = get_session()
    try:
        totals = outbox_totals(session)
        # The backlog and dead letters are the business's own: probes need only the status.
        details = _may_see_details()
    except SQLAlchemyError:
        session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    if not details:
        return jsonify(status="ok", database="ok")
    return jsonify(
        status="ok",
        database="ok",
        outbox={
            "backlog": totals.backlog,
            "in_flight": totals.in_flight,
            "dead": totals.dead,
            "oldest_pending_seconds": totals.oldest_pending_seconds,
        },
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
