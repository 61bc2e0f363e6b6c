"""The Google Sheets backend: a few batched requests per cycle, whatever the number of orders.

A cycle of changed orders costs one read (the key and version columns, one ``batchGet``), one
``batchUpdate`` when rows are added or removed (grid rows and their number formats), and one
``values.batchUpdate`` (more only past the ~2 MB payload budget). The tabs' ids and the grid
are learnt once, when the writer first runs, and again before each summary refresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import gspread
import requests

from connectors.payloads import OrderPayload
from connectors.sheets import summaries
from connectors.sheets.errors import RateLimited, classify
from connectors.sheets.layout import HUB_WIDTH, ORDER_COLUMNS, ORDERS_TAB, Row, order_row
from connectors.sheets.limiter import MinuteLimiter
from connectors.sheets.limits import chunked, encoded_size
from connectors.sheets.plan import KeyColumn, plan_writes
from connectors.sheets.summaries import delete_dimension
from connectors.sheets.wire import EPOCH, NUMBER_FORMATS, to_wire
from connectors.sheets.writer import Progress, SheetRow, WriteReport
from connectors.tables import Table

T = TypeVar("T")

#: Tab ids the hub gives the tabs it creates, so one batch can create and fill them.
TAB_IDS = {ORDERS_TAB: 7001, **{name: 7002 + n for n, name in enumerate(summaries.TABS)}}
ORDERS_COLUMNS = 26
#: Rows sent per value range of an appended block (the payload budget packs ranges).
BLOCK_ROWS = 500
_META_FIELDS = (
    "sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),charts(chartId))"
)
_WRITE_ERRORS = (
    gspread.exceptions.APIError,
    gspread.exceptions.SpreadsheetNotFound,
    requests.RequestException,
    PermissionError,
)


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def a1(tab: str, first_row: int, last_row: int | None = None, width: int = HUB_WIDTH) -> str:
    """Return the A1 range of hub columns over 1-based rows of a tab."""
    end = "" if last_row is None else str(last_row)
    return f"'{tab}'!A{first_row}:{column_letters(width - 1)}{end}"


def wire_row(row: Row) -> list[Any]:
    return [to_wire(value, column.kind) for value, column in zip(row, ORDER_COLUMNS, strict=True)]


def person_wire(value: Any) -> Any:
    """Return a person's cell as read (FORMULA render) ready to be written back unchanged."""
    if isinstance(value, str) and value and not value.startswith("="):
        return "'" + value
    return value


def decoded(values: Sequence[Any]) -> SheetRow:
    """Return hub cells read with the FORMULA render as the layout's comparable values."""
    cells: list[Any] = []
    for index, column in enumerate(ORDER_COLUMNS):
        value = values[index] if index < len(values) else ""
        if value == "":
            cells.append(None)
        elif column.kind == "money" and isinstance(value, (int, float)):
            cells.append(round(float(value) * 100))
        elif column.kind == "datetime" and isinstance(value, (int, float)):
            cells.append(EPOCH + timedelta(seconds=round(float(value) * 86400)))
        elif column.kind == "number" and isinstance(value, (int, float)):
            cells.append(round(float(value), 3))
        elif column.kind == "int" and isinstance(value, (int, float)):
            cells.append(int(value))
        else:
            cells.append(value)
    return SheetRow(number=0, hub=tuple(cells), person=tuple(values[HUB_WIDTH:]))


def runs(updates: Sequence[tuple[int, OrderPayload]]) -> list[tuple[int, list[OrderPayload]]]:
    """Group row updates into runs of adjacent rows, one value range each (smaller payload)."""
    found: list[tuple[int, list[OrderPayload]]] = []
    for index, order in sorted(updates, key=lambda item: item[0]):
        if found and found[-1][0] + len(found[-1][1]) == index and len(found[-1][1]) < BLOCK_ROWS:
            found[-1][1].append(order)
        else:
            found.append((index, [order]))
    return found


def format_requests(sheet_id: int, start: int, end: int) -> list[dict[str, Any]]:
    """Return repeatCell requests giving rows [start, end) their columns' number formats."""
    found = []
    for index, column in enumerate(ORDER_COLUMNS):
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format is None:
            continue
        found.append(
            {
                "repeatCell": {
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": start,
                        "endRowIndex": end,
                        "startColumnIndex": index,
                        "endColumnIndex": index + 1,
                    },
                    "cell": {"userEnteredFormat": {"numberFormat": number_format}},
                    "fields": "userEnteredFormat.numberFormat",
                }
            }
        )
    return found


def append_request(sheet_id: int, dimension: str, length: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}


class GoogleSheetWriter:
    """Write the ops sheet in a Google spreadsheet shared with the hub's service account."""

    def __init__(
        self,
        client: gspread.Client,
        spreadsheet_id: str,
        *,
        zone: ZoneInfo,
        account_email: str = "",
        writes_per_minute: int = 50,
        remove_duplicates: bool = False,
        max_retry_wait_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.spreadsheet_id = spreadsheet_id
        self.zone = zone
        self.account_email = account_email
        self.remove_duplicates = remove_duplicates
        self.max_retry_wait_seconds = max_retry_wait_seconds
        self._sleep = sleep
        self._limiter = MinuteLimiter(writes_per_minute, sleep=sleep)
        self._book: gspread.Spreadsheet | None = None
        self._tabs: dict[str, int] = {}
        self._grids: dict[str, tuple[int, int]] = {}
        self._charts: set[int] = set()

    # -- one boundary for every request ------------------------------------------------------

    def _call(self, send: Callable[..., T], *args: Any, write: bool, **kwargs: Any) -> T:
        if write:
            self._limiter.wait()
        try:
            return send(*args, **kwargs)
        except _WRITE_ERRORS as exc:
            raise classify(
                exc, spreadsheet_id=self.spreadsheet_id, account_email=self.account_email
            ) from exc

    def _absorbing(self, cycle: Callable[[], T]) -> T:
        """Run a cycle, running it again after a short Retry-After; re-read rows each time."""
        for attempt in range(3):
            try:
                return cycle()
            except RateLimited as exc:
                wait = 5.0 if exc.retry_after is None else exc.retry_after
                if attempt == 2 or wait > self.max_retry_wait_seconds:
                    raise
                self._sleep(wait)
        raise AssertionError("unreachable")

    @property
    def book(self) -> gspread.Spreadsheet:
        if self._book is None:
            self._book = self._call(self.client.open_by_key, self.spreadsheet_id, write=False)
        return self._book

    # -- tabs ---------------------------------------------------------------------------------

    def _load_metadata(self) -> None:
        meta = self._call(
            self.book.fetch_sheet_metadata,
            {"includeGridData": "false", "fields": _META_FIELDS},
            write=False,
        )
        self._tabs, self._grids, self._charts = {}, {}, set()
        for sheet in meta.get("sheets", []):
            props = sheet["properties"]
            grid = props.get("gridProperties", {})
            self._tabs[props["title"]] = int(props["sheetId"])
            self._grids[props["title"]] = (grid.get("rowCount", 0), grid.get("columnCount", 0))
            self._charts.update(int(c["chartId"]) for c in sheet.get("charts", []))
        self._create_missing_tabs()

    def _create_missing_tabs(self) -> None:
        missing = [tab for tab in TAB_IDS if tab not in self._tabs]
        if not missing:
            return
        used = set(self._tabs.values())
        requests_: list[dict[str, Any]] = []
        for tab in missing:
            sheet_id = TAB_IDS[tab] if TAB_IDS[tab] not in used else max(used | {8000}) + 1
            used.add(sheet_id)
            columns = ORDERS_COLUMNS if tab == ORDERS_TAB else 8
            grid = {"rowCount": 2, "columnCount": columns, "frozenRowCount": 1}
            requests_.append(
                {
                    "addSheet": {
                        "properties": {"sheetId": sheet_id, "title": tab, "gridProperties": grid}
                    }
                }
            )
            self._tabs[tab] = sheet_id
            self._grids[tab] = (2, columns)
            header = (
                summaries.header_cells([c.title for c in ORDER_COLUMNS])
                if tab == ORDERS_TAB
                else []
            )
            if header:
                requests_.append(summaries.update_cells(sheet_id, [header]))
                requests_.extend(format_requests(sheet_id, 1, 2))
        self._call(self.book.batch_update, {"requests": requests_}, write=True)

    def _ready(self) -> None:
        if not self._tabs:
            self._load_metadata()

    # -- orders -------------------------------------------------------------------------------

    def _read_keys(self) -> KeyColumn:
        version = column_letters(HUB_WIDTH - 1)
        answer = self._call(
            self.book.values_batch_get,
            [f"'{ORDERS_TAB}'!A2:A", f"'{ORDERS_TAB}'!{version}2:{version}"],
            params={"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "COLUMNS"},
            write=False,
        )
        ranges = answer.get("valueRanges", [])
        columns = [(r.get("values") or [[]])[0] for r in ranges] + [[], []]
        return KeyColumn.read(columns[0], columns[1])

    def write_orders(
        self,
        orders: Sequence[OrderPayload],
        *,
        remove_refs: Collection[str] = (),
        repair: bool = False,
    ) -> WriteReport:
        """Write the orders' rows by reference in a constant number of requests."""
        return self._absorbing(lambda: self._write_orders(orders, remove_refs, repair))

    def _write_orders(
        self, orders: Sequence[OrderPayload], remove_refs: Collection[str], repair: bool
    ) -> WriteReport:
        self._ready()
        keys = self._read_keys()
        plan = plan_writes(
            keys,
            orders,
            remove_duplicates=self.remove_duplicates or repair,
            remove_refs=remove_refs,
            force=repair,
        )
        sheet_id = self._tabs[ORDERS_TAB]
        structure = [delete_dimension(sheet_id, "ROWS", i + 1, i + 2) for i in plan.deletions]
        if plan.appends:
            start = plan.append_at + 1
            structure.append(append_request(sheet_id, "ROWS", len(plan.appends)))
            structure.extend(format_requests(sheet_id, start, start + len(plan.appends)))
        if structure:
            self._call(self.book.batch_update, {"requests": structure}, write=True)
        data = [
            {
                "range": a1(ORDERS_TAB, first + 2, first + 1 + len(run)),
                "values": [wire_row(order_row(o, self.zone)) for o in run],
            }
            for first, run in runs(plan.updates)
        ]
        for offset in range(0, len(plan.appends), BLOCK_ROWS):
            block = plan.appends[offset : offset + BLOCK_ROWS]
            first = plan.append_at + offset + 2
            data.append(
                {
                    "range": a1(ORDERS_TAB, first, first + len(block) - 1),
                    "values": [wire_row(order_row(o, self.zone)) for o in block],
                }
            )
        self._send_values(data)
        rows, columns = self._grids.get(ORDERS_TAB, (0, ORDERS_COLUMNS))
        self._grids[ORDERS_TAB] = (rows + len(plan.appends) - len(plan.deletions), columns)
        return WriteReport(
            written=plan.writes,
            stale=plan.stale,
            duplicates=plan.duplicates,
            removed=len(plan.deletions),
            cells=self.cells,
        )

    def _send_values(self, data: list[dict[str, Any]]) -> None:
        for chunk in chunked(data, encoded_size):
            self._call(
                self.book.values_batch_update,
                {"valueInputOption": "USER_ENTERED", "data": chunk},
                write=True,
            )

    @property
    def cells(self) -> int:
        """Return the cells the spreadsheet's grids hold, as last learnt."""
        return sum(rows * columns for rows, columns in self._grids.values())

    def read_orders(self) -> list[SheetRow]:
        """Return every data row of the orders tab (FORMULA render, serial dates)."""
        self._ready()
        answer = self._call(
            self.book.values_get,
            f"'{ORDERS_TAB}'!A2:{column_letters(max(self._grids[ORDERS_TAB][1], HUB_WIDTH) - 1)}",
            params={"valueRenderOption": "FORMULA", "dateTimeRenderOption": "SERIAL_NUMBER"},
            write=False,
        )
        rows = []
        for number, values in enumerate(answer.get("values", []), start=2):
            row = decoded(values)
            rows.append(SheetRow(number, row.hub, row.person))
        return rows

    def rebuild(self, chunks: Iterable[Sequence[OrderPayload]], progress: Progress) -> int:
        """Empty the orders tab and write it again in chunks, people's cells kept by reference."""
        self._load_metadata()
        people = {row.ref: row.person for row in self.read_orders() if row.ref}
        sheet_id = self._tabs[ORDERS_TAB]
        rows_now = self._grids[ORDERS_TAB][0]
        # Google refuses to delete every row under a frozen header: add a blank one first.
        empty = [append_request(sheet_id, "ROWS", 1)]
        if rows_now > 1:
            empty.append(delete_dimension(sheet_id, "ROWS", 1, rows_now))
        self._call(self.book.batch_update, {"requests": empty}, write=True)
        written = 0
        for chunk in chunks:
            if not chunk:
                continue
            start = written + 1
            structure = [append_request(sheet_id, "ROWS", len(chunk))]
            structure += format_requests(sheet_id, start, start + len(chunk))
            self._call(self.book.batch_update, {"requests": structure}, write=True)
            lines = []
            for order in chunk:
                kept = [person_wire(v) for v in people.get(order.ref, ())]
                lines.append(wire_row(order_row(order, self.zone)) + kept)
            width = max(len(line) for line in lines)
            data = [
                {
                    "range": a1(ORDERS_TAB, start + 1 + n, start + n + len(part), width),
                    "values": [line + [""] * (width - len(line)) for line in part],
                }
                for n in range(0, len(lines), BLOCK_ROWS)
                for part in [lines[n : n + BLOCK_ROWS]]
            ]
            self._send_values(data)
            written += len(chunk)
            progress(written)
        self._load_metadata()
        return written

    # -- summaries ----------------------------------------------------------------------------

    def write_summaries(self, tables: Sequence[Table]) -> None:
        """Replace each summary tab whole, and keep the chart on "Jour" covering its rows."""
        self._absorbing(lambda: self._write_summaries(tables))

    def _write_summaries(self, tables: Sequence[Table]) -> None:
        self._load_metadata()
        requests_: list[dict[str, Any]] = []
        for table in tables:
            if table.name not in self._tabs:
                continue
            sheet_id = self._tabs[table.name]
            requests_ += summaries.replace_requests(sheet_id, table, self._grids[table.name])
            if table.name == summaries.CHART_TAB:
                requests_ += summaries.chart_requests(
                    sheet_id, table, exists=summaries.CHART_ID in self._charts
                )
        if requests_:
            self._call(self.book.batch_update, {"requests": requests_}, write=True)
        self._charts.add(summaries.CHART_ID)
