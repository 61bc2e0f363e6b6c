"""What a scheduled job is: its name, trigger, optional period, and the counts it reports."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class RunCounts:
    """What one run did, for its ``JobRun`` row; ``note`` is a short free-form summary."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    note: str | None = None

    def __add__(self, other: RunCounts) -> RunCounts:
        notes = [n for n in (self.note, other.note) if n]
        return RunCounts(
            delivered=self.delivered + other.delivered,
            retried=self.retried + other.retried,
            dead=self.dead + other.dead,
            note="; ".join(notes) or None,
        )

    @property
    def idle(self) -> bool:
        return not (self.delivered or self.retried or self.dead or self.note)


@dataclass(frozen=True)
class JobContext:
    """What a job function receives: the app (its context is active), a session, a period."""

    app: Flask
    session: Session
    started_at: datetime
    period: str | None
    # Set when the worker shuts down: long jobs stop at the next safe point.
    stopping: threading.Event
    # Set when new work was announced while the job ran (used by the dispatch loop).
    nudged: threading.Event
    # Puts the run on record now, once: a quiet job calls it when it finds work, so a process
    # killed mid-run still leaves its run behind. Returns the run's id (None: not recorded).
    record_start: Callable[[], int | None] = lambda: None


#: The callable a job runs; it returns its counts or raises.
JobFunction = Callable[[JobContext], RunCounts]

#: Maps the moment a run starts to the period it covers, e.g. "2026-11" for a monthly run.
PeriodFunction = Callable[[datetime], str]


@dataclass(frozen=True)
class JobSpec:
    """A job the worker schedules and ``hub jobs run NAME`` can start by hand.

    ``trigger`` is an APScheduler 3 trigger. ``period`` makes the job once-per-period: a run
    first takes the ``(job, period)`` row, and a worker that cannot take it skips the run.
    Such jobs are best triggered often (hourly, say): the guard, not the trigger, keeps them
    to one run per period, and a worker that was down at the due time catches up. ``quiet``
    jobs (the dispatch loop) record a run only once they call ``ctx.record_start`` (when they
    find work), or at their end when they did something or failed: idle runs write nothing.
    """

    name: str
    run: JobFunction
    trigger: Any
    description: str
    period: PeriodFunction | None = None
    quiet: bool = False
    start_at_once: bool = False
