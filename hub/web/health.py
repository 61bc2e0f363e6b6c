"""Liveness and readiness probes for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from hub.db import get_session
from hub.delivery.status import outbox_totals

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Report whether the database answers, and how the outbox is doing."""
    session = get_session()
    try:
        totals = outbox_totals(session)
    except SQLAlchemyError:
        session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
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
