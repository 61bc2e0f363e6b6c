"""Outbox delivery through real ``hub worker`` processes with the no-op connector, beside baselines.

    .venv/bin/python -m bench.dispatcher            # full run (see bench/README.md)
    .venv/bin/python -m bench.dispatcher --quick    # smoke run: 2,000 events, 1 round

Throughput: N events (a few per aggregate, shuffled) are written while the ``noop`` connector
is paused; 1, 2 or 4 ``hub worker`` processes start and go idle; the pause is lifted and the
rate is taken from the first recorded outcome to the last. Beside it, in the same round: the
connector's ``deliver()`` called directly over the same events (the work without an outbox),
and a plain one-process SQL loop that marks the same rows delivered a batch at a time, with no
lease and no ordering (the floor of any queue kept in this database).

Latency: idle workers at the shipped dispatch interval; events committed one at a time at a
steady rate; latency is ``delivered_at - created_at`` (one machine, one clock). Beside it: the
same commits followed by an inline ``deliver()`` call, timed the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench import seed
from bench.common import BACKENDS, DATA, HUB, PG_ADMIN_URL, ROOT, Ledger, hub
from connectors.base import Event
from connectors.recording import NoopConnector
from hub.config import environment
from hub.db import Database, utcnow, write_transaction
from hub.ledger.outbox import wake_dispatchers
from hub.models import ConnectorPause, OutboxRow

NAME = "hub_bench_outbox"
CONNECTOR = NoopConnector.name
RESULTS = ROOT / "bench" / "results"
Plan = Sequence[tuple[str, int]]  # (aggregate ref, step within that aggregate)


@dataclass(frozen=True)
class Row:
    backend: str
    workers: int
    events_per_s: float
    direct_per_s: float  # deliver() in a loop, no database
    plain_per_s: float  # one process, SELECT + UPDATE per batch, no lease, no ordering
    p50_ms: float
    p99_ms: float
    inline_p50_ms: float  # commit the row, then deliver() inline
    inline_p99_ms: float
    out_of_order: int  # summed over rounds; must be 0
    tried_twice: int


def fresh_database(ledger: Ledger, name: str = NAME) -> None:
    """Drop and recreate the scratch database, then migrate it with ``hub init``."""
    seed.drop(ledger, name)
    DATA.mkdir(parents=True, exist_ok=True)
    if ledger.backend == "postgresql":
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
    hub(ledger, "init", name=name)


class Workers:
    """``hub worker`` processes on the scratch database, logs to files, stopped by SIGTERM."""

    def __init__(
        self,
        ledger: Ledger,
        count: int,
        interval: float | None = None,
        *,
        name: str = NAME,
        settings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        # Without ``settings``: the no-op connector at the given dispatch interval.
        if settings is None:
            jobs = {"extra_connectors": "connectors.recording:noop_connector"}
            settings = {"jobs": jobs | {"dispatch_interval_seconds": interval}}
        self.env = ledger.env(name) | environment({"hub": {"log_level": "INFO"}} | settings)
        self.logs = [DATA / "logs" / f"worker-{ledger.backend}-{n}.log" for n in range(count)]
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Workers:
        try:
            for path in self.logs:
                self._spawn(path)
            deadline = time.monotonic() + 60
            for proc, path in zip(self.procs, self.logs, strict=True):
                while "worker started" not in path.read_text(errors="replace"):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"hub worker did not start; see {path}")
                    time.sleep(0.1)
        except BaseException:
            self.__exit__(None, None, None)  # leave no orphan behind
            raise
        return self

    def _spawn(self, log_path: Path) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            self.procs.append(
                subprocess.Popen(
                    [str(HUB), "worker"],
                    env=self.env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def writing(db: Database) -> Iterator[Session]:
    """Run one write transaction on a fresh session, then close it."""
    with db.sessions() as session, write_transaction(session):
        yield session


def maintain(db: Database, statement: str) -> None:
    """Run VACUUM or ANALYZE: outside a transaction on PostgreSQL, committed on SQLite."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:
            conn.exec_driver_sql(statement)
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(statement)


def clear(db: Database) -> None:
    """Empty the outbox, so every round starts from the same table."""
    with writing(db) as session:
        session.execute(sa.delete(OutboxRow))
        session.execute(sa.delete(ConnectorPause))
    if db.engine.dialect.name == "postgresql":
        maintain(db, "VACUUM outbox")


def events(count: int, per_aggregate: int) -> list[tuple[str, int]]:
    """Return the plan: each aggregate's steps in order, aggregates shuffled together."""
    refs = [f"C-{n % max(1, count // per_aggregate)}" for n in range(count)]
    random.Random(1).shuffle(refs)
    steps: dict[str, int] = {}
    plan = []
    for ref in refs:
        steps[ref] = steps.get(ref, 0) + 1
        plan.append((ref, steps[ref]))
    return plan


def row(
    ref: str, topic: str = "bench.event", connector: str = CONNECTOR, **extra: Any
) -> dict[str, Any]:
    return dict(
        connector=connector, topic=topic, aggregate_type="order", aggregate_ref=ref, **extra
    )


def prefill(db: Database, plan: Plan, *, paused: bool, analyze_sqlite: bool) -> None:
    """Write the plan in one transaction, optionally with the connector paused."""
    now = utcnow()
    rows = [
        row(
            ref,
            payload={"step": step},
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for ref, step in plan
    ]
    with writing(db) as session:
        if paused:
            session.add(ConnectorPause(connector=CONNECTOR, paused_by="bench"))
            session.flush()
        for start in range(0, len(rows), 5000):
            session.execute(sa.insert(OutboxRow), rows[start : start + 5000])
    # PostgreSQL's autovacuum analyzes a table that grew this much within a minute; SQLite
    # never analyzes by itself, so it plans without statistics unless asked.
    if db.engine.dialect.name == "postgresql" or analyze_sqlite:
        maintain(db, "ANALYZE outbox")


def wait_delivered(db: Database, total: int, timeout: float = 120) -> None:
    done_where = (OutboxRow.connector == CONNECTOR, OutboxRow.status == "delivered")
    deadline, shown = time.monotonic() + timeout, time.monotonic()
    while True:
        with db.engine.connect() as conn:
            done = int(conn.scalar(sa.select(sa.func.count()).where(*done_where)) or 0)
        if done >= total:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {total} events delivered after {timeout:.0f} s")
        if time.monotonic() - shown > 5:
            print(f"      {done:,}/{total:,} delivered", flush=True)
            shown = time.monotonic()
        time.sleep(0.25)


def checks(db: Database) -> tuple[int, int]:
    """Count rows delivered before an older row of their aggregate, and rows tried twice."""
    prev = sa.func.lag(OutboxRow.delivered_at).over(
        partition_by=OutboxRow.aggregate_ref, order_by=OutboxRow.id
    )
    pairs = sa.select(OutboxRow.delivered_at.label("at"), prev.label("prev")).subquery()
    with db.engine.connect() as conn:
        late = conn.scalar(sa.select(sa.func.count()).where(pairs.c.at < pairs.c.prev))
        twice = conn.scalar(sa.select(sa.func.count()).where(OutboxRow.attempts > 1))
    return int(late or 0), int(twice or 0)


def hub_throughput(
    ledger: Ledger, db: Database, plan: Plan, workers: int, args: argparse.Namespace
) -> tuple[float, float, int, int]:
    """Deliver the plan with real workers; return events/s, the wake-up delay and the checks.

    The rate runs from the first recorded outcome to the last, leaving out the rows of that
    first record: the wait before the first claim is the latency's business, not this one's.
    """
    clear(db)
    prefill(db, plan, paused=True, analyze_sqlite=args.analyze_sqlite)
    with Workers(ledger, workers, args.interval):
        with writing(db) as session:
            session.execute(sa.delete(ConnectorPause))
            wake_dispatchers(session, [CONNECTOR])
        released = utcnow()
        wait_delivered(db, len(plan))
    at = OutboxRow.delivered_at
    with db.engine.connect() as conn:
        first, last = conn.execute(sa.select(sa.func.min(at), sa.func.max(at))).one()
        head = conn.scalar(sa.select(sa.func.count()).where(at == first)) or 0
    seconds = max((last - first).total_seconds(), 1e-6)
    return ((len(plan) - head) / seconds, (first - released).total_seconds(), *checks(db))


def direct_throughput(plan: Plan) -> float:
    """Call the connector directly over the same events, a full batch per call."""
    now, connector = utcnow(), NoopConnector()
    batch = [
        Event(n, "bench.event", "order", ref, {"step": s}, 1, now)
        for n, (ref, s) in enumerate(plan, 1)
    ]
    started = time.perf_counter()
    for start in range(0, len(batch), connector.max_batch):
        connector.deliver(batch[start : start + connector.max_batch])
    return len(batch) / (time.perf_counter() - started)


def plain_throughput(db: Database, plan: Plan, args: argparse.Namespace) -> float:
    """Mark the same rows delivered from one process: select a batch, deliver, update, commit."""
    clear(db)
    prefill(db, plan, paused=False, analyze_sqlite=args.analyze_sqlite)
    connector, session = NoopConnector(), db.sessions()
    pending = (
        sa.select(OutboxRow.id, OutboxRow.aggregate_ref, OutboxRow.payload, OutboxRow.created_at)
        .where(OutboxRow.connector == CONNECTOR, OutboxRow.status == "pending")
        .order_by(OutboxRow.id)
        .limit(connector.max_batch)
    )
    started = time.perf_counter()
    while True:
        with write_transaction(session):
            rows = session.execute(pending).all()
            connector.deliver(
                [
                    Event(r.id, "bench.event", "order", r.aggregate_ref, r.payload, 1, r.created_at)
                    for r in rows
                ]
            )
            session.execute(
                sa.update(OutboxRow)
                .where(OutboxRow.id.in_([r.id for r in rows]))
                .values(status="delivered", delivered_at=utcnow()),
                execution_options={"synchronize_session": False},
            )
        if not rows:
            break
    session.close()
    return len(plan) / (time.perf_counter() - started)


def paced(rate: float, seconds: float) -> Iterator[int]:
    """Yield 0, 1, 2, ... at a steady rate, for the given time."""
    started = time.perf_counter()
    for n in range(round(rate * seconds)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield n


def hub_latency(db: Database, args: argparse.Namespace, tag: str) -> list[float]:
    """Commit events one at a time for idle workers; return each one's latency in ms."""
    with db.sessions() as session:
        for n in paced(args.rate, args.seconds):
            with write_transaction(session):
                session.add(OutboxRow(**row(f"{tag}-{n}", "bench.latency", payload={})))
                wake_dispatchers(session, [CONNECTOR])
    mine = OutboxRow.aggregate_ref.like(f"{tag}-%")
    deadline = time.monotonic() + 60
    while True:
        with db.engine.connect() as conn:
            pairs = conn.execute(
                sa.select(OutboxRow.created_at, OutboxRow.delivered_at).where(mine)
            ).all()
        if all(p.delivered_at for p in pairs) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return [(p.delivered_at - p.created_at).total_seconds() * 1000 for p in pairs if p.delivered_at]


def inline_latency(db: Database, args: argparse.Namespace, tag: str) -> list[float]:
    """Commit each event row, then call the connector inline; return each one's time in ms."""
    connector, out = NoopConnector(), []
    with db.sessions() as session:
        for n in paced(args.rate, args.seconds):
            started = time.perf_counter()
            with write_transaction(session):
                # A connector no worker runs, so the row stays where it is.
                added = OutboxRow(**row(f"{tag}-{n}", "bench.latency", "inline", payload={}))
                session.add(added)
                session.flush()
            connector.deliver([Event(added.id, added.topic, "order", tag, {}, 1, utcnow())])
            out.append((time.perf_counter() - started) * 1000)
    return out


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median_pct(samples: Sequence[Sequence[float]], q: float) -> float:
    return statistics.median(percentile(s, q) for s in samples)


def measure(backend: str, args: argparse.Namespace) -> list[Row]:
    """Run every round on one backend; return one row per worker count, as medians."""
    ledger, plan = Ledger(backend, "10k"), events(args.events, args.per_aggregate)
    fresh_database(ledger)
    db = Database(ledger.url(NAME))
    rates: dict[int, list[float]] = {w: [] for w in args.workers}
    direct: list[float] = []
    plain: list[float] = []
    late = dict.fromkeys(args.workers, 0)  # rows delivered before an older one of their order
    twice = dict.fromkeys(args.workers, 0)
    for round_no in range(1, args.runs + 1):
        direct.append(direct_throughput(plan))
        plain.append(plain_throughput(db, plan, args))
        print(
            f"  round {round_no}: deliver() {direct[-1]:,.0f} ev/s, "
            f"plain SQL loop {plain[-1]:,.0f} ev/s",
            flush=True,
        )
        for w in args.workers:
            per_s, wake, out_of_order, again = hub_throughput(ledger, db, plan, w, args)
            rates[w].append(per_s)
            late[w] += out_of_order
            twice[w] += again
            print(
                f"  round {round_no}: {w} worker(s) {per_s:,.0f} ev/s (first outcome "
                f"{wake:.2f} s after release; out of order {out_of_order}, tried twice "
                f"{again})",
                flush=True,
            )
    clear(db)
    inline = [inline_latency(db, args, f"I{r}") for r in range(args.runs)]
    print(
        f"  inline commit + deliver(): p50 {median_pct(inline, 0.5):.2f} ms, "
        f"p99 {median_pct(inline, 0.99):.2f} ms",
        flush=True,
    )
    rows = []
    for w in args.workers:
        with Workers(ledger, w, args.latency_interval):
            lat = [hub_latency(db, args, f"L{w}-{r}") for r in range(args.runs)]
        print(
            f"  {w} idle worker(s): commit-to-delivery p50 {median_pct(lat, 0.5):.1f} ms, "
            f"p99 {median_pct(lat, 0.99):.1f} ms",
            flush=True,
        )
        rows.append(
            Row(
                backend=backend,
                workers=w,
                events_per_s=statistics.median(rates[w]),
                direct_per_s=statistics.median(direct),
                plain_per_s=statistics.median(plain),
                p50_ms=median_pct(lat, 0.5),
                p99_ms=median_pct(lat, 0.99),
                inline_p50_ms=median_pct(inline, 0.5),
                inline_p99_ms=median_pct(inline, 0.99),
                out_of_order=late[w],
                tried_twice=twice[w],
            )
        )
    db.dispose()
    return rows


def table(rows: Sequence[Row]) -> str:
    head = (
        "backend",
        "workers",
        "events/s",
        "p50 ms",
        "p99 ms",
        "deliver() ev/s",
        "ratio",
        "plain SQL ev/s",
        "ratio",
        "inline p50 / p99 ms",
        "p50 ratio",
    )
    body = [
        (
            r.backend,
            str(r.workers),
            f"{r.events_per_s:,.0f}",
            f"{r.p50_ms:.0f}",
            f"{r.p99_ms:.0f}",
            f"{r.direct_per_s:,.0f}",
            f"{r.events_per_s / r.direct_per_s:.4f}",
            f"{r.plain_per_s:,.0f}",
            f"{r.events_per_s / r.plain_per_s:.2f}",
            f"{r.inline_p50_ms:.1f} / {r.inline_p99_ms:.1f}",
            f"{r.p50_ms / r.inline_p50_ms:.0f}x",
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    return "\n".join(
        [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]
    )


def machine() -> dict[str, str]:
    def sh(*cmd: str) -> str:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()

    cpu = [x.split(":", 1)[1].strip() for x in sh("lscpu").splitlines() if "Model name" in x]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": sh("nproc"),
        "cpu": cpu[0] if cpu else "?",
        "load before": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "postgresql": sh(
            "psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--backend", action="append", choices=BACKENDS)
    add("--workers", type=int, action="append", help="worker processes (default 1, 2 and 4)")
    add("--events", type=int, default=20_000, help="events per throughput round")
    add("--per-aggregate", type=int, default=4, help="events per aggregate (order)")
    add("--runs", type=int, default=3, help="rounds; medians are printed")
    add("--interval", type=float, default=0.2, help="throughput workers' dispatch interval, s")
    add("--latency-interval", type=float, default=5.0, help="latency workers' (shipped default)")
    add("--rate", type=float, default=50, help="latency: commits per second")
    add("--seconds", type=float, default=4, help="latency: seconds per round")
    add("--analyze-sqlite", action="store_true", help="ANALYZE the SQLite outbox after filling")
    add("--quick", action="store_true", help="smoke run: 2,000 events, 1 round, 2 s latency")
    args = parser.parse_args()
    args.workers = args.workers or [1, 2, 4]
    if args.quick:
        args.events, args.runs, args.seconds = 2000, 1, 2
    started, facts = time.monotonic(), machine()
    print(f"{facts['date']}, nproc {facts['nproc']}, load {facts['load before']}", flush=True)
    rows: list[Row] = []
    for backend in args.backend or BACKENDS:
        print(f"\n== {backend}", flush=True)
        rows += measure(backend, args)
    facts["load after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    elapsed = time.monotonic() - started
    print(
        f"\n{table(rows)}\n\nLoad before {facts['load before']}, after {facts['load after']}. "
        f"Took {elapsed / 60:.1f} min."
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"dispatcher-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    report = {
        "machine": facts,
        "args": vars(args),
        "seconds": round(elapsed),
        "rows": [asdict(r) for r in rows],
    }
    out.write_text(json.dumps(report, indent=2))
    print(f"Results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
