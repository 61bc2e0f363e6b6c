"""Stripe calls per invoiced order, and a monthly run's pace against the rate limit.

    .venv/bin/python -m bench.stripe_calls            # full run (see bench/README.md), ~2 min
    .venv/bin/python -m bench.stripe_calls --quick    # smoke run: 200 customers, 1 round

Calls: the Stripe connector (``connectors.stripe``) issues invoices against the Stripe
emulator, for a customer and VAT rates that already exist in Stripe (made once, by the first
invoice, counted apart); the emulator counts every request. Per-order invoices bill one
order; monthly ones 1, 10 or 40 orders per customer, two lines per order. Beside it, in the
same run and on the same emulator, a naive client: one request per invoice line (the way
``invoiceitems.create`` is used: the emulator has no ``/v1/invoiceitems``, so a one-line
``add_lines`` stands in for it, at the same one call per line), no idempotency keys of its
own (the library makes its own), then finalize and send.

Pace: a monthly run for N customers (4 orders each, new to Stripe: their first month)
through 16 threads sharing the connector's one token bucket, against an emulator process
(``python -m sandbox.stripe``, so client and server do not share one GIL) whose own limit
is the configured rate. The figure is the achieved rate (requests /
wall time) as a fraction of the configured one; any 429 would show as a failed delivery.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import stripe

from bench.common import ROOT, free_port
from connectors.base import Event
from connectors.payloads import (
    CustomerInfo,
    InvoiceLine,
    InvoiceRequested,
    OrderVersion,
    to_json,
)
from connectors.stripe.connector import StripeConnector, stripe_connector
from connectors.stripe.limiter import RateLimiter
from hub.money import line_amounts
from sandbox.stripe import DEFAULT_API_KEY, StripeEmulator

RESULTS = ROOT / "bench" / "results"
LINES = (("Ménage 1,5 h × 26,00 €", 2600, 1500, 2000), ("Courses", 4500, 1000, 1000))  # noqa: RUF001
THREADS = 16
SHAPES = (("per_order", 1), ("monthly", 1), ("monthly", 10), ("monthly", 40))


class Invoices:
    """Make ``invoice.requested`` events with fresh outbox ids."""

    def __init__(self) -> None:
        self.next_id = 0

    def event(self, who: CustomerInfo, mode: str, orders: int) -> Event:
        self.next_id += 1
        lines = []
        for n in range(orders):
            for position, (label, unit, milli, vat_bp) in enumerate(LINES, start=1):
                amounts = line_amounts(unit, milli, vat_bp)
                lines.append(
                    InvoiceLine(
                        f"C-{self.next_id}-{n}", position, "SVC", label,
                        amounts.amount_cents, vat_bp, amounts.vat_cents,
                    )
                )  # fmt: skip
        payload = InvoiceRequested(
            invoice_id=self.next_id,
            invoice_key=f"hub-inv-{self.next_id}",
            customer=who,
            mode=mode,
            collection_method="send_invoice",
            days_until_due=14,
            currency="eur",
            orders=tuple(OrderVersion(f"C-{self.next_id}-{n}", 3) for n in range(orders)),
            lines=tuple(lines),
            total_cents=sum(line.amount_cents for line in lines),
            vat_cents=sum(line.vat_cents for line in lines),
            period="2026-11" if mode == "monthly" else None,
        )
        return Event(
            self.next_id, "invoice.requested", "invoice", payload.invoice_key,
            to_json(payload), 1, datetime.now(UTC),
        )  # fmt: skip


def _connector(emulator: StripeEmulator, rate: float, limiter: RateLimiter) -> StripeConnector:
    built = stripe_connector(
        emulator.api_key, emulator.base_url, rate, max_network_retries=2, limiter=limiter
    )
    assert isinstance(built, StripeConnector)
    return built


def _deliver(connector: StripeConnector, event: Event) -> None:
    (outcome,) = connector.deliver([event])
    if not outcome.delivered:
        raise SystemExit(f"delivery failed: {outcome.error}")


def naive_invoice(client: stripe.StripeClient, customer_id: str, rates: dict[int, str],
                  event: Event) -> None:  # fmt: skip
    """Issue the same invoice the naive way: one call per line, the library's own keys."""
    payload = event.payload
    invoice = client.v1.invoices.create(
        {
            "customer": customer_id,
            "auto_advance": False,
            "collection_method": "send_invoice",
            "days_until_due": 14,
        }
    )
    assert invoice.id is not None
    for line in payload["lines"]:
        client.v1.invoices.add_lines(
            invoice.id,
            {
                "lines": [
                    {
                        "amount": line["amount_cents"],
                        "description": line["description"],
                        "tax_rates": [rates[line["vat_bp"]]],
                    }
                ]
            },
        )
    client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.invoices.send_invoice(invoice.id)


def calls_per_order(invoices_per_shape: int) -> list[dict[str, Any]]:
    """Count the requests each invoice shape costs, for the connector and the naive client."""
    rows = []
    for mode, orders in SHAPES:
        with StripeEmulator() as emulator:
            connector = _connector(emulator, 1000, RateLimiter(1000))
            maker = Invoices()
            who = CustomerInfo(1, "K-0001", "Ada Lovelace", 1, email="ada@example.fr")
            before = emulator.requests_made()
            _deliver(connector, maker.event(who, mode, orders))
            first = emulator.requests_made() - before
            ours = []
            for _ in range(invoices_per_shape):
                before = emulator.requests_made()
                _deliver(connector, maker.event(who, mode, orders))
                ours.append((emulator.requests_made() - before) / orders)
            naive_client = emulator.client(max_network_retries=2)
            customer_id = connector.customers.known(who)
            assert customer_id is not None
            rates = connector.tax_rates.ids_for({2000, 1000})
            naive = []
            for _ in range(invoices_per_shape):
                before = emulator.requests_made()
                naive_invoice(naive_client, customer_id, rates, maker.event(who, mode, orders))
                naive.append((emulator.requests_made() - before) / orders)
            connector.close()
        rows.append(
            {
                "shape": f"{mode} x{orders}",
                "orders": orders,
                "first_invoice_calls": first,
                "calls_per_order": statistics.median(ours),
                "calls_per_invoice": statistics.median(ours) * orders,
                "naive_calls_per_order": statistics.median(naive),
            }
        )
    return rows


@contextmanager
def emulator_process(rate: float | None) -> Iterator[str]:
    """Run the emulator in its own process (its own GIL), limited to ``rate``; yield its URL."""
    port = free_port()
    limit = ["--requests-per-second", str(rate)] if rate is not None else []
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.stripe", "--port", str(port), *limit],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "Stripe emulator on" not in line:
            raise SystemExit(f"the emulator did not start: {line!r}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def monthly_run(customers: int, rate: float) -> dict[str, Any]:
    """Time a monthly run for ``customers`` against an emulator process limited to ``rate``.

    The customers are new to Stripe (their first month: a search and a create each), so an
    invoice costs about six requests; the limiter counts them, as it hands out every token.
    """
    maker = Invoices()
    events = [
        maker.event(CustomerInfo(n, f"K-{n:04d}", f"Client {n}", 1), "monthly", 4)
        for n in range(1, customers + 1)
    ]
    failures: list[str] = []
    with emulator_process(rate) as base_url:
        limiter = RateLimiter(rate)
        built = stripe_connector(
            DEFAULT_API_KEY, base_url, rate, max_network_retries=2, limiter=limiter
        )
        assert isinstance(built, StripeConnector)
        connector = built

        def one(event: Event) -> None:
            (outcome,) = connector.deliver([event])
            if outcome.error is not None:
                failures.append(outcome.error.message)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            list(pool.map(one, events))
        wall = time.perf_counter() - started
        connector.close()
    requests = limiter.granted
    return {
        "customers": customers,
        "rate": rate,
        "requests": requests,
        "wall_seconds": wall,
        "allowed_seconds": requests / rate,
        "fraction_of_rate": (requests / wall) / rate,
        "failed": len(failures),
        "rate_limited": sum("429" in message for message in failures),
    }


def print_report(report: dict[str, Any]) -> None:
    print("\nStripe calls per invoiced order (customer and VAT rates already in Stripe)")
    print(f"{'invoice':<16}{'hub':>8}{'naive':>8}{'per invoice':>13}{'first invoice':>15}")
    for row in report["calls"]:
        print(
            f"{row['shape']:<16}{row['calls_per_order']:>8.2f}"
            f"{row['naive_calls_per_order']:>8.2f}{row['calls_per_invoice']:>13.0f}"
            f"{row['first_invoice_calls']:>15}"
        )
    runs = report["pace"]
    fraction = statistics.median(run["fraction_of_rate"] for run in runs)
    wall = statistics.median(run["wall_seconds"] for run in runs)
    allowed = statistics.median(run["allowed_seconds"] for run in runs)
    print(
        f"\nMonthly run, {runs[0]['customers']} customers at {runs[0]['rate']:.0f} req/s "
        f"({len(runs)} round(s), medians): {runs[0]['requests']} requests in {wall:.1f} s; "
        f"the rate allows {allowed:.1f} s -> {fraction:.1%} of the configured rate; "
        f"429s: {sum(run['rate_limited'] for run in runs)}, "
        f"failed deliveries: {sum(run['failed'] for run in runs)}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 customers, 1 round")
    parser.add_argument("--rate", type=float, default=100.0, help="configured requests/s")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    customers, rounds = (200, 1) if args.quick else (args.customers, args.rounds)
    report = {
        "calls": calls_per_order(3 if args.quick else 5),
        "pace": [monthly_run(customers, args.rate) for _ in range(rounds)],
    }
    print_report(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"stripe_calls-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nFigures saved to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
