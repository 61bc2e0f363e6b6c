"""Order done to invoice sent in Stripe, through a real ``hub worker``, beside the bare calls.

    .venv/bin/python -m bench.billing_latency            # full run (see bench/README.md)
    .venv/bin/python -m bench.billing_latency --quick    # smoke run: SQLite, 60 orders, 1 round

The Stripe emulator runs in its own process (``python -m sandbox.stripe``, a fresh one per
backend, no rate limit of its own: the connector keeps to the test key's 20 requests/s). The
hub bills per order with ``per_order_delay_minutes = 0`` and talks to the emulator; one
``hub worker`` process with the default ``[jobs]`` settings delivers. The bench process marks
orders done one at a time at a steady pace through the ledger's ``complete_order`` use case
(each in its own transaction) and notes the time of each commit; a thread lists the
emulator's ``invoice.sent`` events every ``POLL_SECONDS`` and notes when each order's invoice
(``hub_order_refs`` in its metadata) is first seen sent. Latency is the difference (one
process, one clock), so it carries up to one poll interval of observation delay.

Before the rounds, one order per customer is billed and waited for (unrecorded): the
customers and VAT rates then exist in Stripe, so every measured invoice costs the same four
calls (create, add_lines, finalize, send). Baseline, same run, same emulator: those four calls
made directly with the stripe library for one invoice, timed from the first to the last
answer; the floor under whatever the hub adds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import stripe
from flask import Flask

from bench import seed
from bench.common import BACKENDS, DATA, ROOT, Ledger, _secret_key
from bench.dispatcher import Workers, fresh_database, machine, median_pct, paced, percentile
from bench.stripe_calls import emulator_process
from hub import create_app
from hub.config import load_config
from hub.db import get_db, get_session, utcnow, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.customers import CustomerInput, create_customer
from hub.ledger.fulfilment import complete_order
from hub.ledger.orders import OrderInput, create_order
from hub.models import Role, User
from sandbox.stripe import DEFAULT_API_KEY

NAME = "hub_bench_billing"
RESULTS = ROOT / "bench" / "results"
POLL_SECONDS = 0.025
CUSTOMERS = 10
#: 1,5 h of cleaning at 10 % VAT, 2,5 h of assembly and a parcel at 20 %: three lines.
LINES = [
    {"service_code": "CLEANING", "quantity": "1.5"},
    {"service_code": "ASSEMBLY", "quantity": "2.5"},
    {"service_code": "PARCEL", "quantity": "1"},
]


@dataclass(frozen=True)
class Row:
    backend: str
    rounds: int
    orders: int  # per round
    p50_ms: float  # medians over the rounds
    p90_ms: float
    p99_ms: float
    max_ms: float
    bare_p50_ms: float  # the four Stripe calls made directly
    bare_p99_ms: float
    missing: int  # orders whose invoice was never seen sent, summed over rounds


def settings(base_url: str, stripe_rate: float) -> dict[str, dict[str, Any]]:
    """The hub's configuration for this bench: per-order billing at once, the emulator."""
    return {
        "stripe": {
            "api_key": DEFAULT_API_KEY,
            "api_base": base_url,
            "billing_mode": "per_order",
            "per_order_delay_minutes": 0,
            "requests_per_second": stripe_rate,  # 0: the key's pace, 20/s in test mode
        },
    }


def bench_app(ledger: Ledger, base_url: str) -> Flask:
    """The hub in this process, configured as the worker is, to mark orders done."""
    overrides = settings(base_url, 0) | {
        "hub": {
            "database_url": ledger.url(NAME),
            "secret_key": _secret_key(),
            "instance_path": str(DATA / "instance"),
            "log_level": "WARNING",
        },
        "jobs": {"embedded": False},
    }
    return create_app(load_config(overrides, environ={"HUB_CONFIG": "/dev/null"}))


class SentWatch(threading.Thread):
    """Note when each order's invoice is first seen sent in the emulator (``invoice.sent``)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(name="sent-watch", daemon=True)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {DEFAULT_API_KEY}"
        self.url = f"{base_url}/v1/events"
        self.sent: dict[str, float] = {}
        self.stopping = threading.Event()
        self.cursor: str | None = None
        self._page()  # start after the events already there

    def _page(self) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"type": "invoice.sent", "limit": 100}
        if self.cursor:
            params["ending_before"] = self.cursor
        reply = self.http.get(self.url, params=params, timeout=10)
        reply.raise_for_status()
        events: list[dict[str, Any]] = reply.json()["data"]
        if events:
            self.cursor = events[0]["id"]  # the newest
        return events

    def run(self) -> None:
        while not self.stopping.wait(POLL_SECONDS):
            seen = time.time()
            for event in self._page():
                refs = event["data"]["object"]["metadata"].get("hub_order_refs", "")
                for ref in refs.split(","):
                    self.sent.setdefault(ref, seen)

    def wait_for(self, refs: Sequence[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(ref not in self.sent for ref in refs):
            time.sleep(0.1)


def make_orders(app: Flask, count: int, customers: Sequence[int], by: Actor) -> list[str]:
    """Record ``count`` missions scheduled two hours ago for provider ``by``; return their refs."""
    refs = []
    with app.app_context():
        session = get_session()
        when = (utcnow() - timedelta(hours=2)).isoformat()
        for n in range(count):
            data = OrderInput.parse(
                {
                    "customer_id": customers[n % len(customers)],
                    "lines": LINES,
                    "provider_id": by.user_id,
                    "scheduled_at": when,
                }
            )
            with write_transaction(session):
                order = create_order(session, Actor.system("bench"), data)
                assert order.ref is not None
                refs.append(order.ref)
        session.close()
    return refs


def mark_done(app: Flask, refs: Sequence[str], actor: Actor, rate: float) -> dict[str, float]:
    """Mark each order done through the ledger, at a steady rate; return each commit's time."""
    committed = {}
    with app.app_context():
        session = get_session()
        for n in paced(rate, len(refs) / rate):
            complete_order(session, actor, refs[n])  # its own transaction, committed here
            committed[refs[n]] = time.time()
        session.close()
    return committed


def bare_calls(base_url: str, count: int) -> list[float]:
    """Time create, add_lines, finalize and send made directly for one invoice; in ms."""
    client = stripe.StripeClient(DEFAULT_API_KEY, base_addresses={"api": base_url})
    customer = client.v1.customers.create({"name": "Ada Lovelace", "email": "ada@example.fr"})
    rates = {
        bp: client.v1.tax_rates.create(
            {"display_name": "TVA", "percentage": bp / 100, "inclusive": False}
        ).id
        for bp in (1000, 2000)
    }
    lines = [("Ménage", 4200, 1000), ("Montage", 9000, 2000), ("Colis", 1500, 2000)]
    out = []
    for _ in range(count):
        started = time.perf_counter()
        invoice = client.v1.invoices.create(
            {
                "customer": customer.id or "",
                "auto_advance": False,
                "collection_method": "send_invoice",
                "days_until_due": 14,
                "currency": "eur",
            }
        )
        assert invoice.id is not None
        client.v1.invoices.add_lines(
            invoice.id,
            {
                "lines": [
                    {"amount": cents, "description": label, "tax_rates": [rates[bp] or ""]}
                    for label, cents, bp in lines
                ]
            },
        )
        client.v1.invoices.finalize_invoice(invoice.id)
        client.v1.invoices.send_invoice(invoice.id)
        out.append((time.perf_counter() - started) * 1000)
    return out


@dataclass(frozen=True)
class Sample:
    latencies_ms: list[float]
    bare_ms: list[float]
    missing: int


@contextmanager
def billing_hub(
    ledger: Ledger, base_url: str, stripe_rate: float
) -> Iterator[tuple[Flask, Actor, list[int]]]:
    """A fresh scratch ledger with a provider and customers, and a ``hub worker`` on it."""
    fresh_database(ledger, NAME)
    app = bench_app(ledger, base_url)
    try:
        with app.app_context():
            session = get_session()
            with write_transaction(session):
                provider = User(
                    email="bench-provider@example.test", name="Prestataire", role=Role.PROVIDER,
                    password_hash=None, active=True,
                )  # fmt: skip
                session.add(provider)
            people = [
                {"name": f"Client {n}", "email": f"c{n}@example.test", "address": f"{n} rue Cler"}
                for n in range(1, CUSTOMERS + 1)
            ]
            customers = [create_customer(session, CustomerInput.parse(p)).id for p in people]
            actor = Actor.of(provider)
            session.close()
        with Workers(ledger, 1, name=NAME, settings=settings(base_url, stripe_rate)):
            yield app, actor, customers
    finally:
        get_db(app).dispose()
        seed.drop(ledger, NAME)


def measure(backend: str, base_url: str, args: argparse.Namespace) -> Row:
    ledger = Ledger(backend, "10k")  # only its backend matters: the ledger is NAME
    samples = []
    with billing_hub(ledger, base_url, args.stripe_rate) as (app, actor, customers):
        watch = SentWatch(base_url)
        watch.start()
        try:
            # Unrecorded warm-up: each customer and the VAT rates come to exist in Stripe.
            warm = make_orders(app, len(customers), customers, actor)
            mark_done(app, warm, actor, args.rate)
            watch.wait_for(warm, timeout=120)
            for n in range(args.rounds):
                refs = make_orders(app, args.orders, customers, actor)
                bare = bare_calls(base_url, args.bare)
                committed = mark_done(app, refs, actor, args.rate)
                watch.wait_for(refs, timeout=60)
                sent = watch.sent
                latencies = [(sent[r] - at) * 1000 for r, at in committed.items() if r in sent]
                sample = Sample(latencies, bare, len(refs) - len(latencies))
                samples.append(sample)
                print(
                    f"  {backend} round {n + 1}: p50 {percentile(latencies, 0.5):.0f} ms, "
                    f"p99 {percentile(latencies, 0.99):.0f} ms, max {max(latencies):.0f} ms; "
                    f"bare calls p50 {percentile(bare, 0.5):.0f} ms; missing {sample.missing}",
                    flush=True,
                )
        finally:
            watch.stopping.set()
            watch.join(timeout=5)

    latency_rounds = [s.latencies_ms for s in samples]
    bare_rounds = [s.bare_ms for s in samples]
    return Row(
        backend=backend,
        rounds=args.rounds,
        orders=args.orders,
        p50_ms=median_pct(latency_rounds, 0.5),
        p90_ms=median_pct(latency_rounds, 0.9),
        p99_ms=median_pct(latency_rounds, 0.99),
        max_ms=statistics.median(max(v) for v in latency_rounds),
        bare_p50_ms=median_pct(bare_rounds, 0.5),
        bare_p99_ms=median_pct(bare_rounds, 0.99),
        missing=sum(s.missing for s in samples),
    )


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| backend    | orders x rounds | p50 ms | p90 ms | p99 ms | max ms "
        "| bare calls p50 / p99 ms | p50 goal < 1 s | p99 goal < 5 s | not seen |",
        "|------------|-----------------|--------|--------|--------|--------"
        "|-------------------------|----------------|----------------|----------|",
    ]
    for r in rows:
        lines.append(
            f"| {r.backend:<10} | {f'{r.orders} x {r.rounds}':>15} | {r.p50_ms:>6.0f} "
            f"| {r.p90_ms:>6.0f} | {r.p99_ms:>6.0f} | {r.max_ms:>6.0f} "
            f"| {f'{r.bare_p50_ms:.0f} / {r.bare_p99_ms:.0f}':>23} "
            f"| {'met' if r.p50_ms < 1000 else 'MISSED':>14} "
            f"| {'met' if r.p99_ms < 5000 else 'MISSED':>14} | {r.missing:>8} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add = parser.add_argument
    add("--backend", action="append", choices=BACKENDS)
    add("--orders", type=int, default=200, help="orders marked done per round")
    add("--rate", type=float, default=3.0, help="orders marked done per second")
    add("--rounds", type=int, default=3, help="rounds per backend; medians are printed")
    add("--bare", type=int, default=20, help="baseline invoices per round")
    add("--stripe-rate", type=float, default=0, help="the worker's Stripe requests/s (0: 20)")
    add("--quick", action="store_true", help="smoke run: SQLite, 60 orders, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.backend = args.backend or ["sqlite"]
        args.orders, args.rounds, args.bare = 60, 1, 10
    started, facts = time.monotonic(), machine()
    print(f"{facts['date']}, nproc {facts['nproc']}, load {facts['load before']}", flush=True)
    rows = []
    for backend in args.backend or BACKENDS:
        print(f"\n== {backend}", flush=True)
        # A Stripe account per ledger: each fresh ledger numbers its outbox rows from 1 again,
        # and the same idempotency keys would replay the other ledger's invoices.
        with emulator_process(None) as base_url:
            rows.append(measure(backend, base_url, args))
    facts["load after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    elapsed = time.monotonic() - started
    pace = f"{args.stripe_rate:g}" if args.stripe_rate else "20 (the test key's default)"
    print(
        f"\n{table(rows)}\n\nWorker's Stripe pace: {pace} requests/s, orders done at "
        f"{args.rate:g}/s. Load before {facts['load before']}, after {facts['load after']}. "
        f"Took {elapsed / 60:.1f} min."
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"billing_latency-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    report = {"machine": facts, "args": vars(args), "rows": [asdict(r) for r in rows]}
    out.write_text(json.dumps(report, indent=2))
    print(f"Results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
