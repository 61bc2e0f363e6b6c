"""The ops sheet: requests and time per sync cycle, beside a per-row gspread baseline.

    python -m bench.sheets            # full run (baseline at 100 orders only; see --baseline)
    python -m bench.sheets --quick    # smaller sizes, for a smoke run

1. Sync N changed orders (new rows, then the same orders changed) on the Sheets emulator with
   100 ms of latency per request: this project's writer, and a baseline of one gspread
   ``append_row`` (new) or ``update`` (changed) per order, as workflow tools do.
2. One incremental Google cycle with 10 changed orders on sheets already holding 1k, 100k
   (and 1M with --million) rows: the cost should stay flat.
3. Workbook rewrite time (10 changed orders) on workbooks of 1k, 10k and 100k orders.

Orders are plain payloads (connectors.payloads), not read from a database: what is measured
is the sheet's side of a cycle.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.payloads import OrderLinePayload, OrderPayload, PartyRef
from connectors.sheets.google import GoogleSheetWriter, wire_row
from connectors.sheets.layout import ORDERS_TAB, order_row
from connectors.sheets.workbook import WorkbookWriter
from sandbox.sheets import SheetsEmulator, gspread_client

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
PARIS = ZoneInfo("Europe/Paris")
WHEN = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
LATENCY = 0.1


def order(number: int, version: int = 1) -> OrderPayload:
    line = OrderLinePayload(1, "CLEANING", "Ménage", "hour", 1500, 3833, 2000, 5750, 4792, 958)
    return OrderPayload(
        ref=f"C-2026-{number:07d}",
        version=version,
        status="new" if version == 1 else "done",
        billing_status="unbilled",
        customer=PartyRef(number, f"Client {number}"),
        created_at=WHEN,
        updated_at=WHEN,
        total_cents=5750,
        vat_cents=958,
        concierge="Claire Concierge",
        lines=(line,),
    )


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def sync_cycle(sizes: list[int], baseline_sizes: set[int]) -> list[dict[str, Any]]:
    """Requests and wall time to sync N new, then N changed, orders; beside the baseline."""
    found = []
    for n in sizes:
        with SheetsEmulator(reads_per_minute=10**9, writes_per_minute=10**9) as emulator:
            spreadsheet = emulator.create_spreadsheet("Ops")
            gc = gspread_client(emulator.base_url)
            writer = GoogleSheetWriter(gc, spreadsheet.spreadsheet_id, zone=PARIS)
            writer.write_orders([order(0)])  # tabs made once, before the clock runs
            emulator.traffic.latency_seconds = LATENCY
            for kind, version in (("new", 1), ("changed", 2)):
                emulator.traffic.reset()
                batch = [order(i, version) for i in range(1, n + 1)]
                seconds = timed(lambda b=batch, w=writer: w.write_orders(b))
                found.append(
                    {
                        "case": "hub",
                        "kind": kind,
                        "orders": n,
                        "requests": emulator.traffic.count(),
                        "seconds": round(seconds, 2),
                    }
                )
                print(
                    f"  hub      {kind:8} N={n:>6}: {emulator.traffic.count():>6} requests,"
                    f" {seconds:8.2f} s",
                    flush=True,
                )
            gc.http_client.session.close()
        if n not in baseline_sizes:
            continue
        with SheetsEmulator(reads_per_minute=10**9, writes_per_minute=10**9) as emulator:
            spreadsheet = emulator.create_spreadsheet("Ops", sheet_titles=[ORDERS_TAB])
            gc = gspread_client(emulator.base_url)
            sheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
            emulator.traffic.latency_seconds = LATENCY
            emulator.traffic.reset()

            def appends(n: int = n, sheet: Any = sheet) -> None:
                for i in range(1, n + 1):
                    sheet.append_row(
                        wire_row(order_row(order(i), PARIS)), value_input_option="USER_ENTERED"
                    )

            seconds = timed(appends)
            found.append(
                {
                    "case": "baseline",
                    "kind": "new",
                    "orders": n,
                    "requests": emulator.traffic.count(),
                    "seconds": round(seconds, 2),
                }
            )
            print(
                f"  baseline new      N={n:>6}: {emulator.traffic.count():>6} requests,"
                f" {seconds:8.2f} s",
                flush=True,
            )
            emulator.traffic.reset()

            def updates(n: int = n, sheet: Any = sheet) -> None:
                # A workflow tool finds the row (one search), then updates it: 2 calls per order.
                for i in range(1, n + 1):
                    cell = sheet.find(order(i).ref, in_column=1)
                    assert cell is not None
                    sheet.update(
                        values=[wire_row(order_row(order(i, 2), PARIS))],
                        range_name=f"A{cell.row}",
                        value_input_option="USER_ENTERED",
                    )

            seconds = timed(updates)
            found.append(
                {
                    "case": "baseline",
                    "kind": "changed",
                    "orders": n,
                    "requests": emulator.traffic.count(),
                    "seconds": round(seconds, 2),
                }
            )
            print(
                f"  baseline changed  N={n:>6}: {emulator.traffic.count():>6} requests,"
                f" {seconds:8.2f} s",
                flush=True,
            )
            gc.http_client.session.close()
    return found


def incremental(sheet_sizes: list[int]) -> list[dict[str, Any]]:
    """One cycle of 10 changed orders on sheets already holding many rows."""
    found = []
    for rows in sheet_sizes:
        with SheetsEmulator(reads_per_minute=10**9, writes_per_minute=10**9) as emulator:
            spreadsheet = emulator.create_spreadsheet("Ops")
            gc = gspread_client(emulator.base_url)
            writer = GoogleSheetWriter(gc, spreadsheet.spreadsheet_id, zone=PARIS)
            started = time.perf_counter()
            for first in range(0, rows, 50_000):
                writer.write_orders([order(i) for i in range(first, min(rows, first + 50_000))])
            setup = time.perf_counter() - started
            emulator.traffic.reset()
            changed = [order(i, 2) for i in range(rows // 2, rows // 2 + 10)]
            seconds = timed(lambda c=changed, w=writer: w.write_orders(c))
            requests = emulator.traffic.count()
            emulator.traffic.latency_seconds = LATENCY
            emulator.traffic.reset()
            changed = [order(i, 3) for i in range(rows // 3, rows // 3 + 10)]
            with_latency = timed(lambda c=changed, w=writer: w.write_orders(c))
            found.append(
                {
                    "rows": rows,
                    "requests": requests,
                    "seconds": round(seconds, 3),
                    "seconds_100ms": round(with_latency, 3),
                    "setup_seconds": round(setup, 1),
                }
            )
            print(
                f"  sheet of {rows:>8} rows: {requests} requests, {seconds:7.3f} s"
                f" ({with_latency:7.3f} s at 100 ms/request; setup {setup:.0f} s)",
                flush=True,
            )
            gc.http_client.session.close()
    return found


def workbook(sizes: list[int]) -> list[dict[str, Any]]:
    """Time to apply 10 changed orders to a workbook of N orders (read back, write whole)."""
    found = []
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            path = Path(folder) / f"hub-{n}.xlsx"
            writer = WorkbookWriter(path, zone=PARIS)
            chunks = (
                [order(i) for i in range(first, min(n, first + 10_000))]
                for first in range(0, n, 10_000)
            )
            build = timed(lambda c=chunks, w=writer: w.rebuild(c, lambda done: None))
            seconds = timed(lambda w=writer: w.write_orders([order(i, 2) for i in range(10)]))
            size = path.stat().st_size
            found.append(
                {
                    "orders": n,
                    "rewrite_seconds": round(seconds, 2),
                    "rebuild_seconds": round(build, 2),
                    "bytes": size,
                }
            )
            print(
                f"  workbook of {n:>7} orders: rewrite {seconds:7.2f} s"
                f" (first build {build:.2f} s, {size / 1e6:.1f} MB)",
                flush=True,
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--baseline", default="100", help="N values (comma-separated) for the per-row baseline"
    )
    parser.add_argument(
        "--million", action="store_true", help="also a sheet of 1M rows (slow to set up)"
    )
    args = parser.parse_args()
    sizes = [100, 1000] if args.quick else [100, 1_000, 10_000]
    baseline = {int(n) for n in args.baseline.split(",") if n}
    sheets = (
        [1_000, 10_000] if args.quick else [1_000, 100_000] + ([1_000_000] if args.million else [])
    )
    books = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    started = datetime.now(UTC)
    print("Sync N changed orders (emulator, 100 ms per request):")
    results: dict[str, Any] = {"sync": sync_cycle(sizes, baseline)}
    print("One incremental cycle, 10 changed orders:")
    results["incremental"] = incremental(sheets)
    print("Workbook rewrite, 10 changed orders:")
    results["workbook"] = workbook(books)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"sheets-{started:%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"started": started.isoformat(), **results}, indent=2))
    print(f"Figures written to {out}")


if __name__ == "__main__":
    main()
