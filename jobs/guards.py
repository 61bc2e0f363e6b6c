"""Once-per-period guards: a unique ``(job, period)`` row decides which worker runs a period.

Any number of workers may schedule the same job; each run first inserts the row in its own
transaction. The unique constraint lets exactly one insert succeed (PostgreSQL raises a unique
violation for the others; SQLite serialises the writers and does the same), so the monthly
invoicing runs once even with two worker machines. A run that fails gives its period back,
so the next trigger, or ``hub jobs run NAME``, can try again; so does one whose process died,
once the run reaper (jobs/runs.py) has taken it for abandoned.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db import utcnow, write_transaction
from hub.models import JobPeriod, JobRun
from jobs.spec import PeriodFunction


def take(
    session: Session, job: str, period: str, worker: str, *, run: JobRun | None = None
) -> bool:
    """Claim the period for this worker, recording its run alongside; False when taken."""
    try:
        with write_transaction(session):
            session.add(JobPeriod(job=job, period=period, worker=worker, claimed_at=utcnow()))
            if run is not None:
                session.add(run)
    except IntegrityError:
        return False
    return True


def give_back(session: Session, job: str, period: str, worker: str) -> None:
    """Release a period this worker took, after its run failed."""
    with write_transaction(session):
        session.execute(
            sa.delete(JobPeriod).where(
                JobPeriod.job == job, JobPeriod.period == period, JobPeriod.worker == worker
            )
        )


def monthly(timezone: str) -> PeriodFunction:
    """Periods are calendar months in the business's time zone, e.g. ``2026-11``."""
    zone = ZoneInfo(timezone)
    return lambda moment: moment.astimezone(zone).strftime("%Y-%m")
