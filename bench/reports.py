"""The sheet's summary tabs at 10k and 100k orders: SQL aggregates beside Python over the rows.

    .venv/bin/python -m bench.reports                      # both databases, 10k and 100k
    .venv/bin/python -m bench.reports --backend sqlite --size 10k --runs 3

For every backend and ledger size: seed (or reuse) the ledger (bench/seed.py), then time, in
alternating rounds, ``hub.ledger.reports.summary_tables`` (one aggregate statement per tab)
and a baseline that reads the rows those tabs need and adds them up in Python, the way a
report built in application code would. Both must give the same tables, or the run stops.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench import seed
from bench.common import BACKENDS, ROOT, Ledger
from connectors.tables import Table
from hub.db import Database, business_zone
from hub.ledger import reports
from hub.ledger.business_calendar import BusinessCalendar, business_calendar
from hub.models import Order, OrderEvent, OrderLine, OrderStatus, Service, ServiceUnit, User

RESULTS = ROOT / "bench" / "results"
T = TypeVar("T")
REPORT_SIZES = {"10k": 10_000, "100k": 100_000}
TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class ReportLedger(Ledger):
    """A bench ledger of one of REPORT_SIZES (100k is this benchmark's own size)."""

    @property
    def orders(self) -> int:
        return REPORT_SIZES[self.size_label]


@dataclass(frozen=True)
class Row:
    backend: str
    size: str
    sql_ms: float  # median summary_tables, all three tabs
    day_ms: float
    month_ms: float
    team_ms: float
    python_ms: float  # median baseline: read the rows, add up in Python
    rows_read: int  # rows the baseline fetched
    summary_rows: int  # rows in the three tabs


# -- the baseline: the same tables, added up in Python from the ledger's rows -----------------


def python_tables(session: Session) -> tuple[list[Table], int]:
    """Compute the three tabs from the rows, and say how many rows that read."""
    zone = business_zone(session)

    def local(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    orders = session.execute(
        sa.select(
            Order.id,
            Order.status,
            Order.created_at,
            Order.completed_at,
            Order.total_cents,
            Order.provider_id,
        )
    ).all()
    lines = session.execute(
        sa.select(
            OrderLine.order_id,
            OrderLine.service_code,
            OrderLine.unit,
            OrderLine.quantity_milli,
            OrderLine.amount_cents,
        )
    ).all()
    events = session.execute(
        sa.select(
            OrderEvent.order_id,
            OrderEvent.at,
            OrderEvent.to_status,
            OrderEvent.from_billing,
            OrderEvent.to_billing,
        ).where(sa.or_(OrderEvent.to_status.is_not(None), OrderEvent.to_billing.is_not(None)))
    ).all()
    labels = dict(session.execute(sa.select(Service.code, Service.label)).tuples().all())
    names = dict(session.execute(sa.select(User.id, User.name)).tuples().all())

    total = {o.id: o.total_cents for o in orders}
    done = {o.id: o for o in orders if o.status == OrderStatus.DONE}
    figures: dict[date, list[int]] = defaultdict(lambda: [0] * 7)
    for o in orders:
        figures[local(o.created_at)][0] += 1
    for o in done.values():
        figures[local(o.completed_at)][1] += 1
        figures[local(o.completed_at)][3] += o.total_cents
    issued: dict[int, datetime] = {}
    paid: dict[int, datetime] = {}
    owed = set(reports.OUTSTANDING)
    for e in events:
        if e.to_status == OrderStatus.CANCELLED:
            figures[local(e.at)][2] += 1
        if e.to_billing in reports.ISSUED and (
            e.order_id not in issued or e.at < issued[e.order_id]
        ):
            issued[e.order_id] = e.at
        if e.to_billing == "paid" and (e.order_id not in paid or e.at < paid[e.order_id]):
            paid[e.order_id] = e.at
        if e.from_billing is not None and e.to_billing is not None:
            was, now = e.from_billing in owed, e.to_billing in owed
            if was != now:
                figures[local(e.at)][6] += total[e.order_id] if now else -total[e.order_id]
    for column, moves in ((4, issued), (5, paid)):
        for order_id, at in moves.items():
            figures[local(at)][column] += total[order_id]
    running = 0
    day_rows = []
    for day in sorted(figures):
        *counts, delta = figures[day]
        running += delta
        day_rows.append((day, *counts, running))

    month_orders: dict[tuple[date, str], set[int]] = defaultdict(set)
    month_sums: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    units: dict[str, str] = {}
    weeks: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0])
    for o in done.values():
        day = local(o.completed_at)
        weeks[(day - timedelta(days=day.weekday()), o.provider_id or 0)][0] += 1
    for line in lines:
        owner = done.get(line.order_id)
        if owner is None or owner.completed_at is None:
            continue
        day = local(owner.completed_at)
        key = (day.replace(day=1), line.service_code)
        month_orders[key].add(line.order_id)
        month_sums[key][0] += line.quantity_milli
        month_sums[key][1] += line.amount_cents
        units[line.service_code] = line.unit
        if line.unit == ServiceUnit.HOUR:
            weeks[(day - timedelta(days=day.weekday()), owner.provider_id or 0)][1] += (
                line.quantity_milli
            )
    month_rows = [
        (
            month,
            code,
            labels.get(code, code),
            reports.UNIT_LABELS[ServiceUnit(units[code])],
            len(month_orders[(month, code)]),
            milli / 1000,
            cents,
        )
        for (month, code), (milli, cents) in sorted(month_sums.items())
    ]
    team = sorted(
        (monday, names.get(provider) or reports.NO_PROVIDER, provider, n, milli / 1000)
        for (monday, provider), (n, milli) in weeks.items()
    )
    team_rows = [
        (reports.iso_week(monday), monday, name, n, hours) for monday, name, _p, n, hours in team
    ]
    tables = [
        Table("Jour", reports.DAY_COLUMNS, tuple(day_rows)),
        Table("Mois", reports.MONTH_COLUMNS, tuple(month_rows)),
        Table("Équipe", reports.TEAM_COLUMNS, tuple(team_rows)),
    ]
    return tables, len(orders) + len(lines) + len(events)


# -- measuring ------------------------------------------------------------------------------


def _timed(db: Database, work: Callable[[Session], T]) -> tuple[float, T]:
    """Run one piece of work in a fresh session (a fresh read, as the job would) and time it."""
    with db.sessions() as session:
        started = time.perf_counter()
        result = work(session)
        return (time.perf_counter() - started) * 1000, result


TABS = {"day": reports.day_table, "month": reports.month_table, "team": reports.team_table}


def _one_tab(tab: Callable[[Session, BusinessCalendar], Table]) -> Callable[[Session], Table]:
    return lambda session: tab(session, business_calendar(session))


def measure(ledger: ReportLedger, runs: int) -> Row:
    seed.ensure(ledger)
    db = Database(ledger.url(), timezone=TIMEZONE)
    try:
        # Warm the page cache and the connection pool for both, unrecorded.
        _, sql_result = _timed(db, reports.summary_tables)
        _, (python_result, rows_read) = _timed(db, python_tables)
        if sql_result != python_result:
            raise SystemExit(f"{ledger.backend} {ledger.size_label}: the tables differ")
        samples: dict[str, list[float]] = defaultdict(list)
        for _round in range(runs):
            samples["sql"].append(_timed(db, reports.summary_tables)[0])
            samples["python"].append(_timed(db, python_tables)[0])
            for name, tab in TABS.items():
                samples[name].append(_timed(db, _one_tab(tab))[0])
        median = {name: round(statistics.median(values), 1) for name, values in samples.items()}
        return Row(
            backend=ledger.backend,
            size=ledger.size_label,
            sql_ms=median["sql"],
            day_ms=median["day"],
            month_ms=median["month"],
            team_ms=median["team"],
            python_ms=median["python"],
            rows_read=rows_read,
            summary_rows=sum(len(table.rows) for table in sql_result),
        )
    finally:
        db.dispose()


def table(rows: list[Row]) -> str:
    lines = [
        "| backend    | ledger | summary_tables ms | Jour ms | Mois ms | Équipe ms "
        "| Python baseline ms | baseline / SQL | rows read by baseline | tab rows |",
        "|------------|--------|-------------------|---------|---------|-----------"
        "|--------------------|----------------|-----------------------|----------|",
    ]
    for r in rows:
        lines.append(
            f"| {r.backend:<10} | {r.size:<6} | {r.sql_ms:>17.1f} | {r.day_ms:>7.1f} "
            f"| {r.month_ms:>7.1f} | {r.team_ms:>9.1f} | {r.python_ms:>18.1f} "
            f"| {r.python_ms / r.sql_ms:>13.1f}x | {r.rows_read:>21,} | {r.summary_rows:>8,} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--size", action="append", choices=sorted(REPORT_SIZES))
    parser.add_argument("--runs", type=int, default=5, help="rounds of each (median)")
    args = parser.parse_args()
    started = time.monotonic()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}, nproc {os.cpu_count()}, zone {TIMEZONE}")
    rows = []
    for backend in args.backend or list(BACKENDS):
        for size in args.size or list(REPORT_SIZES):
            print(f"== {backend}, {size} orders", flush=True)
            rows.append(measure(ReportLedger(backend, size), args.runs))
    print()
    print(table(rows))
    print(f"\nSame tables from both in every run. Took {time.monotonic() - started:.0f} s.")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"reports-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"args": vars(args), "rows": [asdict(r) for r in rows]}, indent=2))
    print(f"Results: {Path(out).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
