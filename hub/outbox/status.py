"""What the outbox is doing, for the admin page, ``hub outbox status`` and /readyz.

Every function reads only and returns plain frozen values; it leaves the transaction to its
caller (a request or a CLI command ends it when its app context closes, and a write transaction
ends the read snapshot before it begins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from hub.config import Config
from hub.db import utcnow
from hub.errors import N_
from hub.models import (
    AuditEntry,
    ConnectorPause,
    OutboxRow,
    OutboxStatus,
    WorkerHeartbeat,
)
from hub.outbox.connectors import ConnectorSet, dispatch_job_name
from hub.outbox.runs_view import RunSummary as RunSummary
from hub.outbox.runs_view import recent_runs as recent_runs


@dataclass(frozen=True)
class OutboxTotals:
    """The whole outbox at a glance: undelivered rows, dead letters, the oldest wait."""

    backlog: int
    in_flight: int
    dead: int
    oldest_pending_seconds: float | None


@dataclass(frozen=True)
class ConnectorStatus:
    """One connector's state and queue.

    ``state`` is ``on``, ``off`` (``reason`` says what to configure) or ``paused`` (``reason``
    says why; ``paused_by``, ``paused_at`` and ``pause_reason`` describe a pause even while the
    connector is off). ``label`` is the name people know it by, in English (a msgid);
    ``not_installed`` tells an off connector with no code here from one waiting for its settings.
    ``backlog`` counts pending and in-flight rows; ``retrying`` the pending rows
    that failed before; ``held_back`` the pending rows waiting behind a dead letter of the same
    order, which only a replay releases.
    """

    name: str
    label: str
    state: str
    not_installed: bool
    #: An English message (a msgid when the connector is off) filled from ``reason_params``.
    reason: str | None
    reason_params: dict[str, str]
    paused_by: str | None
    paused_at: datetime | None
    pause_reason: str | None
    backlog: int
    in_flight: int
    retrying: int
    dead: int
    held_back: int
    oldest_pending_seconds: float | None
    delivered_last_hour: int
    last_runs: tuple[RunSummary, ...]

    @property
    def message(self) -> str | None:
        """Return the reason in English, placeholders filled (logs and the CLI)."""
        if self.reason is None or not self.reason_params:
            return self.reason
        return self.reason % self.reason_params


@dataclass(frozen=True)
class DeadLetter:
    id: int
    connector: str
    topic: str
    aggregate_type: str
    aggregate_ref: str
    attempts: int
    created_at: datetime
    last_error: str | None
    last_traceback: str | None
    payload: dict[str, Any]


def _seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return round((now - moment).total_seconds(), 1) if moment is not None else None


def outbox_totals(session: Session, *, now: datetime | None = None) -> OutboxTotals:
    """Count undelivered rows and dead letters, and age the oldest waiting row."""
    now = now or utcnow()
    rows = session.execute(
        sa.select(OutboxRow.status, sa.func.count(), sa.func.min(OutboxRow.created_at))
        .where(OutboxRow.status != OutboxStatus.DELIVERED)
        .group_by(OutboxRow.status)
    ).all()
    counts = {status: count for status, count, _ in rows}
    oldest = min((first for status, _, first in rows if status != "dead" and first), default=None)
    in_flight = counts.get(OutboxStatus.IN_FLIGHT, 0)
    return OutboxTotals(
        backlog=counts.get(OutboxStatus.PENDING, 0) + in_flight,
        in_flight=in_flight,
        dead=counts.get(OutboxStatus.DEAD, 0),
        oldest_pending_seconds=_seconds_since(oldest, now),
    )


def is_known_connector(session: Session, connectors: ConnectorSet, name: str) -> bool:
    """Tell whether the status lists the connector: configured, paused, or named in the outbox."""
    if name in connectors.names():
        return True
    known = session.scalar(
        sa.select(
            sa.or_(
                sa.select(OutboxRow.id).where(OutboxRow.connector == name).exists(),
                sa.select(ConnectorPause.connector)
                .where(ConnectorPause.connector == name)
                .exists(),
            )
        )
    )
    return bool(known)


def _per_connector(session: Session, query: sa.Select[Any]) -> dict[str, int]:
    return {name: int(count) for name, count in session.execute(query).all()}


def connector_statuses(
    session: Session,
    connectors: ConnectorSet,
    *,
    now: datetime | None = None,
    runs_per_connector: int = 5,
) -> list[ConnectorStatus]:
    """Describe every known connector, and any connector name found in the outbox."""
    now = now or utcnow()
    row = OutboxRow
    by_status = session.execute(
        sa.select(row.connector, row.status, sa.func.count(), sa.func.min(row.created_at))
        .where(row.status != OutboxStatus.DELIVERED)
        .group_by(row.connector, row.status)
    ).all()
    delivered = _per_connector(
        session,
        sa.select(row.connector, sa.func.count())
        .where(
            row.status == OutboxStatus.DELIVERED,
            row.delivered_at >= now - timedelta(hours=1),
        )
        .group_by(row.connector),
    )
    retrying = _per_connector(
        session,
        sa.select(row.connector, sa.func.count())
        .where(row.status == OutboxStatus.PENDING, row.attempts > 0)
        .group_by(row.connector),
    )
    dead_row = aliased(OutboxRow, name="dead_row")
    held_back = _per_connector(
        session,
        sa.select(row.connector, sa.func.count())
        .where(
            row.status == OutboxStatus.PENDING,
            sa.select(dead_row.id)
            .where(
                dead_row.connector == row.connector,
                dead_row.aggregate_ref == row.aggregate_ref,
                dead_row.id < row.id,
                dead_row.status == OutboxStatus.DEAD,
            )
            .exists(),
        )
        .group_by(row.connector),
    )
    pauses = {p.connector: p for p in session.scalars(sa.select(ConnectorPause))}
    counts: dict[str, dict[str, int]] = {}
    oldest: dict[str, datetime] = {}
    for name, status, count, first in by_status:
        counts.setdefault(name, {})[status] = count
        if status != OutboxStatus.DEAD and first is not None:
            oldest[name] = min(first, oldest.get(name, first))
    names = sorted({*connectors.names(), *counts, *pauses})
    result = []
    for name in names:
        mine = counts.get(name, {})
        pause = pauses.get(name)
        runs = recent_runs(session, job=dispatch_job_name(name), limit=runs_per_connector)
        state, reason, reason_params = _state(name, connectors, pause)
        in_flight = mine.get(OutboxStatus.IN_FLIGHT, 0)
        result.append(
            ConnectorStatus(
                name=name,
                label=connectors.label(name),
                state=state,
                not_installed=state == "off" and connectors.not_installed(name),
                reason=reason,
                reason_params=reason_params,
                paused_by=pause.paused_by if pause else None,
                paused_at=pause.paused_at if pause else None,
                pause_reason=pause.reason if pause else None,
                backlog=mine.get(OutboxStatus.PENDING, 0) + in_flight,
                in_flight=in_flight,
                retrying=retrying.get(name, 0),
                dead=mine.get(OutboxStatus.DEAD, 0),
                held_back=held_back.get(name, 0),
                oldest_pending_seconds=_seconds_since(oldest.get(name), now),
                delivered_last_hour=delivered.get(name, 0),
                last_runs=tuple(runs),
            )
        )
    return result


def _state(
    name: str, connectors: ConnectorSet, pause: ConnectorPause | None
) -> tuple[str, str | None, dict[str, str]]:
    if name in connectors.off:
        off = connectors.off[name]
        return "off", off.reason, dict(off.params)
    if name not in connectors.live:
        return (
            "off",
            N_("No connector named %(name)s is configured; its events wait."),
            {"name": name},
        )
    if pause is not None:
        return "paused", pause.reason, {}
    return "on", None, {}


#: A worker unheard for this many heartbeats counts as silent: hung, or dead without stopping.
MISSED_BEATS = 4


@dataclass(frozen=True)
class WorkerBeat:
    """A worker process and how long ago it was last heard from."""

    worker: str
    host: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    seconds_since_seen: float
    silent: bool


@dataclass(frozen=True)
class WorkerHealth:
    """The workers heard from lately: ``state`` is ``ok``, ``silent`` or ``none``.

    ``ok``: at least one worker beats. ``silent``: every known worker missed its beats.
    ``none``: no worker runs (none ever started, or each one stopped cleanly).
    """

    state: str
    silent_after_seconds: float
    workers: tuple[WorkerBeat, ...]


def silent_after_seconds(cfg: Config) -> float:
    """Return how long a worker may stay unheard before it counts as silent."""
    return MISSED_BEATS * cfg.jobs.heartbeat_seconds


def worker_health(
    session: Session, *, silent_after: float, now: datetime | None = None
) -> WorkerHealth:
    """Read every worker's heartbeat, youngest first, and say whether any is alive."""
    now = now or utcnow()
    beats = []
    for row in session.scalars(
        sa.select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen_at.desc())
    ):
        age = round(max(0.0, (now - row.last_seen_at).total_seconds()), 1)
        beats.append(
            WorkerBeat(
                worker=row.worker,
                host=row.host,
                pid=row.pid,
                started_at=row.started_at,
                last_seen_at=row.last_seen_at,
                seconds_since_seen=age,
                silent=age > silent_after,
            )
        )
    if not beats:
        state = "none"
    elif all(beat.silent for beat in beats):
        state = "silent"
    else:
        state = "ok"
    return WorkerHealth(state=state, silent_after_seconds=silent_after, workers=tuple(beats))


def dead_letters(
    session: Session, *, connector: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    """Return dead letters, oldest first, with their error, traceback and payload."""
    query = (
        sa.select(OutboxRow)
        .where(OutboxRow.status == OutboxStatus.DEAD)
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    if connector is not None:
        query = query.where(OutboxRow.connector == connector)
    letters = [
        DeadLetter(
            id=row.id,
            connector=row.connector,
            topic=row.topic,
            aggregate_type=row.aggregate_type,
            aggregate_ref=row.aggregate_ref,
            attempts=row.attempts,
            created_at=row.created_at,
            last_error=row.last_error,
            last_traceback=row.last_traceback,
            payload=dict(row.payload),
        )
        for row in session.scalars(query)
    ]
    return letters


def audit_trail(session: Session, *, limit: int = 50) -> Sequence[AuditEntry]:
    """Return the latest replays, pauses and resumes, newest first."""
    entries = list(
        session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        )
    )
    return entries
