"""The local workbook backend: the same layout in an .xlsx file, replaced atomically.

openpyxl cannot change a file in place, so each write reads the file back (read-only mode),
applies the changes by reference, and writes it whole (write-only mode) to a temporary file
that then replaces the old one (``os.replace``): a reader, or a download from the hub, never
sees half a file. What the writer saved last is kept in memory, stamped with the file's
inode, size and modification time: while the file is the one it wrote, the next write skips
reading it back; any change to the file (a person's edit, another process) makes it read again.
The cost grows with the ledger; bench/sheets.py measures it.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.chart import BarChart, LineChart, Reference  # type: ignore[import-untyped]
from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.worksheet._write_only import WriteOnlyWorksheet  # type: ignore[import-untyped]

from connectors.payloads import OrderPayload
from connectors.sheets import summaries
from connectors.sheets.layout import HUB_WIDTH, ORDER_COLUMNS, ORDERS_TAB, order_row
from connectors.sheets.limits import clip
from connectors.sheets.plan import KeyColumn, plan_writes
from connectors.sheets.writer import Progress, SheetRow, WriteReport, comparable, link_formula
from connectors.tables import Column, ColumnKind, Table

EURO = '#,##0.00 "€"'
FORMATS: dict[str, str] = {
    "money": EURO,
    "datetime": "dd/mm/yyyy hh:mm",
    "date": "dd/mm/yyyy",
    "number": "0.###",
    "int": "0",
}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E5EBF5")


@dataclass
class _Contents:
    """The workbook as read back: order rows (hub cells then people's) and summary tables."""

    orders: list[list[Any]] = field(default_factory=list)
    extra_header: list[Any] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)


def _kind_of(number_format: str, value: Any) -> ColumnKind:
    if "€" in number_format:
        return "money"
    if isinstance(value, datetime):
        return "date" if "h" not in number_format else "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, int) and not isinstance(value, bool):
        return "int"
    if isinstance(value, float):
        return "number"
    return "text"


def _hub_value(value: Any, column: Column) -> Any:
    """Return a read-back cell as the layout's comparable value."""
    if value is None or value == "":
        return None
    if column.kind == "money" and isinstance(value, (int, float)):
        return round(float(value) * 100)
    if column.kind == "number" and isinstance(value, (int, float)):
        return round(float(value), 3)
    if column.kind == "int" and isinstance(value, float):
        return int(value)
    if column.kind == "datetime" and isinstance(value, datetime):
        return value.replace(microsecond=0)
    return value


class WorkbookWriter:
    """Write the ops sheet into a local .xlsx file (the default when Google is not set up)."""

    def __init__(self, path: Path, *, zone: ZoneInfo, remove_duplicates: bool = False) -> None:
        self.path = path
        self.zone = zone
        self.remove_duplicates = remove_duplicates
        self._lock = threading.Lock()
        self._saved: tuple[tuple[int, int, int], _Contents] | None = None

    # -- reading ------------------------------------------------------------------------------

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_size, status.st_mtime_ns

    def _remember(self, contents: _Contents) -> None:
        stamp = self._stamp()
        self._saved = None if stamp is None else (stamp, contents)

    def _load(self) -> _Contents:
        """Return the workbook's contents, for the caller to change (forgotten until saved)."""
        saved, self._saved = self._saved, None
        if saved is not None and saved[0] == self._stamp():
            return saved[1]
        found = _Contents()
        if not self.path.exists():
            return found
        book = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        try:
            for sheet in book.worksheets:
                lines = sheet.iter_rows()
                header = next(lines, ())
                if sheet.title == ORDERS_TAB:
                    found.extra_header = [c.value for c in header][HUB_WIDTH:]
                    for line in lines:
                        values = [c.value for c in line]
                        hub = [
                            _hub_value(values[i] if i < len(values) else None, column)
                            for i, column in enumerate(ORDER_COLUMNS)
                        ]
                        found.orders.append(hub + values[HUB_WIDTH:])
                    while found.orders and not any(v not in (None, "") for v in found.orders[-1]):
                        found.orders.pop()
                else:
                    found.tables[sheet.title] = self._table(sheet.title, header, lines)
        finally:
            book.close()
        return found

    def _table(self, name: str, header: Any, lines: Iterable[Any]) -> Table:
        titles = [c.value for c in header if c.value is not None]
        rows: list[tuple[Any, ...]] = []
        kinds: list[ColumnKind | None] = [None] * len(titles)
        for line in lines:
            cells = list(line)[: len(titles)]
            row = []
            for i, cell in enumerate(cells):
                kind = kinds[i] or (
                    _kind_of(cell.number_format, cell.value) if cell.value is not None else None
                )
                kinds[i] = kind
                value = cell.value
                if kind == "money" and isinstance(value, (int, float)):
                    value = round(float(value) * 100)
                row.append(value)
            rows.append(tuple(row + [None] * (len(titles) - len(row))))
        columns = tuple(Column(str(t), kinds[i] or "text") for i, t in enumerate(titles))
        return Table(name, columns, tuple(rows))

    def read_orders(self) -> list[SheetRow]:
        """Return every data row of the orders tab."""
        with self._lock:
            contents = self._load()
            self._remember(contents)
        return [
            SheetRow(number, tuple(row[:HUB_WIDTH]), tuple(row[HUB_WIDTH:]))
            for number, row in enumerate(contents.orders, start=2)
        ]

    # -- writing ------------------------------------------------------------------------------

    def write_orders(
        self,
        orders: Sequence[OrderPayload],
        *,
        remove_refs: Collection[str] = (),
        repair: bool = False,
    ) -> WriteReport:
        """Apply the orders to the rows read back, by reference, and replace the file."""
        with self._lock:
            contents = self._load()
            rows = contents.orders
            keys = KeyColumn.read(
                (r[0] for r in rows),
                (r[HUB_WIDTH - 1] if len(r) >= HUB_WIDTH else None for r in rows),
            )
            plan = plan_writes(
                keys,
                orders,
                remove_duplicates=self.remove_duplicates or repair,
                remove_refs=remove_refs,
                force=repair,
            )
            for index in plan.deletions:
                del rows[index]
            for index, order in plan.updates:
                rows[index] = (
                    list(comparable(order_row(order, self.zone))) + rows[index][HUB_WIDTH:]
                )
            del rows[plan.append_at :]  # blank rows only: keys stop at the last reference
            rows.extend(list(comparable(order_row(o, self.zone))) for o in plan.appends)
            self._save(contents)
            return WriteReport(
                written=plan.writes,
                stale=plan.stale,
                duplicates=plan.duplicates,
                removed=len(plan.deletions),
                cells=sum(len(r) for r in rows),
            )

    def write_summaries(self, tables: Sequence[Table]) -> None:
        """Replace the summary tabs and rewrite the file (orders kept as they are)."""
        with self._lock:
            contents = self._load()
            contents.tables.update({t.name: t for t in tables})
            self._save(contents)

    def rebuild(self, chunks: Iterable[Sequence[OrderPayload]], progress: Progress) -> int:
        """Write the orders tab again from the ledger, people's cells kept by reference."""
        with self._lock:
            contents = self._load()
            people = {str(r[0]): r[HUB_WIDTH:] for r in contents.orders if r and r[0]}
            contents.orders = []
            for chunk in chunks:
                for order in chunk:
                    hub = list(comparable(order_row(order, self.zone)))
                    contents.orders.append(hub + list(people.get(order.ref, [])))
                progress(len(contents.orders))
            self._save(contents)
            return len(contents.orders)

    def _save(self, contents: _Contents) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        book = openpyxl.Workbook(write_only=True)
        self._write_orders_tab(book.create_sheet(ORDERS_TAB), contents)
        for name in summaries.TABS:
            table = contents.tables.get(name)
            self._write_table(book.create_sheet(name), table or Table(name, (), ()))
        handle, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        os.close(handle)
        try:
            book.save(temporary)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._remember(contents)

    def _write_orders_tab(self, sheet: WriteOnlyWorksheet, contents: _Contents) -> None:
        sheet.freeze_panes = "A2"
        for index, column in enumerate(ORDER_COLUMNS):
            letter = openpyxl.utils.get_column_letter(index + 1)
            sheet.column_dimensions[letter].width = 18 if column.kind != "text" else 22
        sheet.append(self._header(sheet, [c.title for c in ORDER_COLUMNS]) + contents.extra_header)
        kinds = [c.kind for c in ORDER_COLUMNS]
        for row in contents.orders:
            cells = [self._cell(sheet, v, k) for v, k in zip(row[:HUB_WIDTH], kinds, strict=False)]
            sheet.append(cells + list(row[HUB_WIDTH:]))

    def _write_table(self, sheet: WriteOnlyWorksheet, table: Table) -> None:
        sheet.freeze_panes = "A2"
        sheet.append(self._header(sheet, [c.title for c in table.columns]))
        for row in table.rows:
            sheet.append(
                [self._cell(sheet, v, c.kind) for v, c in zip(row, table.columns, strict=True)]
            )
        if table.name == summaries.CHART_TAB and table.rows:
            sheet.add_chart(
                self._chart(sheet, table),
                f"{openpyxl.utils.get_column_letter(len(table.columns) + 2)}2",
            )

    @staticmethod
    def _header(sheet: WriteOnlyWorksheet, titles: list[str]) -> list[Any]:
        cells = []
        for title in titles:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cells.append(cell)
        return cells

    @staticmethod
    def _cell(sheet: WriteOnlyWorksheet, value: Any, kind: str) -> Any:
        if value is None:
            return None
        if kind == "money":
            value = round(int(value) / 100, 2)
        elif kind == "link":
            if isinstance(value, tuple):
                value = link_formula(*value)
            return value
        elif kind == "text":
            text = clip(str(value))
            if not text.startswith("="):
                return text
            # A text that looks like a formula stays text.
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"
            return cell
        number_format = FORMATS.get(kind)
        if number_format is None:
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell

    @staticmethod
    def _chart(sheet: WriteOnlyWorksheet, table: Table) -> BarChart:
        domain, revenue, orders = summaries.chart_columns(table)
        last = len(table.rows) + 1
        bars = BarChart()
        bars.title = summaries.CHART_TITLE
        if revenue is not None:
            bars.add_data(
                Reference(sheet, min_col=revenue + 1, min_row=1, max_row=last),
                titles_from_data=True,
            )
        bars.set_categories(Reference(sheet, min_col=domain + 1, min_row=2, max_row=last))
        if orders is not None:
            line = LineChart()
            line.add_data(
                Reference(sheet, min_col=orders + 1, min_row=1, max_row=last), titles_from_data=True
            )
            line.y_axis.axId = 200
            line.y_axis.crosses = "max"
            bars += line
        return bars
