"""Spreadsheet state: spreadsheets, their sheets (tabs) as grids of cells, charts and filters."""

from __future__ import annotations

import copy
import functools
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.sheets import a1
from sandbox.sheets.cells import Cell, Scalar
from sandbox.sheets.errors import InvalidArgument, NotFound

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
# Google's limit per spreadsheet: https://support.google.com/drive/answer/37603
MAX_CELLS = 10_000_000


class Line(list[Cell | None]):
    """One row of cells, tagged with the sheet that may change it in place.

    A batch works on a copy of the spreadsheet whose rows are shared with the committed one;
    a row is copied only when the batch first changes it (copy-on-write), so a write of ten
    rows to a sheet of a million costs ten row copies, not a million.
    """

    __slots__ = ("owner",)

    def __init__(self, cells: Iterable[Cell | None] = (), owner: object = None) -> None:
        super().__init__(cells)
        self.owner = owner


@dataclass
class Sheet:
    """One tab: its SheetProperties JSON (the source of truth) and a sparse grid of cells."""

    properties: dict[str, Any]
    rows: list[Line] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    charts: list[dict[str, Any]] = field(default_factory=list)
    # Rows whose owner is this token are this sheet's own; others are shared with a copy.
    token: object = field(default_factory=object, compare=False, repr=False)

    @property
    def sheet_id(self) -> int:
        """Return the sheet's id (`gid`)."""
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        """Return the tab's title."""
        return str(self.properties["title"])

    @property
    def grid(self) -> dict[str, Any]:
        """Return the gridProperties JSON, created on first use."""
        grid: dict[str, Any] = self.properties.setdefault("gridProperties", {})
        return grid

    @property
    def row_count(self) -> int:
        """Return the number of rows of the grid."""
        return int(self.grid.get("rowCount", DEFAULT_ROWS))

    @property
    def column_count(self) -> int:
        """Return the number of columns of the grid."""
        return int(self.grid.get("columnCount", DEFAULT_COLUMNS))

    def cell(self, row: int, column: int) -> Cell | None:
        """Return the cell at zero-based coordinates, None when empty."""
        if row < len(self.rows) and column < len(self.rows[row]):
            return self.rows[row][column]
        return None

    def new_line(self, cells: Iterable[Cell | None] = ()) -> Line:
        """Return a row this sheet owns."""
        return Line(cells, self.token)

    def own(self, row: int) -> Line:
        """Return a row this sheet may change, copying it first if it is shared."""
        line = self.rows[row]
        if line.owner is not self.token:
            line = self.rows[row] = Line(line, self.token)
        return line

    def put(self, row: int, column: int, cell: Cell | None) -> None:
        """Set a cell, growing the grid when the write lands beyond it (as values writes do)."""
        if cell is None and self.cell(row, column) is None:
            return
        while len(self.rows) <= row:
            self.rows.append(self.new_line())
        line = self.own(row)
        while len(line) <= column:
            line.append(None)
        line[column] = cell
        grid = self.grid
        if row >= grid.get("rowCount", DEFAULT_ROWS):
            grid["rowCount"] = row + 1
        if column >= grid.get("columnCount", DEFAULT_COLUMNS):
            grid["columnCount"] = column + 1

    def used_rows(self) -> int:
        """Return the number of rows up to the last one holding a value or formula."""
        for index in range(len(self.rows) - 1, -1, -1):
            if any(c is not None and (c.value is not None or c.formula) for c in self.rows[index]):
                return index + 1
        return 0

    def insert_rows(self, start: int, count: int) -> None:
        """Insert empty rows before a zero-based row index."""
        if start < len(self.rows):
            self.rows[start:start] = [self.new_line() for _ in range(count)]
        self.grid["rowCount"] = self.row_count + count

    def delete_rows(self, start: int, end: int) -> None:
        """Delete rows [start, end) and shrink the grid."""
        if start >= self.row_count or end <= start:
            raise InvalidArgument("The range is out of the grid's bounds.")
        if end - start >= self.row_count:
            raise InvalidArgument("You can't delete all the rows on the sheet.")
        del self.rows[start:end]
        self.grid["rowCount"] = self.row_count - (end - start)
        frozen = int(self.grid.get("frozenRowCount", 0))
        if frozen > start:
            self.grid["frozenRowCount"] = max(start, frozen - (min(end, frozen) - start))

    def insert_columns(self, start: int, count: int) -> None:
        """Insert empty columns before a zero-based column index."""
        for index, line in enumerate(self.rows):
            if start < len(line):
                self.own(index)[start:start] = [None] * count
        self.grid["columnCount"] = self.column_count + count

    def delete_columns(self, start: int, end: int) -> None:
        """Delete columns [start, end) and shrink the grid."""
        if end - start >= self.column_count:
            raise InvalidArgument("You can't delete all the columns on the sheet.")
        for index, line in enumerate(self.rows):
            if start < len(line):
                del self.own(index)[start:end]
        self.grid["columnCount"] = self.column_count - (end - start)

    def sort_rows(
        self, rows: tuple[int, int], columns: tuple[int, int], specs: list[tuple[int, bool]]
    ) -> None:
        """Sort the block rows x columns by (column, descending) keys; blanks sort last."""
        start, end = rows
        block = [
            [self.cell(r, c) for c in range(columns[0], columns[1])] for r in range(start, end)
        ]

        def compare(left: list[Cell | None], right: list[Cell | None]) -> int:
            for column, descending in specs:
                order = _compare_cells(
                    left[column - columns[0]], right[column - columns[0]], descending
                )
                if order:
                    return order
            return 0

        block.sort(key=functools.cmp_to_key(compare))
        for offset, line in enumerate(block):
            for column_offset, cell in enumerate(line):
                self.put(start + offset, columns[0] + column_offset, cell)

    def clone(self) -> Sheet:
        """Return a copy sharing its rows until it changes them (see `Line`)."""
        return Sheet(
            properties=copy.deepcopy(self.properties),
            rows=self.rows[:],
            basic_filter=copy.deepcopy(self.basic_filter),
            charts=copy.deepcopy(self.charts),
        )


def _sort_key(value: Scalar | None) -> tuple[int, Any]:
    if isinstance(value, bool):
        return 2, value
    if isinstance(value, int | float):
        return 0, value
    return 1, str(value).lower()


def _compare_cells(left: Cell | None, right: Cell | None, descending: bool) -> int:
    left_value = None if left is None else left.value
    right_value = None if right is None else right.value
    # Blank cells go to the bottom whatever the direction, as in Sheets.
    if left_value is None or right_value is None:
        return (left_value is None) - (right_value is None)
    a, b = _sort_key(left_value), _sort_key(right_value)
    order = (a > b) - (a < b)
    return -order if descending else order


@dataclass
class Spreadsheet:
    """A spreadsheet: its properties, its sheets in tab order, and id counters."""

    spreadsheet_id: str
    properties: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)
    next_id: int = 1
    denied_message: str | None = None

    def sheet_titles(self) -> list[str]:
        """Return the titles of the tabs in order."""
        return [sheet.title for sheet in self.sheets]

    def sheet(self, title: str) -> Sheet:
        """Return the tab with this title."""
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise InvalidArgument(f"Unable to parse range: {a1.quote_title(title)}")

    def sheet_by_id(self, sheet_id: int) -> Sheet:
        """Return the tab with this sheet id."""
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise InvalidArgument(f"No grid with id: {sheet_id}")

    def new_id(self) -> int:
        """Return a fresh id for a sheet or chart."""
        self.next_id += 1
        return self.next_id * 7919 % 2_000_000_000

    def add_sheet(self, properties: dict[str, Any]) -> Sheet:
        """Add a tab from SheetProperties, filling Google's defaults."""
        title = properties.get("title") or f"Sheet{len(self.sheets) + 1}"
        if any(s.title.lower() == title.lower() for s in self.sheets):
            raise InvalidArgument(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )
        sheet_id = properties.get("sheetId")
        if sheet_id is None:
            sheet_id = 0 if not self.sheets else self.new_id()
        if any(s.sheet_id == sheet_id for s in self.sheets):
            raise InvalidArgument(f"Sheet with id {sheet_id} already exists.")
        grid = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS}
        grid.update(properties.get("gridProperties", {}))
        index = min(int(properties.get("index", len(self.sheets))), len(self.sheets))
        full = {**copy.deepcopy(properties), "sheetId": int(sheet_id), "title": title}
        full.update({"sheetType": properties.get("sheetType", "GRID"), "gridProperties": grid})
        sheet = Sheet(properties=full)
        self.sheets.insert(index, sheet)
        self.reindex()
        return sheet

    def reindex(self) -> None:
        """Keep each sheet's `index` property equal to its tab position."""
        for position, sheet in enumerate(self.sheets):
            sheet.properties["index"] = position

    def charts(self) -> Iterable[tuple[Sheet, dict[str, Any]]]:
        """Yield every chart with the sheet it sits on."""
        for sheet in self.sheets:
            for chart in sheet.charts:
                yield sheet, chart

    def adopt(self, draft: Spreadsheet) -> None:
        """Take over the state of a changed copy."""
        self.properties = draft.properties
        self.sheets = draft.sheets
        self.next_id = draft.next_id
        self.denied_message = draft.denied_message

    def cell_count(self) -> int:
        """Return the number of cells of all grids, which Google caps per spreadsheet."""
        return sum(sheet.row_count * sheet.column_count for sheet in self.sheets)

    def clone(self) -> Spreadsheet:
        """Return a copy a batch can change and then either commit or drop."""
        return Spreadsheet(
            spreadsheet_id=self.spreadsheet_id,
            properties=copy.deepcopy(self.properties),
            sheets=[sheet.clone() for sheet in self.sheets],
            next_id=self.next_id,
            denied_message=self.denied_message,
        )


class Store:
    """All spreadsheets of the emulator, guarded by one lock (the server is threaded)."""

    def __init__(self, *, max_cells: int = MAX_CELLS) -> None:
        self.lock = threading.RLock()
        self.max_cells = max_cells
        self._spreadsheets: dict[str, Spreadsheet] = {}

    def create(
        self,
        title: str = "Untitled spreadsheet",
        *,
        spreadsheet_id: str | None = None,
        sheet_titles: Iterable[str] = ("Sheet1",),
        locale: str = "en_US",
        time_zone: str = "Europe/Paris",
    ) -> Spreadsheet:
        """Create a spreadsheet with the given tabs and return it."""
        with self.lock:
            key = spreadsheet_id or uuid.uuid4().hex + uuid.uuid4().hex[:12]
            spreadsheet = Spreadsheet(
                spreadsheet_id=key,
                properties={
                    "title": title,
                    "locale": locale,
                    "autoRecalc": "ON_CHANGE",
                    "timeZone": time_zone,
                },
            )
            for sheet_title in sheet_titles:
                spreadsheet.add_sheet({"title": sheet_title})
            self._spreadsheets[key] = spreadsheet
            return spreadsheet

    def get(self, spreadsheet_id: str) -> Spreadsheet:
        """Return the current state of a spreadsheet."""
        with self.lock:
            try:
                return self._spreadsheets[spreadsheet_id]
            except KeyError:
                raise NotFound("Requested entity was not found.") from None

    def change(self, spreadsheet_id: str, apply: Callable[[Spreadsheet], Any]) -> Any:
        """Apply a change to a copy and keep it only if it succeeds (batches are atomic)."""
        with self.lock:
            current = self.get(spreadsheet_id)
            draft = current.clone()
            result = apply(draft)
            if draft.cell_count() > max(self.max_cells, current.cell_count()):
                raise InvalidArgument(
                    "This action would increase the number of cells in the workbook above the "
                    f"limit of {self.max_cells} cells."
                )
            # Commit into the same object, so references held by tests stay current.
            current.adopt(draft)
            return result

    def deny(self, spreadsheet_id: str, message: str | None) -> None:
        """Refuse every request on a spreadsheet with a 403 (None shares it again)."""
        with self.lock:
            self.get(spreadsheet_id).denied_message = message
