"""Liveness and readiness probes for load balancers and monitoring."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from hub.db import get_session, utcnow
from hub.models import OutboxRow, OutboxStatus

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    session = get_session()
    try:
        rows = session.execute(
            sa.select(OutboxRow.status, sa.func.count(), sa.func.min(OutboxRow.created_at))
            .where(OutboxRow.status != OutboxStatus.DELIVERED.value)
            .group_by(OutboxRow.status)
        ).all()
    except SQLAlchemyError:
        session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    finally:
        session.commit()
    counts = {status: count for status, count, _ in rows}
    oldest = min((first for status, _, first in rows if status != "dead" and first), default=None)
    backlog = counts.get("pending", 0) + counts.get("in_flight", 0)
    return jsonify(
        status="ok",
        database="ok",
        outbox={
            "backlog": backlog,
            "dead": counts.get("dead", 0),
            "oldest_pending_seconds": (
                round((utcnow() - oldest).total_seconds(), 1) if oldest else None
            ),
        },
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
