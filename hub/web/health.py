"""Liveness and readiness probes for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from hub import accounts
from hub.config import get_config
from hub.db import get_session
from hub.models import Role
from hub.outbox.status import outbox_totals, silent_after_seconds, worker_health

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
    """Report whether the database answers, and to operators how the outbox and workers do.

    A silent worker (no heartbeat for four ``[jobs] heartbeat_seconds``) is reported to
    operators as ``worker.state == "silent"`` but leaves the status ``ok``: readiness says
    whether this web process should get traffic, and it still takes orders, which wait in the
    outbox until a worker is back. A 503 would also take the pages out of the load balancer,
    and where workers run apart (``[jobs] embedded = false``) they are not this process's to
    answer for. Monitor the worker through this detail (any API token) or `hub outbox status`.
    """
    session = get_session()
    try:
        totals = outbox_totals(session)
        health = worker_health(session, silent_after=silent_after_seconds(get_config(current_app)))
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
        worker={
            "state": health.state,
            "silent_after_seconds": health.silent_after_seconds,
            "workers": [
                {
                    "worker": beat.worker,
                    "seconds_since_seen": beat.seconds_since_seen,
                    "silent": beat.silent,
                }
                for beat in health.workers
            ],
        },
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
