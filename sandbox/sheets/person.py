"""A person editing a tab by hand between the hub's cycles: sort, delete, insert, type."""

from __future__ import annotations

from typing import Any

from sandbox.sheets import a1
from sandbox.sheets.cells import Scalar, entered_cell
from sandbox.sheets.render import rendered
from sandbox.sheets.store import Sheet, Spreadsheet, Store


class Person:
    """Edit one tab directly in the emulator's state, as someone in the Sheets UI would."""

    def __init__(self, store: Store, spreadsheet_id: str, sheet_title: str) -> None:
        self.store = store
        self.spreadsheet_id = spreadsheet_id
        self.sheet_title = sheet_title

    def _sheet(self, spreadsheet: Spreadsheet) -> Sheet:
        return spreadsheet.sheet(self.sheet_title)

    def _edit(self, change: Any) -> None:
        self.store.change(self.spreadsheet_id, lambda s: change(self._sheet(s)))

    def type(self, cell: str, text: Scalar | None) -> None:
        """Type into one cell (`"R5"`), parsed like the UI parses input; None empties it."""
        parsed = a1.parse(cell, [])
        row, column = parsed.start_row or 0, parsed.start_column or 0

        def change(sheet: Sheet) -> None:
            previous = sheet.cell(row, column)
            sheet.put(row, column, entered_cell(text, user_entered=True, previous=previous))

        self._edit(change)

    def sort_rows(self, column: str, *, descending: bool = False, header_rows: int = 1) -> None:
        """Sort every row under the header by one column, whole rows moving together."""

        def change(sheet: Sheet) -> None:
            end = max(sheet.used_rows(), header_rows)
            width = max((len(line) for line in sheet.rows), default=0)
            specs = [(a1.column_number(column), descending)]
            sheet.sort_rows(
                (header_rows, end), (0, max(width, a1.column_number(column) + 1)), specs
            )

        self._edit(change)

    def delete_rows(self, row_number: int, count: int = 1) -> None:
        """Delete rows starting at a 1-based row number."""
        self._edit(lambda sheet: sheet.delete_rows(row_number - 1, row_number - 1 + count))

    def insert_rows(self, before_row_number: int, count: int = 1) -> None:
        """Insert empty rows above a 1-based row number."""
        self._edit(lambda sheet: sheet.insert_rows(before_row_number - 1, count))

    def rows(self, *, formatted: bool = False) -> list[list[Scalar]]:
        """Return the tab's values (unformatted unless asked), trailing blanks trimmed."""
        with self.store.lock:
            sheet = self._sheet(self.store.get(self.spreadsheet_id))
            render = "FORMATTED_VALUE" if formatted else "UNFORMATTED_VALUE"
            grid = []
            for line in sheet.rows[: sheet.used_rows()]:
                values = [rendered(cell, render, "SERIAL_NUMBER") for cell in line]
                while values and values[-1] == "":
                    values.pop()
                grid.append(values)
            return grid

    def cell(self, cell: str) -> Any:
        """Return the stored cell at an A1 address (None when empty)."""
        parsed = a1.parse(cell, [])
        with self.store.lock:
            sheet = self._sheet(self.store.get(self.spreadsheet_id))
            return sheet.cell(parsed.start_row or 0, parsed.start_column or 0)
