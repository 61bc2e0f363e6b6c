"""The ops sheet: requests and time per sync cycle, beside a per-row gspread baseline.

    python -m bench.sheets            # full run (baseline at 100 orders only; see --baseline)
    python -m bench.sheets --quick    # smaller sizes, for a smoke run

1. Sync N changed orders (new rows, then the same orders changed) on the Sheets emulator with
   100 ms of latency per request: this project's writer, and a baseline of one gspread
   ``append_row`` (new) or ``update`` (changed) per order, as workflow tools do.
2. One incremental Google cycle with 10 changed orders on sheets already holding 1k, 100k
   and 1M rows (seeded straight into the emulator's store): the cost should stay flat.
3. Workbook rewrite time (10 changed orders) on workbooks of 1k, 10k and 100k orders.

    python -m bench.sheets --sections incremental,workbook --rounds 5

Orders are plain payloads (connectors.payloads), not read from a database: what is measured
is the sheet's side of a cycle.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.payloads import OrderLinePayload, OrderPayload, PartyRef
from connectors.sheets.google import (
    GoogleSheetWriter,
    append_request,
    format_requests,
    wire_row,
)
from connectors.sheets.layout import ORDERS_TAB, order_row
from connectors.sheets.workbook import WorkbookWriter
from sandbox.sheets import SheetsEmulator, gspread_client
from sandbox.sheets.batch import apply_requests
from sandbox.sheets.cells import Cell, entered_cell

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


def seed_orders(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet_id: str, rows: int
) -> None:
    """Fill the orders tab with orders 1..rows-1 straight into the emulator's store (bench only).

    The same cells the writer's requests would leave (its appendDimension and number formats,
    then a USER_ENTERED values write, through the emulator's own code), without HTTP and with
    identical cells shared (cells are immutable): ~3 min for 1M rows on a loaded machine.
    """
    with emulator.store.lock:
        book = emulator.store.get(spreadsheet_id)
        sheet_id = writer._tabs[ORDERS_TAB]
        sheet = book.sheet_by_id(sheet_id)
        grow = [append_request(sheet_id, "ROWS", rows + 1 - sheet.row_count)]
        apply_requests(
            book, grow[: rows + 1 > sheet.row_count] + format_requests(sheet_id, 2, rows + 1)
        )
        template = sheet.rows[1]  # order 0, written by the writer: its cells carry the formats
        made: dict[tuple[int, Any], Cell | None] = {}
        for number in range(1, rows):
            line = []
            for column, raw in enumerate(wire_row(order_row(order(number), PARIS))):
                cell = made.get((column, raw))
                if cell is None:
                    previous = template[column] if column < len(template) else None
                    cell = entered_cell(raw, user_entered=True, previous=previous)
                    made[(column, raw)] = cell
                line.append(cell)
            # Row index number + 1 (under the header and order 0): replaces the format-only row.
            del sheet.rows[number + 1 :]
            sheet.rows.append(sheet.new_line(line))
        assert len(sheet.rows) == rows + 1 <= sheet.row_count, (len(sheet.rows), sheet.row_count)


def incremental(sheet_sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    """Cycles of 10 changed orders on sheets already holding many rows (medians of rounds)."""
    found = []
    for rows in sheet_sizes:
        # Google caps a spreadsheet at 10M cells; 1M orders x 26 columns is past it, so the
        # cap is lifted here to measure the cycle's cost at that size all the same.
        with SheetsEmulator(
            reads_per_minute=10**9, writes_per_minute=10**9, max_cells=10**9
        ) as emulator:
            spreadsheet = emulator.create_spreadsheet("Ops")
            gc = gspread_client(emulator.base_url)
            writer = GoogleSheetWriter(gc, spreadsheet.spreadsheet_id, zone=PARIS)
            writer.write_orders([order(0)])
            started = time.perf_counter()
            seed_orders(emulator, writer, spreadsheet.spreadsheet_id, rows)
            setup = time.perf_counter() - started
            writer.write_orders([order(i, 2) for i in range(rows // 2, rows // 2 + 10)])  # warm
            plain, slow, counts = [], [], []
            for n in range(rounds):
                for latency, out in ((0.0, plain), (LATENCY, slow)):
                    emulator.traffic.latency_seconds = latency
                    emulator.traffic.reset()
                    first = rows // (3 + n) + (0 if latency else 20)
                    changed = [order(i, 3 + n) for i in range(first, first + 10)]
                    out.append(timed(lambda c=changed, w=writer: w.write_orders(c)))
                    counts.append(emulator.traffic.count())
            found.append(
                {
                    "rows": rows,
                    "requests": max(counts),
                    "seconds": round(statistics.median(plain), 3),
                    "seconds_100ms": round(statistics.median(slow), 3),
                    "rounds": rounds,
                    "setup_seconds": round(setup, 1),
                }
            )
            print(
                f"  sheet of {rows:>8} rows: {max(counts)} requests,"
                f" {statistics.median(plain):7.3f} s"
                f" ({statistics.median(slow):7.3f} s at 100 ms/request; median of {rounds};"
                f" seeded in {setup:.0f} s)",
                flush=True,
            )
            gc.http_client.session.close()
    return found


def workbook(sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    """Time to apply 10 changed orders to a workbook of N orders (medians of rounds).

    "rewrite" is the writer that saved the file last (it skips reading it back); "cold" is a
    fresh writer, which reads the file first, as after a restart or a person's edit.
    """
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
            warm, cold = [], []
            for version in range(2, 2 + rounds):
                changed = [order(i, version) for i in range(10)]
                warm.append(timed(lambda c=changed, w=writer: w.write_orders(c)))
            for version in range(2, 2 + rounds):
                fresh = WorkbookWriter(path, zone=PARIS)
                changed = [order(i, version) for i in range(10, 20)]
                cold.append(timed(lambda c=changed, w=fresh: w.write_orders(c)))
            size = path.stat().st_size
            found.append(
                {
                    "orders": n,
                    "rewrite_seconds": round(statistics.median(warm), 2),
                    "cold_rewrite_seconds": round(statistics.median(cold), 2),
                    "rebuild_seconds": round(build, 2),
                    "rounds": rounds,
                    "bytes": size,
                }
            )
            print(
                f"  workbook of {n:>7} orders: rewrite {statistics.median(warm):7.2f} s,"
                f" cold {statistics.median(cold):7.2f} s (median of {rounds};"
                f" first build {build:.2f} s, {size / 1e6:.1f} MB)",
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
        "--sections", default="sync,incremental,workbook", help="which parts to run"
    )
    parser.add_argument("--rounds", type=int, default=5, help="cycles measured per size")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    sizes = [100, 1000] if args.quick else [100, 1_000, 10_000]
    baseline = {int(n) for n in args.baseline.split(",") if n}
    sheets = [1_000, 10_000] if args.quick else [1_000, 100_000, 1_000_000]
    books = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    started = datetime.now(UTC)
    results: dict[str, Any] = {}
    if "sync" in sections:
        print("Sync N changed orders (emulator, 100 ms per request):")
        results["sync"] = sync_cycle(sizes, baseline)
    if "incremental" in sections:
        print("One incremental cycle, 10 changed orders:")
        results["incremental"] = incremental(sheets, args.rounds)
    if "workbook" in sections:
        print("Workbook rewrite, 10 changed orders:")
        results["workbook"] = workbook(books, min(args.rounds, 3))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"sheets-{started:%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"started": started.isoformat(), **results}, indent=2))
    print(f"Figures written to {out}")


if __name__ == "__main__":
    main()
