"""Operator actions on the outbox, each written to the audit history.

Replay hands dead letters back to the dispatcher with a fresh set of attempts; pause keeps a
connector's events waiting (pending) until it is resumed. Every function works in the
caller's transaction: call it inside ``write_transaction(session)``.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.db import use_case, utcnow
from hub.errors import N_, Conflict, InvalidInput, NotFound
from hub.ledger import validation
from hub.ledger.actor import Actor
from hub.ledger.outbox import wake_dispatchers
from hub.models import AuditEntry, ConnectorPause, OutboxRow, OutboxStatus

#: Replays of many rows list this many ids in the audit entry, and the count of all.
AUDIT_IDS = 200

#: The longest reason an admin may give for a pause.
PAUSE_REASON_LENGTH = 500

_CONNECTOR_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _audit(
    session: Session, actor: Actor, action: str, target: str, details: dict[str, Any]
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            actor_id=actor.user_id,
            actor_label=actor.label,
            action=action,
            target=target,
            details=details,
        )
    )


def _requeue(session: Session, where: sa.ColumnElement[bool]) -> list[tuple[int, str]]:
    """Hand the matching dead letters back with fresh attempts; return their ids and connectors."""
    rows = session.execute(
        sa.update(OutboxRow)
        .where(where, OutboxRow.status == OutboxStatus.DEAD)
        .values(
            status=OutboxStatus.PENDING,
            attempts=0,
            first_attempt_at=None,
            next_attempt_at=utcnow(),
            lease_token=None,
            lease_expires_at=None,
        )
        .returning(OutboxRow.id, OutboxRow.connector),
        execution_options={"synchronize_session": False},
    )
    return [(int(row_id), str(name)) for row_id, name in rows]


@use_case
def replay(session: Session, actor: Actor, row_id: int) -> OutboxRow:
    """Send one dead letter again, from its first attempt."""
    row = session.get(OutboxRow, row_id)
    if row is None:
        raise NotFound(N_("No outbox event %(id)s."), id=row_id)
    if row.status != OutboxStatus.DEAD:
        raise Conflict(
            N_("Event %(id)s is %(status)s, not a dead letter: there is nothing to replay."),
            id=row_id,
            status=row.status,
        )
    _requeue(session, OutboxRow.id == row_id)
    session.refresh(row)
    _audit(
        session,
        actor,
        "outbox.replay",
        f"outbox:{row_id}",
        {"connector": row.connector, "topic": row.topic, "aggregate_ref": row.aggregate_ref},
    )
    wake_dispatchers(session, [row.connector])
    return row


@use_case
def replay_dead(session: Session, actor: Actor, *, connector: str | None = None) -> int:
    """Send every dead letter again (of one connector, or of all); return how many."""
    # One set-based statement: a list of ids would overflow the databases' parameter limits
    # once there are tens of thousands of dead letters.
    where: sa.ColumnElement[bool] = sa.true()
    if connector is not None:
        where = OutboxRow.connector == connector
    found = _requeue(session, where)
    if not found:
        return 0
    ids = sorted(row_id for row_id, _ in found)
    _audit(
        session,
        actor,
        "outbox.replay_dead",
        f"connector:{connector}" if connector else "connector:*",
        {"count": len(ids), "ids": ids[:AUDIT_IDS]},
    )
    wake_dispatchers(session, {name for _, name in found})
    return len(ids)


def _check_name(connector: str) -> None:
    if not _CONNECTOR_NAME.match(connector):
        raise InvalidInput(
            N_("“%(name)s” is not a connector name."), field="connector", name=connector
        )


@use_case
def pause(session: Session, actor: Actor, connector: str, reason: str | None = None) -> None:
    """Stop delivering to a connector; its events wait until it is resumed."""
    _check_name(connector)
    reason = validation.text(reason, "reason", max_length=PAUSE_REASON_LENGTH)
    values = {
        "connector": connector,
        "paused_at": utcnow(),
        "paused_by": actor.label,
        "reason": reason,
    }
    # An insert that yields on conflict: two admins pausing at once get one pause and a clean
    # conflict, where read-then-insert let the second fail on the primary key.
    insert = (
        postgresql.insert(ConnectorPause)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(ConnectorPause)
    )
    added = session.execute(
        insert.values(values)
        .on_conflict_do_nothing(index_elements=["connector"])
        .returning(ConnectorPause.connector)
    ).first()
    if added is None:
        raise Conflict(N_("%(name)s is already paused."), name=connector)
    _audit(session, actor, "connector.pause", f"connector:{connector}", {"reason": reason})


@use_case
def resume(session: Session, actor: Actor, connector: str) -> None:
    """Deliver to a paused connector again, starting with what waited."""
    _check_name(connector)
    paused = session.get(ConnectorPause, connector)
    if paused is None:
        raise Conflict(N_("%(name)s is not paused."), name=connector)
    session.delete(paused)
    _audit(session, actor, "connector.resume", f"connector:{connector}", {})
    wake_dispatchers(session, [connector])
