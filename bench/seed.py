"""Build (once) and cache the benchmark ledgers: bulk-loaded customers, orders, lines and history.

Run alone to seed ahead of time::

    .venv/bin/python -m bench.seed --backend sqlite --backend postgresql --size 10k --size 1m

A ledger is built under a temporary name and renamed when complete, so an interrupted seed
never leaves a half-filled database that later runs would take for a finished one.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import sqlalchemy as sa

from bench import rows
from bench.common import (
    CONCIERGE_EMAIL,
    CONCIERGE_PASSWORD,
    DATA,
    PG_ADMIN_URL,
    PROVIDER_EMAILS,
    SIZES,
    Ledger,
    hub,
)

CHUNK_ORDERS = 50_000


@dataclass(frozen=True)
class SeedInfo:
    """What a benchmark needs to know about a seeded ledger."""

    orders: int
    customers: int
    service_codes: tuple[str, ...]
    provider_ids: tuple[int, ...]
    # One customer's e-mail, for the search a concierge runs to find that customer's orders.
    sample_email: str


def _admin_engine() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def exists(ledger: Ledger, name: str | None = None) -> bool:
    name = name or ledger.name
    if ledger.backend == "sqlite":
        return (DATA / f"{name}.sqlite3").exists()
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            return found is not None
    finally:
        engine.dispose()


def drop(ledger: Ledger, name: str) -> None:
    if ledger.backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (DATA / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)
        return
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def _create_empty(ledger: Ledger, name: str) -> None:
    drop(ledger, name)
    if ledger.backend == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        return
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()


def _rename(ledger: Ledger, old: str, new: str) -> None:
    if ledger.backend == "sqlite":
        (DATA / f"{old}.sqlite3").rename(DATA / f"{new}.sqlite3")
        return
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
    finally:
        engine.dispose()


def _make_users(ledger: Ledger, name: str) -> None:
    people = [(CONCIERGE_EMAIL, "concierge", "Bench Concierge")]
    people += [(e, "provider", f"Prestataire {n}") for n, e in enumerate(PROVIDER_EMAILS, 1)]
    for email, role, display in people:
        args = ("user", "create", email, "--role", role, "--name", display, "--password-stdin")
        hub(ledger, *args, stdin=CONCIERGE_PASSWORD + "\n", name=name)


def _load(ledger: Ledger, name: str) -> None:
    engine = sa.create_engine(ledger.url(name))
    try:
        with engine.connect() as conn:
            users = dict(conn.execute(sa.text("SELECT email, id FROM users")).tuples().all())
            services = (
                conn.execute(
                    sa.text(
                        "SELECT code, label, unit, unit_price_cents, vat_bp FROM services"
                        " WHERE active ORDER BY code"
                    )
                )
                .tuples()
                .all()
            )
        plan = rows.Plan(
            orders=ledger.orders,
            customers=max(100, ledger.orders // 10),
            concierge_id=users[CONCIERGE_EMAIL],
            provider_ids=tuple(users[e] for e in PROVIDER_EMAILS),
            services=tuple(rows.ServiceRow(*s) for s in services),
        )
        writer: rows.Writer = (
            rows.SqliteWriter(engine) if ledger.backend == "sqlite" else rows.PostgresWriter(engine)
        )
        started = time.monotonic()
        writer.write("customers", rows.CUSTOMER_COLUMNS, rows.customers(plan))
        print(f"  {plan.customers:,} customers", flush=True)
        generator = rows.OrderGenerator(plan)
        for first in range(1, plan.orders + 1, CHUNK_ORDERS):
            last = min(plan.orders, first + CHUNK_ORDERS - 1)
            chunk = generator.chunk(first, last)
            writer.write("orders", rows.ORDER_COLUMNS, chunk.orders)
            writer.write("order_lines", rows.LINE_COLUMNS, chunk.lines)
            writer.write("order_events", rows.EVENT_COLUMNS, chunk.events)
            rate = last / (time.monotonic() - started)
            print(f"  {last:,} / {plan.orders:,} orders ({rate:,.0f}/s)", flush=True)
        writer.finish()
    finally:
        engine.dispose()


def seed(ledger: Ledger) -> None:
    """Build the ledger from scratch under a temporary name, then put it in place."""
    tmp = f"{ledger.name}_seeding"
    started = time.monotonic()
    print(f"Seeding {ledger.backend} {ledger.size_label} ({ledger.orders:,} orders)", flush=True)
    _create_empty(ledger, tmp)
    hub(ledger, "init", name=tmp)
    _make_users(ledger, tmp)
    _load(ledger, tmp)
    drop(ledger, ledger.name)
    _rename(ledger, tmp, ledger.name)
    print(f"Seeded {ledger.backend} {ledger.size_label} in {time.monotonic() - started:.0f} s")


def trim(ledger: Ledger, info: SeedInfo) -> None:
    """Remove what earlier benchmark runs added, so every run starts from the seeded ledger."""
    engine = sa.create_engine(ledger.url())
    try:
        with engine.begin() as conn:
            params = {"n": info.orders}
            conn.execute(sa.text("DELETE FROM order_events WHERE order_id > :n"), params)
            conn.execute(sa.text("DELETE FROM order_lines WHERE order_id > :n"), params)
            conn.execute(sa.text("DELETE FROM orders WHERE id > :n"), params)
            conn.execute(sa.text("DELETE FROM outbox"))
            conn.execute(sa.text("DELETE FROM api_tokens"))
    finally:
        engine.dispose()


def read_info(ledger: Ledger) -> SeedInfo:
    engine = sa.create_engine(ledger.url())
    try:
        with engine.connect() as conn:
            customers = conn.execute(sa.text("SELECT count(*) FROM customers")).scalar_one()
            codes = conn.execute(
                sa.text("SELECT code FROM services WHERE active ORDER BY code")
            ).scalars()
            providers = conn.execute(
                sa.text("SELECT id FROM users WHERE role = 'provider' ORDER BY id")
            ).scalars()
            email = conn.execute(
                sa.text("SELECT email FROM customers WHERE id = :id"), {"id": customers // 2}
            ).scalar_one()
            return SeedInfo(
                orders=ledger.orders,
                customers=int(customers),
                service_codes=tuple(codes),
                provider_ids=tuple(providers),
                sample_email=str(email),
            )
    finally:
        engine.dispose()


def ensure(ledger: Ledger, *, reseed: bool = False) -> SeedInfo:
    """Seed the ledger if missing (or asked), bring its schema to head and trim past runs."""
    if reseed or not exists(ledger):
        seed(ledger)
    else:
        # New migrations (an index, say) apply to the cached ledger exactly as in production.
        hub(ledger, "init")
    info = read_info(ledger)
    trim(ledger, info)
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--size", action="append", choices=sorted(SIZES))
    parser.add_argument("--reseed", action="store_true", help="Rebuild even when cached.")
    args = parser.parse_args()
    for backend in args.backend or ["sqlite", "postgresql"]:
        for size in args.size or ["10k"]:
            info = ensure(Ledger(backend, size), reseed=args.reseed)
            print(f"{backend} {size}: {info}")


if __name__ == "__main__":
    main()
