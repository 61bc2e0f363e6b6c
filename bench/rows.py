"""Generate valid ledger rows in bulk and write them fast: SQLite executemany, PostgreSQL COPY.

Rows are what the ledger itself would have written: references ``C-YYYY-NNNNNN`` built from
the id and the creation year, line amounts from ``hub.money.line_amounts``, order totals equal
to the sum of their lines, statuses that follow the state machines, a history line per step.
No outbox rows: on a ledger of that age they would all have been delivered and purged.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from hub.ledger.search import search_key
from hub.money import line_amounts

CUSTOMER_COLUMNS = ("id", "name", "email", "phone", "address", "notes", "search_key",
                    "created_at", "updated_at", "version")  # fmt: skip
ORDER_COLUMNS = ("id", "ref", "customer_id", "provider_id", "created_by_id", "status",
                 "billing_status", "scheduled_at", "completed_at", "notes", "total_cents",
                 "vat_cents", "currency", "created_at", "updated_at", "version")  # fmt: skip
LINE_COLUMNS = ("id", "order_id", "position", "service_code", "label", "unit", "quantity_milli",
                "unit_price_cents", "vat_bp", "amount_cents", "vat_cents")  # fmt: skip
EVENT_COLUMNS = ("id", "order_id", "actor_id", "actor_label", "at", "kind", "from_status",
                 "to_status", "from_billing", "to_billing", "changes")  # fmt: skip
_TIME_COLUMNS = frozenset({"created_at", "updated_at", "scheduled_at", "completed_at", "at"})

_FIRST = ("Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès", "Arthur",
          "Sarah", "Nathan", "Emma", "Paul", "Alice", "Lucas", "Zoé", "Gabriel")  # fmt: skip
_LAST = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia")  # fmt: skip
_STREETS = ("rue des Martyrs", "rue Lepic", "avenue Trudaine", "rue de Rochechouart",
            "boulevard de Clichy", "rue Condorcet", "rue Caulaincourt")  # fmt: skip
_NOTES = ("Code porte 4B12", "Sonner deux fois", "Chat craintif", "Clés chez la gardienne")
_SPAN = timedelta(days=730)
# Done orders' billing, and cancelled orders' billing, in rough real-life proportions.
_DONE_BILLING = (
    ("paid",) * 70 + ("invoiced",) * 14 + ("pending",) * 5 + ("unbilled",) * 5
    + ("payment_failed", "credited") * 2 + ("uncollectible", "void")
)  # fmt: skip
_CANCELLED_BILLING = ("unbilled",) * 16 + ("void",) * 3 + ("credited",)
# Fulfilment status by cumulative probability: recent orders are still open, old ones closed.
_RECENT_STATUS = ((0.3, "new"), (0.7, "scheduled"), (0.75, "cancelled"), (1.0, "done"))
_OLD_STATUS = ((0.86, "done"), (0.96, "cancelled"), (0.98, "scheduled"), (1.0, "new"))


def _pick(roll: float, table: tuple[tuple[float, str], ...]) -> str:
    return next(status for bound, status in table if roll < bound or bound == 1.0)


@dataclass(frozen=True)
class ServiceRow:
    code: str
    label: str
    unit: str
    unit_price_cents: int
    vat_bp: int


@dataclass(frozen=True)
class Plan:
    """How big the ledger is and whom its rows refer to."""

    orders: int
    customers: int
    concierge_id: int
    provider_ids: tuple[int, ...]
    services: tuple[ServiceRow, ...]
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))


def customers(plan: Plan) -> list[tuple[Any, ...]]:
    rng = random.Random(1)
    out = []
    for n in range(1, plan.customers + 1):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        email = f"{name.lower().replace(' ', '.')}.{n}@example.test"
        created = plan.now - _SPAN + _SPAN * (n / plan.customers) - timedelta(days=1)
        phone = f"+33 6 {n % 100:02d} {n // 100 % 100:02d} 10 20"
        out.append((
            n, name, email, phone,
            f"{rng.randint(1, 120)} {rng.choice(_STREETS)}, 75018 Paris", None,
            search_key(name, email, phone), created, created, 1,
        ))  # fmt: skip
    return out


@dataclass
class Chunk:
    orders: list[tuple[Any, ...]]
    lines: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]


class OrderGenerator:
    """Produce orders in id order, older first, each with its lines and history."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.orders)
        self.next_line_id = 1
        self.next_event_id = 1
        self._amounts: dict[tuple[int, int, int], tuple[int, int]] = {}

    def _amount(self, price: int, quantity: int, vat_bp: int) -> tuple[int, int]:
        key = (price, quantity, vat_bp)
        if key not in self._amounts:
            a = line_amounts(price, quantity, vat_bp)
            self._amounts[key] = (a.amount_cents, a.vat_cents)
        return self._amounts[key]

    def chunk(self, first: int, last: int) -> Chunk:
        out = Chunk([], [], [])
        for order_id in range(first, last + 1):
            self._order(order_id, out)
        return out

    def _lines(self, order_id: int, out: Chunk) -> tuple[int, int]:
        rng, total, vat = self.rng, 0, 0
        for position in range(rng.choice((1, 1, 1, 2, 2, 3))):
            s = rng.choice(self.plan.services)
            quantity = {"unit": rng.randint(1, 5) * 1000, "hour": rng.randint(2, 8) * 500}.get(
                s.unit, 1000
            )
            price = s.unit_price_cents if rng.random() < 0.9 else s.unit_price_cents + 500
            amount, line_vat = self._amount(price, quantity, s.vat_bp)
            out.lines.append((self.next_line_id, order_id, position, s.code, s.label, s.unit,
                              quantity, price, s.vat_bp, amount, line_vat))  # fmt: skip
            self.next_line_id += 1
            total, vat = total + amount, vat + line_vat
        return total, vat

    def _event(self, out: Chunk, order_id: int, actor: int | None, at: datetime, kind: str,
               status: tuple[str | None, str | None] = (None, None),
               billing: tuple[str | None, str | None] = (None, None)) -> None:  # fmt: skip
        label = "stripe" if actor is None else "bench@example.test"
        out.events.append((self.next_event_id, order_id, actor, label, at, kind, *status,
                           *billing, "{}"))  # fmt: skip
        self.next_event_id += 1

    def _order(self, order_id: int, out: Chunk) -> None:
        rng, plan = self.rng, self.plan
        created = plan.now - _SPAN + _SPAN * (order_id / plan.orders) - timedelta(hours=2)
        recent = plan.now - created < timedelta(days=14)
        roll = rng.random()
        status = _pick(roll, _RECENT_STATUS if recent else _OLD_STATUS)
        billing = "unbilled"
        if status == "done":
            billing = rng.choice(_DONE_BILLING)
        elif status == "cancelled":
            billing = rng.choice(_CANCELLED_BILLING)
        total, vat = self._lines(order_id, out)
        concierge = plan.concierge_id
        provider = rng.choice(plan.provider_ids) if status != "new" or roll < 0.01 else None
        self._event(out, order_id, concierge, created, "created", (None, "new"))
        updated, scheduled, completed, version = created, None, None, 2
        if status in ("scheduled", "done") or (status == "cancelled" and provider is not None):
            scheduled = created + timedelta(hours=rng.randint(4, 24 * 7))
            updated = created + timedelta(minutes=rng.randint(1, 120))
            self._event(out, order_id, concierge, updated, "scheduled", ("new", "scheduled"))
            version += 1
        if status == "done":
            assert scheduled is not None
            completed = updated = scheduled + timedelta(minutes=rng.randint(30, 180))
            self._event(out, order_id, provider, updated, "done", ("scheduled", "done"))
            version += 1
        if status == "cancelled":
            updated = updated + timedelta(hours=rng.randint(1, 48))
            before = "scheduled" if scheduled else "new"
            self._event(out, order_id, concierge, updated, "cancelled", (before, "cancelled"))
            version += 1
        if billing != "unbilled":
            updated = updated + timedelta(days=rng.randint(0, 10), minutes=rng.randint(1, 600))
            self._event(out, order_id, None, updated, f"billing_{billing}",
                        billing=("unbilled", billing))  # fmt: skip
            version += 1
        updated = min(updated, plan.now)
        notes = rng.choice(_NOTES) if rng.random() < 0.2 else None
        out.orders.append((
            order_id, f"C-{created.year}-{order_id:06d}", rng.randint(1, plan.customers),
            provider, concierge, status, billing, scheduled, completed, notes, total, vat, "eur",
            created, updated, version,
        ))  # fmt: skip


class Writer(Protocol):
    def write(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
    ) -> None: ...

    def finish(self) -> None: ...


class SqliteWriter:
    """Insert with executemany, one transaction per call, in SQLAlchemy's datetime format."""

    def __init__(self, engine: sa.Engine) -> None:
        self.conn = engine.connect()
        # Safe for a throw-away database being built: a crash means seeding again anyway.
        for pragma in ("synchronous=OFF", "foreign_keys=OFF", "cache_size=-400000"):
            self.conn.exec_driver_sql(f"PRAGMA {pragma}")
        self.conn.commit()

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        times = [i for i, c in enumerate(columns) if c in _TIME_COLUMNS]

        def fmt(row: tuple[Any, ...]) -> tuple[Any, ...]:
            values = list(row)
            for i in times:
                if values[i] is not None:
                    values[i] = values[i].isoformat(" ", timespec="microseconds")
            return tuple(values)

        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        self.conn.exec_driver_sql(sql, [fmt(r) for r in rows])
        self.conn.commit()

    def finish(self) -> None:
        self.conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


class PostgresWriter:
    """COPY rows in, then advance the id sequences and refresh the planner's statistics."""

    def __init__(self, engine: sa.Engine) -> None:
        self.raw = engine.raw_connection()
        self.pg: Any = self.raw.driver_connection

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        with (
            self.pg.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        self.pg.commit()

    def finish(self) -> None:
        with self.pg.cursor() as cur:
            # Rows came with explicit ids: without this the ledger's next insert collides.
            for table in ("customers", "orders", "order_lines", "order_events", "users"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM {table}))"
                )
        self.pg.commit()
        # Autovacuum would get there on its own after a bulk load; the benchmark should not
        # depend on when it does.
        self.pg.autocommit = True
        with self.pg.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        self.raw.close()
