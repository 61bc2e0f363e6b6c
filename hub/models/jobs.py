"""Background work's tables: job run history, once-per-period guards, paused connectors, audit."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.sql import Base, UTCDateTime, enum_type, utcnow


class JobOutcome(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    # Left "running" by a process that died; the run reaper closes it and frees its period.
    ABANDONED = "abandoned"


class JobRun(Base):
    """One run of a scheduled job: when, where, how it ended, and what it did."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(80))
    period: Mapped[str | None] = mapped_column(sa.String(20))
    worker: Mapped[str] = mapped_column(sa.String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Refreshed while the run works; the run reaper takes a run for dead on its age.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[JobOutcome] = mapped_column(
        enum_type(JobOutcome, length=20, check="outcome_known"), default=JobOutcome.RUNNING
    )
    delivered: Mapped[int] = mapped_column(sa.Integer, default=0)
    retried: Mapped[int] = mapped_column(sa.Integer, default=0)
    dead: Mapped[int] = mapped_column(sa.Integer, default=0)
    note: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.Index("ix_job_runs_job_started", "job", "started_at"),
        sa.Index("ix_job_runs_started", "started_at"),
    )


class JobPeriod(Base):
    """The claim of a once-per-period job on its period: the unique key lets one worker win."""

    __tablename__ = "job_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(80))
    period: Mapped[str] = mapped_column(sa.String(20))
    worker: Mapped[str] = mapped_column(sa.String(120))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("job", "period", name="uq_job_periods_job_period"),)


class WorkerHeartbeat(Base):
    """A worker process that is running, or was: refreshed while it lives, removed when it stops.

    A row whose ``last_seen_at`` is old belongs to a worker that hangs or died without stopping.
    """

    __tablename__ = "worker_heartbeats"

    #: The worker's label, as in job runs: ``host:pid``.
    worker: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConnectorPause(Base):
    """A connector an admin paused: its events wait, pending, until it is resumed."""

    __tablename__ = "connector_pauses"

    connector: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_by: Mapped[str] = mapped_column(sa.String(254))
    reason: Mapped[str | None] = mapped_column(sa.Text)


class AuditEntry(Base):
    """An operator action on the outbox (replay, pause, resume); only ever inserted."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(60))
    target: Mapped[str] = mapped_column(sa.String(120))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_entries_at", "at"),)
